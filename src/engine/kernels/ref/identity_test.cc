#include <gtest/gtest.h>

#include "engine/kernels/ref/op_test_util.h"

namespace inferd {
namespace {

using testing::AttrFloat;
using testing::RunOp;
using testing::Values;

TEST(Identity, IsAViewOfItsInput) {
  const Tensor x = Tensor::FromVector<float>({1, 2, 3}, {3});
  auto out = RunOp("Identity", {x});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ((*out)[0].raw(), x.raw());
  EXPECT_EQ((*out)[0].shape(), x.shape());
}

TEST(Dropout, InferenceIsIdentityWithAnAllTrueMask) {
  const Tensor x = Tensor::FromVector<float>({1, 2, 3, 4}, {2, 2});
  auto out = RunOp("Dropout", {x, Tensor::Scalar<float>(0.5f)}, {}, 13, 2);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(Values((*out)[0]), Values(x));
  EXPECT_EQ((*out)[1].dtype(), DType::kBool);
  EXPECT_EQ(Values((*out)[1]), (std::vector<double>{1, 1, 1, 1}));
}

TEST(Dropout, OldOpsetMaskHasTheInputType) {
  const Tensor x = Tensor::FromVector<double>({1, 2}, {2});
  auto out = RunOp("Dropout", {x}, {{"ratio", AttrFloat(0.3f)}}, 7, 2);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(Values((*out)[0]), (std::vector<double>{1, 2}));
  EXPECT_EQ((*out)[1].dtype(), DType::kFloat64);
  EXPECT_EQ(Values((*out)[1]), (std::vector<double>{1, 1}));
}

TEST(Dropout, TrainingModeWithZeroRatioKeepsEverything) {
  const Tensor x = Tensor::FromVector<float>({5, 6}, {2});
  auto out = RunOp("Dropout", {x, Tensor::Scalar<float>(0.0f), Tensor::Scalar<bool>(true)}, {}, 13, 2);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(Values((*out)[0]), (std::vector<double>{5, 6}));
  EXPECT_EQ(Values((*out)[1]), (std::vector<double>{1, 1}));
}

TEST(Dropout, TrainingModeWithARatioIsUnimplemented) {
  const Tensor x = Tensor::FromVector<float>({5, 6}, {2});
  auto out = RunOp("Dropout", {x, Tensor::Scalar<float>(0.5f), Tensor::Scalar<bool>(true)}, {}, 13);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), StatusCode::kUnimplemented);
}

TEST(Dropout, RatioOutOfRangeIsRejected) {
  const Tensor x = Tensor::FromVector<float>({5, 6}, {2});
  auto out = RunOp("Dropout", {x, Tensor::Scalar<float>(1.5f)}, {}, 13);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(out.status().message().find("ratio"), std::string::npos) << out.status().message();
}

}  // namespace
}  // namespace inferd
