// Conv + BatchNormalization folding: an inference-mode BatchNormalization
// that reads a Conv's output (and nothing else reads it) is folded into the
// Conv's weights and bias:
//   s = scale / sqrt(var + eps);  W'[oc] = W[oc] * s[oc];  B' = (B - mean) * s + bias
// Guard: float32, constant W/B and constant BN parameters, one BN output used.
#include <cmath>

#include "engine/passes/pass.h"

namespace inferd {
namespace {

const Tensor* ConstF32(const Graph& g, const std::string& name) {
  if (name.empty()) return nullptr;
  auto it = g.initializers.find(name);
  return it != g.initializers.end() && it->second.dtype() == DType::kFloat32 ? &it->second : nullptr;
}

std::string UniqueName(const Graph& g, const std::string& base) {
  std::string name = base;
  for (int i = 1; g.initializers.count(name); ++i) name = base + "_" + std::to_string(i);
  return name;
}

class ConvBnFolding final : public GraphPass {
 public:
  std::string_view name() const override { return "conv-bn-folding"; }
  Result<bool> Apply(Graph& g) const override {
    bool changed = false;
    for (size_t bi = 0; bi < g.nodes.size(); ++bi) {
      const Node& bn = g.nodes[bi];
      if (!bn.domain.empty() || bn.op_type != "BatchNormalization" || bn.inputs.size() < 5) continue;
      if (const Attribute* tm = bn.FindAttribute("training_mode"); tm && tm->i != 0) continue;
      bool extra_outputs_used = false;
      for (size_t o = 1; o < bn.outputs.size(); ++o)
        if (!bn.outputs[o].empty() && CountUses(g, bn.outputs[o]) > 0) extra_outputs_used = true;
      if (extra_outputs_used) continue;
      const int ci = FindProducer(g, bn.inputs[0]);
      if (ci < 0) continue;
      Node& conv = g.nodes[static_cast<size_t>(ci)];
      if (!conv.domain.empty() || conv.op_type != "Conv" || CountUses(g, conv.outputs[0]) != 1) continue;
      if (conv.FindAttribute("_activation")) continue;
      const Tensor* w = ConstF32(g, conv.inputs.size() > 1 ? conv.inputs[1] : "");
      const Tensor* b = conv.inputs.size() > 2 && !conv.inputs[2].empty() ? ConstF32(g, conv.inputs[2]) : nullptr;
      if (w == nullptr || w->rank() < 3 || (conv.inputs.size() > 2 && !conv.inputs[2].empty() && b == nullptr)) continue;
      const Tensor* scale = ConstF32(g, bn.inputs[1]);
      const Tensor* bias = ConstF32(g, bn.inputs[2]);
      const Tensor* mean = ConstF32(g, bn.inputs[3]);
      const Tensor* var = ConstF32(g, bn.inputs[4]);
      const int64_t oc = w->dim(0);
      auto fits = [&](const Tensor* t) { return t != nullptr && t->numel() == oc; };
      if (!fits(scale) || !fits(bias) || !fits(mean) || !fits(var) || (b && b->numel() != oc)) continue;
      const Attribute* eps_attr = bn.FindAttribute("epsilon");
      const double eps = eps_attr ? eps_attr->f : 1e-5;

      // Written in one pass from W (no clone-then-scale: one read, one write).
      ASSIGN_OR_RETURN(Tensor nw, Tensor::Create(DType::kFloat32, w->shape()));
      ASSIGN_OR_RETURN(Tensor nb, Tensor::Create(DType::kFloat32, {oc}));
      const int64_t per_oc = w->numel() / std::max<int64_t>(oc, 1);
      for (int64_t c = 0; c < oc; ++c) {
        const double s = scale->data<float>()[c] / std::sqrt(static_cast<double>(var->data<float>()[c]) + eps);
        const float* wc = w->data<float>() + c * per_oc;
        float* out = nw.data<float>() + c * per_oc;
        for (int64_t k = 0; k < per_oc; ++k) out[k] = static_cast<float>(wc[k] * s);
        const double b0 = b ? b->data<float>()[c] : 0.0;
        nb.data<float>()[c] = static_cast<float>((b0 - mean->data<float>()[c]) * s + bias->data<float>()[c]);
      }
      const std::string base = conv.name.empty() ? conv.outputs[0] : conv.name;
      const std::string wname = UniqueName(g, base + "_bn_folded_W");
      g.initializers[wname] = std::move(nw);
      const std::string bname = UniqueName(g, base + "_bn_folded_B");
      g.initializers[bname] = std::move(nb);
      conv.inputs.resize(3);
      conv.inputs[1] = wname;
      conv.inputs[2] = bname;
      conv.outputs[0] = bn.outputs[0];
      g.nodes.erase(g.nodes.begin() + static_cast<std::ptrdiff_t>(bi));
      --bi;
      changed = true;
    }
    if (changed) RemoveDeadNodes(g);
    return changed;
  }
};

}  // namespace

INFERD_REGISTER_PASS(ConvBnFolding, 30, ConvBnFolding);

}  // namespace inferd
