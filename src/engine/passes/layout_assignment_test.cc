// Before/after graph tests for the dnnl passes: conv residual fusion and
// layout assignment. Numerical checks of whole blocked graphs live in
// kernels/dnnl/layout_test.cc.
#include <gtest/gtest.h>

#include <random>

#include "engine/ir/attribute_builders.h"
#include "engine/passes/dnnl_passes.h"

namespace inferd {
namespace {

using attrs::IntAttr;
using attrs::IntsAttr;

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

Tensor Weights(Shape shape) {
  Tensor t = Tensor::Zeros(DType::kFloat32, std::move(shape)).value();
  return t;
}

const Node& Producer(const Graph& g, const std::string& value) {
  const int i = FindProducer(g, value);
  EXPECT_GE(i, 0) << value;
  return g.nodes[static_cast<size_t>(std::max(i, 0))];
}

int64_t Attr(const Node& n, const char* key) {
  const Attribute* a = n.FindAttribute(key);
  return a == nullptr ? -1 : a->i;
}

int CountOps(const Graph& g, const std::string& op) {
  int n = 0;
  for (const auto& node : g.nodes) n += node.op_type == op ? 1 : 0;
  return n;
}

// x[1,3,..] -> Conv(8, Relu) -> MaxPool -> Conv(16) -> GlobalAveragePool -> Flatten -> y
Graph SmallCnn() {
  Graph g;
  g.opsets[""] = 13;
  g.inputs = {{"x", DType::kFloat32, std::nullopt}};
  g.outputs = {{"y", DType::kFloat32, std::nullopt}};
  g.initializers["W1"] = Weights({8, 3, 3, 3});
  g.initializers["W2"] = Weights({16, 8, 1, 1});
  Node c1 = MakeNode("Conv", {"x", "W1"}, {"c1"}, {{"_activation", attrs::StringAttr("Relu")}});
  g.nodes = {c1, MakeNode("MaxPool", {"c1"}, {"p"}, {{"kernel_shape", IntsAttr({2, 2})}}),
             MakeNode("Conv", {"p", "W2"}, {"c2"}), MakeNode("GlobalAveragePool", {"c2"}, {"gap"}),
             MakeNode("Flatten", {"gap"}, {"y"})};
  return g;
}

TEST(LayoutAssignment, BlocksARegionAndReordersBeforeFlatten) {
  Graph g = SmallCnn();
  auto changed = LayoutAssignment(8).Apply(g);
  ASSERT_TRUE(changed.ok()) << changed.status().ToString();
  EXPECT_TRUE(*changed);
  ASSERT_TRUE(g.Validate().ok());
  const Node& c1 = Producer(g, "c1");
  EXPECT_EQ(Attr(c1, "_layout_src"), 0) << "3 input channels stay plain";
  EXPECT_EQ(Attr(c1, "_layout_dst"), 1);
  EXPECT_EQ(Attr(c1, "_layout_block"), 8);
  EXPECT_EQ(Attr(Producer(g, "p"), "_layout_src"), 1);
  EXPECT_EQ(Attr(Producer(g, "c2"), "_layout_src"), 1);
  EXPECT_EQ(Attr(Producer(g, "c2"), "_layout_dst"), 1);
  EXPECT_EQ(Attr(Producer(g, "gap"), "_layout_dst"), 1);
  // The one reorder sits between GlobalAveragePool and Flatten.
  EXPECT_EQ(CountOps(g, "ToPlainLayout"), 1);
  EXPECT_EQ(CountOps(g, "ToBlockedLayout"), 0);
  const Node& flatten = Producer(g, "y");
  const Node& reorder = Producer(g, flatten.inputs[0]);
  EXPECT_EQ(reorder.op_type, "ToPlainLayout");
  EXPECT_EQ(reorder.domain, "inferd");
  EXPECT_EQ(reorder.inputs[0], "gap");
  EXPECT_EQ(g.OpsetFor("inferd"), 1);
  // Idempotent.
  auto again = LayoutAssignment(8).Apply(g);
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(*again);
}

TEST(LayoutAssignment, OtherInternalOpsDoNotStopIt) {
  Graph g = SmallCnn();
  Node other = MakeNode("FusedMatMul", {"y", "M", "b"}, {"z"});
  other.domain = "inferd";
  g.nodes.push_back(other);
  g.outputs = {{"z", DType::kFloat32, std::nullopt}};
  auto changed = LayoutAssignment(8).Apply(g);
  ASSERT_TRUE(changed.ok());
  EXPECT_TRUE(*changed);
  EXPECT_EQ(CountOps(g, "ToPlainLayout"), 1);
}

TEST(LayoutAssignment, GraphOutputsStayPlainUnderTheirNames) {
  Graph g;
  g.opsets[""] = 13;
  g.inputs = {{"x", DType::kFloat32, std::nullopt}};
  g.outputs = {{"c", DType::kFloat32, std::nullopt}, {"r", DType::kFloat32, std::nullopt}};
  g.initializers["W0"] = Weights({8, 3, 1, 1});
  g.initializers["W"] = Weights({8, 8, 3, 3});
  g.nodes = {MakeNode("Conv", {"x", "W0"}, {"c0"}), MakeNode("Conv", {"c0", "W"}, {"c"}),
             MakeNode("Relu", {"c"}, {"r"})};
  auto changed = LayoutAssignment(8).Apply(g);
  ASSERT_TRUE(changed.ok() && *changed);
  ASSERT_TRUE(g.Validate().ok());
  // "c" is both a graph output and read (blocked) by Relu.
  const Node& to_c = Producer(g, "c");
  EXPECT_EQ(to_c.op_type, "ToPlainLayout");
  const Node& conv = Producer(g, to_c.inputs[0]);
  EXPECT_EQ(conv.op_type, "Conv");
  EXPECT_EQ(Attr(conv, "_layout_dst"), 1);
  const Node& to_r = Producer(g, "r");
  EXPECT_EQ(to_r.op_type, "ToPlainLayout");
  const Node& relu = Producer(g, to_r.inputs[0]);
  EXPECT_EQ(relu.op_type, "Relu");
  EXPECT_EQ(relu.inputs[0], to_c.inputs[0]);
  EXPECT_EQ(CountOps(g, "ToPlainLayout"), 2);
}

TEST(LayoutAssignment, ConvFeedingOnlyPlainReadersWritesPlain) {
  Graph g;
  g.opsets[""] = 13;
  g.inputs = {{"x", DType::kFloat32, std::nullopt}};
  g.outputs = {{"y", DType::kFloat32, std::nullopt}};
  g.initializers["W"] = Weights({8, 8, 3, 3});
  g.nodes = {MakeNode("Conv", {"x", "W"}, {"c"}), MakeNode("Flatten", {"c"}, {"y"})};
  auto changed = LayoutAssignment(8).Apply(g);
  ASSERT_TRUE(changed.ok() && *changed);
  ASSERT_TRUE(g.Validate().ok());
  const Node& conv = Producer(g, "c");
  EXPECT_EQ(Attr(conv, "_layout_dst"), 0);
  EXPECT_EQ(Attr(conv, "_layout_src"), 1) << "8 input channels: the graph input is blocked once";
  EXPECT_EQ(Producer(g, conv.inputs[0]).op_type, "ToBlockedLayout");
  EXPECT_EQ(CountOps(g, "ToPlainLayout"), 0);
}

TEST(LayoutAssignment, ChannelsTheBlockDoesNotDivideStayPlain) {
  Graph g;
  g.opsets[""] = 13;
  g.inputs = {{"x", DType::kFloat32, std::nullopt}};
  g.outputs = {{"y", DType::kFloat32, std::nullopt}};
  g.initializers["W"] = Weights({12, 3, 3, 3});
  g.nodes = {MakeNode("Conv", {"x", "W"}, {"c"}), MakeNode("Relu", {"c"}, {"y"})};
  const Graph before = g;
  auto changed = LayoutAssignment(8).Apply(g);
  ASSERT_TRUE(changed.ok());
  EXPECT_FALSE(*changed);
  EXPECT_EQ(g.nodes.size(), before.nodes.size());
}

TEST(LayoutAssignment, AddOfTwoBlockedValuesStaysInTheRegion) {
  Graph g;
  g.opsets[""] = 13;
  g.inputs = {{"x", DType::kFloat32, std::nullopt}};
  g.outputs = {{"y", DType::kFloat32, std::nullopt}};
  g.initializers["W1"] = Weights({8, 3, 1, 1});
  g.initializers["W2"] = Weights({8, 8, 1, 1});
  g.nodes = {MakeNode("Conv", {"x", "W1"}, {"a"}), MakeNode("Conv", {"a", "W2"}, {"b"}),
             MakeNode("Add", {"a", "b"}, {"s"}), MakeNode("Conv", {"s", "W2"}, {"y"})};
  auto changed = LayoutAssignment(8).Apply(g);
  ASSERT_TRUE(changed.ok() && *changed);
  EXPECT_EQ(Attr(Producer(g, "s"), "_layout_src"), 1);
  EXPECT_EQ(Attr(Producer(g, "y"), "_layout_src"), 1);
  EXPECT_EQ(Attr(Producer(g, "y"), "_layout_dst"), 0) << "a graph output: the last Conv writes plain";
  EXPECT_EQ(CountOps(g, "ToPlainLayout") + CountOps(g, "ToBlockedLayout"), 0);
}

TEST(ConvResidualFusion, AddAndReluBecomeConvPostOps) {
  Graph g;
  g.opsets[""] = 13;
  g.inputs = {{"x", DType::kFloat32, std::nullopt}};
  g.outputs = {{"y", DType::kFloat32, std::nullopt}};
  g.initializers["W"] = Weights({8, 8, 3, 3});
  g.nodes = {MakeNode("Conv", {"x", "W"}, {"c"}), MakeNode("Add", {"x", "c"}, {"s"}), MakeNode("Relu", {"s"}, {"y"})};
  ASSERT_TRUE(RunDnnlPasses(g, 0).ok());
  ASSERT_EQ(g.nodes.size(), 1u);
  const Node& conv = g.nodes[0];
  EXPECT_EQ(conv.outputs[0], "y");
  ASSERT_EQ(conv.inputs.size(), 4u);
  EXPECT_EQ(conv.inputs[2], "") << "the omitted bias keeps its slot";
  EXPECT_EQ(conv.inputs[3], "x");
  EXPECT_EQ(Attr(conv, "_sum_input"), 3);
  ASSERT_NE(conv.FindAttribute("_activation"), nullptr);
  EXPECT_EQ(conv.FindAttribute("_activation")->s, "Relu");
}

TEST(ConvResidualFusion, LeavesAConvWithOtherReadersAlone) {
  Graph g;
  g.opsets[""] = 13;
  g.inputs = {{"x", DType::kFloat32, std::nullopt}};
  g.outputs = {{"y", DType::kFloat32, std::nullopt}, {"c", DType::kFloat32, std::nullopt}};
  g.initializers["W"] = Weights({8, 8, 3, 3});
  g.nodes = {MakeNode("Conv", {"x", "W"}, {"c"}), MakeNode("Add", {"x", "c"}, {"y"})};
  auto changed = ConvResidualFusion().Apply(g);
  ASSERT_TRUE(changed.ok());
  EXPECT_FALSE(*changed);
  EXPECT_EQ(g.nodes.size(), 2u);
}

}  // namespace
}  // namespace inferd
