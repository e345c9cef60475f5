// Conv residual fusion: Add(Conv(...), r) whose Conv output only the Add
// reads becomes the Conv with `r` as an extra input named by the internal
// attribute "_sum_input" (its index). The dnnl Conv adds it as a oneDNN sum
// post-op before any activation, so a following Relu (fused by the
// activation pass, which runs after this one) gives act(conv + r), the order
// ResNet's blocks need. Guard: FP32 Conv with constant 4-D weights (the
// oneDNN path), no activation or sum fused yet. Broadcasting either way is
// kept exact by the kernel (r may be smaller or larger than the Conv output).
// Only the dnnl Conv knows "_sum_input", so this runs with the dnnl passes
// (dnnl_passes.h), not from the registry.
#include "engine/passes/dnnl_passes.h"

namespace inferd {
namespace {

bool IsConstF32Weights(const Graph& g, const Node& conv) {
  if (conv.inputs.size() < 2) return false;
  auto it = g.initializers.find(conv.inputs[1]);
  return it != g.initializers.end() && it->second.dtype() == DType::kFloat32 && it->second.rank() == 4;
}

}  // namespace

Result<bool> ConvResidualFusion::Apply(Graph& g) const {
  bool changed = false;
  for (size_t ai = 0; ai < g.nodes.size(); ++ai) {
    const Node& add = g.nodes[ai];
    if (!add.domain.empty() || add.op_type != "Add" || add.inputs.size() != 2 || add.outputs.size() != 1) continue;
    for (size_t side = 0; side < 2; ++side) {
      const std::string& conv_out = add.inputs[side];
      const std::string& residual = add.inputs[1 - side];
      if (conv_out.empty() || residual.empty() || conv_out == residual) continue;
      if (g.initializers.count(residual)) continue;  // a constant: a bias, not a residual
      const int ci = FindProducer(g, conv_out);
      if (ci < 0) continue;
      Node& conv = g.nodes[static_cast<size_t>(ci)];
      if (!conv.domain.empty() || conv.op_type != "Conv" || conv.outputs.size() != 1) continue;
      if (conv.FindAttribute("_activation") || conv.FindAttribute("_sum_input")) continue;
      if (!IsConstF32Weights(g, conv) || CountUses(g, conv_out) != 1) continue;
      while (conv.inputs.size() < 3) conv.inputs.emplace_back();  // B slot, possibly omitted
      Attribute index;
      index.type = Attribute::Type::kInt;
      index.i = static_cast<int64_t>(conv.inputs.size());
      conv.inputs.push_back(residual);
      conv.attributes["_sum_input"] = index;
      conv.outputs[0] = add.outputs[0];
      g.nodes.erase(g.nodes.begin() + static_cast<std::ptrdiff_t>(ai));
      --ai;
      changed = true;
      break;
    }
  }
  // The residual may be produced after the Conv in the old order.
  if (changed) RETURN_IF_ERROR(g.TopologicalSort());
  return changed;
}

}  // namespace inferd
