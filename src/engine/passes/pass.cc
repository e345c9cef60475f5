#include "engine/passes/pass.h"

#include <algorithm>
#include <unordered_set>

namespace inferd {

PassRegistry& PassRegistry::Global() {
  static PassRegistry* registry = new PassRegistry();
  return *registry;
}

bool PassRegistry::Register(int order, std::unique_ptr<GraphPass> pass) {
  passes_.push_back({order, std::move(pass)});
  std::stable_sort(passes_.begin(), passes_.end(),
                   [](const PassRegistration& a, const PassRegistration& b) { return a.order < b.order; });
  return true;
}

std::vector<const GraphPass*> PassRegistry::Passes() const {
  std::vector<const GraphPass*> out;
  for (const auto& p : passes_) out.push_back(p.pass.get());
  return out;
}

Status OptimizeGraph(Graph& graph) {
  constexpr int kMaxRounds = 4;
  for (int round = 0; round < kMaxRounds; ++round) {
    bool changed = false;
    for (const GraphPass* pass : PassRegistry::Global().Passes()) {
      auto r = pass->Apply(graph);
      if (!r.ok()) return r.status().WithContext("optimizer pass " + std::string(pass->name()));
      changed |= *r;
    }
    if (!changed) break;
  }
  return Status::Ok();
}

int CountUses(const Graph& graph, const std::string& value) {
  int uses = 0;
  for (const auto& n : graph.nodes) uses += static_cast<int>(std::count(n.inputs.begin(), n.inputs.end(), value));
  for (const auto& o : graph.outputs) uses += o.name == value ? 1 : 0;
  return uses;
}

int FindProducer(const Graph& graph, const std::string& value) {
  for (size_t i = 0; i < graph.nodes.size(); ++i)
    for (const auto& o : graph.nodes[i].outputs)
      if (o == value) return static_cast<int>(i);
  return -1;
}

bool RemoveDeadNodes(Graph& graph) {
  bool changed = false;
  for (;;) {
    std::unordered_set<std::string> used;
    for (const auto& n : graph.nodes) {
      used.insert(n.inputs.begin(), n.inputs.end());
      for (const auto& [_, a] : n.attributes)
        if (a.g || !a.graphs.empty()) return changed;  // subgraphs read outer values implicitly: leave alone
    }
    for (const auto& o : graph.outputs) used.insert(o.name);
    const size_t before = graph.nodes.size();
    graph.nodes.erase(std::remove_if(graph.nodes.begin(), graph.nodes.end(),
                                     [&](const Node& n) {
                                       return std::none_of(n.outputs.begin(), n.outputs.end(),
                                                           [&](const std::string& o) { return !o.empty() && used.count(o); });
                                     }),
                      graph.nodes.end());
    if (graph.nodes.size() == before) break;
    changed = true;
  }
  // Drop initializers nobody reads.
  std::unordered_set<std::string> read;
  for (const auto& n : graph.nodes) read.insert(n.inputs.begin(), n.inputs.end());
  for (const auto& o : graph.outputs) read.insert(o.name);
  for (auto it = graph.initializers.begin(); it != graph.initializers.end();) {
    if (!read.count(it->first)) {
      it = graph.initializers.erase(it);
      changed = true;
    } else {
      ++it;
    }
  }
  return changed;
}

}  // namespace inferd
