#include <gtest/gtest.h>

#include "engine/kernels/dnnl/oracle_test_util.h"

namespace inferd::onednn::testing {
namespace {

struct PoolCase {
  Shape x;
  std::vector<int64_t> kernel;
  std::vector<int64_t> strides = {}, pads = {}, dilations = {};
  std::string auto_pad = {};
  int64_t ceil_mode = 0;
};

std::map<std::string, Attribute> Attrs(const PoolCase& c) {
  std::map<std::string, Attribute> a = {{"kernel_shape", IntsAttr(c.kernel)}};
  if (!c.strides.empty()) a["strides"] = IntsAttr(c.strides);
  if (!c.pads.empty()) a["pads"] = IntsAttr(c.pads);
  if (!c.dilations.empty()) a["dilations"] = IntsAttr(c.dilations);
  if (!c.auto_pad.empty()) a["auto_pad"] = StringAttr(c.auto_pad);
  if (c.ceil_mode) a["ceil_mode"] = IntAttr(1);
  return a;
}

std::string Describe(const PoolCase& c) {
  return "X" + ShapeToString(c.x) + " k" + ShapeToString(c.kernel) + " s" + ShapeToString(c.strides) + " p" +
         ShapeToString(c.pads) + " d" + ShapeToString(c.dilations) + " " + c.auto_pad +
         (c.ceil_mode ? " ceil" : "");
}

const std::vector<PoolCase>& Cases() {
  static const std::vector<PoolCase> cases = {
      {{1, 1, 4, 4}, {2, 2}, {2, 2}},
      {{2, 3, 7, 9}, {3, 3}, {2, 2}, {1, 1, 1, 1}},
      {{1, 64, 112, 112}, {3, 3}, {2, 2}, {1, 1, 1, 1}},
      {{1, 2, 5, 5}, {2, 2}, {2, 2}, {}, {}, "", 1},                 // ceil_mode overhang
      {{1, 2, 6, 7}, {3, 3}, {2, 2}, {1, 0, 0, 1}, {}, "", 1},       // ceil_mode with pads
      {{1, 2, 8, 8}, {3, 3}, {1, 1}, {}, {2, 2}},                    // dilations
      {{2, 2, 7, 6}, {3, 2}, {2, 1}, {}, {}, "SAME_UPPER"},
      {{2, 2, 7, 6}, {3, 3}, {2, 2}, {}, {}, "SAME_LOWER"},
      {{1, 3, 9, 9}, {3, 3}, {3, 3}, {}, {}, "VALID"},
      {{3, 4, 11}, {3}, {2}, {1, 1}},                                // 1-D
      {{1, 2, 5, 6, 7}, {2, 3, 2}, {1, 2, 2}, {0, 1, 1, 1, 1, 0}},   // 3-D
      {{1, 1, 1, 1}, {1, 1}},
  };
  return cases;
}

TEST(DnnlPool, MaxPoolMatchesReference) {
  std::mt19937 rng(31);
  for (const PoolCase& c : Cases()) {
    CompareOneNode("MaxPool", {{"x", RandomTensor(c.x, rng)}}, Attrs(c), "MaxPool " + Describe(c), 12);
  }
}

TEST(DnnlPool, AveragePoolMatchesReferenceWithAndWithoutPadCounting) {
  std::mt19937 rng(32);
  for (const PoolCase& c : Cases()) {
    if (!c.dilations.empty()) continue;  // AveragePool has dilations only from opset 19
    for (int64_t include : {0, 1}) {
      auto attrs = Attrs(c);
      attrs["count_include_pad"] = IntAttr(include);
      CompareOneNode("AveragePool", {{"x", RandomTensor(c.x, rng)}}, attrs,
                     "AveragePool " + Describe(c) + (include ? " include_pad" : ""), 11);
    }
  }
}

TEST(DnnlPool, GlobalAveragePoolMatchesReference) {
  std::mt19937 rng(33);
  for (const Shape& shape : {Shape{1, 1, 1, 1}, Shape{2, 64, 7, 7}, Shape{1, 3, 5}, Shape{2, 3, 4, 5, 6}}) {
    CompareOneNode("GlobalAveragePool", {{"x", RandomTensor(shape, rng)}}, {}, "Global " + ShapeToString(shape));
  }
}

TEST(DnnlPool, IndicesOutputIsLeftToTheReference) {
  std::mt19937 rng(34);
  const std::vector<GraphInput> in = {{"x", RandomTensor({1, 1, 4, 4}, rng)}};
  Graph g = MakeGraph({MakeNode("MaxPool", {"x"}, {"y", "i"}, {{"kernel_shape", IntsAttr({2, 2})}})}, in);
  auto model = CompileOrDie(g, {});
  ASSERT_TRUE(model);
  EXPECT_EQ(model->step_kernel_name(0), "ref");
}

TEST(DnnlPool, BadShapesAreInvalidArgument) {
  std::mt19937 rng(35);
  const std::vector<GraphInput> in = {{"x", RandomTensor({1, 1, 4, 4}, rng)}};
  auto model = CompileOrDie(MakeGraph({MakeNode("MaxPool", {"x"}, {"y"}, {{"kernel_shape", IntsAttr({3, 3})}})}, in), {});
  ASSERT_TRUE(model);
  EXPECT_EQ(model->step_kernel_name(0), "dnnl.maxpool");
  for (const Shape& bad : {Shape{1, 1, 2, 2}, Shape{1, 1, 4}}) {
    auto out = model->Run({RandomTensor(bad, rng)});
    ASSERT_FALSE(out.ok()) << ShapeToString(bad);
    EXPECT_EQ(out.status().code(), StatusCode::kInvalidArgument) << out.status().ToString();
  }
}

}  // namespace
}  // namespace inferd::onednn::testing
