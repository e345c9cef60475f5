// Optimizer passes: small named objects that rewrite the IR graph at load.
//
// Each pass lives in its own file, registers itself with INFERD_REGISTER_PASS
// and has a test with a before/after graph. A pass must keep the graph's
// meaning (same outputs for every input, within float tolerance) and its
// inputs/outputs unchanged. Passes run in ascending `order`, repeated until
// none reports a change (bounded).
#pragma once

#include <memory>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "engine/ir/graph.h"

namespace inferd {

class GraphPass {
 public:
  virtual ~GraphPass() = default;
  virtual std::string_view name() const = 0;
  // Rewrites `graph`; returns whether anything changed.
  virtual Result<bool> Apply(Graph& graph) const = 0;
};

struct PassRegistration {
  int order;
  std::unique_ptr<GraphPass> pass;
};

class PassRegistry {
 public:
  static PassRegistry& Global();
  bool Register(int order, std::unique_ptr<GraphPass> pass);
  // Passes in run order.
  std::vector<const GraphPass*> Passes() const;

 private:
  std::vector<PassRegistration> passes_;
};

// Runs every registered pass to a fixed point (at most a few rounds).
Status OptimizeGraph(Graph& graph);

// Helpers shared by passes.
// Number of nodes reading `value` (plus 1 if it is a graph output).
int CountUses(const Graph& graph, const std::string& value);
// Index of the node producing `value`, or -1.
int FindProducer(const Graph& graph, const std::string& value);
// Removes nodes whose outputs nobody reads (and that are not graph outputs).
bool RemoveDeadNodes(Graph& graph);

}  // namespace inferd

#define INFERD_REGISTER_PASS(tag, order, type) \
  static const bool INFERD_CONCAT(kInferdPass_, tag) = ::inferd::PassRegistry::Global().Register(order, std::make_unique<type>())
