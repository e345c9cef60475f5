#include <gtest/gtest.h>

#include <cmath>

#include "engine/kernels/ref/single_node_graph.h"

namespace inferd {
namespace {

using kernel_testing::FloatAttr;
using kernel_testing::IntAttr;
using kernel_testing::SingleNodeGraph;

Tensor Vec(std::vector<float> v) {
  const int64_t n = static_cast<int64_t>(v.size());
  return Tensor::FromVector<float>(v, {n});
}

TEST(BatchNorm, InferenceUsesRunningStats) {
  SingleNodeGraph g("BatchNormalization", 15, {{"epsilon", FloatAttr(0)}});
  // X [1,2,2]: channel 0 {1,3}, channel 1 {10,20}
  auto out = g.Run(
      {Tensor::FromVector<float>({1, 3, 10, 20}, {1, 2, 2}), Vec({2, 1}), Vec({0, 1}), Vec({1, 10}), Vec({4, 25})});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  const float want[] = {0, 2, 1, 3};  // 2*(x-1)/2 ; (x-10)/5 + 1
  for (int i = 0; i < 4; ++i) EXPECT_FLOAT_EQ((*out)[0].data<float>()[i], want[i]);
}

TEST(BatchNorm, TrainingModeUsesBatchStatsAndUpdatesRunningStats) {
  SingleNodeGraph g("BatchNormalization", 15,
                    {{"epsilon", FloatAttr(0)}, {"training_mode", IntAttr(1)}, {"momentum", FloatAttr(0.5f)}}, 3);
  auto out = g.Run({Tensor::FromVector<float>({1, 3}, {2, 1}), Vec({1}), Vec({0}), Vec({0}), Vec({1})});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_FLOAT_EQ((*out)[0].data<float>()[0], -1);  // mean 2, var 1
  EXPECT_FLOAT_EQ((*out)[0].data<float>()[1], 1);
  EXPECT_FLOAT_EQ((*out)[1].data<float>()[0], 1);  // 0*0.5 + 2*0.5
  EXPECT_FLOAT_EQ((*out)[2].data<float>()[0], 1);  // 1*0.5 + 1*0.5
}

TEST(BatchNorm, WrongParameterSizeIsInvalid) {
  SingleNodeGraph g("BatchNormalization", 15);
  auto out =
      g.Run({Tensor::FromVector<float>({1, 3, 10, 20}, {1, 2, 2}), Vec({2}), Vec({0, 1}), Vec({1, 10}), Vec({4, 25})});
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(out.status().message().find("'scale' must hold 2 values"), std::string::npos) << out.status().message();
}

TEST(InstanceNorm, NormalisesEachChannelOfEachSample) {
  SingleNodeGraph g("InstanceNormalization", 6, {{"epsilon", FloatAttr(0)}});
  auto out = g.Run({Tensor::FromVector<double>({1, 3, 5, 5}, {1, 2, 2}), Tensor::FromVector<double>({2, 1}, {2}),
                    Tensor::FromVector<double>({0, 7}, {2})});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_DOUBLE_EQ((*out)[0].data<double>()[0], -2);  // channel 0: mean 2, std 1, scale 2
  EXPECT_DOUBLE_EQ((*out)[0].data<double>()[1], 2);
  EXPECT_TRUE(std::isnan((*out)[0].data<double>()[2]));  // constant channel, epsilon 0: 0/0
}

TEST(GroupNorm, Opset18PerGroupParams) {
  SingleNodeGraph g("GroupNormalization", 18, {{"num_groups", IntAttr(1)}, {"epsilon", FloatAttr(0)}});
  auto out = g.Run({Tensor::FromVector<float>({1, 3}, {1, 2, 1}), Vec({3}), Vec({1})});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_FLOAT_EQ((*out)[0].data<float>()[0], -2);
  EXPECT_FLOAT_EQ((*out)[0].data<float>()[1], 4);
  SingleNodeGraph bad("GroupNormalization", 18, {{"num_groups", IntAttr(3)}});
  out = bad.Run({Tensor::FromVector<float>({1, 3}, {1, 2, 1}), Vec({1, 1, 1}), Vec({0, 0, 0})});
  ASSERT_FALSE(out.ok());
  EXPECT_NE(out.status().message().find("groups"), std::string::npos);
}

TEST(BatchNorm, ScalarInputIsRejected) {
  SingleNodeGraph g("BatchNormalization", 15);
  auto out = g.Run({Tensor::FromVector<float>({1}, {1}), Vec({1}), Vec({0}), Vec({0}), Vec({1})});
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace inferd
