#include <gtest/gtest.h>

#include "engine/kernels/ref/single_node_graph.h"

namespace inferd {
namespace {

using kernel_testing::SingleNodeGraph;

TEST(Det, BatchedAndSingular) {
  SingleNodeGraph g("Det", 11);
  // [[0,1],[1,0]] -> -1 (needs a pivot); [[1,2],[2,4]] -> 0 (singular).
  auto out = g.Run({Tensor::FromVector<float>({0, 1, 1, 0, 1, 2, 2, 4}, {2, 2, 2})});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ASSERT_EQ((*out)[0].shape(), (Shape{2}));
  EXPECT_FLOAT_EQ((*out)[0].data<float>()[0], -1);
  EXPECT_FLOAT_EQ((*out)[0].data<float>()[1], 0);
  out = g.Run({Tensor::FromVector<double>({2, 0, 1, 0, 3, 0, 1, 0, 4}, {3, 3})});
  ASSERT_TRUE(out.ok());
  EXPECT_EQ((*out)[0].shape(), Shape{});
  EXPECT_NEAR((*out)[0].data<double>()[0], 2 * 12 - 1 * 3, 1e-12);  // cofactor expansion along row 0
}

TEST(Det, NonSquareIsInvalid) {
  SingleNodeGraph g("Det", 11);
  auto out = g.Run({Tensor::FromVector<float>({1, 2, 3, 4, 5, 6}, {2, 3})});
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace inferd

namespace inferd {
namespace {

TEST(Det, EmptyMatrixIsOneAndEmptyBatchIsEmpty) {
  kernel_testing::SingleNodeGraph g("Det", 11);
  auto out = g.Run({Tensor::Create(DType::kFloat32, {0, 0}).value()});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ((*out)[0].data<float>()[0], 1);
  out = g.Run({Tensor::Create(DType::kFloat32, {0, 2, 2}).value()});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ((*out)[0].shape(), (Shape{0}));
}

}  // namespace
}  // namespace inferd
