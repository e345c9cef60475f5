#include <gtest/gtest.h>

#include "engine/kernels/dnnl/oracle_test_util.h"

namespace inferd::onednn::testing {
namespace {

TEST(DnnlGemm, MatchesReferenceOverTransposesScalesAndCShapes) {
  std::mt19937 rng(21);
  const int64_t m = 5, k = 7, n = 6;
  const std::vector<Shape> c_shapes = {{}, {n}, {1, n}, {m, n}, {m, 1}, {1}, {1, 1}};
  int count = 0;
  for (int ta = 0; ta < 2; ++ta) {
    for (int tb = 0; tb < 2; ++tb) {
      for (const bool constant_b : {false, true}) {
        for (const bool constant_c : {false, true}) {
          for (size_t ci = 0; ci <= c_shapes.size(); ++ci) {  // ci == size: no C
            for (const auto& [alpha, beta] : {std::pair{1.f, 1.f}, std::pair{0.5f, 2.f}, std::pair{-1.5f, 0.f}}) {
              std::vector<GraphInput> in = {{"a", RandomTensor(ta ? Shape{k, m} : Shape{m, k}, rng)},
                                            {"b", RandomTensor(tb ? Shape{n, k} : Shape{k, n}, rng), constant_b}};
              if (ci < c_shapes.size()) in.push_back({"c", RandomTensor(c_shapes[ci], rng), constant_c});
              const std::map<std::string, Attribute> attrs = {{"transA", IntAttr(ta)},
                                                              {"transB", IntAttr(tb)},
                                                              {"alpha", FloatAttr(alpha)},
                                                              {"beta", FloatAttr(beta)}};
              const std::string what = "tA" + std::to_string(ta) + " tB" + std::to_string(tb) +
                                       (constant_b ? " constB" : "") + (constant_c ? " constC" : "") + " C" +
                                       (ci < c_shapes.size() ? ShapeToString(c_shapes[ci]) : "none") +
                                       " alpha " + std::to_string(alpha) + " beta " + std::to_string(beta);
              CompareOneNode("Gemm", in, attrs, what);
              ++count;
            }
          }
        }
      }
    }
  }
  EXPECT_GT(count, 100);
}

TEST(DnnlGemm, LargerAndOddSizesWithFusedActivation) {
  std::mt19937 rng(22);
  for (const auto& [m, k, n] : {std::tuple{1, 1, 1}, std::tuple{1, 512, 1000}, std::tuple{33, 65, 17},
                                std::tuple{128, 64, 96}}) {
    for (const std::string act : {"", "Relu", "HardSigmoid"}) {
      const std::vector<GraphInput> in = {{"a", RandomTensor({m, k}, rng)},
                                          {"b", RandomTensor({n, k}, rng), true},
                                          {"c", RandomTensor({n}, rng), true}};
      std::map<std::string, Attribute> attrs = {{"transB", IntAttr(1)}};
      if (!act.empty()) attrs["_activation"] = StringAttr(act);
      CompareOneNode("Gemm", in, attrs,
                     std::to_string(m) + "x" + std::to_string(k) + "x" + std::to_string(n) + " " + act);
    }
  }
}

TEST(DnnlGemm, MismatchedShapesAreInvalidArgument) {
  std::mt19937 rng(23);
  const std::vector<GraphInput> in = {{"a", RandomTensor({2, 3}, rng)}, {"b", RandomTensor({3, 4}, rng), true},
                                      {"c", RandomTensor({2, 4}, rng)}};
  auto model = CompileOrDie(MakeGraph({MakeNode("Gemm", {"a", "b", "c"}, {"y"})}, in), {});
  ASSERT_TRUE(model);
  EXPECT_EQ(model->step_kernel_name(0), "dnnl.gemm");
  auto bad_k = model->Run({RandomTensor({2, 5}, rng), RandomTensor({2, 4}, rng)});
  ASSERT_FALSE(bad_k.ok());
  EXPECT_EQ(bad_k.status().code(), StatusCode::kInvalidArgument);
  auto bad_c = model->Run({RandomTensor({2, 3}, rng), RandomTensor({3, 4}, rng)});
  ASSERT_FALSE(bad_c.ok());
  EXPECT_EQ(bad_c.status().code(), StatusCode::kInvalidArgument) << bad_c.status().ToString();
  auto rank = model->Run({RandomTensor({2, 3, 1}, rng), RandomTensor({2, 4}, rng)});
  ASSERT_FALSE(rank.ok());
}

}  // namespace
}  // namespace inferd::onednn::testing
