#include <gtest/gtest.h>

#include <cmath>

#include "engine/kernels/ref/single_node_graph.h"

namespace inferd {
namespace {

using kernel_testing::IntAttr;
using kernel_testing::SingleNodeGraph;

TEST(Softmax, LastAxisOpset13) {
  SingleNodeGraph g("Softmax", 13);
  auto out = g.Run({Tensor::FromVector<float>({0, 0, 1000, 1000 + std::log(3.0f)}, {2, 2})});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  const float* y = (*out)[0].data<float>();
  EXPECT_FLOAT_EQ(y[0], 0.5f);
  EXPECT_FLOAT_EQ(y[1], 0.5f);
  EXPECT_NEAR(y[2], 0.25f, 1e-4);  // stable for large inputs
  EXPECT_NEAR(y[3], 0.75f, 1e-4);
}

TEST(Softmax, Opset13AxisIsOneDimension) {
  // [2,2,1], axis 1: softmax along the middle dim only.
  SingleNodeGraph g("Softmax", 13, {{"axis", IntAttr(0)}});
  auto out = g.Run({Tensor::FromVector<double>({1, 2, 1, 2}, {2, 2})});
  ASSERT_TRUE(out.ok());
  EXPECT_DOUBLE_EQ((*out)[0].data<double>()[0], 0.5);
  EXPECT_DOUBLE_EQ((*out)[0].data<double>()[3], 0.5);
}

TEST(Softmax, LegacyOpsetCoercesTo2D) {
  // opset 11, axis 0: the whole tensor is one row.
  SingleNodeGraph g("Softmax", 11, {{"axis", IntAttr(0)}});
  auto out = g.Run({Tensor::FromVector<float>({0, 0, 0, 0}, {2, 2})});
  ASSERT_TRUE(out.ok());
  for (int i = 0; i < 4; ++i) EXPECT_FLOAT_EQ((*out)[0].data<float>()[i], 0.25f);
}

TEST(Softmax, LogSoftmaxAndHardmax) {
  SingleNodeGraph ls("LogSoftmax", 13);
  auto out = ls.Run({Tensor::FromVector<float>({1, 1}, {2})});
  ASSERT_TRUE(out.ok());
  EXPECT_FLOAT_EQ((*out)[0].data<float>()[0], -std::log(2.0f));
  SingleNodeGraph hm("Hardmax", 13);
  out = hm.Run({Tensor::FromVector<float>({3, 7, 7, 1}, {4})});
  ASSERT_TRUE(out.ok());
  const float want[] = {0, 1, 0, 0};  // first maximum only
  for (int i = 0; i < 4; ++i) EXPECT_EQ((*out)[0].data<float>()[i], want[i]);
}

TEST(Softmax, BadAxisAndIntegerInputAreRejected) {
  SingleNodeGraph g("Softmax", 13, {{"axis", IntAttr(3)}});
  auto out = g.Run({Tensor::FromVector<float>({1, 2}, {2})});
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), StatusCode::kInvalidArgument);
  SingleNodeGraph i("Softmax", 13);
  out = i.Run({Tensor::FromVector<int32_t>({1, 2}, {2})});
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), StatusCode::kUnimplemented);
}

}  // namespace
}  // namespace inferd

namespace inferd {
namespace {

TEST(Softmax, EmptyTensorsPassThrough) {
  for (const char* op : {"Softmax", "LogSoftmax", "Hardmax"}) {
    kernel_testing::SingleNodeGraph g(op, 13);
    auto out = g.Run({Tensor::Create(DType::kFloat32, {0, 3}).value()});
    ASSERT_TRUE(out.ok()) << op << ": " << out.status().ToString();
    EXPECT_EQ((*out)[0].shape(), (Shape{0, 3}));
    out = g.Run({Tensor::Create(DType::kFloat32, {2, 0}).value()});
    ASSERT_TRUE(out.ok()) << op << ": " << out.status().ToString();
  }
}

}  // namespace
}  // namespace inferd
