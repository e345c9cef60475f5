// Small graph-matching helpers shared by the fusion passes that recognise
// exported subgraphs (LayerNorm, GELU, MatMul + bias). Header-only; they
// only read the graph, except EraseNodes.
#pragma once

#include <algorithm>
#include <cmath>
#include <optional>
#include <string>
#include <vector>

#include "engine/ir/attribute_builders.h"
#include "engine/ir/graph.h"
#include "engine/passes/pass.h"

namespace inferd::pattern {

// The FP32 constant (initializer) named `value`, or nullptr.
inline const Tensor* FloatConstant(const Graph& g, const std::string& value) {
  auto it = g.initializers.find(value);
  if (it == g.initializers.end() || it->second.dtype() != DType::kFloat32) return nullptr;
  return &it->second;
}

// The value of a one-element FP32 constant, or nullopt.
inline std::optional<float> ScalarConstant(const Graph& g, const std::string& value) {
  const Tensor* t = FloatConstant(g, value);
  if (t == nullptr || t->numel() != 1) return std::nullopt;
  return t->data<float>()[0];
}

inline bool Near(std::optional<float> v, float want, float tol = 1e-4f) {
  return v && std::abs(*v - want) <= tol * std::max(1.f, std::abs(want));
}

// Index of the one node reading `value` when exactly one node reads it once
// and it is not a graph output; else -1.
inline int SoleConsumer(const Graph& g, const std::string& value) {
  if (CountUses(g, value) != 1) return -1;
  for (size_t i = 0; i < g.nodes.size(); ++i)
    if (std::find(g.nodes[i].inputs.begin(), g.nodes[i].inputs.end(), value) != g.nodes[i].inputs.end())
      return static_cast<int>(i);
  return -1;
}

// Whether node `i` is the ai.onnx op `op` with `inputs` inputs and one output.
inline bool Is(const Graph& g, int i, const char* op, size_t inputs) {
  if (i < 0) return false;
  const Node& n = g.nodes[static_cast<size_t>(i)];
  return n.domain.empty() && n.op_type == op && n.inputs.size() == inputs && n.outputs.size() == 1;
}

// For a two-input node reading `value`, its other input; "" if it does not
// read `value` (or reads it twice).
inline std::string OtherInput(const Node& n, const std::string& value) {
  if (n.inputs.size() != 2) return "";
  if (n.inputs[0] == value && n.inputs[1] != value) return n.inputs[1];
  if (n.inputs[1] == value && n.inputs[0] != value) return n.inputs[0];
  return "";
}

// Removes the nodes at `indices` (any order, duplicates allowed).
inline void EraseNodes(Graph& g, std::vector<int> indices) {
  std::sort(indices.begin(), indices.end());
  indices.erase(std::unique(indices.begin(), indices.end()), indices.end());
  for (auto it = indices.rbegin(); it != indices.rend(); ++it) g.nodes.erase(g.nodes.begin() + *it);
}

// Tries `try_fuse` at every node in order; a fusion replaces nodes at and
// after i, so node i is looked at again. True if anything was fused.
inline bool FuseAtEachNode(Graph& g, bool (*try_fuse)(Graph&, int)) {
  bool changed = false;
  for (size_t i = 0; i < g.nodes.size();) {
    if (try_fuse(g, static_cast<int>(i))) {
      changed = true;
    } else {
      ++i;
    }
  }
  return changed;
}

using attrs::FloatAttr;
using attrs::IntAttr;
using attrs::StringAttr;

}  // namespace inferd::pattern
