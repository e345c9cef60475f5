#include <gtest/gtest.h>

#include <limits>

#include "engine/kernels/ref/op_test_util.h"
#include "engine/runtime/model.h"

namespace inferd {
namespace {

// Builds a one-node graph `op(a, b) -> y` with undeclared shapes.
Graph BinaryGraph(const std::string& op, DType dtype) {
  Graph g;
  g.opsets[""] = 17;
  g.inputs = {{"a", dtype, std::nullopt}, {"b", dtype, std::nullopt}};
  g.outputs = {{"y", dtype, std::nullopt}};
  Node n;
  n.op_type = op;
  n.name = "n0";
  n.inputs = {"a", "b"};
  n.outputs = {"y"};
  g.nodes.push_back(n);
  return g;
}

TEST(BinaryArith, AddBroadcastsRowVector) {
  auto model = CompiledModel::Compile(BinaryGraph("Add", DType::kFloat32), {}, {});
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  Tensor a = Tensor::FromVector<float>({1, 2, 3, 4, 5, 6}, {2, 3});
  Tensor b = Tensor::FromVector<float>({10, 20, 30}, {3});
  auto out = (*model)->Run({a, b});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ASSERT_EQ((*out)[0].shape(), (Shape{2, 3}));
  const float* y = (*out)[0].data<float>();
  const float want[] = {11, 22, 33, 14, 25, 36};
  for (int i = 0; i < 6; ++i) EXPECT_FLOAT_EQ(y[i], want[i]);
}

TEST(BinaryArith, IntegerDivisionByZeroIsZeroNotATrap) {
  auto model = CompiledModel::Compile(BinaryGraph("Div", DType::kInt32), {}, {});
  ASSERT_TRUE(model.ok());
  auto out = (*model)->Run({Tensor::FromVector<int32_t>({7, -7}, {2}), Tensor::FromVector<int32_t>({2, 0}, {2})});
  ASSERT_TRUE(out.ok());
  EXPECT_EQ((*out)[0].data<int32_t>()[0], 3);
  EXPECT_EQ((*out)[0].data<int32_t>()[1], 0);
}

TEST(BinaryArith, IncompatibleShapesNameBoth) {
  auto model = CompiledModel::Compile(BinaryGraph("Mul", DType::kFloat32), {}, {});
  ASSERT_TRUE(model.ok());
  auto out = (*model)->Run({Tensor::FromVector<float>({1, 2}, {2}), Tensor::FromVector<float>({1, 2, 3}, {3})});
  ASSERT_FALSE(out.ok());
  EXPECT_NE(out.status().message().find("[2] [3]"), std::string::npos) << out.status().message();
}

using testing::AttrInt;
using testing::RunOp;
using testing::Values;

TEST(BinaryArithLegacy, AddWithAxisAtOpset6) {
  // Opset 6: B [2] lines up with A's axis 1 of [2,2,2] when axis=1.
  const Tensor a = Tensor::FromVector<float>({0, 0, 0, 0, 0, 0, 0, 0}, {2, 2, 2});
  const Tensor b = Tensor::FromVector<float>({1, 2}, {2});
  auto out = RunOp("Add", {a, b}, {{"broadcast", AttrInt(1)}, {"axis", AttrInt(1)}}, 6);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(Values((*out)[0]), (std::vector<double>{1, 1, 2, 2, 1, 1, 2, 2}));
}

TEST(BinaryArithLegacy, AxisThatDoesNotFitIsRejected) {
  const Tensor a = Tensor::FromVector<float>({0, 0}, {2});
  const Tensor b = Tensor::FromVector<float>({1, 2}, {2});
  auto out = RunOp("Mul", {a, b}, {{"broadcast", AttrInt(1)}, {"axis", AttrInt(1)}}, 6);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(out.status().message().find("axis"), std::string::npos) << out.status().message();
}

TEST(BinaryArithLegacy, IntegerOverflowWrapsAndMinDivMinusOneDoesNotTrap) {
  const int32_t min = std::numeric_limits<int32_t>::min(), max = std::numeric_limits<int32_t>::max();
  auto add = RunOp("Add", {Tensor::FromVector<int32_t>({max}, {1}), Tensor::FromVector<int32_t>({1}, {1})});
  auto div = RunOp("Div", {Tensor::FromVector<int32_t>({min}, {1}), Tensor::FromVector<int32_t>({-1}, {1})});
  auto mul = RunOp("Mul", {Tensor::FromVector<uint16_t>({65535}, {1}), Tensor::FromVector<uint16_t>({65535}, {1})});
  ASSERT_TRUE(add.ok() && div.ok() && mul.ok());
  EXPECT_EQ((*add)[0].data<int32_t>()[0], min);
  EXPECT_EQ((*div)[0].data<int32_t>()[0], min);
  EXPECT_EQ((*mul)[0].data<uint16_t>()[0], 1);
}

}  // namespace
}  // namespace inferd
