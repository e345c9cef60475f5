#include <gtest/gtest.h>

#include <cmath>

#include "engine/kernels/ref/single_node_graph.h"

namespace inferd {
namespace {

using kernel_testing::FloatAttr;
using kernel_testing::IntAttr;
using kernel_testing::IntsAttr;
using kernel_testing::SingleNodeGraph;

TEST(LayerNorm, LastAxisWithMeanAndInvStdDev) {
  SingleNodeGraph g("LayerNormalization", 17, {{"epsilon", FloatAttr(0)}}, 3);
  auto out = g.Run({Tensor::FromVector<float>({1, 3, 0, 4}, {2, 2}), Tensor::FromVector<float>({1, 2}, {2}),
                    Tensor::FromVector<float>({0, 1}, {2})});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  const float want[] = {-1, 3, -1, 3};
  for (int i = 0; i < 4; ++i) EXPECT_FLOAT_EQ((*out)[0].data<float>()[i], want[i]);
  EXPECT_EQ((*out)[1].shape(), (Shape{2, 1}));
  EXPECT_FLOAT_EQ((*out)[1].data<float>()[1], 2);
  EXPECT_FLOAT_EQ((*out)[2].data<float>()[1], 0.5f);
}

TEST(LayerNorm, AxisZeroBroadcastScaleNoBias) {
  SingleNodeGraph g("LayerNormalization", 17, {{"axis", IntAttr(0)}, {"epsilon", FloatAttr(0)}});
  auto out = g.Run({Tensor::FromVector<float>({1, 3, 1, 3}, {2, 2}), Tensor::FromVector<float>({2}, {1})});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_FLOAT_EQ((*out)[0].data<float>()[0], -2);
  EXPECT_FLOAT_EQ((*out)[0].data<float>()[3], 2);
}

TEST(LayerNorm, ScaleThatDoesNotBroadcastIsInvalid) {
  SingleNodeGraph g("LayerNormalization", 17);
  auto out = g.Run({Tensor::FromVector<float>({1, 3, 1, 3}, {2, 2}), Tensor::FromVector<float>({1, 2, 3}, {3})});
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(out.status().message().find("Scale"), std::string::npos) << out.status().message();
}

TEST(Lrn, SumsSquaresOverNeighbouringChannels) {
  SingleNodeGraph g("LRN", 13,
                    {{"size", IntAttr(3)}, {"alpha", FloatAttr(3)}, {"beta", FloatAttr(1)}, {"bias", FloatAttr(1)}});
  auto out = g.Run({Tensor::FromVector<float>({1, 2, 3}, {1, 3, 1})});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  // c0: 1/(1+1*(1+4)) ; c1: 2/(1+14) ; c2: 3/(1+13)
  EXPECT_FLOAT_EQ((*out)[0].data<float>()[0], 1.0f / 6);
  EXPECT_FLOAT_EQ((*out)[0].data<float>()[1], 2.0f / 15);
  EXPECT_FLOAT_EQ((*out)[0].data<float>()[2], 3.0f / 14);
}

TEST(Mvn, ZeroMeanUnitVarianceOverAxes) {
  SingleNodeGraph g("MeanVarianceNormalization", 13, {{"axes", IntsAttr({1})}});
  auto out = g.Run({Tensor::FromVector<double>({1, 3, 10, 10}, {2, 2})});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_NEAR((*out)[0].data<double>()[0], -1, 1e-8);
  EXPECT_NEAR((*out)[0].data<double>()[1], 1, 1e-8);
  EXPECT_DOUBLE_EQ((*out)[0].data<double>()[2], 0);
  SingleNodeGraph bad("MeanVarianceNormalization", 13);  // default axes [0,2,3] on rank 2
  out = bad.Run({Tensor::FromVector<double>({1, 3, 10, 10}, {2, 2})});
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace inferd
