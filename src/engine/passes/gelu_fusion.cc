// GELU fusion: the erf form PyTorch exports for nn.GELU(),
//   a = Div(x, sqrt 2) (or Mul(x, 1/sqrt 2))   b = Erf(a)   c = Add(b, 1)
//   y = Mul(Mul(x, c), 0.5)   or   y = Mul(Mul(x, 0.5), c)
// (operands of Add/Mul in either order) becomes one inferd.Gelu(x).
//
// Guard: the constants FP32 scalars within 1e-4 of their values, every
// intermediate read only inside the pattern and not a graph output.
#include "engine/kernels/internal_ops.h"
#include "engine/passes/pattern_util.h"

namespace inferd {
namespace {

using namespace pattern;

class GeluFusion final : public GraphPass {
 public:
  std::string_view name() const override { return "gelu-fusion"; }

  Result<bool> Apply(Graph& g) const override { return FuseAtEachNode(g, &TryFuse); }

 private:
  // `i` is the Div/Mul that scales x by 1/sqrt 2.
  static bool TryFuse(Graph& g, int i) {
    const Node& scale = g.nodes[static_cast<size_t>(i)];
    const bool is_div = Is(g, i, "Div", 2), is_mul = Is(g, i, "Mul", 2);
    if (!is_div && !is_mul) return false;
    std::string x;
    if (is_div) {
      if (!Near(ScalarConstant(g, scale.inputs[1]), 1.41421356f)) return false;
      x = scale.inputs[0];
    } else {
      for (int side : {0, 1})
        if (Near(ScalarConstant(g, scale.inputs[static_cast<size_t>(side)]), 0.70710678f))
          x = scale.inputs[static_cast<size_t>(1 - side)];
      if (x.empty()) return false;
    }
    const int erf_i = SoleConsumer(g, scale.outputs[0]);
    if (!Is(g, erf_i, "Erf", 1)) return false;
    const std::string b = g.nodes[static_cast<size_t>(erf_i)].outputs[0];
    const int add_i = SoleConsumer(g, b);
    if (!Is(g, add_i, "Add", 2) || !Near(ScalarConstant(g, OtherInput(g.nodes[static_cast<size_t>(add_i)], b)), 1.f))
      return false;
    const std::string c = g.nodes[static_cast<size_t>(add_i)].outputs[0];
    const int mul1_i = SoleConsumer(g, c);
    if (!Is(g, mul1_i, "Mul", 2)) return false;
    const std::string t = OtherInput(g.nodes[static_cast<size_t>(mul1_i)], c);
    if (t.empty()) return false;
    std::vector<int> matched = {i, erf_i, add_i, mul1_i};
    int last;
    if (t == x) {
      // y = Mul(Mul(x, c), 0.5)
      const std::string xc = g.nodes[static_cast<size_t>(mul1_i)].outputs[0];
      const int half_i = SoleConsumer(g, xc);
      if (!Is(g, half_i, "Mul", 2) || !Near(ScalarConstant(g, OtherInput(g.nodes[static_cast<size_t>(half_i)], xc)), 0.5f))
        return false;
      matched.push_back(half_i);
      last = half_i;
    } else {
      // y = Mul(Mul(x, 0.5), c)
      const int half_i = FindProducer(g, t);
      if (!Is(g, half_i, "Mul", 2) || CountUses(g, t) != 1) return false;
      const Node& half = g.nodes[static_cast<size_t>(half_i)];
      if (OtherInput(half, x).empty() || !Near(ScalarConstant(g, OtherInput(half, x)), 0.5f)) return false;
      matched.push_back(half_i);
      last = mul1_i;
    }
    Node gelu;
    gelu.name = scale.name.empty() ? "Gelu" : scale.name + "/Gelu";
    gelu.op_type = "Gelu";
    gelu.domain = std::string(kInternalDomain);
    gelu.inputs = {x};
    gelu.outputs = {g.nodes[static_cast<size_t>(last)].outputs[0]};
    gelu.attributes["approximate"] = StringAttr("none");
    const int pos = *std::max_element(matched.begin(), matched.end());
    g.nodes[static_cast<size_t>(pos)] = std::move(gelu);
    matched.erase(std::find(matched.begin(), matched.end(), pos));
    EraseNodes(g, matched);
    g.opsets.emplace(std::string(kInternalDomain), 1);
    return true;
  }
};

}  // namespace

INFERD_REGISTER_PASS(GeluFusion, 30, GeluFusion);

}  // namespace inferd
