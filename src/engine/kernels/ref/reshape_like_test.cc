#include <gtest/gtest.h>

#include "engine/kernels/ref/op_test_util.h"

namespace inferd {
namespace {

using namespace inferd::testing;

Tensor Iota(Shape shape) {
  std::vector<float> v(static_cast<size_t>(ShapeNumel(shape)));
  for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<float>(i);
  return Tensor::FromVector<float>(v, std::move(shape));
}

TEST(Reshape, ZeroCopiesDimAndMinusOneInfers) {
  Tensor x = Iota({2, 3, 4});
  auto out = RunOp("Reshape", 14, {In(x), In(Tensor::FromVector<int64_t>({0, -1}, {2}))});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ((*out)[0].shape(), (Shape{2, 12}));
  // A view: same storage as the input.
  EXPECT_EQ((*out)[0].raw(), x.raw());
}

TEST(Reshape, AllowZeroKeepsZero) {
  auto out = RunOp("Reshape", 14, {In(Iota({0, 3})), In(Tensor::FromVector<int64_t>({3, 0}, {2}))},
                   {{"allowzero", IntAttr(1)}});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ((*out)[0].shape(), (Shape{3, 0}));
}

TEST(Reshape, Errors) {
  auto count = RunOp("Reshape", 14, {In(Iota({2, 3})), In(Tensor::FromVector<int64_t>({4, 2}, {2}))});
  ASSERT_FALSE(count.ok());
  EXPECT_EQ(count.status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(Contains(count.status(), "[2,3]")) << count.status().message();
  auto two = RunOp("Reshape", 14, {In(Iota({2, 3})), In(Tensor::FromVector<int64_t>({-1, -1}, {2}))});
  EXPECT_TRUE(Contains(two.status(), "more than one -1"));
  auto neg = RunOp("Reshape", 14, {In(Iota({2, 3})), In(Tensor::FromVector<int64_t>({-2, 3}, {2}))});
  EXPECT_TRUE(Contains(neg.status(), "invalid dimension -2"));
  auto zero = RunOp("Reshape", 14, {In(Iota({6})), In(Tensor::FromVector<int64_t>({6, 0}, {2}))});
  EXPECT_TRUE(Contains(zero.status(), "copies an input dimension")) << zero.status().message();
}

TEST(Reshape, Strings) {
  auto x = Tensor::FromVector<std::string>({"a", "b", "c", "d"}, {4});
  auto out = RunOp("Reshape", 13, {In(x), In(Tensor::FromVector<int64_t>({2, 2}, {2}))});
  ASSERT_TRUE(out.ok());
  EXPECT_EQ((*out)[0].data<std::string>()[3], "d");
}

TEST(Flatten, AxisAndRange) {
  auto out = RunOp("Flatten", 13, {In(Iota({2, 3, 4}))}, {{"axis", IntAttr(-1)}});
  ASSERT_TRUE(out.ok());
  EXPECT_EQ((*out)[0].shape(), (Shape{6, 4}));
  auto zero = RunOp("Flatten", 13, {In(Iota({2, 3}))}, {{"axis", IntAttr(0)}});
  EXPECT_EQ((*zero)[0].shape(), (Shape{1, 6}));
  auto bad = RunOp("Flatten", 13, {In(Iota({2, 3}))}, {{"axis", IntAttr(3)}});
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
}

TEST(Squeeze, AttributeBefore13InputFrom13) {
  auto v11 = RunOp("Squeeze", 11, {In(Iota({1, 3, 1}))}, {{"axes", IntsAttr({-1})}});
  ASSERT_TRUE(v11.ok()) << v11.status().ToString();
  EXPECT_EQ((*v11)[0].shape(), (Shape{1, 3}));
  auto v13 = RunOp("Squeeze", 13, {In(Iota({1, 3, 1}))});
  EXPECT_EQ((*v13)[0].shape(), (Shape{3}));
  auto bad = RunOp("Squeeze", 13, {In(Iota({1, 3})), In(Tensor::FromVector<int64_t>({1}, {1}))});
  EXPECT_TRUE(Contains(bad.status(), "not 1")) << bad.status().message();
  auto range = RunOp("Squeeze", 13, {In(Iota({1, 3})), In(Tensor::FromVector<int64_t>({2}, {1}))});
  EXPECT_TRUE(Contains(range.status(), "out of range"));
}

TEST(Unsqueeze, AxesAgainstOutputRank) {
  auto out = RunOp("Unsqueeze", 13, {In(Iota({3, 4})), In(Tensor::FromVector<int64_t>({-1, 0}, {2}))});
  ASSERT_TRUE(out.ok());
  EXPECT_EQ((*out)[0].shape(), (Shape{1, 3, 4, 1}));
  auto v1 = RunOp("Unsqueeze", 11, {In(Iota({3}))}, {{"axes", IntsAttr({1})}});
  EXPECT_EQ((*v1)[0].shape(), (Shape{3, 1}));
  auto dup = RunOp("Unsqueeze", 13, {In(Iota({3})), In(Tensor::FromVector<int64_t>({0, 0}, {2}))});
  EXPECT_TRUE(Contains(dup.status(), "repeated"));
  auto missing = RunOp("Unsqueeze", 11, {In(Iota({3}))});
  EXPECT_FALSE(missing.ok());
}

TEST(ShapeAndSize, StartEndClamp) {
  auto out = RunOp("Shape", 15, {In(Iota({2, 3, 4}))}, {{"start", IntAttr(-2)}, {"end", IntAttr(10)}});
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(Values((*out)[0]), (std::vector<double>{3, 4}));
  auto empty = RunOp("Shape", 15, {In(Iota({2, 3}))}, {{"start", IntAttr(2)}, {"end", IntAttr(1)}});
  EXPECT_EQ((*empty)[0].numel(), 0);
  auto size = RunOp("Size", 13, {In(Iota({2, 3, 4}))});
  EXPECT_EQ((*size)[0].rank(), 0);
  EXPECT_EQ((*size)[0].data<int64_t>()[0], 24);
}

}  // namespace
}  // namespace inferd
