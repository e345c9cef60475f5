// Runtime contracts: outputs never alias the model's constants or the
// caller's inputs; input checks name the input; buffers are reused.
#include "engine/runtime/model.h"

#include <gtest/gtest.h>

namespace inferd {
namespace {

Node MakeNode(const std::string& op, std::vector<std::string> in, std::vector<std::string> out) {
  Node n;
  n.op_type = op;
  n.name = op + "_" + out[0];
  n.inputs = std::move(in);
  n.outputs = std::move(out);
  return n;
}

TEST(CompiledModel, OutputViewsOfConstantsAreCopiesSoCallersCannotCorruptTheModel) {
  Graph g;
  g.opsets[""] = 17;
  g.inputs = {{"x", DType::kFloat32, std::vector<Dim>{{2, ""}}}};
  g.outputs = {{"w_view", DType::kFloat32, std::nullopt}, {"x_view", DType::kFloat32, std::nullopt}};
  g.initializers["w"] = Tensor::FromVector<float>({1, 2}, {2});
  g.nodes = {MakeNode("Identity", {"w"}, {"w_view"}), MakeNode("Identity", {"x"}, {"x_view"})};
  ModelOptions options;
  options.optimize = false;  // keep the Identity nodes
  auto model = CompiledModel::Compile(g, {}, options);
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  Tensor x = Tensor::FromVector<float>({5, 6}, {2});
  auto out = (*model)->Run({x});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  (*out)[0].data<float>()[0] = 100;  // a caller writing into its outputs
  (*out)[1].data<float>()[0] = 100;
  EXPECT_EQ(x.data<float>()[0], 5) << "the caller's input changed through an output";
  auto again = (*model)->Run({x});
  ASSERT_TRUE(again.ok());
  EXPECT_EQ((*again)[0].data<float>()[0], 1) << "the model's constant changed through an output";
}

TEST(CompiledModel, WrongInputIsNamedWithExpectedAndGot) {
  Graph g;
  g.opsets[""] = 17;
  g.inputs = {{"x", DType::kFloat32, std::vector<Dim>{{-1, "batch"}, {3, ""}}}};
  g.outputs = {{"y", DType::kFloat32, std::nullopt}};
  g.nodes = {MakeNode("Add", {"x", "x"}, {"y"})};
  auto model = CompiledModel::Compile(g, {}, {});
  ASSERT_TRUE(model.ok());
  auto out = (*model)->Run({Tensor::FromVector<int64_t>({1, 2}, {1, 2})});
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().message(), "input \"x\": expected FP32 [batch,3], got INT64 [1,2]");
  // Any batch size works for the symbolic dimension.
  EXPECT_TRUE((*model)->Run({Tensor::Zeros(DType::kFloat32, {7, 3}).value()}).ok());
}

TEST(CompiledModel, SteadyStreamReusesPooledBuffers) {
  Graph g;
  g.opsets[""] = 17;
  g.inputs = {{"x", DType::kFloat32, std::nullopt}};
  g.outputs = {{"z", DType::kFloat32, std::nullopt}};
  g.nodes = {MakeNode("Add", {"x", "x"}, {"a"}), MakeNode("Mul", {"a", "x"}, {"b"}), MakeNode("Sub", {"b", "x"}, {"z"})};
  auto model = CompiledModel::Compile(g, {}, {});
  ASSERT_TRUE(model.ok());
  auto ctx = (*model)->NewRunContext();
  Tensor x = Tensor::Zeros(DType::kFloat32, {1024}).value();
  ASSERT_TRUE((*model)->Run(*ctx, {x}).ok());
  const size_t pooled = ctx->pooled_bytes();
  EXPECT_GT(pooled, 0u) << "intermediates are released to the pool after their last reader";
  for (int i = 0; i < 10; ++i) ASSERT_TRUE((*model)->Run(*ctx, {x}).ok());
  EXPECT_EQ(ctx->pooled_bytes(), pooled) << "a steady stream must not grow the pool";
}

TEST(Graph, OutputReusingAnInitializerNameIsRejected) {
  Graph g;
  g.opsets[""] = 17;
  g.inputs = {{"x", DType::kFloat32, std::nullopt}};
  g.outputs = {{"w", DType::kFloat32, std::nullopt}};
  g.initializers["w"] = Tensor::FromVector<float>({1}, {1});
  g.nodes = {MakeNode("Add", {"x", "x"}, {"w"})};
  auto model = CompiledModel::Compile(g, {}, {});
  ASSERT_FALSE(model.ok());
  EXPECT_NE(model.status().message().find("reuses the name"), std::string::npos) << model.status().message();
}

}  // namespace
}  // namespace inferd
