#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>

#include "engine/kernels/ref/op_test_util.h"

namespace inferd {
namespace {

using testing::AttrInt;
using testing::RunOp;
using testing::Values;

Result<std::vector<Tensor>> CastTo(const Tensor& x, DType to) {
  return RunOp("Cast", {x}, {{"to", AttrInt(static_cast<int64_t>(to))}});
}

TEST(Cast, FloatToIntTruncatesAndSaturates) {
  const float inf = std::numeric_limits<float>::infinity();
  auto out = CastTo(Tensor::FromVector<float>({1.9f, -1.9f, 300.0f, -300.0f, std::nanf(""), inf}, {6}), DType::kInt8);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ((*out)[0].dtype(), DType::kInt8);
  EXPECT_EQ(Values((*out)[0]), (std::vector<double>{1, -1, 127, -128, 0, 127}));
}

TEST(Cast, IntegersWrapAndBoolIsNonZero) {
  auto narrow = CastTo(Tensor::FromVector<int32_t>({257, -1}, {2}), DType::kUint8);
  ASSERT_TRUE(narrow.ok());
  EXPECT_EQ(Values((*narrow)[0]), (std::vector<double>{1, 255}));
  auto to_bool = CastTo(Tensor::FromVector<float>({0.0f, -0.5f, 2.0f}, {3}), DType::kBool);
  ASSERT_TRUE(to_bool.ok());
  EXPECT_EQ((*to_bool)[0].dtype(), DType::kBool);
  EXPECT_EQ(Values((*to_bool)[0]), (std::vector<double>{0, 1, 1}));
  auto from_bool = CastTo(Tensor::FromVector<bool>({true, false}, {2}), DType::kFloat64);
  ASSERT_TRUE(from_bool.ok());
  EXPECT_EQ(Values((*from_bool)[0]), (std::vector<double>{1, 0}));
}

TEST(Cast, HalfTypesRoundToNearestEven) {
  // 1 + 2^-11 is halfway between two float16 values; ties go to the even one (1.0).
  auto h = CastTo(Tensor::FromVector<float>({1.0f + 1.0f / 2048, 65504.0f, 1e6f}, {3}), DType::kFloat16);
  ASSERT_TRUE(h.ok());
  EXPECT_EQ((*h)[0].dtype(), DType::kFloat16);
  EXPECT_EQ((*h)[0].GetAsDouble(0), 1.0);
  EXPECT_EQ((*h)[0].GetAsDouble(1), 65504.0);
  EXPECT_TRUE(std::isinf((*h)[0].GetAsDouble(2)));
  auto b = CastTo(Tensor::FromVector<float>({0.48033667f}, {1}), DType::kBFloat16);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ((*b)[0].GetAsDouble(0), 0.48046875);  // rounded up, not truncated to 0.478515625
  auto back = CastTo((*b)[0], DType::kFloat32);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ((*back)[0].data<float>()[0], 0.48046875f);
}

TEST(Cast, NumbersToStringsAsNumpyPrintsThem) {
  auto out = CastTo(Tensor::FromVector<float>({0.1f, 1.0f, -2.5f, 1e-5f, std::numeric_limits<float>::infinity()}, {5}),
                    DType::kString);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  const std::string* s = (*out)[0].data<std::string>();
  EXPECT_EQ(s[0], "0.1");
  EXPECT_EQ(s[1], "1.0");
  EXPECT_EQ(s[2], "-2.5");
  EXPECT_EQ(s[3], "1e-05");
  EXPECT_EQ(s[4], "inf");
  auto ints = CastTo(Tensor::FromVector<int64_t>({-42}, {1}), DType::kString);
  ASSERT_TRUE(ints.ok());
  EXPECT_EQ((*ints)[0].data<std::string>()[0], "-42");
}

TEST(Cast, StringsToNumbers) {
  auto f = CastTo(Tensor::FromVector<std::string>({"0.5", " -3 ", "+INF", "NaN", "1e3"}, {5}), DType::kFloat32);
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  const auto v = Values((*f)[0]);
  EXPECT_EQ(v[0], 0.5);
  EXPECT_EQ(v[1], -3);
  EXPECT_TRUE(std::isinf(v[2]) && v[2] > 0);
  EXPECT_TRUE(std::isnan(v[3]));
  EXPECT_EQ(v[4], 1000);
  auto i = CastTo(Tensor::FromVector<std::string>({"123", "-7", "2.9"}, {3}), DType::kInt32);
  ASSERT_TRUE(i.ok()) << i.status().ToString();
  EXPECT_EQ(Values((*i)[0]), (std::vector<double>{123, -7, 2}));
}

TEST(Cast, UnparsableStringNamesIt) {
  auto out = CastTo(Tensor::FromVector<std::string>({"1", "one"}, {2}), DType::kFloat32);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(out.status().message().find("\"one\""), std::string::npos) << out.status().message();
}

TEST(Cast, BadTargetTypeIsRejectedAtLoad) {
  auto out = RunOp("Cast", {Tensor::FromVector<float>({1}, {1})}, {{"to", AttrInt(99)}});
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(out.status().message().find("to=99"), std::string::npos) << out.status().message();
  auto missing = RunOp("Cast", {Tensor::FromVector<float>({1}, {1})});
  ASSERT_FALSE(missing.ok());
}

TEST(Cast, SameTypeSharesTheInput) {
  const Tensor x = Tensor::FromVector<int64_t>({1, 2}, {2});
  auto out = CastTo(x, DType::kInt64);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ((*out)[0].raw(), x.raw());
}

TEST(CastLike, TakesTheTypeOfTheSecondInput) {
  auto out = RunOp("CastLike", {Tensor::FromVector<double>({2.75, -1.0}, {2}), Tensor::FromVector<int16_t>({0}, {1})});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ((*out)[0].dtype(), DType::kInt16);
  EXPECT_EQ(Values((*out)[0]), (std::vector<double>{2, -1}));
}

}  // namespace
}  // namespace inferd
