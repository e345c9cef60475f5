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
Tensor I64(std::vector<int64_t> v) {
  const int64_t n = static_cast<int64_t>(v.size());
  return Tensor::FromVector<int64_t>(v, {n});
}

TEST(Expand, BroadcastsBothWays) {
  auto out = RunOp("Expand", 13, {In(Iota({3, 1})), In(I64({2, 1, 2}))});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ((*out)[0].shape(), (Shape{2, 3, 2}));
  EXPECT_EQ(Values((*out)[0]), (std::vector<double>{0, 0, 1, 1, 2, 2, 0, 0, 1, 1, 2, 2}));
}

TEST(Expand, RejectsNegativeAndHugeShapes) {
  auto neg = RunOp("Expand", 13, {In(Iota({1})), In(I64({-4}))});
  EXPECT_TRUE(Contains(neg.status(), "negative")) << neg.status().message();
  auto huge = RunOp("Expand", 13, {In(Iota({1})), In(I64({int64_t{1} << 40, int64_t{1} << 40}))});
  EXPECT_EQ(huge.status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(Contains(huge.status(), "too large")) << huge.status().message();
}

TEST(Tile, BoolsAndStrings) {
  Tensor b = Tensor::Create(DType::kBool, {2}).value();
  b.data<bool>()[0] = true;
  b.data<bool>()[1] = false;
  auto out = RunOp("Tile", 13, {In(b), In(I64({2}))});
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(Values((*out)[0]), (std::vector<double>{1, 0, 1, 0}));
  auto s = RunOp("Expand", 13, {In(Tensor::FromVector<std::string>({"x"}, {1})), In(I64({3}))});
  ASSERT_TRUE(s.ok());
  EXPECT_EQ((*s)[0].data<std::string>()[2], "x");
}

TEST(Tile, RepeatsEachAxis) {
  auto out = RunOp("Tile", 13, {In(Iota({2})), In(I64({2}))});
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(Values((*out)[0]), (std::vector<double>{0, 1, 0, 1}));
  auto two = RunOp("Tile", 13, {In(Iota({1, 2})), In(I64({2, 2}))});
  EXPECT_EQ(Values((*two)[0]), (std::vector<double>{0, 1, 0, 1, 0, 1, 0, 1}));
  auto neg = RunOp("Tile", 13, {In(Iota({2})), In(I64({-1}))});
  EXPECT_TRUE(Contains(neg.status(), "negative"));
  auto rank = RunOp("Tile", 13, {In(Iota({2})), In(I64({1, 1}))});
  EXPECT_TRUE(Contains(rank.status(), "rank 1"));
  auto huge = RunOp("Tile", 13, {In(Iota({2})), In(I64({INT64_MAX / 2}))});
  EXPECT_EQ(huge.status().code(), StatusCode::kInvalidArgument);
}

TEST(Pad, Modes) {
  Tensor x = Iota({3});
  auto c = RunOp("Pad", 13, {In(x), In(I64({2, 1})), In(Tensor::Scalar<float>(-1))});
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(Values((*c)[0]), (std::vector<double>{-1, -1, 0, 1, 2, -1}));
  auto r = RunOp("Pad", 13, {In(x), In(I64({2, 2}))}, {{"mode", StringAttr("reflect")}});
  EXPECT_EQ(Values((*r)[0]), (std::vector<double>{2, 1, 0, 1, 2, 1, 0}));
  auto e = RunOp("Pad", 13, {In(x), In(I64({1, 2}))}, {{"mode", StringAttr("edge")}});
  EXPECT_EQ(Values((*e)[0]), (std::vector<double>{0, 0, 1, 2, 2, 2}));
  auto crop = RunOp("Pad", 13, {In(x), In(I64({-1, 0}))});
  EXPECT_EQ(Values((*crop)[0]), (std::vector<double>{1, 2}));
  auto v2 = RunOp("Pad", 2, {In(Iota({1, 1}))}, {{"pads", IntsAttr({0, 1, 0, 0})}, {"value", FloatAttr(7)}});
  ASSERT_TRUE(v2.ok()) << v2.status().ToString();
  EXPECT_EQ(Values((*v2)[0]), (std::vector<double>{7, 0}));
}

TEST(Pad, ConstantCropsAndPadsIn2DWithStrings) {
  // [2,3] -> drop the first column, add a row above and a column at the end.
  auto out = RunOp("Pad", 13, {In(Iota({2, 3})), In(I64({1, -1, 0, 1})), In(Tensor::Scalar<float>(9))});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ((*out)[0].shape(), (Shape{3, 3}));
  EXPECT_EQ(Values((*out)[0]), (std::vector<double>{9, 9, 9, 1, 2, 9, 4, 5, 9}));
  auto s = RunOp("Pad", 13, {In(Tensor::FromVector<std::string>({"a", "b"}, {2})), In(I64({1, 0}))},
                 {{"mode", StringAttr("edge")}});
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ((*s)[0].data<std::string>()[0], "a");
  EXPECT_EQ((*s)[0].data<std::string>()[2], "b");
  auto w = RunOp("Pad", 19, {In(Iota({3})), In(I64({2, 1}))}, {{"mode", StringAttr("wrap")}});
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  EXPECT_EQ(Values((*w)[0]), (std::vector<double>{1, 2, 0, 1, 2, 0}));
}

TEST(Pad, Errors) {
  auto len = RunOp("Pad", 13, {In(Iota({3})), In(I64({1}))});
  EXPECT_TRUE(Contains(len.status(), "must have 2 entries")) << len.status().message();
  auto crop = RunOp("Pad", 13, {In(Iota({3})), In(I64({-2, -2}))});
  EXPECT_EQ(crop.status().code(), StatusCode::kInvalidArgument);
  auto huge = RunOp("Pad", 13, {In(Iota({3})), In(I64({INT64_MIN, INT64_MAX}))});
  EXPECT_TRUE(Contains(huge.status(), "too large")) << huge.status().message();
  auto mode = RunOp("Pad", 13, {In(Iota({3})), In(I64({1, 1}))}, {{"mode", StringAttr("mirror")}});
  EXPECT_EQ(mode.status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace inferd
