#include "engine/kernels/ref/fused_activation.h"

#include <gtest/gtest.h>

#include <cmath>

namespace inferd::ref {
namespace {

Node NodeWith(const std::string& act, std::optional<float> alpha = std::nullopt,
              std::optional<float> beta = std::nullopt) {
  Node n;
  n.op_type = "Gemm";
  n.name = "g";
  if (!act.empty()) {
    Attribute a;
    a.type = Attribute::Type::kString;
    a.s = act;
    n.attributes["_activation"] = a;
  }
  if (alpha) {
    Attribute a;
    a.type = Attribute::Type::kFloat;
    a.f = *alpha;
    n.attributes["_activation_alpha"] = a;
  }
  if (beta) {
    Attribute a;
    a.type = Attribute::Type::kFloat;
    a.f = *beta;
    n.attributes["_activation_beta"] = a;
  }
  return n;
}

Result<FusedActivation> Parse(const Node& n) { return ParseFusedActivation(KernelInfo(n, 17, {}, {}, 1)); }

TEST(FusedActivation, NoneWhenAbsent) {
  auto act = Parse(NodeWith(""));
  ASSERT_TRUE(act.ok());
  EXPECT_FALSE(act->active());
  float x[] = {-1, 2};
  ApplyActivationInPlace(x, 2, *act);
  EXPECT_EQ(x[0], -1);
  EXPECT_EQ(x[1], 2);
}

TEST(FusedActivation, ReluAndLeakyRelu) {
  auto relu = Parse(NodeWith("Relu"));
  ASSERT_TRUE(relu.ok());
  float x[] = {-2, 0, 3};
  ApplyActivationInPlace(x, 3, *relu);
  EXPECT_EQ(x[0], 0);
  EXPECT_EQ(x[2], 3);

  auto leaky = Parse(NodeWith("LeakyRelu"));  // default alpha 0.01
  ASSERT_TRUE(leaky.ok());
  float y[] = {-2, 3};
  ApplyActivationInPlace(y, 2, *leaky);
  EXPECT_FLOAT_EQ(y[0], -0.02f);
  EXPECT_FLOAT_EQ(y[1], 3);
}

TEST(FusedActivation, ClipUsesAlphaBetaAsMinMax) {
  auto clip = Parse(NodeWith("Clip", 0.0f, 6.0f));
  ASSERT_TRUE(clip.ok());
  double x[] = {-1, 3, 7};
  ApplyActivationInPlace(x, 3, *clip);
  EXPECT_EQ(x[0], 0);
  EXPECT_EQ(x[1], 3);
  EXPECT_EQ(x[2], 6);
  auto bad = Parse(NodeWith("Clip", 6.0f, 0.0f));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
}

TEST(FusedActivation, HardSigmoidHardSwishSigmoidElu) {
  auto hs = Parse(NodeWith("HardSigmoid"));
  ASSERT_TRUE(hs.ok());
  float a[] = {0, 10, -10};
  ApplyActivationInPlace(a, 3, *hs);
  EXPECT_FLOAT_EQ(a[0], 0.5f);
  EXPECT_FLOAT_EQ(a[1], 1.0f);
  EXPECT_FLOAT_EQ(a[2], 0.0f);

  auto hw = Parse(NodeWith("HardSwish"));
  ASSERT_TRUE(hw.ok());
  float b[] = {-4, 1, 4};
  ApplyActivationInPlace(b, 3, *hw);
  EXPECT_FLOAT_EQ(b[0], 0.0f);
  EXPECT_FLOAT_EQ(b[1], 1.0f * (1.0f / 6 + 0.5f));
  EXPECT_FLOAT_EQ(b[2], 4.0f);

  auto sg = Parse(NodeWith("Sigmoid"));
  ASSERT_TRUE(sg.ok());
  float c[] = {0};
  ApplyActivationInPlace(c, 1, *sg);
  EXPECT_FLOAT_EQ(c[0], 0.5f);

  auto elu = Parse(NodeWith("Elu", 2.0f));
  ASSERT_TRUE(elu.ok());
  float d[] = {-1, 1};
  ApplyActivationInPlace(d, 2, *elu);
  EXPECT_FLOAT_EQ(d[0], 2.0f * (std::exp(-1.0f) - 1.0f));
  EXPECT_FLOAT_EQ(d[1], 1.0f);
}

TEST(FusedActivation, UnknownIsUnimplementedAndNamed) {
  auto act = Parse(NodeWith("Mish"));
  ASSERT_FALSE(act.ok());
  EXPECT_EQ(act.status().code(), StatusCode::kUnimplemented);
  EXPECT_NE(act.status().message().find("Mish"), std::string::npos);
}

}  // namespace
}  // namespace inferd::ref
