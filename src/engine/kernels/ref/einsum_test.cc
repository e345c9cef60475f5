#include <gtest/gtest.h>

#include "engine/kernels/ref/single_node_graph.h"

namespace inferd {
namespace {

using kernel_testing::SingleNodeGraph;
using kernel_testing::StringAttr;

SingleNodeGraph Einsum(const std::string& eq) { return SingleNodeGraph("Einsum", 12, {{"equation", StringAttr(eq)}}); }

TEST(Einsum, MatMulExplicit) {
  auto out =
      Einsum("ij, jk -> ik")
          .Run({Tensor::FromVector<float>({1, 2, 3, 4}, {2, 2}), Tensor::FromVector<float>({5, 6, 7, 8}, {2, 2})});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  const float want[] = {19, 22, 43, 50};
  for (int i = 0; i < 4; ++i) EXPECT_FLOAT_EQ((*out)[0].data<float>()[i], want[i]);
}

TEST(Einsum, ImplicitOutputIsSortedSingleLabels) {
  // "ba" implicit -> "ab": a transpose.
  auto out = Einsum("ba").Run({Tensor::FromVector<int64_t>({1, 2, 3, 4, 5, 6}, {2, 3})});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ASSERT_EQ((*out)[0].shape(), (Shape{3, 2}));
  const int64_t want[] = {1, 4, 2, 5, 3, 6};
  for (int i = 0; i < 6; ++i) EXPECT_EQ((*out)[0].data<int64_t>()[i], want[i]);
}

TEST(Einsum, TraceAndDiagonal) {
  Tensor m = Tensor::FromVector<double>({1, 2, 3, 4, 5, 6, 7, 8, 9}, {3, 3});
  auto trace = Einsum("ii").Run({m});
  ASSERT_TRUE(trace.ok()) << trace.status().ToString();
  EXPECT_EQ((*trace)[0].shape(), Shape{});
  EXPECT_DOUBLE_EQ((*trace)[0].data<double>()[0], 15);
  auto diag = Einsum("ii->i").Run({m});
  ASSERT_TRUE(diag.ok());
  EXPECT_DOUBLE_EQ((*diag)[0].data<double>()[2], 9);
}

TEST(Einsum, EllipsisBroadcastsBatchDims) {
  // A [2,1,2] with "...ij", B [3,2,1]... -> [2,3,1,1]
  auto out = Einsum("...ij,...jk->...ik")
                 .Run({Tensor::FromVector<float>({1, 2, 3, 4}, {2, 1, 1, 2}),
                       Tensor::FromVector<float>({1, 1, 2, 2, -1, 0}, {3, 2, 1})});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ASSERT_EQ((*out)[0].shape(), (Shape{2, 3, 1, 1}));
  const float want[] = {3, 6, -1, 7, 14, -3};
  for (int i = 0; i < 6; ++i) EXPECT_FLOAT_EQ((*out)[0].data<float>()[i], want[i]);
}

TEST(Einsum, OuterProductAndSumAll) {
  auto outer =
      Einsum("i,j->ij").Run({Tensor::FromVector<int32_t>({1, 2}, {2}), Tensor::FromVector<int32_t>({3, 4, 5}, {3})});
  ASSERT_TRUE(outer.ok());
  EXPECT_EQ((*outer)[0].shape(), (Shape{2, 3}));
  EXPECT_EQ((*outer)[0].data<int32_t>()[5], 10);
  auto sum = Einsum("ij->").Run({Tensor::FromVector<float>({1, 2, 3, 4}, {2, 2})});
  ASSERT_TRUE(sum.ok());
  EXPECT_FLOAT_EQ((*sum)[0].data<float>()[0], 10);
}

TEST(Einsum, ErrorsNameTheProblem) {
  auto out = Einsum("ij,jk->ik")
                 .Run({Tensor::FromVector<float>({1, 2, 3}, {1, 3}), Tensor::FromVector<float>({1, 2}, {2, 1})});
  ASSERT_FALSE(out.ok());
  EXPECT_NE(out.status().message().find("label 'j'"), std::string::npos) << out.status().message();
  out = Einsum("ij->ik").Run({Tensor::FromVector<float>({1, 2}, {1, 2})});
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), StatusCode::kInvalidArgument);
  out = Einsum("ijk").Run({Tensor::FromVector<float>({1, 2}, {1, 2})});
  ASSERT_FALSE(out.ok());
  EXPECT_NE(out.status().message().find("does not match"), std::string::npos) << out.status().message();
  out = Einsum("i.j").Run({Tensor::FromVector<float>({1, 2}, {1, 2})});
  ASSERT_FALSE(out.ok());
}

}  // namespace
}  // namespace inferd
