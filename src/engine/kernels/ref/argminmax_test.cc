#include <gtest/gtest.h>

#include "engine/kernels/ref/single_node_graph.h"

namespace inferd {
namespace {

using kernel_testing::IntAttr;
using kernel_testing::SingleNodeGraph;

TEST(ArgMinMax, ArgMaxAxis1KeepDims) {
  SingleNodeGraph g("ArgMax", 13, {{"axis", IntAttr(1)}});
  auto out = g.Run({Tensor::FromVector<float>({1, 5, 5, 9, 2, 3}, {2, 3})});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ((*out)[0].dtype(), DType::kInt64);
  EXPECT_EQ((*out)[0].shape(), (Shape{2, 1}));
  EXPECT_EQ((*out)[0].data<int64_t>()[0], 1);  // first of the tied 5s
  EXPECT_EQ((*out)[0].data<int64_t>()[1], 0);
}

TEST(ArgMinMax, SelectLastIndexAndNoKeepDims) {
  SingleNodeGraph g("ArgMax", 13, {{"axis", IntAttr(-1)}, {"keepdims", IntAttr(0)}, {"select_last_index", IntAttr(1)}});
  auto out = g.Run({Tensor::FromVector<int32_t>({1, 5, 5}, {3})});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ((*out)[0].shape(), Shape{});
  EXPECT_EQ((*out)[0].data<int64_t>()[0], 2);
}

TEST(ArgMinMax, ArgMinAxis0) {
  SingleNodeGraph g("ArgMin", 13);
  auto out = g.Run({Tensor::FromVector<double>({3, 1, 2, 4}, {2, 2})});
  ASSERT_TRUE(out.ok());
  EXPECT_EQ((*out)[0].shape(), (Shape{1, 2}));
  EXPECT_EQ((*out)[0].data<int64_t>()[0], 1);
  EXPECT_EQ((*out)[0].data<int64_t>()[1], 0);
}

TEST(ArgMinMax, BadAxisAndEmptyAxisAreErrors) {
  SingleNodeGraph g("ArgMax", 13, {{"axis", IntAttr(2)}});
  auto out = g.Run({Tensor::FromVector<float>({1, 2}, {1, 2})});
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), StatusCode::kInvalidArgument);
  SingleNodeGraph e("ArgMax", 13, {{"axis", IntAttr(1)}});
  out = e.Run({Tensor::Create(DType::kFloat32, {2, 0}).value()});
  ASSERT_FALSE(out.ok());
  EXPECT_NE(out.status().message().find("empty"), std::string::npos) << out.status().message();
}

}  // namespace
}  // namespace inferd

namespace inferd {
namespace {

TEST(ArgMinMax, LargeInt64ValuesCompareExactly) {
  // 2^60 and 2^60 + 1 are equal as doubles; they must not tie.
  const int64_t big = int64_t{1} << 60;
  kernel_testing::SingleNodeGraph g("ArgMax", 13, {{"keepdims", kernel_testing::IntAttr(0)}});
  auto out = g.Run({Tensor::FromVector<int64_t>({big, big + 1, big}, {3})});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ((*out)[0].data<int64_t>()[0], 1);
}

}  // namespace
}  // namespace inferd
