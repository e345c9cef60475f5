// Activation fusion: Conv, Gemm, MatMul or inferd.FusedMatMul followed by an activation that
// only it feeds becomes one node carrying the activation as internal
// attributes, which kernels apply in place (oneDNN: as an eltwise post-op):
//   "_activation" (string: op type), "_activation_alpha", "_activation_beta".
// For Clip, alpha/beta are min/max. Guard: float32 producer (known from an
// initializer or a declared type), constant Clip bounds, producer output read
// only by the activation and not a graph output.
#include <cfloat>
#include <set>

#include "engine/kernels/internal_ops.h"
#include "engine/passes/pass.h"

namespace inferd {
namespace {

bool IsFloat32(const Graph& g, const std::string& v) {
  if (auto it = g.initializers.find(v); it != g.initializers.end()) return it->second.dtype() == DType::kFloat32;
  if (auto it = g.value_infos.find(v); it != g.value_infos.end()) return it->second.dtype == DType::kFloat32;
  for (const auto& in : g.inputs)
    if (in.name == v) return in.dtype == DType::kFloat32;
  return false;
}

// Reads a constant scalar input (Clip min/max from opset 11); nullopt if not constant.
std::optional<float> ConstScalar(const Graph& g, const Node& n, size_t i, float def) {
  if (i >= n.inputs.size() || n.inputs[i].empty()) return def;
  auto it = g.initializers.find(n.inputs[i]);
  if (it == g.initializers.end() || it->second.numel() != 1 || it->second.dtype() != DType::kFloat32) return std::nullopt;
  return it->second.data<float>()[0];
}

float AttrF(const Node& n, const char* key, float def) {
  const Attribute* a = n.FindAttribute(key);
  return a ? a->f : def;
}

// The activation's (alpha, beta), or nullopt if it cannot be fused.
std::optional<std::pair<float, float>> ActivationParams(const Graph& g, const Node& act) {
  const std::string& op = act.op_type;
  if (op == "Relu" || op == "Sigmoid" || op == "Tanh" || op == "HardSwish") return std::pair{0.f, 0.f};
  if (op == "LeakyRelu") return std::pair{AttrF(act, "alpha", 0.01f), 0.f};
  if (op == "Elu") return std::pair{AttrF(act, "alpha", 1.0f), 0.f};
  if (op == "HardSigmoid") return std::pair{AttrF(act, "alpha", 0.2f), AttrF(act, "beta", 0.5f)};
  if (op == "Clip") {
    if (g.OpsetFor("") < 11) return std::pair{AttrF(act, "min", -FLT_MAX), AttrF(act, "max", FLT_MAX)};
    auto lo = ConstScalar(g, act, 1, -FLT_MAX), hi = ConstScalar(g, act, 2, FLT_MAX);
    if (!lo || !hi) return std::nullopt;
    return std::pair{*lo, *hi};
  }
  return std::nullopt;
}

class ActivationFusion final : public GraphPass {
 public:
  std::string_view name() const override { return "activation-fusion"; }
  Result<bool> Apply(Graph& g) const override {
    static const std::set<std::string> kProducers = {"Conv", "Gemm", "MatMul"};
    bool changed = false;
    for (size_t ai = 0; ai < g.nodes.size(); ++ai) {
      const Node& act = g.nodes[ai];
      if (!act.domain.empty() || act.inputs.empty() || act.outputs.size() != 1) continue;
      auto params = ActivationParams(g, act);
      if (!params) continue;
      const int pi = FindProducer(g, act.inputs[0]);
      if (pi < 0) continue;
      Node& prod = g.nodes[static_cast<size_t>(pi)];
      const bool producer = prod.domain.empty() ? kProducers.count(prod.op_type) > 0
                                                : prod.domain == kInternalDomain && prod.op_type == "FusedMatMul";
      if (!producer || prod.outputs.size() != 1) continue;
      if (prod.FindAttribute("_activation") || CountUses(g, prod.outputs[0]) != 1) continue;
      bool is_f32 = false;
      for (const auto& in : prod.inputs) is_f32 = is_f32 || (!in.empty() && IsFloat32(g, in));
      if (!is_f32) continue;
      Attribute kind;
      kind.type = Attribute::Type::kString;
      kind.s = act.op_type;
      Attribute alpha, beta;
      alpha.type = beta.type = Attribute::Type::kFloat;
      alpha.f = params->first;
      beta.f = params->second;
      prod.attributes["_activation"] = kind;
      prod.attributes["_activation_alpha"] = alpha;
      prod.attributes["_activation_beta"] = beta;
      prod.outputs[0] = act.outputs[0];
      g.nodes.erase(g.nodes.begin() + static_cast<std::ptrdiff_t>(ai));
      --ai;
      changed = true;
    }
    return changed;
  }
};

}  // namespace

INFERD_REGISTER_PASS(ActivationFusion, 40, ActivationFusion);

}  // namespace inferd
