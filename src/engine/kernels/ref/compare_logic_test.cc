#include <gtest/gtest.h>

#include <string>

#include "engine/kernels/ref/op_test_util.h"

namespace inferd {
namespace {

using testing::AttrInt;
using testing::AttrString;
using testing::RunOp;
using testing::Values;

TEST(CompareLogic, ComparisonsBroadcastAndReturnBool) {
  const Tensor a = Tensor::FromVector<float>({1, 2, 3, 4, 5, 6}, {2, 3});
  const Tensor b = Tensor::FromVector<float>({2, 2, 7}, {3});
  struct Case {
    const char* op;
    std::vector<double> want;
  } cases[] = {{"Equal", {0, 1, 0, 0, 0, 0}},
               {"Greater", {0, 0, 0, 1, 1, 0}},
               {"GreaterOrEqual", {0, 1, 0, 1, 1, 0}},
               {"Less", {1, 0, 1, 0, 0, 1}},
               {"LessOrEqual", {1, 1, 1, 0, 0, 1}}};
  for (const auto& c : cases) {
    auto out = RunOp(c.op, {a, b});
    ASSERT_TRUE(out.ok()) << c.op << ": " << out.status().ToString();
    EXPECT_EQ((*out)[0].dtype(), DType::kBool) << c.op;
    EXPECT_EQ((*out)[0].shape(), (Shape{2, 3})) << c.op;
    EXPECT_EQ(Values((*out)[0]), c.want) << c.op;
  }
}

TEST(CompareLogic, ColumnBroadcastOnInt64) {
  auto out =
      RunOp("Less", {Tensor::FromVector<int64_t>({1, 5}, {2, 1}), Tensor::FromVector<int64_t>({0, 3, 6}, {1, 3})});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(Values((*out)[0]), (std::vector<double>{0, 1, 1, 0, 0, 1}));
}

TEST(CompareLogic, EqualOnStrings) {
  const Tensor a = Tensor::FromVector<std::string>({"cat", "dog", "emu"}, {3});
  const Tensor b = Tensor::FromVector<std::string>({"dog"}, {1});
  auto out = RunOp("Equal", {a, b});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(Values((*out)[0]), (std::vector<double>{0, 1, 0}));
  auto less = RunOp("Less", {a, b});
  ASSERT_FALSE(less.ok());
  EXPECT_EQ(less.status().code(), StatusCode::kUnimplemented);
}

TEST(CompareLogic, MismatchedTypesAreRejected) {
  auto out = RunOp("Greater", {Tensor::FromVector<float>({1}, {1}), Tensor::FromVector<double>({1}, {1})});
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(out.status().message().find("float and double"), std::string::npos) << out.status().message();
}

TEST(CompareLogic, AndOrXorNot) {
  const Tensor a = Tensor::FromVector<bool>({true, true, false, false}, {4});
  const Tensor b = Tensor::FromVector<bool>({true, false, true, false}, {4});
  auto and_ = RunOp("And", {a, b});
  auto or_ = RunOp("Or", {a, b});
  auto xor_ = RunOp("Xor", {a, b});
  auto not_ = RunOp("Not", {a});
  ASSERT_TRUE(and_.ok() && or_.ok() && xor_.ok() && not_.ok());
  EXPECT_EQ(Values((*and_)[0]), (std::vector<double>{1, 0, 0, 0}));
  EXPECT_EQ(Values((*or_)[0]), (std::vector<double>{1, 1, 1, 0}));
  EXPECT_EQ(Values((*xor_)[0]), (std::vector<double>{0, 1, 1, 0}));
  EXPECT_EQ(Values((*not_)[0]), (std::vector<double>{0, 0, 1, 1}));
}

TEST(CompareLogic, LogicRejectsNonBool) {
  auto out = RunOp("And", {Tensor::FromVector<int32_t>({1}, {1}), Tensor::FromVector<int32_t>({1}, {1})});
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), StatusCode::kUnimplemented);
}

TEST(CompareLogic, LegacyBroadcastWithAxis) {
  // Opset 6: B [3] lines up with A's axis 0 when axis=0, broadcast=1.
  const Tensor a = Tensor::FromVector<int32_t>({1, 2, 3, 4, 5, 6}, {3, 2});
  const Tensor b = Tensor::FromVector<int32_t>({1, 4, 6}, {3});
  auto out = RunOp("Equal", {a, b}, {{"broadcast", AttrInt(1)}, {"axis", AttrInt(0)}}, 6);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(Values((*out)[0]), (std::vector<double>{1, 0, 0, 1, 0, 1}));
  auto no_flag = RunOp("Equal", {a, b}, {}, 6);
  ASSERT_FALSE(no_flag.ok());
  EXPECT_NE(no_flag.status().message().find("broadcast=1"), std::string::npos) << no_flag.status().message();
}

TEST(CompareLogic, BitShiftBothWaysAndPastTheWidth) {
  const Tensor x = Tensor::FromVector<uint8_t>({16, 4, 1, 255}, {4});
  const Tensor s = Tensor::FromVector<uint8_t>({1, 2, 7, 8}, {4});
  auto left = RunOp("BitShift", {x, s}, {{"direction", AttrString("LEFT")}});
  auto right = RunOp("BitShift", {x, s}, {{"direction", AttrString("RIGHT")}});
  ASSERT_TRUE(left.ok() && right.ok());
  EXPECT_EQ(Values((*left)[0]), (std::vector<double>{32, 16, 128, 0}));
  EXPECT_EQ(Values((*right)[0]), (std::vector<double>{8, 1, 0, 0}));
}

TEST(CompareLogic, BitShiftNeedsADirection) {
  const Tensor x = Tensor::FromVector<uint32_t>({1}, {1});
  auto out = RunOp("BitShift", {x, x}, {{"direction", AttrString("UP")}});
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(out.status().message().find("direction"), std::string::npos) << out.status().message();
}

}  // namespace
}  // namespace inferd
