// Before/after graph tests for the optimizer passes.
#include <gtest/gtest.h>

#include <random>

#include "engine/passes/pass.h"
#include "engine/runtime/model.h"

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

Tensor RandomTensor(Shape shape, uint32_t seed, float lo = -1, float hi = 1) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  Tensor t = Tensor::Create(DType::kFloat32, std::move(shape)).value();
  for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = dist(rng);
  return t;
}

TEST(ConstantFolding, FoldsNodesWithOnlyConstantInputs) {
  Graph g;
  g.opsets[""] = 17;
  g.inputs = {{"x", DType::kFloat32, std::nullopt}};
  g.outputs = {{"y", DType::kFloat32, std::nullopt}};
  g.initializers["a"] = Tensor::FromVector<float>({1, 2}, {2});
  g.initializers["b"] = Tensor::FromVector<float>({10, 20}, {2});
  g.nodes = {MakeNode("Add", {"a", "b"}, {"ab"}), MakeNode("Mul", {"x", "ab"}, {"y"})};
  ASSERT_TRUE(OptimizeGraph(g).ok());
  ASSERT_EQ(g.nodes.size(), 1u);
  EXPECT_EQ(g.nodes[0].op_type, "Mul");
  ASSERT_TRUE(g.initializers.count("ab"));
  EXPECT_FLOAT_EQ(g.initializers["ab"].data<float>()[1], 22.f);
  EXPECT_FALSE(g.initializers.count("a")) << "inputs of folded nodes are dropped when unused";
}

TEST(IdentityElimination, RewiresReadersButKeepsGraphOutputs) {
  Graph g;
  g.opsets[""] = 17;
  g.inputs = {{"x", DType::kFloat32, std::nullopt}};
  g.outputs = {{"y", DType::kFloat32, std::nullopt}};
  g.nodes = {MakeNode("Identity", {"x"}, {"x1"}), MakeNode("Add", {"x1", "x1"}, {"s"}),
             MakeNode("Identity", {"s"}, {"y"})};
  ASSERT_TRUE(OptimizeGraph(g).ok());
  ASSERT_EQ(g.nodes.size(), 2u);
  EXPECT_EQ(g.nodes[0].op_type, "Add");
  EXPECT_EQ(g.nodes[0].inputs[0], "x");
  EXPECT_EQ(g.nodes[1].outputs[0], "y");
}

Graph ConvBnReluGraph() {
  Graph g;
  g.opsets[""] = 13;
  g.inputs = {{"x", DType::kFloat32, std::vector<Dim>{{1, ""}, {3, ""}, {5, ""}, {5, ""}}}};
  g.outputs = {{"y", DType::kFloat32, std::nullopt}};
  g.initializers["W"] = RandomTensor({4, 3, 3, 3}, 1);
  g.initializers["B"] = RandomTensor({4}, 2);
  g.initializers["scale"] = RandomTensor({4}, 3, 0.5f, 1.5f);
  g.initializers["bias"] = RandomTensor({4}, 4);
  g.initializers["mean"] = RandomTensor({4}, 5);
  g.initializers["var"] = RandomTensor({4}, 6, 0.5f, 2.f);
  Node conv = MakeNode("Conv", {"x", "W", "B"}, {"c"});
  Attribute pads;
  pads.type = Attribute::Type::kInts;
  pads.ints = {1, 1, 1, 1};
  conv.attributes["pads"] = pads;
  g.nodes = {conv, MakeNode("BatchNormalization", {"c", "scale", "bias", "mean", "var"}, {"bn"}),
             MakeNode("Relu", {"bn"}, {"y"})};
  return g;
}

TEST(ConvBnFoldingAndActivationFusion, LeaveOneConvWithReluAttribute) {
  Graph g = ConvBnReluGraph();
  ASSERT_TRUE(OptimizeGraph(g).ok());
  ASSERT_EQ(g.nodes.size(), 1u);
  const Node& conv = g.nodes[0];
  EXPECT_EQ(conv.op_type, "Conv");
  EXPECT_EQ(conv.outputs[0], "y");
  ASSERT_NE(conv.FindAttribute("_activation"), nullptr);
  EXPECT_EQ(conv.FindAttribute("_activation")->s, "Relu");
  EXPECT_FALSE(g.initializers.count("scale"));
}

TEST(ConvBnFoldingAndActivationFusion, OptimizedGraphComputesTheSameValues) {
  // Needs Conv, BatchNormalization and Relu kernels; skipped until they exist.
  auto& reg = KernelRegistry::Global();
  if (!reg.Knows("", "Conv") || !reg.Knows("", "BatchNormalization") || !reg.Knows("", "Relu"))
    GTEST_SKIP() << "Conv/BatchNormalization/Relu kernels not registered";
  ModelOptions plain;
  plain.optimize = false;
  plain.providers = {"ref"};
  auto reference = CompiledModel::Compile(ConvBnReluGraph(), {}, plain);
  ASSERT_TRUE(reference.ok()) << reference.status().ToString();
  auto optimized = CompiledModel::Compile(ConvBnReluGraph(), {}, {});
  ASSERT_TRUE(optimized.ok()) << optimized.status().ToString();
  ASSERT_EQ((*optimized)->num_steps(), 1u);
  Tensor x = RandomTensor({1, 3, 5, 5}, 7);
  auto want = (*reference)->Run({x});
  auto got = (*optimized)->Run({x});
  ASSERT_TRUE(want.ok() && got.ok());
  const Tensor& a = (*want)[0];
  const Tensor& b = (*got)[0];
  ASSERT_EQ(a.shape(), b.shape());
  for (int64_t i = 0; i < a.numel(); ++i)
    EXPECT_NEAR(a.data<float>()[i], b.data<float>()[i], 1e-4 * (1 + std::abs(a.data<float>()[i])));
}

}  // namespace
}  // namespace inferd
