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

TEST(Slice, NegativeStepsAndClamping) {
  // Rows reversed, columns 1.. to the end (end far past the dimension).
  auto out = RunOp("Slice", 13, {In(Iota({3, 4})), In(I64({-1, 1})), In(I64({INT64_MIN, 1000})), In(I64({0, 1})),
                                 In(I64({-1, 2}))});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ((*out)[0].shape(), (Shape{3, 2}));
  EXPECT_EQ(Values((*out)[0]), (std::vector<double>{9, 11, 5, 7, 1, 3}));
}

TEST(Slice, AttributesBeforeOpset10) {
  auto out = RunOp("Slice", 9, {In(Iota({3, 4}))},
                   {{"starts", IntsAttr({1})}, {"ends", IntsAttr({3})}, {"axes", IntsAttr({1})}});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(Values((*out)[0]), (std::vector<double>{1, 2, 5, 6, 9, 10}));
}

TEST(Slice, EmptyResultAndErrors) {
  auto empty = RunOp("Slice", 13, {In(Iota({4})), In(I64({3})), In(I64({1}))});
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ((*empty)[0].shape(), (Shape{0}));
  auto step0 = RunOp("Slice", 13, {In(Iota({4})), In(I64({0})), In(I64({2})), In(I64({0})), In(I64({0}))});
  EXPECT_TRUE(Contains(step0.status(), "step"));
  auto axis = RunOp("Slice", 13, {In(Iota({4})), In(I64({0})), In(I64({2})), In(I64({1}))});
  EXPECT_TRUE(Contains(axis.status(), "out of range"));
  auto lens = RunOp("Slice", 13, {In(Iota({4})), In(I64({0, 1})), In(I64({2}))});
  EXPECT_TRUE(Contains(lens.status(), "same length"));
}

TEST(Concat, MiddleAxisAndEmptyInput) {
  auto out = RunOp("Concat", 13, {In(Iota({2, 1})), In(Iota({2, 0})), In(Iota({2, 2}))}, {{"axis", IntAttr(-1)}});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ((*out)[0].shape(), (Shape{2, 3}));
  EXPECT_EQ(Values((*out)[0]), (std::vector<double>{0, 0, 1, 1, 2, 3}));
}

TEST(Concat, MismatchNamesInputs) {
  auto out = RunOp("Concat", 13, {In(Iota({2, 2})), In(Iota({3, 2}))}, {{"axis", IntAttr(1)}});
  ASSERT_FALSE(out.ok());
  EXPECT_TRUE(Contains(out.status(), "input 1")) << out.status().message();
  auto strs = RunOp("Concat", 13,
                    {In(Tensor::FromVector<std::string>({"a"}, {1})), In(Tensor::FromVector<std::string>({"b"}, {1}))},
                    {{"axis", IntAttr(0)}});
  ASSERT_TRUE(strs.ok());
  EXPECT_EQ((*strs)[0].data<std::string>()[1], "b");
}

TEST(Split, EqualVariableAndErrors) {
  auto eq = RunOp("Split", 13, {In(Iota({2, 4}))}, {{"axis", IntAttr(1)}}, 2);
  ASSERT_TRUE(eq.ok()) << eq.status().ToString();
  EXPECT_EQ(Values((*eq)[1]), (std::vector<double>{2, 3, 6, 7}));
  auto var = RunOp("Split", 13, {In(Iota({5})), In(I64({1, 0, 4}))}, {}, 3);
  ASSERT_TRUE(var.ok());
  EXPECT_EQ((*var)[1].shape(), (Shape{0}));
  EXPECT_EQ(Values((*var)[2]), (std::vector<double>{1, 2, 3, 4}));
  auto v11 = RunOp("Split", 11, {In(Iota({3}))}, {{"split", IntsAttr({2, 1})}}, 2);
  ASSERT_TRUE(v11.ok());
  EXPECT_EQ(Values((*v11)[1]), (std::vector<double>{2}));
  auto uneven = RunOp("Split", 13, {In(Iota({5}))}, {}, 2);
  EXPECT_TRUE(Contains(uneven.status(), "evenly"));
  auto sum = RunOp("Split", 13, {In(Iota({5})), In(I64({2, 2}))}, {}, 2);
  EXPECT_TRUE(Contains(sum.status(), "sums to 4"));
  auto v18 = RunOp("Split", 18, {In(Iota({5}))}, {{"num_outputs", IntAttr(2)}}, 2);
  ASSERT_TRUE(v18.ok()) << v18.status().ToString();
  EXPECT_EQ((*v18)[0].shape(), (Shape{3}));
  EXPECT_EQ((*v18)[1].shape(), (Shape{2}));
}

}  // namespace
}  // namespace inferd
