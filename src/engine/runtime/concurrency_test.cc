// One CompiledModel shared by many threads, each with its own RunContext:
// every result must equal the single-threaded result, bit for bit.
#include <gtest/gtest.h>

#include <atomic>
#include <cstring>
#include <random>
#include <thread>

#include "engine/runtime/model.h"

namespace inferd {
namespace {

Attribute Ints(std::vector<int64_t> v) {
  Attribute a;
  a.type = Attribute::Type::kInts;
  a.ints = std::move(v);
  return a;
}

Attribute Int(int64_t v) {
  Attribute a;
  a.type = Attribute::Type::kInt;
  a.i = v;
  return a;
}

Node MakeNode(std::string op, std::string name, std::vector<std::string> in, std::vector<std::string> out,
              std::map<std::string, Attribute> attrs = {}) {
  Node n;
  n.op_type = std::move(op);
  n.name = std::move(name);
  n.inputs = std::move(in);
  n.outputs = std::move(out);
  n.attributes = std::move(attrs);
  return n;
}

Tensor RandomFloats(Shape shape, uint32_t seed) {
  Tensor t = Tensor::Create(DType::kFloat32, std::move(shape)).value();
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(-1, 1);
  for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = u(rng);
  return t;
}

// x [N,4,6,6] -> Conv 3x3 (8 maps, pad 1) -> Add -> Mul -> MaxPool 2x2 -> Sub
// -> ReduceMean over H,W -> y [N,8]; the pooled map p [N,8,3,3] is a second
// output. Intermediates die at different steps, so buffers get reused.
Graph ChainGraph() {
  Graph g;
  g.opsets[""] = 17;
  g.inputs = {{"x", DType::kFloat32, std::vector<Dim>{{-1, "N"}, {4, ""}, {6, ""}, {6, ""}}}};
  g.outputs = {{"y", DType::kFloat32, std::nullopt}, {"p", DType::kFloat32, std::nullopt}};
  g.initializers["W"] = RandomFloats({8, 4, 3, 3}, 1);
  g.initializers["B"] = RandomFloats({8}, 2);
  g.initializers["bias"] = RandomFloats({8, 1, 1}, 3);
  g.initializers["scale"] = RandomFloats({1, 8, 1, 1}, 4);
  g.initializers["shift"] = RandomFloats({3}, 5);
  g.nodes.push_back(
      MakeNode("Conv", "conv", {"x", "W", "B"}, {"c"}, {{"kernel_shape", Ints({3, 3})}, {"pads", Ints({1, 1, 1, 1})}}));
  g.nodes.push_back(MakeNode("Add", "add", {"c", "bias"}, {"a"}));
  g.nodes.push_back(MakeNode("Mul", "mul", {"a", "scale"}, {"m"}));
  g.nodes.push_back(
      MakeNode("MaxPool", "pool", {"m"}, {"p"}, {{"kernel_shape", Ints({2, 2})}, {"strides", Ints({2, 2})}}));
  g.nodes.push_back(MakeNode("Sub", "sub", {"p", "shift"}, {"s"}));
  g.nodes.push_back(MakeNode("ReduceMean", "mean", {"s"}, {"y"}, {{"axes", Ints({2, 3})}, {"keepdims", Int(0)}}));
  return g;
}

bool SameBits(const Tensor& a, const Tensor& b) {
  return a.dtype() == b.dtype() && a.shape() == b.shape() && std::memcmp(a.raw(), b.raw(), a.nbytes()) == 0;
}

TEST(Concurrency, EightThreadsMatchSingleThreadedResults) {
  auto compiled = CompiledModel::Compile(ChainGraph(), {});
  ASSERT_TRUE(compiled.ok()) << compiled.status().ToString();
  const std::shared_ptr<const CompiledModel> model = *compiled;

  // Distinct inputs of varying batch (so shapes change between runs), and
  // their single-threaded results, computed first with one context.
  constexpr int kInputs = 64;
  std::vector<Tensor> inputs;
  std::vector<std::vector<Tensor>> expected;
  auto ctx = model->NewRunContext();
  for (int i = 0; i < kInputs; ++i) {
    inputs.push_back(RandomFloats({1 + i % 3, 4, 6, 6}, 100 + static_cast<uint32_t>(i)));
    auto out = model->Run(*ctx, {inputs.back()});
    ASSERT_TRUE(out.ok()) << out.status().ToString();
    ASSERT_EQ(out->size(), 2u);
    ASSERT_EQ((*out)[0].shape(), (Shape{1 + i % 3, 8}));
    ASSERT_EQ((*out)[1].shape(), (Shape{1 + i % 3, 8, 3, 3}));
    // Keep private copies: a context may reuse output buffers on later runs.
    expected.push_back({(*out)[0].Clone(), (*out)[1].Clone()});
  }
  // The results must depend on the input, or the comparison proves nothing.
  ASSERT_FALSE(SameBits(expected[0][0], expected[3][0]));

  constexpr int kThreads = 8;
  constexpr int kRuns = 200;
  std::atomic<int> mismatches{0}, failures{0}, done{0};
  std::vector<std::string> first_error(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      auto my_ctx = model->NewRunContext();
      for (int r = 0; r < kRuns; ++r) {
        // Threads walk the inputs in different orders; some inputs are read by
        // several threads at once (inputs are shared read-only).
        const int i = (t * 7 + r * (2 * t + 1)) % kInputs;
        auto out = model->Run(*my_ctx, {inputs[static_cast<size_t>(i)]});
        if (!out.ok()) {
          if (failures++ == 0) first_error[static_cast<size_t>(t)] = out.status().ToString();
          continue;
        }
        const auto& want = expected[static_cast<size_t>(i)];
        if (!SameBits((*out)[0], want[0]) || !SameBits((*out)[1], want[1])) ++mismatches;
        ++done;
      }
    });
  }
  for (auto& th : threads) th.join();
  std::string errors;
  for (const auto& e : first_error) errors += e;
  EXPECT_EQ(failures.load(), 0) << errors;
  EXPECT_EQ(mismatches.load(), 0);
  EXPECT_EQ(done.load(), kThreads * kRuns);
  // The compiled model was not changed by all that: a fresh run still agrees.
  auto again = model->Run({inputs[5]});
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(SameBits((*again)[0], expected[5][0]));
}

}  // namespace
}  // namespace inferd
