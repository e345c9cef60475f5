#include <gtest/gtest.h>

#include "engine/kernels/ref/single_node_graph.h"

namespace inferd {
namespace {

using kernel_testing::IntAttr;
using kernel_testing::SingleNodeGraph;

TEST(TopK, LargestWithTiesInIndexOrder) {
  SingleNodeGraph g("TopK", 11, {}, 2);
  auto out = g.Run({Tensor::FromVector<float>({1, 5, 3, 5, 2}, {1, 5}), Tensor::FromVector<int64_t>({3}, {1})});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ASSERT_EQ((*out)[0].shape(), (Shape{1, 3}));
  const float vals[] = {5, 5, 3};
  const int64_t idx[] = {1, 3, 2};
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ((*out)[0].data<float>()[i], vals[i]);
    EXPECT_EQ((*out)[1].data<int64_t>()[i], idx[i]);
  }
}

TEST(TopK, SmallestAlongAxis0) {
  SingleNodeGraph g("TopK", 11, {{"largest", IntAttr(0)}, {"axis", IntAttr(0)}}, 2);
  auto out = g.Run({Tensor::FromVector<int32_t>({4, 1, 2, 3, 2, 9}, {3, 2}), Tensor::FromVector<int64_t>({2}, {1})});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ASSERT_EQ((*out)[0].shape(), (Shape{2, 2}));
  const int32_t vals[] = {2, 1, 2, 3};  // column 0: {4,2,2} -> 2(i1), 2(i2); column 1: {1,3,9}
  const int64_t idx[] = {1, 0, 2, 1};
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ((*out)[0].data<int32_t>()[i], vals[i]);
    EXPECT_EQ((*out)[1].data<int64_t>()[i], idx[i]);
  }
}

TEST(TopK, Opset1TakesKAsAttribute) {
  SingleNodeGraph g("TopK", 1, {{"k", IntAttr(1)}}, 2);
  auto out = g.Run({Tensor::FromVector<double>({1, 7, 3}, {3})});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ((*out)[0].data<double>()[0], 7);
  EXPECT_EQ((*out)[1].data<int64_t>()[0], 1);
}

TEST(TopK, KOutOfRangeIsInvalid) {
  SingleNodeGraph g("TopK", 11, {}, 2);
  auto out = g.Run({Tensor::FromVector<float>({1, 2}, {2}), Tensor::FromVector<int64_t>({3}, {1})});
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(out.status().message().find("k = 3"), std::string::npos) << out.status().message();
  out = g.Run({Tensor::FromVector<float>({1, 2}, {2}), Tensor::FromVector<int64_t>({-1}, {1})});
  ASSERT_FALSE(out.ok());
}

}  // namespace
}  // namespace inferd

namespace inferd {
namespace {

TEST(TopK, ZeroKAndEmptyInput) {
  kernel_testing::SingleNodeGraph g("TopK", 11, {}, 2);
  auto out = g.Run({Tensor::FromVector<float>({1, 2}, {2}), Tensor::FromVector<int64_t>({0}, {1})});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ((*out)[0].shape(), (Shape{0}));
  out = g.Run({Tensor::Create(DType::kFloat32, {0, 3}).value(), Tensor::FromVector<int64_t>({2}, {1})});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ((*out)[1].shape(), (Shape{0, 2}));
}

}  // namespace
}  // namespace inferd

namespace inferd {
namespace {

TEST(TopK, LargeInt64ValuesCompareExactly) {
  const int64_t big = int64_t{1} << 60;
  kernel_testing::SingleNodeGraph g("TopK", 11, {}, 2);
  auto out = g.Run({Tensor::FromVector<int64_t>({big, big + 1}, {2}), Tensor::FromVector<int64_t>({1}, {1})});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ((*out)[0].data<int64_t>()[0], big + 1);
  EXPECT_EQ((*out)[1].data<int64_t>()[0], 1);
}

}  // namespace
}  // namespace inferd
