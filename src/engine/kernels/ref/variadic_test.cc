#include <gtest/gtest.h>

#include <cmath>

#include "engine/kernels/ref/op_test_util.h"

namespace inferd {
namespace {

using testing::RunOp;
using testing::Values;

TEST(Variadic, ThreeInputsBroadcastTogether) {
  const Tensor a = Tensor::FromVector<float>({1, 5}, {2, 1});
  const Tensor b = Tensor::FromVector<float>({2, 4, 6}, {3});
  const Tensor c = Tensor::Scalar<float>(3.0f);
  auto max = RunOp("Max", {a, b, c});
  auto min = RunOp("Min", {a, b, c});
  auto sum = RunOp("Sum", {a, b, c});
  auto mean = RunOp("Mean", {a, b, c});
  ASSERT_TRUE(max.ok() && min.ok() && sum.ok() && mean.ok()) << max.status().ToString();
  EXPECT_EQ((*max)[0].shape(), (Shape{2, 3}));
  EXPECT_EQ(Values((*max)[0]), (std::vector<double>{3, 4, 6, 5, 5, 6}));
  EXPECT_EQ(Values((*min)[0]), (std::vector<double>{1, 1, 1, 2, 3, 3}));
  EXPECT_EQ(Values((*sum)[0]), (std::vector<double>{6, 8, 10, 10, 12, 14}));
  EXPECT_EQ(Values((*mean)[0]), (std::vector<double>{2, 8.0f / 3, 10.0f / 3, 10.0f / 3, 4, 14.0f / 3}));
}

TEST(Variadic, OneInputIsACopy) {
  const Tensor a = Tensor::FromVector<int16_t>({-1, 7}, {2});
  auto out = RunOp("Max", {a});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(Values((*out)[0]), (std::vector<double>{-1, 7}));
  EXPECT_NE((*out)[0].raw(), a.raw());
}

TEST(Variadic, MaxMinOnUnsignedAndHalf) {
  auto u = RunOp("Min", {Tensor::FromVector<uint64_t>({1, 9}, {2}), Tensor::FromVector<uint64_t>({5, 5}, {2})});
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(Values((*u)[0]), (std::vector<double>{1, 5}));
  auto h = RunOp("Max", {Tensor::FromVector<Float16>({Float16::FromFloat(1.5f), Float16::FromFloat(-2.0f)}, {2}),
                         Tensor::FromVector<Float16>({Float16::FromFloat(0.5f)}, {1})});
  ASSERT_TRUE(h.ok()) << h.status().ToString();
  EXPECT_EQ((*h)[0].dtype(), DType::kFloat16);
  EXPECT_EQ(Values((*h)[0]), (std::vector<double>{1.5, 0.5}));
}

TEST(Variadic, MaxPropagatesNaN) {
  auto out = RunOp(
      "Max", {Tensor::FromVector<float>({std::nanf(""), 1}, {2}), Tensor::FromVector<float>({0, std::nanf("")}, {2})});
  ASSERT_TRUE(out.ok());
  EXPECT_TRUE(std::isnan((*out)[0].GetAsDouble(0)));
  EXPECT_TRUE(std::isnan((*out)[0].GetAsDouble(1)));
}

TEST(Variadic, SumRejectsIntegers) {
  auto out = RunOp("Sum", {Tensor::FromVector<int32_t>({1}, {1}), Tensor::FromVector<int32_t>({1}, {1})});
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), StatusCode::kUnimplemented);
}

TEST(Variadic, MismatchedTypesAndShapesAreRejected) {
  auto types = RunOp("Max", {Tensor::FromVector<float>({1}, {1}), Tensor::FromVector<double>({1}, {1})});
  ASSERT_FALSE(types.ok());
  EXPECT_EQ(types.status().code(), StatusCode::kInvalidArgument);
  auto shapes = RunOp("Mean", {Tensor::FromVector<float>({1, 2}, {2}), Tensor::FromVector<float>({1, 2, 3}, {3})});
  ASSERT_FALSE(shapes.ok());
  EXPECT_EQ(shapes.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(shapes.status().message().find("[2] [3]"), std::string::npos) << shapes.status().message();
}

}  // namespace
}  // namespace inferd
