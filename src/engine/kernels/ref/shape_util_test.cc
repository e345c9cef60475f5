#include "engine/kernels/ref/shape_util.h"

#include <gtest/gtest.h>

namespace inferd::ref {
namespace {

TEST(ShapeUtil, StridedCopyReversesAndBroadcasts) {
  Tensor src = Tensor::FromVector<int32_t>({1, 2, 3}, {3});
  Tensor dst = Tensor::Create(DType::kInt32, {2, 3}).value();
  // Row 0 and row 1 both read src backwards (stride 0 over rows, -1 over columns).
  ASSERT_TRUE(StridedCopy(src, {2, {0, -1}}, dst, DenseView({2, 3}), {2, 3}, "test").ok());
  const int32_t want[] = {3, 2, 1, 3, 2, 1};
  for (int i = 0; i < 6; ++i) EXPECT_EQ(dst.data<int32_t>()[i], want[i]);
}

TEST(ShapeUtil, StridedCopyStringsAndScalars) {
  Tensor src = Tensor::FromVector<std::string>({"a", "b"}, {2});
  Tensor dst = Tensor::Create(DType::kString, {2}).value();
  ASSERT_TRUE(StridedCopy(src, {1, {-1}}, dst, DenseView({2}), {2}, "test").ok());
  EXPECT_EQ(dst.data<std::string>()[0], "b");
  EXPECT_EQ(dst.data<std::string>()[1], "a");
  Tensor s = Tensor::Scalar<double>(2.5), d = Tensor::Create(DType::kFloat64, {}).value();
  ASSERT_TRUE(StridedCopy(s, {0, {}}, d, {0, {}}, {}, "test").ok());
  EXPECT_EQ(d.data<double>()[0], 2.5);
}

TEST(ShapeUtil, CheckIndexNamesRange) {
  EXPECT_EQ(CheckIndex(-1, 4, "index").value(), 3);
  auto bad = CheckIndex(4, 4, "index along axis 0");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(), "index along axis 0 4 is out of range [-4, 3]");
  EXPECT_FALSE(CheckIndex(0, 0, "index").ok());
}

TEST(ShapeUtil, NormalizeAxesRejectsRepeatsAndRange) {
  EXPECT_EQ(NormalizeAxes({-1, 0}, 3).value(), (std::vector<int64_t>{2, 0}));
  EXPECT_FALSE(NormalizeAxes({1, -2}, 3).ok());
  EXPECT_FALSE(NormalizeAxes({3}, 3).ok());
}

TEST(ShapeUtil, CheckComputedShapeBoundsSize) {
  EXPECT_TRUE(CheckComputedShape({2, 0, 5}, DType::kFloat32, "shape").ok());
  EXPECT_FALSE(CheckComputedShape({2, -1}, DType::kFloat32, "shape").ok());
  EXPECT_FALSE(CheckComputedShape({int64_t{1} << 32, int64_t{1} << 32}, DType::kUint8, "shape").ok());
  EXPECT_FALSE(CheckComputedShape({kMaxTensorBytes / 4 + 1}, DType::kFloat32, "shape").ok());
  EXPECT_TRUE(CheckComputedShape({kMaxTensorBytes / 4}, DType::kFloat32, "shape").ok());
}

}  // namespace
}  // namespace inferd::ref
