#include <gtest/gtest.h>

#include <string>

#include "engine/kernels/ref/op_test_util.h"

namespace inferd {
namespace {

using testing::RunOp;
using testing::Values;

TEST(Where, ThreeWayBroadcast) {
  const Tensor cond = Tensor::FromVector<bool>({true, false}, {2, 1});
  const Tensor x = Tensor::FromVector<int64_t>({1, 2, 3}, {3});
  const Tensor y = Tensor::Scalar<int64_t>(-1);
  auto out = RunOp("Where", {cond, x, y});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ((*out)[0].shape(), (Shape{2, 3}));
  EXPECT_EQ(Values((*out)[0]), (std::vector<double>{1, 2, 3, -1, -1, -1}));
}

TEST(Where, SameShapeFloatAndStrings) {
  const Tensor cond = Tensor::FromVector<bool>({true, false, true}, {3});
  auto f = RunOp("Where", {cond, Tensor::FromVector<float>({1, 2, 3}, {3}), Tensor::FromVector<float>({4, 5, 6}, {3})});
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(Values((*f)[0]), (std::vector<double>{1, 5, 3}));
  auto s =
      RunOp("Where", {cond, Tensor::FromVector<std::string>({"a", "b", "c"}, {3}), Tensor::Scalar<std::string>("z")});
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  const std::string* v = (*s)[0].data<std::string>();
  EXPECT_EQ(v[0], "a");
  EXPECT_EQ(v[1], "z");
  EXPECT_EQ(v[2], "c");
}

TEST(Where, ConditionMustBeBool) {
  auto out = RunOp("Where", {Tensor::FromVector<int32_t>({1}, {1}), Tensor::FromVector<float>({1}, {1}),
                             Tensor::FromVector<float>({2}, {1})});
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(out.status().message().find("condition"), std::string::npos) << out.status().message();
}

}  // namespace
}  // namespace inferd
