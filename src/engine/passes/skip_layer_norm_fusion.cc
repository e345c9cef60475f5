// Skip-LayerNorm fusion: a residual Add whose only reader is a fused layer
// normalisation,
//   t = Add(a, b)      y = inferd.LayerNormalization(t, Scale, B?)
// becomes y = inferd.LayerNormalization(a, Scale, B?, b) (internal_ops.h):
// the sum is formed in the normalisation's own output and never stored
// apart (a post-norm transformer layer has two of these).
//
// Guard: t read only by the normalisation (once) and not a graph output; the
// normalisation has no Skip yet. Runs after layer-norm-fusion (order 30).
#include "engine/kernels/internal_ops.h"
#include "engine/passes/pattern_util.h"

namespace inferd {
namespace {

using namespace pattern;

class SkipLayerNormFusion final : public GraphPass {
 public:
  std::string_view name() const override { return "skip-layer-norm-fusion"; }

  Result<bool> Apply(Graph& g) const override { return FuseAtEachNode(g, &TryFuse); }

 private:
  static bool TryFuse(Graph& g, int add_i) {
    if (!Is(g, add_i, "Add", 2)) return false;
    const Node& add = g.nodes[static_cast<size_t>(add_i)];
    const int ln_i = SoleConsumer(g, add.outputs[0]);
    if (ln_i < 0) return false;
    Node& ln = g.nodes[static_cast<size_t>(ln_i)];
    if (ln.domain != kInternalDomain || ln.op_type != "LayerNormalization" || ln.inputs.size() < 2 ||
        ln.inputs.size() > 3 || ln.inputs[0] != add.outputs[0])
      return false;
    ln.inputs[0] = add.inputs[0];
    if (ln.inputs.size() == 2) ln.inputs.push_back("");
    ln.inputs.push_back(add.inputs[1]);
    EraseNodes(g, {add_i});
    return true;
  }
};

}  // namespace

INFERD_REGISTER_PASS(SkipLayerNormFusion, 31, SkipLayerNormFusion);

}  // namespace inferd
