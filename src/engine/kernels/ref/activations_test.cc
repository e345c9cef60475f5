#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "engine/kernels/ref/op_test_util.h"

namespace inferd {
namespace {

using testing::AttrFloat;
using testing::RunOp;
using testing::Values;

void ExpectNear(const std::vector<double>& got, const std::vector<double>& want, double tol = 1e-6) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], want[i], tol) << "element " << i;
}

const Tensor kX = Tensor::FromVector<float>({-2.0f, -0.5f, 0.0f, 1.0f, 3.0f}, {5});

TEST(Activations, ReluAndLeakyRelu) {
  auto relu = RunOp("Relu", {kX});
  ASSERT_TRUE(relu.ok()) << relu.status().ToString();
  ExpectNear(Values((*relu)[0]), {0, 0, 0, 1, 3});
  auto leaky = RunOp("LeakyRelu", {kX}, {{"alpha", AttrFloat(0.1f)}});
  ASSERT_TRUE(leaky.ok());
  ExpectNear(Values((*leaky)[0]), {-0.2, -0.05, 0, 1, 3});
  auto leaky_default = RunOp("LeakyRelu", {kX});
  ASSERT_TRUE(leaky_default.ok());
  ExpectNear(Values((*leaky_default)[0]), {-0.02, -0.005, 0, 1, 3});
}

TEST(Activations, ReluOnInt8) {
  auto out = RunOp("Relu", {Tensor::FromVector<int8_t>({-128, -1, 0, 5, 127}, {5})});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ((*out)[0].dtype(), DType::kInt8);
  EXPECT_EQ(Values((*out)[0]), (std::vector<double>{0, 0, 0, 5, 127}));
}

TEST(Activations, SigmoidIsStableForLargeInputs) {
  auto out = RunOp("Sigmoid", {Tensor::FromVector<float>({-1000.0f, 0.0f, 1000.0f, 2.0f}, {4})});
  ASSERT_TRUE(out.ok());
  ExpectNear(Values((*out)[0]), {0, 0.5, 1, 1 / (1 + std::exp(-2.0))});
}

TEST(Activations, SoftplusIsStableForLargeInputs) {
  auto out = RunOp("Softplus", {Tensor::FromVector<float>({-100.0f, 0.0f, 100.0f}, {3})});
  ASSERT_TRUE(out.ok());
  ExpectNear(Values((*out)[0]), {0, std::log(2.0), 100}, 1e-5);
}

TEST(Activations, EluSeluCelu) {
  auto elu = RunOp("Elu", {kX}, {{"alpha", AttrFloat(2.0f)}});
  ASSERT_TRUE(elu.ok());
  ExpectNear(Values((*elu)[0]), {2 * std::expm1(-2.0), 2 * std::expm1(-0.5), 0, 1, 3});
  auto selu = RunOp("Selu", {kX}, {{"alpha", AttrFloat(2.0f)}, {"gamma", AttrFloat(3.0f)}});
  ASSERT_TRUE(selu.ok());
  ExpectNear(Values((*selu)[0]), {3 * 2 * std::expm1(-2.0), 3 * 2 * std::expm1(-0.5), 0, 3, 9});
  auto celu = RunOp("Celu", {kX}, {{"alpha", AttrFloat(2.0f)}});
  ASSERT_TRUE(celu.ok());
  ExpectNear(Values((*celu)[0]), {2 * std::expm1(-1.0), 2 * std::expm1(-0.25), 0, 1, 3});
}

TEST(Activations, HardSigmoidHardSwishSoftsignThresholdedRelu) {
  auto hs = RunOp("HardSigmoid", {kX});
  ASSERT_TRUE(hs.ok());
  ExpectNear(Values((*hs)[0]), {0.1, 0.4, 0.5, 0.7, 1.0});
  auto hsw = RunOp("HardSwish", {kX});
  ASSERT_TRUE(hsw.ok());
  ExpectNear(Values((*hsw)[0]), {-2 * (0.5 - 2.0 / 6), -0.5 * (0.5 - 0.5 / 6), 0, 1 * (0.5 + 1.0 / 6), 3});
  auto ss = RunOp("Softsign", {kX});
  ASSERT_TRUE(ss.ok());
  ExpectNear(Values((*ss)[0]), {-2.0 / 3, -0.5 / 1.5, 0, 0.5, 0.75});
  auto tr = RunOp("ThresholdedRelu", {kX}, {{"alpha", AttrFloat(1.0f)}});
  ASSERT_TRUE(tr.ok());
  ExpectNear(Values((*tr)[0]), {0, 0, 0, 0, 3});
}

TEST(Activations, ShrinkOnFloatAndInt) {
  auto f = RunOp("Shrink", {kX}, {{"lambd", AttrFloat(0.5f)}, {"bias", AttrFloat(0.25f)}});
  ASSERT_TRUE(f.ok());
  ExpectNear(Values((*f)[0]), {-1.75, 0, 0, 0.75, 2.75});
  auto i = RunOp("Shrink", {Tensor::FromVector<int32_t>({-3, 1, 4}, {3})},
                 {{"lambd", AttrFloat(1.5f)}, {"bias", AttrFloat(1.0f)}});
  ASSERT_TRUE(i.ok());
  EXPECT_EQ(Values((*i)[0]), (std::vector<double>{-2, 0, 3}));
}

TEST(Activations, MishAtOpset18) {
  auto out = RunOp("Mish", {kX}, {}, 18);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  std::vector<double> want;
  for (double v : Values(kX)) want.push_back(v * std::tanh(std::log1p(std::exp(v))));
  ExpectNear(Values((*out)[0]), want);
}

TEST(Activations, FloatOnlyActivationRejectsIntegers) {
  auto out = RunOp("Sigmoid", {Tensor::FromVector<int32_t>({1}, {1})});
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), StatusCode::kUnimplemented);
}

TEST(Activations, PReluBroadcastsSlope) {
  const Tensor x = Tensor::FromVector<float>({-1, 2, -3, 4, -5, 6}, {2, 3});
  auto out = RunOp("PRelu", {x, Tensor::FromVector<float>({0.1f, 0.2f, 0.3f}, {3})});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ExpectNear(Values((*out)[0]), {-0.1, 2, -0.9, 4, -1.0, 6});
}

TEST(Activations, PReluLegacySlopeIsPerChannel) {
  // Opset 6: a [C] slope applies along axis 1.
  const Tensor x = Tensor::FromVector<float>({-1, -1, -1, -1}, {1, 2, 2});
  auto out = RunOp("PRelu", {x, Tensor::FromVector<float>({0.5f, 0.25f}, {2})}, {}, 6);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ExpectNear(Values((*out)[0]), {-0.5, -0.5, -0.25, -0.25});
}

TEST(Activations, PReluSlopeThatWouldGrowTheOutputIsRejected) {
  auto out = RunOp("PRelu", {Tensor::FromVector<float>({1, 2}, {2}), Tensor::FromVector<float>({1, 2, 3, 4}, {2, 2})});
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(out.status().message().find("does not broadcast"), std::string::npos) << out.status().message();
}

TEST(Activations, ClipWithOptionalInputs) {
  const Tensor x = Tensor::FromVector<float>({-3, -1, 0, 2, 5, std::nanf("")}, {6});
  auto both = RunOp("Clip", {x, Tensor::Scalar<float>(-1.5f), Tensor::Scalar<float>(2.5f)}, {}, 13);
  ASSERT_TRUE(both.ok()) << both.status().ToString();
  auto v = Values((*both)[0]);
  EXPECT_EQ(std::vector<double>(v.begin(), v.end() - 1), (std::vector<double>{-1.5, -1, 0, 2, 2.5}));
  EXPECT_TRUE(std::isnan(v.back()));
  auto max_only = RunOp("Clip", {x, Tensor(), Tensor::Scalar<float>(1.0f)}, {}, 13);
  ASSERT_TRUE(max_only.ok()) << max_only.status().ToString();
  v = Values((*max_only)[0]);
  EXPECT_EQ(std::vector<double>(v.begin(), v.end() - 1), (std::vector<double>{-3, -1, 0, 1, 1}));
}

TEST(Activations, ClipMinAboveMaxGivesMax) {
  auto out = RunOp(
      "Clip", {Tensor::FromVector<int32_t>({-5, 0, 5}, {3}), Tensor::Scalar<int32_t>(3), Tensor::Scalar<int32_t>(1)});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(Values((*out)[0]), (std::vector<double>{1, 1, 1}));
}

TEST(Activations, ClipAttributesBeforeOpset11) {
  auto out = RunOp("Clip", {kX}, {{"min", AttrFloat(-1.0f)}, {"max", AttrFloat(1.0f)}}, 6);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ExpectNear(Values((*out)[0]), {-1, -0.5, 0, 1, 1});
}

TEST(Activations, ClipRejectsNonScalarOrMistypedBounds) {
  auto shaped = RunOp("Clip", {kX, Tensor::FromVector<float>({0, 1}, {2})});
  ASSERT_FALSE(shaped.ok());
  EXPECT_EQ(shaped.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(shaped.status().message().find("scalar"), std::string::npos) << shaped.status().message();
  auto typed = RunOp("Clip", {kX, Tensor::Scalar<double>(0.0)});
  ASSERT_FALSE(typed.ok());
  EXPECT_EQ(typed.status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace inferd
