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
Tensor I64(std::vector<int64_t> v, Shape shape) { return Tensor::FromVector<int64_t>(v, std::move(shape)); }

TEST(Gather, Axis1WithNegativeIndex) {
  auto out = RunOp("Gather", 13, {In(Iota({2, 3})), In(I64({-1, 0}, {2}))}, {{"axis", IntAttr(1)}});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ((*out)[0].shape(), (Shape{2, 2}));
  EXPECT_EQ(Values((*out)[0]), (std::vector<double>{2, 0, 5, 3}));
}

TEST(Gather, OutOfRangeNamesIndexAndRange) {
  auto out = RunOp("Gather", 13, {In(Iota({2, 3})), In(I64({3}, {1}))}, {{"axis", IntAttr(1)}});
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(Contains(out.status(), "3 is out of range [-3, 2]")) << out.status().message();
  auto scalar = RunOp("Gather", 13, {In(Tensor::FromVector<std::string>({"a", "b"}, {2})), In(I64({1}, {}))});
  ASSERT_TRUE(scalar.ok());
  EXPECT_EQ((*scalar)[0].rank(), 0);
  EXPECT_EQ((*scalar)[0].data<std::string>()[0], "b");
}

TEST(GatherElements, PicksAlongAxis) {
  auto out = RunOp("GatherElements", 13, {In(Iota({2, 2})), In(I64({0, 0, 1, 0}, {2, 2}))}, {{"axis", IntAttr(1)}});
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(Values((*out)[0]), (std::vector<double>{0, 0, 3, 2}));
  auto bad = RunOp("GatherElements", 13, {In(Iota({2, 2})), In(I64({0, 2}, {1, 2}))}, {{"axis", IntAttr(1)}});
  EXPECT_TRUE(Contains(bad.status(), "out of range")) << bad.status().message();
  auto rank = RunOp("GatherElements", 13, {In(Iota({2, 2})), In(I64({0}, {1}))});
  EXPECT_TRUE(Contains(rank.status(), "rank"));
}

TEST(GatherND, BatchDims) {
  // data [2,2,2]; per batch pick row indices.
  auto out = RunOp("GatherND", 13, {In(Iota({2, 2, 2})), In(I64({1, 0}, {2, 1}))}, {{"batch_dims", IntAttr(1)}});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ((*out)[0].shape(), (Shape{2, 2}));
  EXPECT_EQ(Values((*out)[0]), (std::vector<double>{2, 3, 4, 5}));
  auto bad = RunOp("GatherND", 13, {In(Iota({2, 2})), In(I64({0, 5}, {1, 2}))});
  EXPECT_TRUE(Contains(bad.status(), "5 is out of range [-2, 1]")) << bad.status().message();
}

TEST(ScatterElements, ReductionAddWithDuplicates) {
  auto out = RunOp("ScatterElements", 16,
                   {In(Iota({1, 3})), In(I64({1, 1}, {1, 2})), In(Tensor::FromVector<float>({10, 20}, {1, 2}))},
                   {{"axis", IntAttr(1)}, {"reduction", StringAttr("add")}});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(Values((*out)[0]), (std::vector<double>{0, 31, 2}));
  auto none = RunOp("Scatter", 10,
                    {In(Iota({3})), In(I64({-1}, {1})), In(Tensor::FromVector<float>({9}, {1}))});
  ASSERT_TRUE(none.ok()) << none.status().ToString();
  EXPECT_EQ(Values((*none)[0]), (std::vector<double>{0, 1, 9}));
  auto bad = RunOp("ScatterElements", 16,
                   {In(Iota({3})), In(I64({3}, {1})), In(Tensor::FromVector<float>({9}, {1}))});
  EXPECT_TRUE(Contains(bad.status(), "out of range")) << bad.status().message();
  auto red = RunOp("ScatterElements", 16, {In(Iota({3})), In(I64({0}, {1})), In(Tensor::FromVector<float>({9}, {1}))},
                   {{"reduction", StringAttr("avg")}});
  EXPECT_EQ(red.status().code(), StatusCode::kInvalidArgument);
}

TEST(ScatterND, SlicesAndMul) {
  auto out = RunOp("ScatterND", 16,
                   {In(Iota({2, 2})), In(I64({1}, {1, 1})), In(Tensor::FromVector<float>({2, 3}, {1, 2}))},
                   {{"reduction", StringAttr("mul")}});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(Values((*out)[0]), (std::vector<double>{0, 1, 4, 9}));
  auto shape = RunOp("ScatterND", 16,
                     {In(Iota({2, 2})), In(I64({1}, {1, 1})), In(Tensor::FromVector<float>({2}, {1, 1}))});
  EXPECT_TRUE(Contains(shape.status(), "expected [1,2]")) << shape.status().message();
  auto idx = RunOp("ScatterND", 16,
                   {In(Iota({2, 2})), In(I64({-3}, {1, 1})), In(Tensor::FromVector<float>({2, 3}, {1, 2}))});
  EXPECT_TRUE(Contains(idx.status(), "-3 is out of range")) << idx.status().message();
}

}  // namespace
}  // namespace inferd
