// Blocked layouts: the reorder kernels against the plain loops, and whole
// graphs compiled with the layout pass against the reference kernels.
#include "engine/kernels/dnnl/layout.h"

#include <set>

#include "engine/kernels/dnnl/oracle_test_util.h"
#include "engine/kernels/fast/winograd.h"
#include "engine/passes/dnnl_passes.h"

namespace inferd::onednn::testing {
namespace {

Graph ReorderGraph(const char* op, int block) {
  Node n = MakeNode(op, {"x"}, {"y"}, {{"block", IntAttr(block)}});
  n.domain = kInternalDomain;
  Graph g = MakeGraph({n}, {{"x", Tensor(), false}});
  g.inputs[0].dtype = DType::kFloat32;
  g.opsets[std::string(kInternalDomain)] = 1;
  return g;
}

TEST(LayoutReorder, RoundTripsAndMatchesThePlainLoops) {
  std::mt19937 rng(11);
  for (int block : {8, 16}) {
    for (const Shape& logical : {Shape{1, 16, 5, 7}, Shape{2, 32, 3, 3}, Shape{3, 16, 1, 1}}) {
      const std::string what = "block " + std::to_string(block) + " " + ShapeToString(logical);
      auto to_blocked = CompileOrDie(ReorderGraph("ToBlockedLayout", block), {});
      auto to_plain = CompileOrDie(ReorderGraph("ToPlainLayout", block), {});
      ASSERT_TRUE(to_blocked && to_plain);
      const Tensor x = RandomTensor(logical, rng);
      auto blocked = to_blocked->Run({x});
      ASSERT_TRUE(blocked.ok()) << what << ": " << blocked.status().ToString();
      const Tensor& b = (*blocked)[0];
      ASSERT_EQ(b.shape(), BlockedShape(logical, block).value()) << what;
      Tensor want = Tensor::Create(DType::kFloat32, b.shape()).value();
      BlockChannels(x.data<float>(), want.data<float>(), logical, block);
      ExpectClose(b, want, what, 0, 0);
      auto back = to_plain->Run({b});
      ASSERT_TRUE(back.ok()) << what << ": " << back.status().ToString();
      ExpectClose((*back)[0], x, what, 0, 0);
    }
  }
}

TEST(LayoutReorder, RejectsChannelsTheBlockDoesNotDivide) {
  auto to_blocked = CompileOrDie(ReorderGraph("ToBlockedLayout", 8), {});
  ASSERT_TRUE(to_blocked);
  std::mt19937 rng(3);
  auto r = to_blocked->Run({RandomTensor({1, 12, 2, 2}, rng)});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("multiple of 8"), std::string::npos) << r.status().ToString();
}

// The same graph, optimized with blocked layouts (dnnl) and run by the
// reference kernels unoptimized. `kernels` (if given) receives the names of
// the kernels the blocked models used.
void CompareBlocked(const Graph& g, const std::vector<Tensor>& inputs, const std::string& what, size_t min_reorders = 0,
                    std::set<std::string>* kernels = nullptr) {
  ModelOptions ref_options;
  ref_options.optimize = false;
  ref_options.providers = {"ref"};
  auto oracle = CompiledModel::Compile(g, {}, ref_options);
  ASSERT_TRUE(oracle.ok()) << what << ": " << oracle.status().ToString();
  for (int block : {8, 16}) {
    Graph blocked_graph = g;
    ASSERT_TRUE(RunDnnlPasses(blocked_graph, block).ok()) << what;
    size_t reorders = 0, marked = 0;
    for (const auto& n : blocked_graph.nodes) {
      reorders += n.domain == kInternalDomain ? 1 : 0;
      marked += n.FindAttribute("_layout_block") ? 1 : 0;
    }
    EXPECT_GE(reorders, min_reorders) << what;
    EXPECT_GT(marked, 0u) << what << ": no node was put in a blocked region";
    auto fast = CompileOrDie(blocked_graph, {});
    ASSERT_TRUE(fast) << what;
    for (size_t i = 0; kernels != nullptr && i < fast->num_steps(); ++i)
      kernels->insert(std::string(fast->step_kernel_name(i)));
    auto want = (*oracle)->Run(inputs);
    ASSERT_TRUE(want.ok()) << what << ": " << want.status().ToString();
    auto ctx = fast->NewRunContext();
    for (int pass = 0; pass < 2; ++pass) {
      auto got = fast->Run(*ctx, inputs);
      ASSERT_TRUE(got.ok()) << what << ": " << got.status().ToString();
      ASSERT_EQ(got->size(), want->size());
      for (size_t i = 0; i < got->size(); ++i)
        ExpectClose((*got)[i], (*want)[i], what + " output " + std::to_string(i));
    }
  }
}

// A small CNN: stem conv, pool, residual block (fused sum + Relu),
// BatchNormalization, a Conv only the reference kernel can run, Clip, Mul,
// an AveragePool that takes the reference fallback inside the region,
// GlobalAveragePool, Flatten.
TEST(BlockedLayout, SmallCnnMatchesTheReferenceKernels) {
  std::mt19937 rng(5);
  const std::vector<GraphInput> c = {
      {"x", RandomTensor({2, 3, 19, 19}, rng), false},
      {"W1", RandomTensor({16, 3, 3, 3}, rng, -0.3f, 0.3f), true},
      {"B1", RandomTensor({16}, rng), true},
      {"W2", RandomTensor({16, 16, 3, 3}, rng, -0.1f, 0.1f), true},
      {"W3", RandomTensor({16, 1, 3, 3}, rng, -0.3f, 0.3f), true},
      {"s", RandomTensor({16}, rng, 0.5f, 1.5f), true},
      {"b", RandomTensor({16}, rng), true},
      {"m", RandomTensor({16}, rng), true},
      {"v", RandomTensor({16}, rng, 0.5f, 2.f), true},
      {"lo", Tensor::Scalar<float>(0.f), true},
      {"hi", Tensor::Scalar<float>(2.f), true},
  };
  const std::vector<Node> nodes = {
      MakeNode("Conv", {"x", "W1", "B1"}, {"c1"}, {{"pads", IntsAttr({1, 1, 1, 1})}}),
      MakeNode("Relu", {"c1"}, {"r1"}),
      MakeNode("MaxPool", {"r1"}, {"p1"},
               {{"kernel_shape", IntsAttr({3, 3})}, {"strides", IntsAttr({2, 2})}, {"pads", IntsAttr({1, 1, 1, 1})}}),
      MakeNode("Conv", {"p1", "W2"}, {"c2"}, {{"pads", IntsAttr({1, 1, 1, 1})}}),
      MakeNode("Add", {"c2", "p1"}, {"a2"}),
      MakeNode("Relu", {"a2"}, {"r2"}),
      MakeNode("BatchNormalization", {"r2", "s", "b", "m", "v"}, {"bn"}),
      // oneDNN has no Softsign post-op: the reference kernel runs it on plain copies.
      MakeNode("Conv", {"bn", "W3"}, {"dw"},
               {{"group", IntAttr(16)}, {"pads", IntsAttr({1, 1, 1, 1})}, {"_activation", StringAttr("Softsign")}}),
      MakeNode("Clip", {"dw", "lo", "hi"}, {"cl"}),
      MakeNode("Mul", {"cl", "r2"}, {"mu"}),
      MakeNode("AveragePool", {"mu"}, {"ap"},
               {{"kernel_shape", IntsAttr({3, 3})},
                {"strides", IntsAttr({2, 2})},
                {"ceil_mode", IntAttr(1)},
                {"count_include_pad", IntAttr(1)},
                {"pads", IntsAttr({1, 1, 1, 1})}}),
      MakeNode("GlobalAveragePool", {"ap"}, {"gap"}),
      MakeNode("Flatten", {"gap"}, {"y"}),
  };
  Graph g = MakeGraph(nodes, c);
  g.outputs.push_back({"bn", DType::kFloat32, std::nullopt});  // a blocked value that is also an output
  std::set<std::string> kernels;
  CompareBlocked(g, RuntimeInputs(c), "small cnn", 2, &kernels);
  EXPECT_TRUE(kernels.count("ref.blocked")) << "the Softsign Conv runs on plain copies";
  EXPECT_TRUE(kernels.count("dnnl.to_plain"));
  EXPECT_TRUE(kernels.count("dnnl.conv"));
}

// A Conv on a pooled [N, C, 1, 1] tensor added to a full feature map: the
// fused residual is wider than the Conv's output.
TEST(BlockedLayout, ResidualWiderThanTheConvOutput) {
  std::mt19937 rng(9);
  const std::vector<GraphInput> c = {
      {"x", RandomTensor({1, 16, 5, 5}, rng), false},
      {"W0", RandomTensor({16, 16, 1, 1}, rng), true},
      {"W", RandomTensor({16, 16, 1, 1}, rng), true},
  };
  const std::vector<Node> nodes = {
      MakeNode("Conv", {"x", "W0"}, {"f"}), MakeNode("GlobalAveragePool", {"f"}, {"g"}),
      MakeNode("Conv", {"g", "W"}, {"t"}),  MakeNode("Add", {"t", "f"}, {"s"}),
      MakeNode("Relu", {"s"}, {"y"}),
  };
  CompareBlocked(MakeGraph(nodes, c), RuntimeInputs(c), "wider residual");
}


// 3x3 stride-1 convolutions with 32 channels take Winograd inside the region
// (block 8): a residual block with bias, fused sum and relu, a clipped one
// with asymmetric pads, and one whose residual is wider than its output
// (the oneDNN convolution runs that one).
TEST(BlockedLayout, WinogradConvolutionsMatchTheReferenceKernels) {
  std::mt19937 rng(13);
  const std::vector<GraphInput> c = {
      {"x", RandomTensor({2, 32, 9, 10}, rng), false},
      {"W1", RandomTensor({32, 32, 3, 3}, rng, -0.1f, 0.1f), true},
      {"B1", RandomTensor({32}, rng), true},
      {"W2", RandomTensor({40, 32, 3, 3}, rng, -0.1f, 0.1f), true},
      {"W3", RandomTensor({32, 40, 3, 3}, rng, -0.1f, 0.1f), true},
      {"lo", Tensor::Scalar<float>(-0.5f), true},
      {"hi", Tensor::Scalar<float>(0.5f), true},
  };
  const std::vector<Node> nodes = {
      MakeNode("Conv", {"x", "W1", "B1"}, {"c1"}, {{"pads", IntsAttr({1, 1, 1, 1})}}),
      MakeNode("Add", {"c1", "x"}, {"a1"}),
      MakeNode("Relu", {"a1"}, {"r1"}),
      MakeNode("Conv", {"r1", "W2"}, {"c2"}, {{"pads", IntsAttr({0, 2, 1, 0})}}),
      MakeNode("Clip", {"c2", "lo", "hi"}, {"k2"}),
      MakeNode("GlobalAveragePool", {"k2"}, {"g"}),
      MakeNode("Conv", {"g", "W3"}, {"c3"}, {{"auto_pad", StringAttr("SAME_UPPER")}}),
      MakeNode("Add", {"c3", "r1"}, {"y"}),
  };
  std::set<std::string> kernels;
  CompareBlocked(MakeGraph(nodes, c), RuntimeInputs(c), "winograd", 2, &kernels);
  EXPECT_TRUE(kernels.count("fast.winograd") || !fast::WinogradIsFast());
}

}  // namespace
}  // namespace inferd::onednn::testing
