// Before/after test for shape_folding: a Shape -> Gather -> Unsqueeze ->
// Concat reshape target with only the batch dim symbolic folds to a constant.
#include <gtest/gtest.h>

#include <random>

#include "engine/passes/pattern_util.h"
#include "engine/runtime/model.h"

namespace inferd {
namespace {

Node MakeNode(const std::string& op, std::vector<std::string> in, std::vector<std::string> out,
              std::map<std::string, Attribute> attrs = {}) {
  Node n;
  n.op_type = op;
  n.name = op + "_" + out[0];
  n.inputs = std::move(in);
  n.outputs = std::move(out);
  n.attributes = std::move(attrs);
  return n;
}

Attribute Ints(std::vector<int64_t> v) {
  Attribute a;
  a.type = Attribute::Type::kInts;
  a.ints = std::move(v);
  return a;
}

// x [batch, 4, 6] -> Transpose [4, batch, 6] -> Reshape to [4, batch, 3, 2]
// with the target computed from the Transpose's shape, as torch exports it.
Graph ReshapeFromShapeChain() {
  Graph g;
  g.opsets[""] = 14;
  g.inputs = {{"x", DType::kFloat32, std::vector<Dim>{{-1, "batch"}, {4, ""}, {6, ""}}}};
  g.outputs = {{"y", DType::kFloat32, std::nullopt}};
  for (int64_t i : {0, 1, 2}) g.initializers["i" + std::to_string(i)] = Tensor::Scalar<int64_t>(i);
  g.initializers["zero"] = Tensor::FromVector<int64_t>({0}, {1});
  g.initializers["two"] = Tensor::Scalar<int64_t>(2);
  g.initializers["two1"] = Tensor::FromVector<int64_t>({2}, {1});
  g.nodes = {MakeNode("Transpose", {"x"}, {"t"}, {{"perm", Ints({1, 0, 2})}}),
             MakeNode("Shape", {"t"}, {"s"}),
             MakeNode("Gather", {"s", "i0"}, {"g0"}, {{"axis", pattern::IntAttr(0)}}),
             MakeNode("Gather", {"s", "i1"}, {"g1"}, {{"axis", pattern::IntAttr(0)}}),
             MakeNode("Gather", {"s", "i2"}, {"g2"}, {{"axis", pattern::IntAttr(0)}}),
             MakeNode("Div", {"g2", "two"}, {"half"}),
             MakeNode("Unsqueeze", {"g0", "zero"}, {"u0"}),
             MakeNode("Unsqueeze", {"g1", "zero"}, {"u1"}),
             MakeNode("Unsqueeze", {"half", "zero"}, {"u2"}),
             MakeNode("Concat", {"u0", "u1", "u2", "two1"}, {"target"}, {{"axis", pattern::IntAttr(0)}}),
             MakeNode("Reshape", {"t", "target"}, {"y"})};
  return g;
}

TEST(ShapeFolding, ReshapeTargetWithOneSymbolicDimBecomesAConstant) {
  Graph g = ReshapeFromShapeChain();
  ASSERT_TRUE(OptimizeGraph(g).ok());
  ASSERT_EQ(g.nodes.size(), 2u);
  EXPECT_EQ(g.nodes[0].op_type, "Transpose");
  const Node& reshape = g.nodes[1];
  EXPECT_EQ(reshape.op_type, "Reshape");
  ASSERT_TRUE(g.initializers.count(reshape.inputs[1]));
  const Tensor& target = g.initializers.at(reshape.inputs[1]);
  EXPECT_EQ(std::vector<int64_t>(target.data<int64_t>(), target.data<int64_t>() + target.numel()),
            (std::vector<int64_t>{4, -1, 3, 2}));

  auto model = CompiledModel::Compile(ReshapeFromShapeChain(), {}, {});
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  Tensor x = Tensor::Create(DType::kFloat32, {3, 4, 6}).value();
  for (int64_t i = 0; i < x.numel(); ++i) x.data<float>()[i] = static_cast<float>(i);
  auto out = (*model)->Run({x});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ((*out)[0].shape(), (Shape{4, 3, 3, 2}));
  // y[1, 2, 0, 1] = t[1, 2, 1] = x[2, 1, 1]
  EXPECT_EQ((*out)[0].data<float>()[((1 * 3 + 2) * 3 + 0) * 2 + 1], x.data<float>()[(2 * 4 + 1) * 6 + 1]);
}

TEST(ShapeFolding, LeavesTargetsWithTwoRunTimePieces) {
  Graph g = ReshapeFromShapeChain();
  g.inputs[0].dims = std::vector<Dim>{{-1, "batch"}, {-1, "n"}, {6, ""}};
  ASSERT_TRUE(OptimizeGraph(g).ok());
  bool has_concat = false;
  for (const Node& n : g.nodes) has_concat = has_concat || n.op_type == "Concat";
  EXPECT_TRUE(has_concat);
}

}  // namespace
}  // namespace inferd
