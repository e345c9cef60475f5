#include <gtest/gtest.h>

#include "engine/kernels/ref/op_test_util.h"

namespace inferd {
namespace {

using namespace inferd::testing;

Tensor I64(std::vector<int64_t> v) {
  const int64_t n = static_cast<int64_t>(v.size());
  return Tensor::FromVector<int64_t>(v, {n});
}

TEST(ConstantOfShape, FillsWithValueType) {
  auto out = RunOp("ConstantOfShape", 9, {In(I64({2, 2}))}, {{"value", TensorAttr(Tensor::FromVector<int32_t>({7}, {1}))}});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ((*out)[0].dtype(), DType::kInt32);
  EXPECT_EQ(Values((*out)[0]), (std::vector<double>{7, 7, 7, 7}));
  auto def = RunOp("ConstantOfShape", 9, {In(I64({0}))});
  ASSERT_TRUE(def.ok());
  EXPECT_EQ((*def)[0].dtype(), DType::kFloat32);
  EXPECT_EQ((*def)[0].shape(), (Shape{0}));
}

TEST(ConstantOfShape, RejectsNegativeAndHugeShapes) {
  auto neg = RunOp("ConstantOfShape", 9, {In(I64({2, -1}))});
  EXPECT_TRUE(Contains(neg.status(), "negative")) << neg.status().message();
  auto huge = RunOp("ConstantOfShape", 9, {In(I64({int64_t{1} << 31, int64_t{1} << 31}))});
  EXPECT_EQ(huge.status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(Contains(huge.status(), "too large")) << huge.status().message();
}

TEST(Range, CountsAndSigns) {
  auto f = RunOp("Range", 11, {In(Tensor::Scalar<float>(1)), In(Tensor::Scalar<float>(2)), In(Tensor::Scalar<float>(0.25f))});
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_EQ(Values((*f)[0]), (std::vector<double>{1, 1.25, 1.5, 1.75}));
  auto i = RunOp("Range", 11, {In(Tensor::Scalar<int32_t>(10)), In(Tensor::Scalar<int32_t>(4)), In(Tensor::Scalar<int32_t>(-3))});
  EXPECT_EQ(Values((*i)[0]), (std::vector<double>{10, 7}));
  auto none = RunOp("Range", 11, {In(Tensor::Scalar<int64_t>(0)), In(Tensor::Scalar<int64_t>(-1)), In(Tensor::Scalar<int64_t>(2))});
  EXPECT_EQ((*none)[0].numel(), 0);
}

TEST(Range, HugeCountFailsWithoutAllocating) {
  auto huge = RunOp("Range", 11,
                    {In(Tensor::Scalar<int64_t>(INT64_MIN)), In(Tensor::Scalar<int64_t>(INT64_MAX)), In(Tensor::Scalar<int64_t>(1))});
  ASSERT_FALSE(huge.ok());
  EXPECT_TRUE(Contains(huge.status(), "too large")) << huge.status().message();
  auto fl = RunOp("Range", 11, {In(Tensor::Scalar<float>(0)), In(Tensor::Scalar<float>(1e30f)), In(Tensor::Scalar<float>(1e-30f))});
  EXPECT_FALSE(fl.ok());
  auto zero = RunOp("Range", 11, {In(Tensor::Scalar<float>(0)), In(Tensor::Scalar<float>(1)), In(Tensor::Scalar<float>(0))});
  EXPECT_TRUE(Contains(zero.status(), "delta"));
}

TEST(EyeLike, OffsetDiagonalAndDtype) {
  auto out = RunOp("EyeLike", 9, {In(Tensor::FromVector<int32_t>({0, 0, 0, 0, 0, 0}, {2, 3}))},
                   {{"k", IntAttr(1)}, {"dtype", IntAttr(static_cast<int64_t>(DType::kFloat64))}});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ((*out)[0].dtype(), DType::kFloat64);
  EXPECT_EQ(Values((*out)[0]), (std::vector<double>{0, 1, 0, 0, 0, 1}));
  auto rank = RunOp("EyeLike", 9, {In(Tensor::FromVector<float>({0}, {1}))});
  EXPECT_EQ(rank.status().code(), StatusCode::kInvalidArgument);
}

TEST(OneHot, AxisNegativeAndOutOfRangeIndices) {
  // Indices 1, -1 (=2), 5 (out of range: all off) with depth 3, axis 0.
  auto out = RunOp("OneHot", 11,
                   {In(I64({1, -1, 5})), In(Tensor::Scalar<float>(3)), In(Tensor::FromVector<float>({0, 9}, {2}))},
                   {{"axis", IntAttr(0)}});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ((*out)[0].shape(), (Shape{3, 3}));
  EXPECT_EQ(Values((*out)[0]), (std::vector<double>{0, 0, 0, 9, 0, 0, 0, 9, 0}));
  auto depth = RunOp("OneHot", 11,
                     {In(I64({1})), In(Tensor::Scalar<int64_t>(0)), In(Tensor::FromVector<float>({0, 1}, {2}))});
  EXPECT_TRUE(Contains(depth.status(), "depth must be positive"));
  auto values = RunOp("OneHot", 11,
                      {In(I64({1})), In(Tensor::Scalar<int64_t>(2)), In(Tensor::FromVector<float>({0}, {1}))});
  EXPECT_EQ(values.status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace inferd
