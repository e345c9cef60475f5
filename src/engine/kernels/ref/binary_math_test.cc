#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "engine/kernels/ref/op_test_util.h"

namespace inferd {
namespace {

using testing::AttrInt;
using testing::RunOp;
using testing::Values;

TEST(Pow, FloatBroadcastScalarExponent) {
  auto out = RunOp("Pow", {Tensor::FromVector<float>({1, 2, 3, 4}, {2, 2}), Tensor::Scalar<float>(3.0f)});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(Values((*out)[0]), (std::vector<double>{1, 8, 27, 64}));
}

TEST(Pow, SquareFastPathMatchesPow) {
  auto out = RunOp("Pow", {Tensor::FromVector<float>({-1.5f, 0.0f, 3.0f}, {3}), Tensor::Scalar<int64_t>(2)});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(Values((*out)[0]), (std::vector<double>{2.25, 0, 9}));
}

TEST(Pow, MixedTypesKeepTheBaseType) {
  auto int_base =
      RunOp("Pow", {Tensor::FromVector<int32_t>({2, 3, -2}, {3}), Tensor::FromVector<float>({3.0f, 0.5f, 3.0f}, {3})});
  ASSERT_TRUE(int_base.ok()) << int_base.status().ToString();
  EXPECT_EQ((*int_base)[0].dtype(), DType::kInt32);
  EXPECT_EQ(Values((*int_base)[0]), (std::vector<double>{8, 1, -8}));  // 3^0.5 = 1.73 truncates to 1

  auto float_base = RunOp("Pow", {Tensor::FromVector<float>({2, 4}, {2}), Tensor::FromVector<uint64_t>({10, 0}, {2})});
  ASSERT_TRUE(float_base.ok()) << float_base.status().ToString();
  EXPECT_EQ((*float_base)[0].dtype(), DType::kFloat32);
  EXPECT_EQ(Values((*float_base)[0]), (std::vector<double>{1024, 1}));
}

TEST(Pow, IntegerPowIsExactAndNegativeExponentsTruncate) {
  auto out = RunOp("Pow", {Tensor::FromVector<int64_t>({3, 2, 1, -1, 5}, {5}),
                           Tensor::FromVector<int64_t>({39, -1, -7, -3, 0}, {5})});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  const int64_t* y = (*out)[0].data<int64_t>();
  EXPECT_EQ(y[0], 4052555153018976267);  // 3^39, beyond double's exact range
  EXPECT_EQ(y[1], 0);
  EXPECT_EQ(y[2], 1);
  EXPECT_EQ(y[3], -1);
  EXPECT_EQ(y[4], 1);
}

TEST(Pow, UnsupportedBaseType) {
  auto out = RunOp("Pow", {Tensor::FromVector<uint8_t>({2}, {1}), Tensor::FromVector<uint8_t>({2}, {1})});
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), StatusCode::kUnimplemented);
  EXPECT_NE(out.status().message().find("base"), std::string::npos) << out.status().message();
}

TEST(Mod, IntegerTakesTheDivisorsSign) {
  const Tensor a = Tensor::FromVector<int32_t>({7, -7, 7, -7, 5}, {5});
  const Tensor b = Tensor::FromVector<int32_t>({3, 3, -3, -3, 0}, {5});
  auto mod = RunOp("Mod", {a, b});
  ASSERT_TRUE(mod.ok()) << mod.status().ToString();
  EXPECT_EQ(Values((*mod)[0]), (std::vector<double>{1, 2, -2, -1, 0}));
  auto fmod = RunOp("Mod", {a, b}, {{"fmod", AttrInt(1)}});
  ASSERT_TRUE(fmod.ok()) << fmod.status().ToString();
  EXPECT_EQ(Values((*fmod)[0]), (std::vector<double>{1, -1, 1, -1, 0}));
}

TEST(Mod, MinByMinusOneDoesNotTrap) {
  const int64_t min = std::numeric_limits<int64_t>::min();
  auto out = RunOp("Mod", {Tensor::FromVector<int64_t>({min}, {1}), Tensor::FromVector<int64_t>({-1}, {1})});
  ASSERT_TRUE(out.ok());
  EXPECT_EQ((*out)[0].data<int64_t>()[0], 0);
}

TEST(Mod, FloatFmodTakesTheDividendsSign) {
  auto out = RunOp("Mod", {Tensor::FromVector<float>({5.5f, -5.5f}, {2}), Tensor::Scalar<float>(2.0f)},
                   {{"fmod", AttrInt(1)}});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(Values((*out)[0]), (std::vector<double>{1.5, -1.5}));
}

TEST(Mod, BadFmodAttribute) {
  auto out = RunOp("Mod", {Tensor::Scalar<int32_t>(1), Tensor::Scalar<int32_t>(1)}, {{"fmod", AttrInt(2)}});
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(out.status().message().find("fmod"), std::string::npos) << out.status().message();
}

}  // namespace
}  // namespace inferd
