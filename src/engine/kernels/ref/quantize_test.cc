#include <gtest/gtest.h>

#include "engine/kernels/ref/one_op_graph_test_util.h"

namespace inferd {
namespace {

using testing::OneOpGraph;

template <class T>
std::vector<T> Values(const Tensor& t) {
  return {t.data<T>(), t.data<T>() + t.numel()};
}

void ExpectInvalid(const Result<std::vector<Tensor>>& r, const std::string& text) {
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << r.status().ToString();
  EXPECT_NE(r.status().message().find(text), std::string::npos) << r.status().message();
}

TEST(QuantizeLinear, RoundsHalfToEvenAndSaturates) {
  auto u8 = OneOpGraph("QuantizeLinear")
                .In()
                .In()
                .Run({Tensor::FromVector<float>({0, 1.5f, 2.5f, -1, 1000}, {5}), Tensor::Scalar<float>(1)});
  ASSERT_TRUE(u8.ok()) << u8.status().ToString();
  EXPECT_EQ((*u8)[0].dtype(), DType::kUint8);  // no zero point: uint8
  EXPECT_EQ(Values<uint8_t>((*u8)[0]), (std::vector<uint8_t>{0, 2, 2, 0, 255}));
  auto i8 =
      OneOpGraph("QuantizeLinear")
          .In()
          .In()
          .In()
          .Run({Tensor::FromVector<float>({-200, 0.5f, 3}, {3}), Tensor::Scalar<float>(1), Tensor::Scalar<int8_t>(-1)});
  ASSERT_TRUE(i8.ok());
  EXPECT_EQ(Values<int8_t>((*i8)[0]), (std::vector<int8_t>{-128, -1, 2}));
}

TEST(QuantizeLinear, PerAxisFromOpset13) {
  const Tensor x = Tensor::FromVector<float>({2, 4, 2, 4}, {1, 2, 2});
  const Tensor scale = Tensor::FromVector<float>({1, 2}, {2});
  const Tensor zp = Tensor::FromVector<uint8_t>({0, 10}, {2});
  auto out = OneOpGraph("QuantizeLinear", 13).In().In().In().Run({x, scale, zp});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(Values<uint8_t>((*out)[0]), (std::vector<uint8_t>{2, 4, 11, 12}));
  // Opset 10 has no axis: a 1-D scale is an error there.
  ExpectInvalid(OneOpGraph("QuantizeLinear", 10).In().In().In().Run({x, scale, zp}), "expected a scalar");
  ExpectInvalid(
      OneOpGraph("QuantizeLinear", 13).In().In().Attr("axis", 2).Run({x, Tensor::FromVector<float>({1, 2, 3}, {3})}),
      "along axis 2");
  ExpectInvalid(OneOpGraph("QuantizeLinear", 13).In().In().Attr("axis", 5).Run({x, scale}), "axis");
}

TEST(QuantizeLinear, BadScaleAndZeroPoint) {
  const Tensor x = Tensor::FromVector<float>({1}, {1});
  ExpectInvalid(OneOpGraph("QuantizeLinear").In().In().Run({x, Tensor::Scalar<float>(0)}), "non-zero");
  ExpectInvalid(
      OneOpGraph("QuantizeLinear").In().In().In().Run({x, Tensor::Scalar<float>(1), Tensor::Scalar<int32_t>(0)}),
      "uint8 or int8");
}

TEST(DequantizeLinear, PerTensorPerAxisAndInt32) {
  auto u8 = OneOpGraph("DequantizeLinear")
                .In()
                .In()
                .In()
                .Run({Tensor::FromVector<uint8_t>({0, 128, 255}, {3}), Tensor::Scalar<float>(2),
                      Tensor::Scalar<uint8_t>(128)});
  ASSERT_TRUE(u8.ok()) << u8.status().ToString();
  EXPECT_EQ(Values<float>((*u8)[0]), (std::vector<float>{-256, 0, 254}));
  auto axis = OneOpGraph("DequantizeLinear", 13)
                  .In()
                  .In()
                  .In()
                  .Attr("axis", 0)
                  .Run({Tensor::FromVector<int8_t>({1, 2, 3, 4}, {2, 2}), Tensor::FromVector<float>({1, 10}, {2}),
                        Tensor::FromVector<int8_t>({0, 1}, {2})});
  ASSERT_TRUE(axis.ok()) << axis.status().ToString();
  EXPECT_EQ(Values<float>((*axis)[0]), (std::vector<float>{1, 2, 20, 30}));
  auto i32 = OneOpGraph("DequantizeLinear")
                 .In()
                 .In()
                 .Run({Tensor::FromVector<int32_t>({-7, 100000}, {2}), Tensor::Scalar<float>(0.5f)});
  ASSERT_TRUE(i32.ok());
  EXPECT_EQ(Values<float>((*i32)[0]), (std::vector<float>{-3.5f, 50000}));
  ExpectInvalid(OneOpGraph("DequantizeLinear")
                    .In()
                    .In()
                    .In()
                    .Run({Tensor::FromVector<uint8_t>({1}, {1}), Tensor::Scalar<float>(1), Tensor::Scalar<int8_t>(0)}),
                "differs");
}

TEST(DynamicQuantizeLinear, RangeIncludesZero) {
  auto out = OneOpGraph("DynamicQuantizeLinear", 11)
                 .In()
                 .Outputs(3)
                 .Run({Tensor::FromVector<float>({0, 2, -3, -2.5f, 1.34f, 0.5f}, {6})});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_FLOAT_EQ((*out)[1].data<float>()[0], 5.0f / 255.0f);
  EXPECT_EQ((*out)[2].data<uint8_t>()[0], 153);
  EXPECT_EQ((*out)[0].data<uint8_t>()[0], 153);  // 0 maps to the zero point exactly
  EXPECT_EQ((*out)[0].data<uint8_t>()[2], 0);    // the minimum maps to 0
  auto zeros = OneOpGraph("DynamicQuantizeLinear", 11).In().Outputs(3).Run({Tensor::FromVector<float>({0, 0}, {2})});
  ASSERT_TRUE(zeros.ok());
  EXPECT_EQ((*zeros)[1].data<float>()[0], 0.0f);
  EXPECT_EQ(Values<uint8_t>((*zeros)[0]), (std::vector<uint8_t>{0, 0}));
}

}  // namespace
}  // namespace inferd
