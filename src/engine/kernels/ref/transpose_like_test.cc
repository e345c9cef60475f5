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

TEST(Transpose, DefaultReversesAxes) {
  auto out = RunOp("Transpose", 13, {In(Iota({2, 3}))});
  ASSERT_TRUE(out.ok());
  EXPECT_EQ((*out)[0].shape(), (Shape{3, 2}));
  EXPECT_EQ(Values((*out)[0]), (std::vector<double>{0, 3, 1, 4, 2, 5}));
}

TEST(Transpose, PermOf3DAndStrings) {
  auto out = RunOp("Transpose", 13, {In(Iota({2, 1, 3}))}, {{"perm", IntsAttr({2, 0, 1})}});
  ASSERT_TRUE(out.ok());
  EXPECT_EQ((*out)[0].shape(), (Shape{3, 2, 1}));
  EXPECT_EQ(Values((*out)[0]), (std::vector<double>{0, 3, 1, 4, 2, 5}));
  auto s = RunOp("Transpose", 13, {In(Tensor::FromVector<std::string>({"a", "b", "c", "d"}, {2, 2}))});
  ASSERT_TRUE(s.ok());
  EXPECT_EQ((*s)[0].data<std::string>()[1], "c");
}

TEST(Transpose, BadPermIsInvalidArgument) {
  auto dup = RunOp("Transpose", 13, {In(Iota({2, 3}))}, {{"perm", IntsAttr({0, 0})}});
  EXPECT_TRUE(Contains(dup.status(), "not a permutation"));
  auto len = RunOp("Transpose", 13, {In(Iota({2, 3}))}, {{"perm", IntsAttr({0, 1, 2})}});
  EXPECT_EQ(len.status().code(), StatusCode::kInvalidArgument);
}

TEST(DepthToSpace, DcrAndCrdDiffer) {
  // 1x4x1x1: channels c0..c3 become a 2x2 block.
  auto dcr = RunOp("DepthToSpace", 13, {In(Iota({1, 4, 1, 1}))}, {{"blocksize", IntAttr(2)}});
  ASSERT_TRUE(dcr.ok()) << dcr.status().ToString();
  EXPECT_EQ((*dcr)[0].shape(), (Shape{1, 1, 2, 2}));
  EXPECT_EQ(Values((*dcr)[0]), (std::vector<double>{0, 1, 2, 3}));
  // 1x8x1x1 with two output channels: DCR interleaves, CRD keeps channel groups together.
  auto d8 = RunOp("DepthToSpace", 13, {In(Iota({1, 8, 1, 1}))}, {{"blocksize", IntAttr(2)}});
  EXPECT_EQ(Values((*d8)[0]), (std::vector<double>{0, 2, 4, 6, 1, 3, 5, 7}));
  auto c8 = RunOp("DepthToSpace", 13, {In(Iota({1, 8, 1, 1}))},
                  {{"blocksize", IntAttr(2)}, {"mode", StringAttr("CRD")}});
  EXPECT_EQ(Values((*c8)[0]), (std::vector<double>{0, 1, 2, 3, 4, 5, 6, 7}));
  auto bad = RunOp("DepthToSpace", 13, {In(Iota({1, 3, 1, 1}))}, {{"blocksize", IntAttr(2)}});
  EXPECT_TRUE(Contains(bad.status(), "divisible"));
  auto huge = RunOp("DepthToSpace", 13, {In(Iota({1, 4, 1, 1}))}, {{"blocksize", IntAttr(int64_t{1} << 40)}});
  EXPECT_EQ(huge.status().code(), StatusCode::kInvalidArgument);
}

TEST(SpaceToDepth, InvertsDepthToSpaceDcr) {
  Tensor x = Iota({1, 2, 4, 6});
  auto s2d = RunOp("SpaceToDepth", 13, {In(x)}, {{"blocksize", IntAttr(2)}});
  ASSERT_TRUE(s2d.ok());
  EXPECT_EQ((*s2d)[0].shape(), (Shape{1, 8, 2, 3}));
  auto back = RunOp("DepthToSpace", 13, {In((*s2d)[0])}, {{"blocksize", IntAttr(2)}});
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(Values((*back)[0]), Values(x));
  auto bad = RunOp("SpaceToDepth", 13, {In(Iota({1, 1, 3, 4}))}, {{"blocksize", IntAttr(2)}});
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  auto rank = RunOp("SpaceToDepth", 13, {In(Iota({4, 4}))}, {{"blocksize", IntAttr(2)}});
  EXPECT_TRUE(Contains(rank.status(), "4-D"));
}

}  // namespace
}  // namespace inferd
