// Constant folding: a node whose inputs are all constants is run once at load
// with the reference kernels, and its outputs become initializers.
//
// Guard: deterministic ops only (no Random*, no subgraph-carrying nodes), no
// omitted-input tricks, and outputs below a size cap so folding never makes
// a model much bigger than it was (a ConstantOfShape of 1 GB stays a node).
#include <set>

#include "engine/passes/pass.h"
#include "engine/runtime/model.h"

namespace inferd {
namespace {

constexpr int64_t kMaxFoldedBytes = int64_t{64} << 20;

bool IsFoldable(const Node& n, const Graph& g) {
  static const std::set<std::string> kNondeterministic = {
      "RandomNormal", "RandomNormalLike", "RandomUniform", "RandomUniformLike", "Multinomial", "Bernoulli", "Dropout"};
  if (!n.domain.empty() || kNondeterministic.count(n.op_type)) return false;
  for (const auto& [_, a] : n.attributes)
    if (a.g || !a.graphs.empty()) return false;
  bool any_input = false;
  for (const auto& in : n.inputs) {
    if (in.empty()) continue;
    if (!g.initializers.count(in)) return false;
    any_input = true;
  }
  // Nodes with no inputs at all (e.g. RandomNormal, Range-less generators) stay.
  return any_input;
}

// Runs one node on its constant inputs with the reference kernels.
Result<std::vector<Tensor>> Evaluate(const Node& n, const Graph& g) {
  Graph sub;
  sub.opsets = g.opsets;
  Node copy = n;
  for (const auto& in : n.inputs)
    if (!in.empty()) sub.initializers[in] = g.initializers.at(in);
  for (const auto& out : n.outputs)
    if (!out.empty()) sub.outputs.push_back({out, DType::kUndefined, std::nullopt});
  sub.nodes.push_back(std::move(copy));
  ModelOptions options;
  options.optimize = false;
  options.providers = {"ref"};
  options.num_threads = 1;
  options.max_tensor_bytes = kMaxFoldedBytes;  // refuse before allocating, not after
  ASSIGN_OR_RETURN(auto model, CompiledModel::Compile(std::move(sub), {}, options));
  return model->Run(std::vector<Tensor>{});
}

class ConstantFolding final : public GraphPass {
 public:
  std::string_view name() const override { return "constant-folding"; }
  Result<bool> Apply(Graph& g) const override {
    bool changed = false;
    std::vector<Node> kept;
    kept.reserve(g.nodes.size());
    for (auto& n : g.nodes) {
      if (!IsFoldable(n, g)) {
        kept.push_back(std::move(n));
        continue;
      }
      auto outputs = Evaluate(n, g);
      bool ok = outputs.ok();
      if (ok) {
        for (const auto& t : *outputs) ok = ok && t.nbytes() <= static_cast<size_t>(kMaxFoldedBytes);
      }
      if (!ok) {  // leave it to the runtime, which reports any real error with context
        kept.push_back(std::move(n));
        continue;
      }
      size_t k = 0;
      for (const auto& out : n.outputs)
        if (!out.empty()) g.initializers[out] = (*outputs)[k++];
      changed = true;
    }
    g.nodes = std::move(kept);
    if (changed) RemoveDeadNodes(g);
    return changed;
  }
};

}  // namespace

INFERD_REGISTER_PASS(ConstantFolding, 20, ConstantFolding);

}  // namespace inferd
