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
Tensor Bools(std::vector<bool> v) {
  Tensor t = Tensor::Create(DType::kBool, {static_cast<int64_t>(v.size())}).value();
  for (size_t i = 0; i < v.size(); ++i) t.data<bool>()[i] = v[i];
  return t;
}

TEST(Compress, AxisAndFlattened) {
  auto out = RunOp("Compress", 11, {In(Iota({3, 2})), In(Bools({false, true}))}, {{"axis", IntAttr(-1)}});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(Values((*out)[0]), (std::vector<double>{1, 3, 5}));
  auto flat = RunOp("Compress", 11, {In(Iota({2, 2})), In(Bools({true, false, false, true}))});
  EXPECT_EQ(Values((*flat)[0]), (std::vector<double>{0, 3}));
  auto longer = RunOp("Compress", 11, {In(Iota({2})), In(Bools({false, false, true}))}, {{"axis", IntAttr(0)}});
  EXPECT_TRUE(Contains(longer.status(), "selects entry 2")) << longer.status().message();
}

TEST(NonZero, CoordinatesPerDimension) {
  auto out = RunOp("NonZero", 13, {In(Tensor::FromVector<float>({0, 2, 3, 0}, {2, 2}))});
  ASSERT_TRUE(out.ok());
  EXPECT_EQ((*out)[0].shape(), (Shape{2, 2}));
  EXPECT_EQ(Values((*out)[0]), (std::vector<double>{0, 1, 1, 0}));
}

TEST(Trilu, UpperLowerWithK) {
  auto up = RunOp("Trilu", 14, {In(Iota({3, 3}))});
  ASSERT_TRUE(up.ok()) << up.status().ToString();
  EXPECT_EQ(Values((*up)[0]), (std::vector<double>{0, 1, 2, 0, 4, 5, 0, 0, 8}));
  auto low = RunOp("Trilu", 14, {In(Iota({2, 3})), In(Tensor::Scalar<int64_t>(-1))}, {{"upper", IntAttr(0)}});
  EXPECT_EQ(Values((*low)[0]), (std::vector<double>{0, 0, 0, 3, 0, 0}));
  auto huge = RunOp("Trilu", 14, {In(Iota({2, 2})), In(Tensor::Scalar<int64_t>(INT64_MIN))});
  EXPECT_EQ(Values((*huge)[0]), (std::vector<double>{0, 1, 2, 3}));
  auto rank = RunOp("Trilu", 14, {In(Iota({3}))});
  EXPECT_EQ(rank.status().code(), StatusCode::kInvalidArgument);
}

TEST(ReverseSequence, PerBatchLengths) {
  // time_axis 0, batch_axis 1: [T=3, B=2].
  auto out = RunOp("ReverseSequence", 10, {In(Iota({3, 2})), In(Tensor::FromVector<int64_t>({3, 1}, {2}))});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(Values((*out)[0]), (std::vector<double>{4, 1, 2, 3, 0, 5}));
  auto bad = RunOp("ReverseSequence", 10, {In(Iota({3, 2})), In(Tensor::FromVector<int64_t>({4, 1}, {2}))});
  EXPECT_TRUE(Contains(bad.status(), "out of range [0, 3]")) << bad.status().message();
}

TEST(CumSum, ExclusiveReverse) {
  Tensor x = Tensor::FromVector<double>({1, 2, 3}, {3});
  Tensor axis = Tensor::Scalar<int32_t>(0);
  auto plain = RunOp("CumSum", 14, {In(x), In(axis)});
  ASSERT_TRUE(plain.ok()) << plain.status().ToString();
  EXPECT_EQ(Values((*plain)[0]), (std::vector<double>{1, 3, 6}));
  auto both = RunOp("CumSum", 14, {In(x), In(axis)}, {{"exclusive", IntAttr(1)}, {"reverse", IntAttr(1)}});
  EXPECT_EQ(Values((*both)[0]), (std::vector<double>{5, 3, 0}));
  auto bad = RunOp("CumSum", 14, {In(x), In(Tensor::Scalar<int32_t>(1))});
  EXPECT_TRUE(Contains(bad.status(), "out of range"));
}

}  // namespace
}  // namespace inferd
