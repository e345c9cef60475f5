#include <gtest/gtest.h>

#include "engine/kernels/ref/one_op_graph_test_util.h"

namespace inferd {
namespace {

using testing::OneOpGraph;

template <class T = float>
std::vector<T> Values(const Tensor& t) {
  return {t.data<T>(), t.data<T>() + t.numel()};
}

Tensor Iota(Shape shape, float start = 0) {
  auto t = Tensor::Create(DType::kFloat32, std::move(shape)).value();
  for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = start + static_cast<float>(i);
  return t;
}

const std::vector<int64_t> k22{2, 2};

TEST(MaxPool, ValuesAndIndicesInBothStorageOrders) {
  auto row =
      OneOpGraph("MaxPool").In().Outputs(2).Attr("kernel_shape", k22).Attr("strides", k22).Run({Iota({1, 1, 4, 4})});
  ASSERT_TRUE(row.ok()) << row.status().ToString();
  EXPECT_EQ(Values((*row)[0]), (std::vector<float>{5, 7, 13, 15}));
  EXPECT_EQ(Values<int64_t>((*row)[1]), (std::vector<int64_t>{5, 7, 13, 15}));
  auto col = OneOpGraph("MaxPool")
                 .In()
                 .Outputs(2)
                 .Attr("kernel_shape", k22)
                 .Attr("strides", k22)
                 .Attr("storage_order", 1)
                 .Run({Iota({1, 1, 4, 4})});
  ASSERT_TRUE(col.ok());
  EXPECT_EQ(Values<int64_t>((*col)[1]), (std::vector<int64_t>{5, 13, 7, 15}));
}

TEST(MaxPool, IndicesCountWholePlanesBefore) {
  auto out = OneOpGraph("MaxPool").In().Outputs(2).Attr("kernel_shape", k22).Run({Iota({2, 1, 2, 2})});
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(Values<int64_t>((*out)[1]), (std::vector<int64_t>{3, 7}));
}

TEST(MaxPool, EightBitTypes) {
  auto u8 = OneOpGraph("MaxPool")
                .In()
                .Attr("kernel_shape", std::vector<int64_t>{2})
                .Run({Tensor::FromVector<uint8_t>({1, 200, 3}, {1, 1, 3})});
  ASSERT_TRUE(u8.ok()) << u8.status().ToString();
  EXPECT_EQ(Values<uint8_t>((*u8)[0]), (std::vector<uint8_t>{200, 200}));
  auto i8 = OneOpGraph("MaxPool")
                .In()
                .Attr("kernel_shape", std::vector<int64_t>{2})
                .Run({Tensor::FromVector<int8_t>({-5, -3, -100}, {1, 1, 3})});
  ASSERT_TRUE(i8.ok());
  EXPECT_EQ(Values<int8_t>((*i8)[0]), (std::vector<int8_t>{-3, -3}));
}

TEST(AveragePool, CountIncludePad) {
  const Tensor x = Tensor::FromVector<float>({1, 2, 3, 4}, {1, 1, 2, 2});
  const std::vector<int64_t> pads{1, 1, 1, 1};
  auto excl = OneOpGraph("AveragePool").In().Attr("kernel_shape", k22).Attr("pads", pads).Run({x});
  auto incl =
      OneOpGraph("AveragePool").In().Attr("kernel_shape", k22).Attr("pads", pads).Attr("count_include_pad", 1).Run({x});
  ASSERT_TRUE(excl.ok() && incl.ok());
  ASSERT_EQ((*excl)[0].shape(), (Shape{1, 1, 3, 3}));
  EXPECT_FLOAT_EQ(Values((*excl)[0])[0], 1.0f);
  EXPECT_FLOAT_EQ(Values((*incl)[0])[0], 0.25f);
  EXPECT_FLOAT_EQ(Values((*excl)[0])[4], 2.5f);
  EXPECT_FLOAT_EQ(Values((*incl)[0])[4], 2.5f);
}

TEST(AveragePool, CeilModeAddsThePartialWindow) {
  const Tensor x = Iota({1, 1, 5}, 1);
  const std::vector<int64_t> k{2};
  auto floor = OneOpGraph("AveragePool").In().Attr("kernel_shape", k).Attr("strides", k).Run({x});
  auto ceil = OneOpGraph("AveragePool").In().Attr("kernel_shape", k).Attr("strides", k).Attr("ceil_mode", 1).Run({x});
  ASSERT_TRUE(floor.ok() && ceil.ok());
  EXPECT_EQ(Values((*floor)[0]), (std::vector<float>{1.5f, 3.5f}));
  EXPECT_EQ(Values((*ceil)[0]), (std::vector<float>{1.5f, 3.5f, 5.0f}));
}

TEST(LpPool, TwoNorm) {
  auto out = OneOpGraph("LpPool")
                 .In()
                 .Attr("kernel_shape", std::vector<int64_t>{2})
                 .Run({Tensor::FromVector<float>({3, -4}, {1, 1, 2})});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_FLOAT_EQ(Values((*out)[0])[0], 5.0f);
}

TEST(GlobalPool, AverageAndMaxPerPlane) {
  const Tensor x = Iota({1, 2, 2, 2});
  auto avg = OneOpGraph("GlobalAveragePool").In().Run({x});
  auto max = OneOpGraph("GlobalMaxPool").In().Run({x});
  ASSERT_TRUE(avg.ok() && max.ok());
  EXPECT_EQ((*avg)[0].shape(), (Shape{1, 2, 1, 1}));
  EXPECT_EQ(Values((*avg)[0]), (std::vector<float>{1.5f, 5.5f}));
  EXPECT_EQ(Values((*max)[0]), (std::vector<float>{3, 7}));
}

TEST(MaxUnpool, InvertsMaxPoolPositions) {
  const Tensor x = Tensor::FromVector<float>({1, 2, 3, 4}, {1, 1, 2, 2});
  const Tensor ind = Tensor::FromVector<int64_t>({5, 7, 13, 15}, {1, 1, 2, 2});
  auto out = OneOpGraph("MaxUnpool").In().In().Attr("kernel_shape", k22).Attr("strides", k22).Run({x, ind});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ASSERT_EQ((*out)[0].shape(), (Shape{1, 1, 4, 4}));
  EXPECT_EQ(Values((*out)[0]), (std::vector<float>{0, 0, 0, 0, 0, 1, 0, 2, 0, 0, 0, 0, 0, 3, 0, 4}));
}

TEST(MaxUnpool, IndexOutsideTheOutputIsAnError) {
  auto out = OneOpGraph("MaxUnpool")
                 .In()
                 .In()
                 .Attr("kernel_shape", k22)
                 .Attr("strides", k22)
                 .Run({Iota({1, 1, 1, 1}), Tensor::FromVector<int64_t>({16}, {1, 1, 1, 1})});
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(out.status().message().find("index 16"), std::string::npos) << out.status().message();
}

TEST(Pool, BadAttributesAndShapes) {
  auto invalid = [](const Result<std::vector<Tensor>>& r, const std::string& text) {
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << r.status().ToString();
    EXPECT_NE(r.status().message().find(text), std::string::npos) << r.status().message();
  };
  const Tensor x = Iota({1, 1, 3, 3});
  invalid(OneOpGraph("MaxPool").In().Run({x}), "kernel_shape");
  invalid(OneOpGraph("MaxPool").In().Attr("kernel_shape", std::vector<int64_t>{4, 4}).Run({x}),
          "larger than the padded");
  invalid(OneOpGraph("MaxPool").In().Attr("kernel_shape", std::vector<int64_t>{2}).Run({x}), "kernel");
  invalid(OneOpGraph("MaxPool").In().Attr("kernel_shape", k22).Attr("strides", std::vector<int64_t>{0, 1}).Run({x}),
          "strides");
  invalid(OneOpGraph("MaxPool").In().Attr("kernel_shape", k22).Attr("storage_order", 2).Run({x}), "storage_order");
  invalid(OneOpGraph("AveragePool").In().Attr("kernel_shape", k22).Run({Iota({3, 3})}), "expected [N, C, d1");
  invalid(OneOpGraph("AveragePool").In().Attr("kernel_shape", k22).Attr("auto_pad", "SAME").Run({x}), "auto_pad");
}

}  // namespace
}  // namespace inferd
