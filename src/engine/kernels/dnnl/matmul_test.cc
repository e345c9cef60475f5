#include <gtest/gtest.h>

#include "engine/kernels/dnnl/oracle_test_util.h"

namespace inferd::onednn::testing {
namespace {

struct MatMulCase {
  Shape a, b;
};

const std::vector<MatMulCase>& Cases() {
  static const std::vector<MatMulCase> cases = {
      {{1, 1}, {1, 1}},           {{3, 5}, {5, 7}},          {{64, 33}, {33, 17}},
      {{7}, {7, 3}},              {{4, 7}, {7}},             {{9}, {9}},
      {{2, 3, 5}, {5, 4}},        {{2, 3, 5}, {2, 5, 4}},    {{2, 1, 3, 5}, {1, 4, 5, 6}},
      {{1, 3, 5}, {6, 5, 2}},     {{5}, {2, 5, 3}},          {{2, 3, 4, 5}, {5}},
      {{3, 1, 1, 8}, {8, 1}},     {{2, 2, 2, 3, 4}, {2, 1, 2, 4, 3}},
  };
  return cases;
}

TEST(DnnlMatMul, MatchesReferenceWithDynamicAndConstantB) {
  std::mt19937 rng(11);
  for (const MatMulCase& c : Cases()) {
    for (const bool constant_b : {false, true}) {
      const std::vector<GraphInput> in = {{"a", RandomTensor(c.a, rng)}, {"b", RandomTensor(c.b, rng), constant_b}};
      CompareOneNode("MatMul", in, {},
                     "A" + ShapeToString(c.a) + " B" + ShapeToString(c.b) + (constant_b ? " const" : ""));
    }
  }
}

TEST(DnnlMatMul, ConstantBServesManyRowCounts) {
  std::mt19937 rng(12);
  Graph g = MakeGraph({MakeNode("MatMul", {"a", "b"}, {"y"})},
                      {{"a", RandomTensor({1, 48}, rng)}, {"b", RandomTensor({48, 40}, rng), true}});
  auto fast = CompileOrDie(g, {});
  auto oracle = CompileOrDie(g, {"ref"});
  ASSERT_TRUE(fast && oracle);
  auto ctx = fast->NewRunContext();
  for (const Shape& shape : {Shape{1, 48}, Shape{5, 48}, Shape{3, 7, 48}, Shape{1000, 48}, Shape{1, 48}}) {
    const std::vector<Tensor> in = {RandomTensor(shape, rng)};
    auto got = fast->Run(*ctx, in);
    auto want = oracle->Run(in);
    ASSERT_TRUE(got.ok() && want.ok()) << got.status().ToString() << want.status().ToString();
    ExpectClose((*got)[0], (*want)[0], "A " + ShapeToString(shape));
  }
}

TEST(DnnlMatMul, FusedActivationMatchesReference) {
  std::mt19937 rng(13);
  for (const std::string act : {"Relu", "Tanh", "Sigmoid"}) {
    for (const bool constant_b : {false, true}) {
      const std::vector<GraphInput> in = {{"a", RandomTensor({2, 6, 10}, rng)},
                                          {"b", RandomTensor({10, 12}, rng), constant_b}};
      CompareOneNode("MatMul", in, {{"_activation", StringAttr(act)}}, "fused " + act);
    }
  }
}

TEST(DnnlMatMul, EmptyAndMismatchedShapes) {
  std::mt19937 rng(14);
  const std::vector<GraphInput> in = {{"a", RandomTensor({2, 3}, rng)}, {"b", RandomTensor({3, 4}, rng)}};
  auto model = CompileOrDie(MakeGraph({MakeNode("MatMul", {"a", "b"}, {"y"})}, in), {});
  ASSERT_TRUE(model);
  EXPECT_EQ(model->step_kernel_name(0), "dnnl.matmul");
  auto bad = model->Run({RandomTensor({2, 3}, rng), RandomTensor({4, 4}, rng)});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  auto bad_batch = model->Run({RandomTensor({2, 2, 3}, rng), RandomTensor({3, 3, 4}, rng)});
  ASSERT_FALSE(bad_batch.ok());
  EXPECT_EQ(bad_batch.status().code(), StatusCode::kInvalidArgument);
  // K = 0: a sum over nothing is zeros.
  auto zero_k = model->Run({Tensor::Create(DType::kFloat32, {2, 0}).value(), Tensor::Create(DType::kFloat32, {0, 4}).value()});
  ASSERT_TRUE(zero_k.ok()) << zero_k.status().ToString();
  ASSERT_EQ((*zero_k)[0].shape(), (Shape{2, 4}));
  for (int i = 0; i < 8; ++i) EXPECT_EQ((*zero_k)[0].data<float>()[i], 0.f);
  auto empty = model->Run({Tensor::Create(DType::kFloat32, {0, 3}).value(), RandomTensor({3, 4}, rng)});
  ASSERT_TRUE(empty.ok()) << empty.status().ToString();
  EXPECT_EQ((*empty)[0].shape(), (Shape{0, 4}));
}

}  // namespace
}  // namespace inferd::onednn::testing
