#include "batch/element_convert.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

namespace inferd::batch {
namespace {

TEST(ConvertElements, SameTypeCopies) {
  const std::vector<float> in = {1.5f, -2.f, 0.f};
  std::vector<float> out(3);
  EXPECT_EQ(ConvertElements(DType::kFloat32, in.data(), DType::kFloat32, out.data(), 3, false), "");
  EXPECT_EQ(out, in);
}

TEST(ConvertElements, Uint8ToFloat) {
  const std::vector<uint8_t> in = {0, 7, 255};
  std::vector<float> out(3);
  EXPECT_EQ(ConvertElements(DType::kUint8, in.data(), DType::kFloat32, out.data(), 3, false), "");
  EXPECT_EQ(out, (std::vector<float>{0.f, 7.f, 255.f}));
}

TEST(ConvertElements, RefusesWhatTheTargetCannotHold) {
  std::vector<uint8_t> u8(1);
  const double big = 300;
  EXPECT_EQ(ConvertElements(DType::kFloat64, &big, DType::kUint8, u8.data(), 1, false),
            "element 0: value 300 does not fit UINT8");
  const double half = 1.5, nan = std::nan("");
  int64_t i64 = 0;
  EXPECT_NE(ConvertElements(DType::kFloat64, &half, DType::kInt64, &i64, 1, false), "");
  EXPECT_NE(ConvertElements(DType::kFloat64, &nan, DType::kInt64, &i64, 1, false), "");
  const double two63 = 9223372036854775808.0;
  EXPECT_NE(ConvertElements(DType::kFloat64, &two63, DType::kInt64, &i64, 1, false), "");
  const double minus = -1;
  uint32_t u32 = 0;
  EXPECT_NE(ConvertElements(DType::kFloat64, &minus, DType::kUint32, &u32, 1, false), "");
  const double ok = -9223372036854775808.0;
  EXPECT_EQ(ConvertElements(DType::kFloat64, &ok, DType::kInt64, &i64, 1, false), "");
  EXPECT_EQ(i64, std::numeric_limits<int64_t>::min());
}

TEST(ConvertElements, NonFiniteOnlyWhenAsked) {
  const std::vector<float> in = {1.f, std::numeric_limits<float>::infinity()};
  std::vector<float> out(2);
  EXPECT_EQ(ConvertElements(DType::kFloat32, in.data(), DType::kFloat32, out.data(), 2, false), "");
  EXPECT_EQ(ConvertElements(DType::kFloat32, in.data(), DType::kFloat32, out.data(), 2, true), "element 1 is inf");
  const std::vector<double> d = {std::nan("")};
  EXPECT_EQ(ConvertElements(DType::kFloat64, d.data(), DType::kFloat32, out.data(), 1, true), "element 0 is nan");
}

TEST(ConvertElements, StringsAreNotConvertible) {
  EXPECT_FALSE(IsConvertible(DType::kString));
  EXPECT_TRUE(IsConvertible(DType::kBool));
}

}  // namespace
}  // namespace inferd::batch
