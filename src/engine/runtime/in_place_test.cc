// KernelContext::OutputInPlace: a Conv with a fused residual writes into the
// residual's buffer only when nothing else can see it change, and the values
// are the reference kernels' either way.
#include <gtest/gtest.h>

#include <random>

#include "engine/kernels/dnnl/oracle_test_util.h"
#include "engine/kernels/fast/winograd.h"
#include "engine/passes/dnnl_passes.h"

namespace inferd::onednn::testing {
namespace {

// Records, per step, whether output 0 shares memory with one of the inputs.
class AliasObserver final : public RunObserver {
 public:
  void OnOpBegin(size_t) override {}
  void OnOpEnd(size_t step, const std::vector<const Tensor*>& inputs,
               const std::vector<const Tensor*>& outputs) override {
    bool shared = false;
    for (const Tensor* in : inputs)
      shared = shared || (in != nullptr && !outputs.empty() && outputs[0]->raw() == in->raw());
    if (shared) shared_steps.push_back(step);
  }
  std::vector<size_t> shared_steps;
};

// x -> Conv1 -> Relu = r; Conv2(x) + r -> Relu -> Conv3 = y, and (`reread`)
// r read again after the sum, or (`r_is_output`) r also a graph output.
struct Case {
  int64_t channels;
  bool reread, r_is_output;
};

void RunCase(const Case& k) {
  std::mt19937 rng(21);
  const int64_t c = k.channels;
  const std::vector<GraphInput> in = {
      {"x", RandomTensor({1, c, 9, 9}, rng), false},
      {"W1", RandomTensor({c, c, 3, 3}, rng, -0.1f, 0.1f), true},
      {"W2", RandomTensor({c, c, 3, 3}, rng, -0.1f, 0.1f), true},
      {"W3", RandomTensor({c, c, 1, 1}, rng, -0.3f, 0.3f), true},
  };
  std::vector<Node> nodes = {
      MakeNode("Conv", {"x", "W1"}, {"a"}, {{"pads", IntsAttr({1, 1, 1, 1})}}),
      MakeNode("Relu", {"a"}, {"r"}),
      MakeNode("Conv", {"x", "W2"}, {"c"}, {{"pads", IntsAttr({1, 1, 1, 1})}}),
      MakeNode("Add", {"c", "r"}, {"s"}),
      MakeNode("Relu", {"s"}, {"t"}),
  };
  // A last Conv keeps the sum's output inside the blocked region.
  if (k.reread) {
    nodes.push_back(MakeNode("Mul", {"t", "r"}, {"u"}));
    nodes.push_back(MakeNode("Conv", {"u", "W3"}, {"y"}));
  } else {
    nodes.push_back(MakeNode("Conv", {"t", "W3"}, {"y"}));
  }
  Graph g = MakeGraph(nodes, in);
  if (k.r_is_output) g.outputs.push_back({"r", DType::kFloat32, std::nullopt});
  const std::string what = std::to_string(c) + " channels" + (k.reread ? ", residual read again" : "") +
                           (k.r_is_output ? ", residual is an output" : "");

  auto oracle = CompileOrDie(g, {"ref"});
  Graph fast_graph = g;
  ASSERT_TRUE(RunDnnlPasses(fast_graph, 8).ok());
  auto fast = CompileOrDie(fast_graph, {});
  ASSERT_TRUE(oracle && fast);
  int sum_step = -1;
  for (size_t i = 0; i < fast->num_steps(); ++i)
    if (fast->step_node(i).FindAttribute("_sum_input") != nullptr) sum_step = static_cast<int>(i);
  ASSERT_GE(sum_step, 0) << what << ": the residual Add was not fused";
  if (fast::WinogradIsFast()) {
    EXPECT_EQ(fast->step_kernel_name(static_cast<size_t>(sum_step)), c >= 32 ? "fast.winograd" : "dnnl.conv") << what;
  }

  auto want = oracle->Run(RuntimeInputs(in));
  ASSERT_TRUE(want.ok()) << want.status().ToString();
  auto ctx = fast->NewRunContext();
  AliasObserver observer;
  ctx->set_observer(&observer);
  for (int pass = 0; pass < 2; ++pass) {  // the second run reuses pooled buffers
    observer.shared_steps.clear();
    auto got = fast->Run(*ctx, RuntimeInputs(in));
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    for (size_t i = 0; i < got->size(); ++i) ExpectClose((*got)[i], (*want)[i], what);
    const bool in_place = std::find(observer.shared_steps.begin(), observer.shared_steps.end(),
                                    static_cast<size_t>(sum_step)) != observer.shared_steps.end();
    EXPECT_EQ(in_place, !k.reread && !k.r_is_output) << what << " (" << fast->step_kernel_name(sum_step) << ")";
  }
}

TEST(OutputInPlace, FusedResidualSumReusesTheResidualOnlyWhenNothingElseSeesIt) {
  for (int64_t channels : {16, 32})  // oneDNN's convolution, then Winograd
    for (const Case& k : {Case{channels, false, false}, Case{channels, true, false}, Case{channels, false, true}})
      RunCase(k);
}

}  // namespace
}  // namespace inferd::onednn::testing
