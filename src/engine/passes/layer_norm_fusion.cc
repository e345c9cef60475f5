// LayerNorm fusion: the decomposed layer normalisation that PyTorch (and
// older exporters) emit,
//   m = ReduceMean(x, axes)      d = Sub(x, m)        p = Pow(d, 2)
//   v = ReduceMean(p, axes)      e = Add(v, eps)      s = Sqrt(e)
//   n = Div(d, s)                [y1 = Mul(n, gamma)] [y = Add(y1, beta)]
// becomes one inferd.LayerNormalization(x, gamma, beta) (internal_ops.h).
//
// Guard: axes a suffix of negative axes ([-1], [-2,-1], ...) from the
// attribute (opset < 18) or a constant input, keepdims 1; eps, the exponent
// 2, gamma and beta FP32 constants; gamma and beta of rank <= the number of
// normalised axes (so they cannot broadcast the output to a bigger rank);
// every intermediate read only inside the pattern and not a graph output.
#include "engine/kernels/internal_ops.h"
#include "engine/passes/pattern_util.h"

namespace inferd {
namespace {

using namespace pattern;

// The reduced axes of a ReduceMean as a count k of trailing axes, or nullopt
// when they are not exactly [-k, ..., -1] with keepdims.
std::optional<int64_t> TrailingAxes(const Graph& g, const Node& n) {
  if (!n.domain.empty() || n.op_type != "ReduceMean" || n.outputs.size() != 1) return std::nullopt;
  if (const Attribute* kd = n.FindAttribute("keepdims"); kd != nullptr && kd->i != 1) return std::nullopt;
  std::vector<int64_t> axes;
  if (const Attribute* a = n.FindAttribute("axes"); a != nullptr) {
    axes = a->ints;
  } else if (n.inputs.size() == 2) {
    auto it = g.initializers.find(n.inputs[1]);
    if (it == g.initializers.end() || it->second.dtype() != DType::kInt64) return std::nullopt;
    axes.assign(it->second.data<int64_t>(), it->second.data<int64_t>() + it->second.numel());
  }
  if (axes.empty()) return std::nullopt;
  std::sort(axes.begin(), axes.end());
  const int64_t k = static_cast<int64_t>(axes.size());
  for (int64_t i = 0; i < k; ++i)
    if (axes[static_cast<size_t>(i)] != i - k) return std::nullopt;
  return k;
}

bool ParamFits(const Graph& g, const std::string& name, int64_t k) {
  const Tensor* t = FloatConstant(g, name);
  return t != nullptr && t->rank() <= k;
}

class LayerNormFusion final : public GraphPass {
 public:
  std::string_view name() const override { return "layer-norm-fusion"; }

  Result<bool> Apply(Graph& g) const override { return FuseAtEachNode(g, &TryFuse); }

 private:
  static bool TryFuse(Graph& g, int mean_i) {
    const Node& mean = g.nodes[static_cast<size_t>(mean_i)];
    const auto k = TrailingAxes(g, mean);
    if (!k || mean.inputs.empty()) return false;
    const std::string x = mean.inputs[0];
    const int sub_i = SoleConsumer(g, mean.outputs[0]);
    if (!Is(g, sub_i, "Sub", 2) || g.nodes[static_cast<size_t>(sub_i)].inputs[0] != x) return false;
    const std::string d = g.nodes[static_cast<size_t>(sub_i)].outputs[0];
    if (CountUses(g, d) != 2) return false;
    int pow_i = -1, div_i = -1;
    for (size_t i = 0; i < g.nodes.size(); ++i) {
      const Node& n = g.nodes[i];
      if (n.inputs.empty() || n.inputs[0] != d) continue;
      if (Is(g, static_cast<int>(i), "Pow", 2)) pow_i = static_cast<int>(i);
      if (Is(g, static_cast<int>(i), "Div", 2)) div_i = static_cast<int>(i);
    }
    if (pow_i < 0 || div_i < 0) return false;
    if (!Near(ScalarConstant(g, g.nodes[static_cast<size_t>(pow_i)].inputs[1]), 2.f, 0)) return false;
    const int var_i = SoleConsumer(g, g.nodes[static_cast<size_t>(pow_i)].outputs[0]);
    if (var_i < 0 || TrailingAxes(g, g.nodes[static_cast<size_t>(var_i)]) != k) return false;
    const std::string v = g.nodes[static_cast<size_t>(var_i)].outputs[0];
    const int add_eps_i = SoleConsumer(g, v);
    if (!Is(g, add_eps_i, "Add", 2)) return false;
    const auto eps = ScalarConstant(g, OtherInput(g.nodes[static_cast<size_t>(add_eps_i)], v));
    if (!eps || *eps < 0) return false;
    const int sqrt_i = SoleConsumer(g, g.nodes[static_cast<size_t>(add_eps_i)].outputs[0]);
    if (!Is(g, sqrt_i, "Sqrt", 1)) return false;
    const Node& div = g.nodes[static_cast<size_t>(div_i)];
    if (div.inputs[1] != g.nodes[static_cast<size_t>(sqrt_i)].outputs[0] || CountUses(g, div.inputs[1]) != 1)
      return false;

    std::vector<int> matched = {mean_i, sub_i, pow_i, var_i, add_eps_i, sqrt_i, div_i};
    std::string out = div.outputs[0];
    std::string gamma, beta;
    const int mul_i = SoleConsumer(g, out);
    if (Is(g, mul_i, "Mul", 2) && ParamFits(g, OtherInput(g.nodes[static_cast<size_t>(mul_i)], out), *k)) {
      gamma = OtherInput(g.nodes[static_cast<size_t>(mul_i)], out);
      out = g.nodes[static_cast<size_t>(mul_i)].outputs[0];
      matched.push_back(mul_i);
      const int add_i = SoleConsumer(g, out);
      if (Is(g, add_i, "Add", 2) && ParamFits(g, OtherInput(g.nodes[static_cast<size_t>(add_i)], out), *k)) {
        beta = OtherInput(g.nodes[static_cast<size_t>(add_i)], out);
        out = g.nodes[static_cast<size_t>(add_i)].outputs[0];
        matched.push_back(add_i);
      }
    }
    if (gamma.empty()) {
      gamma = out + "/layer_norm_scale";
      if (g.initializers.count(gamma)) return false;
      g.initializers[gamma] = Tensor::FromVector<float>({1.f}, {1});
    }

    Node ln;
    ln.name = mean.name.empty() ? out + "/LayerNormalization" : mean.name + "/LayerNormalization";
    ln.op_type = "LayerNormalization";
    ln.domain = std::string(kInternalDomain);
    ln.inputs = {x, gamma};
    if (!beta.empty()) ln.inputs.push_back(beta);
    ln.outputs = {out};
    ln.attributes["axis"] = IntAttr(-*k);
    ln.attributes["epsilon"] = FloatAttr(*eps);
    const int last = *std::max_element(matched.begin(), matched.end());
    g.nodes[static_cast<size_t>(last)] = std::move(ln);
    matched.erase(std::find(matched.begin(), matched.end(), last));
    EraseNodes(g, matched);
    g.opsets.emplace(std::string(kInternalDomain), 1);
    return true;
  }
};

}  // namespace

INFERD_REGISTER_PASS(LayerNormFusion, 30, LayerNormFusion);

}  // namespace inferd
