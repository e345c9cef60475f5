// Test helpers for the dnnl kernels: build small graphs, run them with the
// dnnl kernels and with the reference kernels (the oracle), and compare.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "engine/ir/attribute_builders.h"
#include "engine/runtime/model.h"

namespace inferd::onednn::testing {

using attrs::IntAttr;
using attrs::IntsAttr;
using attrs::FloatAttr;
using attrs::StringAttr;

inline Tensor RandomTensor(const Shape& shape, std::mt19937& rng, float lo = -1.f, float hi = 1.f) {
  Tensor t = Tensor::Create(DType::kFloat32, shape).value();
  std::uniform_real_distribution<float> dist(lo, hi);
  float* p = t.data<float>();
  for (int64_t i = 0; i < t.numel(); ++i) p[i] = dist(rng);
  return t;
}

// One input of a test graph: a runtime input, or a constant (initializer).
struct GraphInput {
  std::string name;
  Tensor value;
  bool constant = false;
};

// Builds a graph from nodes; the runtime inputs are the non-constant `inputs`
// in order, the output is `output`.
inline Graph MakeGraph(const std::vector<Node>& nodes, const std::vector<GraphInput>& inputs,
                       const std::string& output = "y", int64_t opset = 17) {
  Graph g;
  g.opsets[""] = opset;
  for (const auto& in : inputs) {
    if (in.constant) {
      g.initializers[in.name] = in.value;
    } else {
      g.inputs.push_back({in.name, in.value.dtype(), std::nullopt});
    }
  }
  g.outputs = {{output, DType::kFloat32, std::nullopt}};
  g.nodes = nodes;
  return g;
}

inline Node MakeNode(const std::string& op, std::vector<std::string> inputs, std::vector<std::string> outputs,
                     std::map<std::string, Attribute> attrs = {}) {
  Node n;
  n.op_type = op;
  n.name = op + "_" + outputs[0];
  n.inputs = std::move(inputs);
  n.outputs = std::move(outputs);
  n.attributes = std::move(attrs);
  return n;
}

inline std::vector<Tensor> RuntimeInputs(const std::vector<GraphInput>& inputs) {
  std::vector<Tensor> v;
  for (const auto& in : inputs)
    if (!in.constant) v.push_back(in.value);
  return v;
}

// Compiles `g` restricted to `providers` (optimizer off: the graphs are the test).
inline std::shared_ptr<const CompiledModel> CompileOrDie(Graph g, std::vector<std::string> providers) {
  ModelOptions options;
  options.optimize = false;
  options.providers = std::move(providers);
  auto model = CompiledModel::Compile(std::move(g), {}, options);
  EXPECT_TRUE(model.ok()) << model.status().ToString();
  return model.ok() ? *model : nullptr;
}

inline void ExpectClose(const Tensor& got, const Tensor& want, const std::string& what, double rtol = 1e-4,
                        double atol = 1e-4) {
  ASSERT_EQ(got.shape(), want.shape()) << what;
  ASSERT_EQ(got.dtype(), want.dtype()) << what;
  int reported = 0;
  for (int64_t i = 0; i < got.numel(); ++i) {
    const double a = got.GetAsDouble(i), b = want.GetAsDouble(i);
    const bool ok = (std::isnan(a) && std::isnan(b)) || std::fabs(a - b) <= atol + rtol * std::fabs(b);
    if (!ok && reported++ < 5) ADD_FAILURE() << what << ": element " << i << " got " << a << " want " << b;
  }
}

// Runs `dnnl_graph` with all providers (its first node must get an
// optimized kernel, dnnl.* or fast.*) and `ref_graph` with the reference kernels on the same inputs, and
// compares the outputs.
inline void CompareWithRef(const Graph& dnnl_graph, const Graph& ref_graph, const std::vector<GraphInput>& inputs,
                           const std::string& what, double rtol = 1e-4, double atol = 1e-4) {
  auto fast = CompileOrDie(dnnl_graph, {});
  auto oracle = CompileOrDie(ref_graph, {"ref"});
  ASSERT_TRUE(fast && oracle) << what;
  const std::string_view kernel = fast->step_kernel_name(0);
  ASSERT_TRUE(kernel.substr(0, 5) == "dnnl." || kernel.substr(0, 5) == "fast.") << what << ": got kernel " << kernel;
  const auto runtime = RuntimeInputs(inputs);
  auto ctx = fast->NewRunContext();
  auto want = oracle->Run(runtime);
  ASSERT_TRUE(want.ok()) << what << ": " << want.status().ToString();
  // Twice through one context: the second run uses the cached primitive.
  for (int pass = 0; pass < 2; ++pass) {
    auto got = fast->Run(*ctx, runtime);
    ASSERT_TRUE(got.ok()) << what << ": " << got.status().ToString();
    ExpectClose((*got)[0], (*want)[0], what, rtol, atol);
  }
}

// The one-node form: `op(inputs) -> y` compared between dnnl and ref.
inline void CompareOneNode(const std::string& op, const std::vector<GraphInput>& inputs,
                           const std::map<std::string, Attribute>& attrs, const std::string& what, int64_t opset = 17,
                           double rtol = 1e-4, double atol = 1e-4) {
  std::vector<std::string> names;
  for (const auto& in : inputs) names.push_back(in.name);
  const Graph g = MakeGraph({MakeNode(op, names, {"y"}, attrs)}, inputs, "y", opset);
  CompareWithRef(g, g, inputs, what, rtol, atol);
}

}  // namespace inferd::onednn::testing
