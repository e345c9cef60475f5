#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "engine/kernels/ref/op_test_util.h"

namespace inferd {
namespace {

using testing::AttrInt;
using testing::RunOp;
using testing::Values;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr float kInfF = std::numeric_limits<float>::infinity();

TEST(UnaryMath, FloatFunctionsMatchLibm) {
  const Tensor x = Tensor::FromVector<float>({0.25f, 0.5f, 0.75f}, {3});
  struct Case {
    const char* op;
    double (*f)(double);
  } cases[] = {{"Exp", [](double v) { return std::exp(v); }},   {"Log", [](double v) { return std::log(v); }},
               {"Sqrt", [](double v) { return std::sqrt(v); }}, {"Sin", [](double v) { return std::sin(v); }},
               {"Acos", [](double v) { return std::acos(v); }}, {"Atanh", [](double v) { return std::atanh(v); }},
               {"Erf", [](double v) { return std::erf(v); }},   {"Reciprocal", [](double v) { return 1 / v; }}};
  for (const auto& c : cases) {
    auto out = RunOp(c.op, {x});
    ASSERT_TRUE(out.ok()) << c.op << ": " << out.status().ToString();
    const auto got = Values((*out)[0]);
    for (int i = 0; i < 3; ++i) EXPECT_NEAR(got[static_cast<size_t>(i)], c.f(x.GetAsDouble(i)), 1e-6) << c.op;
  }
}

TEST(UnaryMath, RoundIsHalfToEven) {
  auto out = RunOp("Round", {Tensor::FromVector<float>({0.5f, 1.5f, 2.5f, -0.5f, -1.5f, 2.6f}, {6})});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(Values((*out)[0]), (std::vector<double>{0, 2, 2, -0.0, -2, 3}));
}

TEST(UnaryMath, FloorCeilOnFloat16) {
  const Tensor x = Tensor::FromVector<Float16>({Float16::FromFloat(-1.5f), Float16::FromFloat(2.25f)}, {2});
  auto f = RunOp("Floor", {x});
  auto c = RunOp("Ceil", {x});
  ASSERT_TRUE(f.ok() && c.ok());
  EXPECT_EQ((*f)[0].dtype(), DType::kFloat16);
  EXPECT_EQ(Values((*f)[0]), (std::vector<double>{-2, 2}));
  EXPECT_EQ(Values((*c)[0]), (std::vector<double>{-1, 3}));
}

TEST(UnaryMath, AbsNegSignOnIntegersWrapAtTheMinimum) {
  const Tensor x = Tensor::FromVector<int32_t>({-5, 0, 7, std::numeric_limits<int32_t>::min()}, {4});
  auto abs = RunOp("Abs", {x});
  auto neg = RunOp("Neg", {x});
  auto sign = RunOp("Sign", {x});
  ASSERT_TRUE(abs.ok() && neg.ok() && sign.ok());
  const double min = std::numeric_limits<int32_t>::min();
  EXPECT_EQ(Values((*abs)[0]), (std::vector<double>{5, 0, 7, min}));
  EXPECT_EQ(Values((*neg)[0]), (std::vector<double>{5, 0, -7, min}));
  EXPECT_EQ(Values((*sign)[0]), (std::vector<double>{-1, 0, 1, -1}));
}

TEST(UnaryMath, AbsOnUnsignedIsIdentityAndNegIsRejected) {
  const Tensor x = Tensor::FromVector<uint8_t>({0, 200}, {2});
  auto abs = RunOp("Abs", {x});
  ASSERT_TRUE(abs.ok());
  EXPECT_EQ(Values((*abs)[0]), (std::vector<double>{0, 200}));
  auto neg = RunOp("Neg", {x});
  ASSERT_FALSE(neg.ok());
  EXPECT_EQ(neg.status().code(), StatusCode::kUnimplemented);
}

TEST(UnaryMath, SignKeepsNaN) {
  auto out = RunOp("Sign", {Tensor::FromVector<double>({-2.0, 0.0, 3.0, kNaN}, {4})});
  ASSERT_TRUE(out.ok());
  const auto v = Values((*out)[0]);
  EXPECT_EQ(v[0], -1);
  EXPECT_EQ(v[1], 0);
  EXPECT_EQ(v[2], 1);
  EXPECT_TRUE(std::isnan(v[3]));
}

TEST(UnaryMath, FloatOnlyFunctionsRejectIntegers) {
  auto out = RunOp("Exp", {Tensor::FromVector<int64_t>({1}, {1})});
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), StatusCode::kUnimplemented);
  EXPECT_NE(out.status().message().find("int64"), std::string::npos) << out.status().message();
}

TEST(UnaryMath, EmptyTensorGivesEmptyOutput) {
  auto out = RunOp("Sqrt", {Tensor::FromVector<float>({}, {0, 3})});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ((*out)[0].shape(), (Shape{0, 3}));
}

TEST(UnaryMath, IsNaNAndIsInfWithDirections) {
  const Tensor x = Tensor::FromVector<float>({1.0f, -kInfF, kInfF, std::nanf("")}, {4});
  auto nan = RunOp("IsNaN", {x});
  ASSERT_TRUE(nan.ok());
  EXPECT_EQ((*nan)[0].dtype(), DType::kBool);
  EXPECT_EQ(Values((*nan)[0]), (std::vector<double>{0, 0, 0, 1}));
  auto inf = RunOp("IsInf", {x});
  ASSERT_TRUE(inf.ok());
  EXPECT_EQ(Values((*inf)[0]), (std::vector<double>{0, 1, 1, 0}));
  auto neg_only = RunOp("IsInf", {x}, {{"detect_positive", AttrInt(0)}});
  ASSERT_TRUE(neg_only.ok());
  EXPECT_EQ(Values((*neg_only)[0]), (std::vector<double>{0, 1, 0, 0}));
}

}  // namespace
}  // namespace inferd
