#include <gtest/gtest.h>

#include <cmath>

#include "engine/kernels/ref/single_node_graph.h"

namespace inferd {
namespace {

using kernel_testing::IntAttr;
using kernel_testing::SingleNodeGraph;
using kernel_testing::StringAttr;

// input [N=2, C=3] of log-probabilities.
Tensor Scores() { return Tensor::FromVector<float>({-1, -2, -3, -4, -5, -6}, {2, 3}); }

TEST(NllLoss, ReductionsAndWeights) {
  SingleNodeGraph none("NegativeLogLikelihoodLoss", 13, {{"reduction", StringAttr("none")}});
  auto out = none.Run({Scores(), Tensor::FromVector<int64_t>({2, 0}, {2})});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ASSERT_EQ((*out)[0].shape(), (Shape{2}));
  EXPECT_FLOAT_EQ((*out)[0].data<float>()[0], 3);
  EXPECT_FLOAT_EQ((*out)[0].data<float>()[1], 4);

  SingleNodeGraph mean("NegativeLogLikelihoodLoss", 13);
  out = mean.Run({Scores(), Tensor::FromVector<int64_t>({2, 0}, {2}), Tensor::FromVector<float>({1, 1, 3}, {3})});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ((*out)[0].shape(), Shape{});
  EXPECT_FLOAT_EQ((*out)[0].data<float>()[0], (3 * 3 + 4 * 1) / 4.0f);  // weighted mean
}

TEST(NllLoss, IgnoreIndexCountsNothing) {
  SingleNodeGraph g("NegativeLogLikelihoodLoss", 13, {{"ignore_index", IntAttr(-1)}});
  auto out = g.Run({Scores(), Tensor::FromVector<int32_t>({-1, 1}, {2})});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_FLOAT_EQ((*out)[0].data<float>()[0], 5);  // only the second sample, divided by 1
}

TEST(NllLoss, SpatialDims) {
  // [N=1, C=2, d=2]: target per position.
  SingleNodeGraph g("NegativeLogLikelihoodLoss", 13, {{"reduction", StringAttr("sum")}});
  auto out =
      g.Run({Tensor::FromVector<double>({-1, -2, -3, -4}, {1, 2, 2}), Tensor::FromVector<int64_t>({1, 0}, {1, 2})});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_DOUBLE_EQ((*out)[0].data<double>()[0], 3 + 2);
}

TEST(NllLoss, OutOfRangeTargetAndBadShapesAreInvalid) {
  SingleNodeGraph g("NegativeLogLikelihoodLoss", 13);
  auto out = g.Run({Scores(), Tensor::FromVector<int64_t>({3, 0}, {2})});
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(out.status().message().find("target value 3"), std::string::npos) << out.status().message();
  out = g.Run({Scores(), Tensor::FromVector<int64_t>({0, 0, 0}, {3})});
  ASSERT_FALSE(out.ok());
  EXPECT_NE(out.status().message().find("does not match"), std::string::npos) << out.status().message();
}

TEST(SoftmaxCrossEntropy, MeanAndLogProb) {
  SingleNodeGraph g("SoftmaxCrossEntropyLoss", 13, {}, 2);
  auto out =
      g.Run({Tensor::FromVector<float>({0, 0, 0, std::log(3.0f)}, {2, 2}), Tensor::FromVector<int64_t>({0, 1}, {2})});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  // sample 0: -log(1/2); sample 1: -log(3/4)
  EXPECT_NEAR((*out)[0].data<float>()[0], (std::log(2.0f) - std::log(0.75f)) / 2, 1e-6);
  ASSERT_EQ((*out)[1].shape(), (Shape{2, 2}));
  EXPECT_NEAR((*out)[1].data<float>()[2], std::log(0.25f), 1e-6);
}

TEST(SoftmaxCrossEntropy, BadReductionIsRejectedAtLoad) {
  SingleNodeGraph g("SoftmaxCrossEntropyLoss", 13, {{"reduction", StringAttr("avg")}});
  auto out = g.Run({Scores(), Tensor::FromVector<int64_t>({0, 0}, {2})});
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(out.status().message().find("'avg'"), std::string::npos);
}

}  // namespace
}  // namespace inferd
