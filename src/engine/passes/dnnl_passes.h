// Passes that only make sense when the oneDNN (dnnl) kernels run the graph:
// they produce nodes and tensors only those kernels understand, so the
// runtime runs them (RunDnnlPasses) after the generic optimizer, and only
// when the dnnl provider is allowed.
//
// Thread safety: passes are stateless; Apply mutates only the graph given.
#pragma once

#include "engine/passes/pass.h"

namespace inferd {

// Add(Conv(x), r) -> Conv(x, ..., r) with "_sum_input" (see the .cc).
class ConvResidualFusion final : public GraphPass {
 public:
  std::string_view name() const override { return "conv-residual-fusion"; }
  Result<bool> Apply(Graph& g) const override;
};

// Marks regions of ops that keep activations channel-blocked between them
// and inserts reorders at their edges (see kernels/dnnl/layout.h for how a
// blocked tensor looks and which attributes carry the layout).
//
// A region starts at a 2-D Conv with constant FP32 weights whose output
// channels the block divides; it extends through ops that read a blocked
// value: Conv (input channels divisible too), MaxPool/AveragePool (2-D),
// GlobalAveragePool, BatchNormalization (inference), element-wise
// activations, and Add/Mul of two blocked values with the same channels.
// A Conv whose output no region op reads writes plain output instead. Every
// other reader of a blocked value, and every graph output, gets it through
// one inserted inferd.ToPlainLayout node; a plain value several Convs read
// in blocked form is blocked once by an inferd.ToBlockedLayout node. Graphs
// with subgraphs (which read outer values implicitly) are left alone.
// Idempotent: a graph that already has layout attributes is not changed.
class LayoutAssignment final : public GraphPass {
 public:
  explicit LayoutAssignment(int block) : block_(block) {}
  std::string_view name() const override { return "layout-assignment"; }
  Result<bool> Apply(Graph& g) const override;

 private:
  int block_;
};

// Residual fusion, then the generic optimizer again (to fuse activations
// that now follow a Conv), then layout assignment with `block` (0: none).
Status RunDnnlPasses(Graph& g, int block);

}  // namespace inferd
