// Tests for the integer ops: MatMulInteger, ConvInteger, QLinearConv, QLinearMatMul.
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

TEST(MatMulInteger, ScalarAndPerRowZeroPoints) {
  const Tensor a = Tensor::FromVector<uint8_t>({1, 2, 3, 4}, {2, 2});
  const Tensor b = Tensor::FromVector<uint8_t>({1, 0, 0, 1}, {2, 2});
  auto scalar = OneOpGraph("MatMulInteger", 10).In().In().In().Run({a, b, Tensor::Scalar<uint8_t>(1)});
  ASSERT_TRUE(scalar.ok()) << scalar.status().ToString();
  EXPECT_EQ((*scalar)[0].dtype(), DType::kInt32);
  EXPECT_EQ(Values<int32_t>((*scalar)[0]), (std::vector<int32_t>{0, 1, 2, 3}));
  auto per_row = OneOpGraph("MatMulInteger", 10).In().In().In().Run({a, b, Tensor::FromVector<uint8_t>({1, 2}, {2})});
  ASSERT_TRUE(per_row.ok());
  EXPECT_EQ(Values<int32_t>((*per_row)[0]), (std::vector<int32_t>{0, 1, 1, 2}));
}

TEST(MatMulInteger, BroadcastsBatchesAndHandlesVectors) {
  const Tensor a = Tensor::FromVector<int8_t>({1, -2, 3, 4}, {2, 1, 2});
  const Tensor b = Tensor::FromVector<int8_t>({5, 6}, {2, 1});
  auto out = OneOpGraph("MatMulInteger", 10).In().In().Run({a, b});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ((*out)[0].shape(), (Shape{2, 1, 1}));
  EXPECT_EQ(Values<int32_t>((*out)[0]), (std::vector<int32_t>{-7, 39}));
  auto vec = OneOpGraph("MatMulInteger", 10).In().In().Run({Tensor::FromVector<int8_t>({1, 2}, {2}), b});
  ASSERT_TRUE(vec.ok());
  EXPECT_EQ((*vec)[0].shape(), (Shape{1}));
  EXPECT_EQ(Values<int32_t>((*vec)[0]), (std::vector<int32_t>{17}));
  ExpectInvalid(OneOpGraph("MatMulInteger", 10).In().In().Run({a, Tensor::FromVector<int8_t>({1, 2, 3}, {3, 1})}),
                "inner dimensions");
}

TEST(ConvInteger, PaddingContributesZeroThroughTheZeroPoint) {
  auto out = OneOpGraph("ConvInteger", 10)
                 .In()
                 .In()
                 .In()
                 .Attr("pads", std::vector<int64_t>{1, 1, 1, 1})
                 .Run({Tensor::FromVector<uint8_t>({5}, {1, 1, 1, 1}),
                       Tensor::FromVector<uint8_t>({1, 1, 1, 1}, {1, 1, 2, 2}), Tensor::Scalar<uint8_t>(5)});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ((*out)[0].shape(), (Shape{1, 1, 2, 2}));
  EXPECT_EQ(Values<int32_t>((*out)[0]), (std::vector<int32_t>{0, 0, 0, 0}));
  auto plain =
      OneOpGraph("ConvInteger", 10)
          .In()
          .In()
          .In()
          .In()
          .Run({Tensor::FromVector<uint8_t>({2, 3, 4, 5}, {1, 1, 2, 2}), Tensor::FromVector<uint8_t>({3}, {1, 1, 1, 1}),
                Tensor::Scalar<uint8_t>(1), Tensor::Scalar<uint8_t>(1)});
  ASSERT_TRUE(plain.ok()) << plain.status().ToString();
  EXPECT_EQ(Values<int32_t>((*plain)[0]), (std::vector<int32_t>{2, 4, 6, 8}));
}

TEST(QLinearConv, PerChannelWeightScalesAndBias) {
  auto out =
      OneOpGraph("QLinearConv", 10)
          .In()
          .In()
          .In()
          .In()
          .In()
          .In()
          .In()
          .In()
          .In()
          .Run({Tensor::FromVector<uint8_t>({10, 20}, {1, 1, 1, 2}), Tensor::Scalar<float>(0.5f),
                Tensor::Scalar<uint8_t>(0), Tensor::FromVector<int8_t>({1, -1}, {2, 1, 1, 1}),
                Tensor::FromVector<float>({1, 2}, {2}), Tensor::FromVector<int8_t>({0, 0}, {2}),
                Tensor::Scalar<float>(1), Tensor::Scalar<uint8_t>(100), Tensor::FromVector<int32_t>({4, 0}, {2})});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ((*out)[0].dtype(), DType::kUint8);
  EXPECT_EQ(Values<uint8_t>((*out)[0]), (std::vector<uint8_t>{107, 112, 90, 80}));
}

TEST(QLinearConv, BadScalesAreErrors) {
  auto run = [](Tensor w_scale) {
    return OneOpGraph("QLinearConv", 10)
        .In()
        .In()
        .In()
        .In()
        .In()
        .In()
        .In()
        .In()
        .Run({Tensor::FromVector<uint8_t>({10, 20}, {1, 1, 1, 2}), Tensor::Scalar<float>(0.5f),
              Tensor::Scalar<uint8_t>(0), Tensor::FromVector<int8_t>({1, -1}, {2, 1, 1, 1}), w_scale,
              Tensor::Scalar<int8_t>(0), Tensor::Scalar<float>(1), Tensor::Scalar<uint8_t>(100)});
  };
  ExpectInvalid(run(Tensor::FromVector<float>({1, 2, 3}, {3})), "w_scale");
  ExpectInvalid(run(Tensor::Scalar<float>(-1)), "positive");
}

TEST(QLinearMatMul, RequantizesAndSaturates) {
  auto run = [](float y_scale) {
    return OneOpGraph("QLinearMatMul", 10)
        .In()
        .In()
        .In()
        .In()
        .In()
        .In()
        .In()
        .In()
        .Run({Tensor::FromVector<uint8_t>({2, 4}, {1, 2}), Tensor::Scalar<float>(0.5f), Tensor::Scalar<uint8_t>(0),
              Tensor::FromVector<uint8_t>({1, 1}, {2, 1}), Tensor::Scalar<float>(1), Tensor::Scalar<uint8_t>(0),
              Tensor::Scalar<float>(y_scale), Tensor::Scalar<int8_t>(-1)});
  };
  auto out = run(1);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ((*out)[0].dtype(), DType::kInt8);
  EXPECT_EQ(Values<int8_t>((*out)[0]), (std::vector<int8_t>{2}));
  auto big = run(0.01f);
  ASSERT_TRUE(big.ok());
  EXPECT_EQ(Values<int8_t>((*big)[0]), (std::vector<int8_t>{127}));
}

}  // namespace
}  // namespace inferd
