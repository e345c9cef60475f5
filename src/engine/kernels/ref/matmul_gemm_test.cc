#include <gtest/gtest.h>

#include <random>

#include "engine/kernels/ref/gemm_core.h"
#include "engine/kernels/ref/single_node_graph.h"

namespace inferd {
namespace {

using kernel_testing::FloatAttr;
using kernel_testing::IntAttr;
using kernel_testing::SingleNodeGraph;
using kernel_testing::StringAttr;

TEST(MatMul, TwoByTwo) {
  SingleNodeGraph g("MatMul", 13);
  auto out = g.Run({Tensor::FromVector<float>({1, 2, 3, 4}, {2, 2}), Tensor::FromVector<float>({5, 6, 7, 8}, {2, 2})});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  const float want[] = {19, 22, 43, 50};
  for (int i = 0; i < 4; ++i) EXPECT_FLOAT_EQ((*out)[0].data<float>()[i], want[i]);
}

TEST(MatMul, OneDimensionalOperandsDropTheirDim) {
  SingleNodeGraph g("MatMul", 13);
  // [3] x [2,3,2] -> [2,2]
  auto out = g.Run({Tensor::FromVector<float>({1, 1, 1}, {3}),
                    Tensor::FromVector<float>({1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, {2, 3, 2})});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ASSERT_EQ((*out)[0].shape(), (Shape{2, 2}));
  EXPECT_FLOAT_EQ((*out)[0].data<float>()[0], 9);
  EXPECT_FLOAT_EQ((*out)[0].data<float>()[3], 30);
  // [3] x [3] -> scalar
  out = g.Run({Tensor::FromVector<float>({1, 2, 3}, {3}), Tensor::FromVector<float>({4, 5, 6}, {3})});
  ASSERT_TRUE(out.ok());
  EXPECT_EQ((*out)[0].shape(), Shape{});
  EXPECT_FLOAT_EQ((*out)[0].data<float>()[0], 32);
}

TEST(MatMul, BroadcastsBatchDimsAndWrapsIntegers) {
  SingleNodeGraph g("MatMul", 13);
  // A [2,1,1,2], B [3,2,1] -> [2,3,1,1]
  auto out = g.Run({Tensor::FromVector<int32_t>({1, 2, 3, 4}, {2, 1, 1, 2}),
                    Tensor::FromVector<int32_t>({1, 1, 2, 2, -1, 0}, {3, 2, 1})});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ASSERT_EQ((*out)[0].shape(), (Shape{2, 3, 1, 1}));
  const int32_t want[] = {3, 6, -1, 7, 14, -3};
  for (int i = 0; i < 6; ++i) EXPECT_EQ((*out)[0].data<int32_t>()[i], want[i]);
}

TEST(MatMul, FusedReluIsApplied) {
  SingleNodeGraph g("MatMul", 13, {{"_activation", StringAttr("Relu")}});
  auto out = g.Run({Tensor::FromVector<float>({1, -1}, {1, 2}), Tensor::FromVector<float>({1, 0, 2, 1}, {2, 2})});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_FLOAT_EQ((*out)[0].data<float>()[0], 0);  // -1 clipped
  EXPECT_FLOAT_EQ((*out)[0].data<float>()[1], 0);  // -1 clipped
}

TEST(MatMul, MismatchedInnerDimsNameShapes) {
  SingleNodeGraph g("MatMul", 13);
  auto out = g.Run({Tensor::FromVector<float>({1, 2, 3}, {1, 3}), Tensor::FromVector<float>({1, 2}, {2, 1})});
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(out.status().message().find("[1,3]"), std::string::npos) << out.status().message();
}

TEST(Gemm, TransposesAlphaBetaAndBroadcastC) {
  SingleNodeGraph g(
      "Gemm", 13, {{"transA", IntAttr(1)}, {"transB", IntAttr(1)}, {"alpha", FloatAttr(2)}, {"beta", FloatAttr(0.5f)}});
  // A^T = [[1,2],[3,4]] given as [[1,3],[2,4]]; B^T = identity.
  auto out = g.Run({Tensor::FromVector<float>({1, 3, 2, 4}, {2, 2}), Tensor::FromVector<float>({1, 0, 0, 1}, {2, 2}),
                    Tensor::FromVector<float>({10, 20}, {2})});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  const float want[] = {2 + 5, 4 + 10, 6 + 5, 8 + 10};
  for (int i = 0; i < 4; ++i) EXPECT_FLOAT_EQ((*out)[0].data<float>()[i], want[i]);
}

TEST(Gemm, ConstantTransposedBIsPrepackedAndCOptional) {
  SingleNodeGraph g("Gemm", 13,
                    {{"transB", IntAttr(1)},
                     {"_activation", StringAttr("Clip")},
                     {"_activation_alpha", FloatAttr(0)},
                     {"_activation_beta", FloatAttr(6)}});
  g.constants[1] = Tensor::FromVector<float>({1, 2, 3, -1, -1, -1}, {2, 3});  // [N=2, K=3]
  auto out = g.Run({Tensor::FromVector<float>({1, 1, 1, 2, 2, 2}, {2, 3})});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  const float want[] = {6, 0, 6, 0};  // 6, -3, 12->6, -6 after Clip(0, 6)
  for (int i = 0; i < 4; ++i) EXPECT_FLOAT_EQ((*out)[0].data<float>()[i], want[i]);
}

TEST(Gemm, Int64AndBadC) {
  SingleNodeGraph g("Gemm", 13);
  auto out = g.Run({Tensor::FromVector<int64_t>({1, 2}, {1, 2}), Tensor::FromVector<int64_t>({3, 4}, {2, 1}),
                    Tensor::FromVector<int64_t>({100}, {1})});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ((*out)[0].data<int64_t>()[0], 111);
  out = g.Run({Tensor::FromVector<float>({1, 2}, {1, 2}), Tensor::FromVector<float>({3, 4}, {2, 1}),
               Tensor::FromVector<float>({1, 2, 3}, {3})});
  ASSERT_FALSE(out.ok());
  EXPECT_NE(out.status().message().find("does not broadcast"), std::string::npos) << out.status().message();
}

// The blocked core against a naive triple loop, on shapes that cross the
// tile and block edges (K > 256, N > 512, odd row counts), for each type the
// kernels use.
template <class T>
void CheckCoreAgainstNaive() {
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> dist(-8, 8);  // small integers: exact in every type
  for (auto [M, N, K] : {std::tuple<int64_t, int64_t, int64_t>{1, 1, 1}, {7, 5, 3}, {33, 517, 300}, {5, 1, 1000}}) {
    std::vector<T> a(static_cast<size_t>(M * K)), b(static_cast<size_t>(K * N)), c(static_cast<size_t>(M * N), T(0));
    for (auto& v : a) v = static_cast<T>(dist(rng));
    for (auto& v : b) v = static_cast<T>(dist(rng));
    ref::GemmAccumulate<T>(M, N, K, a.data(), K, b.data(), N, c.data(), N, 2);
    for (int64_t i = 0; i < M; ++i)
      for (int64_t j = 0; j < N; ++j) {
        T want = 0;
        for (int64_t k = 0; k < K; ++k) want += a[static_cast<size_t>(i * K + k)] * b[static_cast<size_t>(k * N + j)];
        ASSERT_EQ(c[static_cast<size_t>(i * N + j)], want) << M << "x" << N << "x" << K << " at " << i << "," << j;
      }
  }
}

TEST(GemmCore, MatchesNaiveLoopsOnOddShapes) {
  CheckCoreAgainstNaive<float>();
  CheckCoreAgainstNaive<double>();
  CheckCoreAgainstNaive<uint64_t>();  // wrapping arithmetic: negative values too
}

}  // namespace
}  // namespace inferd

namespace inferd {
namespace {

TEST(MatMul, EmptyInnerDimGivesZeros) {
  kernel_testing::SingleNodeGraph g("MatMul", 13);
  auto out = g.Run({Tensor::Create(DType::kFloat32, {2, 0}).value(), Tensor::Create(DType::kFloat32, {0, 3}).value()});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ASSERT_EQ((*out)[0].shape(), (Shape{2, 3}));
  for (int i = 0; i < 6; ++i) EXPECT_EQ((*out)[0].data<float>()[i], 0);
  out = g.Run({Tensor::Create(DType::kFloat32, {0, 4}).value(), Tensor::Create(DType::kFloat32, {4, 3}).value()});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ((*out)[0].shape(), (Shape{0, 3}));
}

}  // namespace
}  // namespace inferd
