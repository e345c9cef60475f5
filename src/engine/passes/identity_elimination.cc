// Identity elimination: Identity nodes, and Dropout nodes in inference mode
// whose mask is unused, are removed by rewiring their readers to the input.
//
// Guard: the node's output must not be a graph output (its name is part of
// the model's interface) and the node must not be inside a subgraph scope
// (subgraphs read outer values by name).
#include "engine/passes/pass.h"

namespace inferd {
namespace {

bool IsGraphOutput(const Graph& g, const std::string& v) {
  for (const auto& o : g.outputs)
    if (o.name == v) return true;
  return false;
}

bool HasSubgraphs(const Graph& g) {
  for (const auto& n : g.nodes)
    for (const auto& [_, a] : n.attributes)
      if (a.g || !a.graphs.empty()) return true;
  return false;
}

bool IsRemovable(const Node& n, const Graph& g) {
  if (!n.domain.empty() || n.inputs.empty() || n.inputs[0].empty() || n.outputs.empty()) return false;
  if (n.op_type == "Identity") return true;
  if (n.op_type != "Dropout") return false;
  // Dropout: removable when not training (no training_mode input, or a constant false one)
  // and the mask output is unused.
  if (n.outputs.size() > 1 && !n.outputs[1].empty() && CountUses(g, n.outputs[1]) > 0) return false;
  if (n.inputs.size() > 2 && !n.inputs[2].empty()) {
    auto it = g.initializers.find(n.inputs[2]);
    if (it == g.initializers.end() || it->second.dtype() != DType::kBool || it->second.numel() != 1 ||
        it->second.data<bool>()[0])
      return false;
  }
  return true;
}

class IdentityElimination final : public GraphPass {
 public:
  std::string_view name() const override { return "identity-elimination"; }
  Result<bool> Apply(Graph& g) const override {
    if (HasSubgraphs(g)) return false;
    bool changed = false;
    for (size_t i = 0; i < g.nodes.size();) {
      const Node& n = g.nodes[i];
      if (!IsRemovable(n, g) || IsGraphOutput(g, n.outputs[0])) {
        ++i;
        continue;
      }
      const std::string from = n.outputs[0], to = n.inputs[0];
      g.nodes.erase(g.nodes.begin() + static_cast<std::ptrdiff_t>(i));
      for (auto& m : g.nodes)
        for (auto& in : m.inputs)
          if (in == from) in = to;
      changed = true;
    }
    return changed;
  }
};

}  // namespace

INFERD_REGISTER_PASS(IdentityElimination, 10, IdentityElimination);

}  // namespace inferd
