#include <gtest/gtest.h>

#include "engine/kernels/ref/op_test_util.h"

namespace inferd {
namespace {

using namespace inferd::testing;

Tensor F32(std::vector<float> v, Shape shape) { return Tensor::FromVector<float>(v, std::move(shape)); }
Tensor I64(std::vector<int64_t> v) {
  const int64_t n = static_cast<int64_t>(v.size());
  return Tensor::FromVector<int64_t>(v, {n});
}

void ExpectNear(const Tensor& t, const std::vector<double>& want) {
  ASSERT_EQ(t.numel(), static_cast<int64_t>(want.size()));
  for (size_t i = 0; i < want.size(); ++i) EXPECT_NEAR(t.GetAsDouble(static_cast<int64_t>(i)), want[i], 1e-5) << i;
}

TEST(Resize, NearestUpsampleByScales) {
  auto out = RunOp("Resize", 13, {In(F32({1, 2}, {1, 2})), Omitted(), In(F32({1, 2}, {2}))});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ((*out)[0].shape(), (Shape{1, 4}));
  ExpectNear((*out)[0], {1, 1, 2, 2});
}

TEST(Resize, LinearHalfPixelAndAlignCorners) {
  // half_pixel, 2 -> 4: coordinates -0.25, 0.25, 0.75, 1.25 clamp at the edges.
  auto hp = RunOp("Resize", 13, {In(F32({0, 4}, {2})), Omitted(), In(F32({2}, {1}))}, {{"mode", StringAttr("linear")}});
  ASSERT_TRUE(hp.ok()) << hp.status().ToString();
  ExpectNear((*hp)[0], {0, 1, 3, 4});
  auto ac = RunOp("Resize", 13, {In(F32({0, 3}, {2})), Omitted(), Omitted(), In(I64({4}))},
                  {{"mode", StringAttr("linear")}, {"coordinate_transformation_mode", StringAttr("align_corners")}});
  ASSERT_TRUE(ac.ok()) << ac.status().ToString();
  ExpectNear((*ac)[0], {0, 1, 2, 3});
}

TEST(Resize, CubicIsExactOnConstants) {
  auto out = RunOp("Resize", 13, {In(F32({5, 5, 5}, {3})), Omitted(), In(F32({1.7f}, {1}))}, {{"mode", StringAttr("cubic")}});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ((*out)[0].shape(), (Shape{5}));
  ExpectNear((*out)[0], {5, 5, 5, 5, 5});
}

TEST(Resize, TfCropAndResizeExtrapolates) {
  // roi [0.5, 1.5] on 3 samples: coordinates 1, 2, 3 -> the last is outside.
  auto out = RunOp("Resize", 13, {In(F32({0, 10, 20}, {3})), In(F32({0.5f, 1.5f}, {2})), Omitted(), In(I64({3}))},
                   {{"mode", StringAttr("linear")},
                    {"coordinate_transformation_mode", StringAttr("tf_crop_and_resize")},
                    {"extrapolation_value", FloatAttr(-1)}});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ExpectNear((*out)[0], {10, 20, -1});
}

TEST(Resize, Opset10AndUpsampleUseAsymmetricFloor) {
  auto r10 = RunOp("Resize", 10, {In(F32({1, 2, 3}, {3})), In(F32({2}, {1}))});
  ASSERT_TRUE(r10.ok()) << r10.status().ToString();
  ExpectNear((*r10)[0], {1, 1, 2, 2, 3, 3});
  auto up7 = RunOp("Upsample", 7, {In(F32({1, 2}, {1, 2}))}, {{"scales", FloatsAttr({2, 1.5f})}});
  ASSERT_TRUE(up7.ok()) << up7.status().ToString();
  EXPECT_EQ((*up7)[0].shape(), (Shape{2, 3}));
  ExpectNear((*up7)[0], {1, 1, 2, 1, 1, 2});
  auto up9 = RunOp("Upsample", 9, {In(F32({0, 4}, {2})), In(F32({2}, {1}))}, {{"mode", StringAttr("linear")}});
  ASSERT_TRUE(up9.ok()) << up9.status().ToString();
  ExpectNear((*up9)[0], {0, 2, 4, 4});
}

TEST(Resize, IntegerDataRoundsAndSaturates) {
  auto out = RunOp("Resize", 13, {In(Tensor::FromVector<uint8_t>({0, 255}, {2})), Omitted(), In(F32({2}, {1}))},
                   {{"mode", StringAttr("linear")}});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(Values((*out)[0]), (std::vector<double>{0, 64, 191, 255}));
}

TEST(Resize, Errors) {
  auto len = RunOp("Resize", 13, {In(F32({1, 2}, {2})), Omitted(), In(F32({2, 2}, {2}))});
  EXPECT_TRUE(Contains(len.status(), "rank 1")) << len.status().message();
  auto neg = RunOp("Resize", 13, {In(F32({1, 2}, {2})), Omitted(), Omitted(), In(I64({-3}))});
  EXPECT_TRUE(Contains(neg.status(), "negative"));
  auto zero = RunOp("Resize", 13, {In(F32({1, 2}, {2})), Omitted(), In(F32({0}, {1}))});
  EXPECT_TRUE(Contains(zero.status(), "positive"));
  auto huge = RunOp("Resize", 13, {In(F32({1, 2}, {2})), Omitted(), In(F32({1e30f}, {1}))});
  EXPECT_EQ(huge.status().code(), StatusCode::kInvalidArgument);
  auto none = RunOp("Resize", 13, {In(F32({1, 2}, {2}))});
  EXPECT_TRUE(Contains(none.status(), "scales"));
  auto mode = RunOp("Resize", 13, {In(F32({1, 2}, {2})), Omitted(), In(F32({2}, {1}))}, {{"mode", StringAttr("area")}});
  EXPECT_EQ(mode.status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace inferd
