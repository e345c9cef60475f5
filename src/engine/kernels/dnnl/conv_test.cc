#include <gtest/gtest.h>

#include <algorithm>
#include <tuple>

#include "engine/kernels/dnnl/oracle_test_util.h"

namespace inferd::onednn::testing {
namespace {

struct ConvCase {
  Shape x, w;
  int64_t group = 1;
  std::vector<int64_t> strides = {}, dilations = {}, pads = {};
  std::string auto_pad = {};
  bool bias = true;
};

std::string Describe(const ConvCase& c) {
  std::string s = "X" + ShapeToString(c.x) + " W" + ShapeToString(c.w) + " g" + std::to_string(c.group);
  if (!c.strides.empty()) s += " s" + ShapeToString(c.strides);
  if (!c.dilations.empty()) s += " d" + ShapeToString(c.dilations);
  if (!c.pads.empty()) s += " p" + ShapeToString(c.pads);
  if (!c.auto_pad.empty()) s += " " + c.auto_pad;
  return s;
}

std::map<std::string, Attribute> Attrs(const ConvCase& c) {
  std::map<std::string, Attribute> a;
  if (c.group != 1) a["group"] = IntAttr(c.group);
  if (!c.strides.empty()) a["strides"] = IntsAttr(c.strides);
  if (!c.dilations.empty()) a["dilations"] = IntsAttr(c.dilations);
  if (!c.pads.empty()) a["pads"] = IntsAttr(c.pads);
  if (!c.auto_pad.empty()) a["auto_pad"] = StringAttr(c.auto_pad);
  return a;
}

std::vector<GraphInput> Inputs(const ConvCase& c, std::mt19937& rng) {
  std::vector<GraphInput> in = {{"x", RandomTensor(c.x, rng)}, {"w", RandomTensor(c.w, rng), true}};
  if (c.bias) in.push_back({"b", RandomTensor({c.w[0]}, rng), true});
  return in;
}

const std::vector<ConvCase>& Cases() {
  static const std::vector<ConvCase> cases = {
      // 2-D: plain, odd sizes, strides, pads, dilations, groups, depthwise.
      {{1, 3, 7, 7}, {4, 3, 3, 3}},
      {{2, 3, 9, 11}, {5, 3, 3, 3}, 1, {2, 2}, {}, {1, 1, 1, 1}},
      {{1, 16, 14, 14}, {32, 16, 1, 1}},
      {{3, 8, 10, 7}, {8, 8, 3, 2}, 1, {1, 2}, {2, 1}, {2, 0, 1, 3}},
      {{1, 8, 12, 12}, {12, 2, 3, 3}, 4, {}, {}, {1, 1, 1, 1}},
      {{2, 32, 9, 9}, {32, 1, 3, 3}, 32, {2, 2}, {}, {1, 1, 1, 1}},  // depthwise
      {{1, 16, 8, 8}, {32, 1, 5, 5}, 16, {}, {}, {2, 2, 2, 2}},       // depthwise, multiplier 2
      {{1, 1, 1, 1}, {1, 1, 1, 1}, 1, {}, {}, {}, "", false},
      {{1, 64, 15, 15}, {64, 64, 3, 3}, 1, {}, {}, {1, 1, 1, 1}},
      {{2, 3, 17, 13}, {6, 3, 7, 7}, 1, {2, 2}, {}, {3, 3, 3, 3}},
      {{1, 4, 6, 6}, {4, 4, 3, 3}, 1, {}, {}, {}, "", false},
      // auto_pad
      {{1, 3, 8, 7}, {4, 3, 3, 3}, 1, {2, 2}, {}, {}, "SAME_UPPER"},
      {{2, 3, 8, 7}, {4, 3, 4, 2}, 1, {2, 3}, {}, {}, "SAME_LOWER"},
      {{1, 3, 8, 7}, {4, 3, 3, 3}, 1, {2, 1}, {}, {}, "VALID"},
      // 1-D and 3-D
      {{2, 4, 20}, {6, 4, 5}, 1, {2}, {2}, {1, 3}},
      {{1, 6, 9}, {6, 1, 3}, 6, {}, {}, {1, 1}},
      {{1, 2, 5, 6, 7}, {3, 2, 3, 3, 3}, 1, {1, 2, 1}, {}, {1, 1, 0, 1, 1, 0}},
  };
  return cases;
}

TEST(DnnlConv, MatchesReferenceOverShapes) {
  std::mt19937 rng(1);
  for (const ConvCase& c : Cases()) {
    const auto in = Inputs(c, rng);
    CompareOneNode("Conv", in, Attrs(c), Describe(c));
  }
}

TEST(DnnlConv, DynamicBiasAndBatchChangesReuseTheKernel) {
  std::mt19937 rng(2);
  Graph g = MakeGraph({MakeNode("Conv", {"x", "w", "b"}, {"y"}, {{"pads", IntsAttr({1, 1, 1, 1})}})},
                      {{"x", RandomTensor({1, 4, 6, 6}, rng)},
                       {"w", RandomTensor({8, 4, 3, 3}, rng), true},
                       {"b", RandomTensor({8}, rng)}});
  auto fast = CompileOrDie(g, {});
  auto oracle = CompileOrDie(g, {"ref"});
  ASSERT_TRUE(fast && oracle);
  auto ctx = fast->NewRunContext();
  for (const Shape& shape : {Shape{1, 4, 6, 6}, Shape{3, 4, 5, 9}, Shape{1, 4, 6, 6}, Shape{2, 4, 1, 1}}) {
    const std::vector<Tensor> in = {RandomTensor(shape, rng), RandomTensor({8}, rng)};
    auto got = fast->Run(*ctx, in);
    auto want = oracle->Run(in);
    ASSERT_TRUE(got.ok() && want.ok()) << got.status().ToString() << want.status().ToString();
    ExpectClose((*got)[0], (*want)[0], "shape " + ShapeToString(shape));
  }
}

TEST(DnnlConv, FusedActivationsMatchReference) {
  // The reference Conv applies "_activation" itself, so the same graph is the oracle.
  std::mt19937 rng(3);
  const ConvCase c{{2, 8, 9, 9}, {16, 8, 3, 3}, 1, {}, {}, {1, 1, 1, 1}};
  const std::vector<std::tuple<std::string, float, float>> acts = {
      {"Relu", 0, 0},        {"LeakyRelu", 0.1f, 0}, {"Clip", 0.f, 6.f},   {"Clip", -0.5f, 0.25f},
      {"Sigmoid", 0, 0},     {"Tanh", 0, 0},         {"Elu", 0.7f, 0},     {"HardSigmoid", 0.3f, 0.4f},
      {"HardSwish", 0, 0},   {"Selu", 1.67f, 1.05f}, {"Softplus", 0, 0}};
  for (const auto& [name, alpha, beta] : acts) {
    auto attrs = Attrs(c);
    attrs["_activation"] = StringAttr(name);
    attrs["_activation_alpha"] = FloatAttr(alpha);
    attrs["_activation_beta"] = FloatAttr(beta);
    CompareOneNode("Conv", Inputs(c, rng), attrs, "fused " + name);
  }
}

TEST(DnnlConv, FusedSumInputMatchesConvThenAdd) {
  // Same-shaped residuals take the oneDNN sum post-op; broadcast ones are
  // added by hand. Oracle: reference Conv then Add (then Relu by hand).
  std::mt19937 rng(4);
  for (const Shape& sum_shape : {Shape{2, 8, 7, 7}, Shape{8, 1, 1}, Shape{1, 8, 7, 7}}) {
    for (const bool relu : {false, true}) {
      const std::vector<GraphInput> in = {{"x", RandomTensor({2, 4, 7, 7}, rng)},
                                          {"w", RandomTensor({8, 4, 3, 3}, rng), true},
                                          {"b", RandomTensor({8}, rng), true},
                                          {"r", RandomTensor(sum_shape, rng)}};
      std::map<std::string, Attribute> fused = {{"pads", IntsAttr({1, 1, 1, 1})}, {"_sum_input", IntAttr(3)}};
      if (relu) fused["_activation"] = StringAttr("Relu");
      auto fast = CompileOrDie(MakeGraph({MakeNode("Conv", {"x", "w", "b", "r"}, {"y"}, fused)}, in), {});
      auto oracle = CompileOrDie(
          MakeGraph({MakeNode("Conv", {"x", "w", "b"}, {"c"}, {{"pads", IntsAttr({1, 1, 1, 1})}}),
                     MakeNode("Add", {"c", "r"}, {"y"})},
                    in),
          {"ref"});
      ASSERT_TRUE(fast && oracle);
      const std::string what = "sum " + ShapeToString(sum_shape) + (relu ? " relu" : "");
      auto want = oracle->Run(RuntimeInputs(in));
      ASSERT_TRUE(want.ok()) << want.status().ToString();
      Tensor expected = (*want)[0].Clone();
      if (relu)
        for (int64_t i = 0; i < expected.numel(); ++i)
          expected.data<float>()[i] = std::max(expected.data<float>()[i], 0.f);
      auto got = fast->Run(RuntimeInputs(in));
      ASSERT_TRUE(got.ok()) << what << ": " << got.status().ToString();
      ExpectClose((*got)[0], expected, what);
    }
  }
}

TEST(DnnlConv, BadInputsAreInvalidArgument) {
  std::mt19937 rng(5);
  const std::vector<GraphInput> in = {{"x", RandomTensor({1, 3, 5, 5}, rng)}, {"w", RandomTensor({4, 3, 3, 3}, rng), true}};
  auto model = CompileOrDie(MakeGraph({MakeNode("Conv", {"x", "w"}, {"y"})}, in), {});
  ASSERT_TRUE(model);
  EXPECT_EQ(model->step_kernel_name(0), "dnnl.conv");
  for (const Shape& bad : {Shape{1, 2, 5, 5}, Shape{1, 3, 5}, Shape{1, 3, 2, 2}}) {
    auto out = model->Run({RandomTensor(bad, rng)});
    ASSERT_FALSE(out.ok()) << ShapeToString(bad);
    EXPECT_EQ(out.status().code(), StatusCode::kInvalidArgument) << out.status().ToString();
  }
  // Empty batch: an empty output, no primitive run.
  auto out = model->Run({Tensor::Create(DType::kFloat32, {0, 3, 5, 5}).value()});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ((*out)[0].shape(), (Shape{0, 4, 3, 3}));
}

TEST(DnnlConv, DynamicWeightsMatchReference) {
  std::mt19937 rng(6);
  for (const ConvCase& c : {ConvCase{{2, 8, 9, 9}, {16, 8, 3, 3}, 1, {}, {}, {1, 1, 1, 1}},
                            ConvCase{{1, 8, 7, 7}, {8, 1, 3, 3}, 8, {2, 2}},
                            ConvCase{{1, 4, 10}, {2, 2, 3}, 2, {}, {2}}}) {
    auto in = Inputs(c, rng);
    in[1].constant = false;
    in[2].constant = false;
    CompareOneNode("Conv", in, Attrs(c), "dynamic W " + Describe(c));
  }
  // A W whose shape disagrees with X is caught at run time.
  const std::vector<GraphInput> in = {{"x", RandomTensor({1, 3, 5, 5}, rng)}, {"w", RandomTensor({4, 3, 3, 3}, rng)}};
  auto model = CompileOrDie(MakeGraph({MakeNode("Conv", {"x", "w"}, {"y"})}, in), {});
  ASSERT_TRUE(model);
  EXPECT_EQ(model->step_kernel_name(0), "dnnl.conv");
  auto bad = model->Run({RandomTensor({1, 3, 5, 5}, rng), RandomTensor({4, 2, 3, 3}, rng)});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument) << bad.status().ToString();
}

}  // namespace
}  // namespace inferd::onednn::testing
