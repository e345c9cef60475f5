// Scale into weights: a division or multiplication by a scalar constant
// whose input comes from an inferd.FusedMatMul through layout-only ops
// (Reshape, Transpose, Squeeze, Unsqueeze: they move elements, not change
// them), as PyTorch scales attention queries by 1/sqrt(head_dim),
//   q = FusedMatMul(A, W, b) -> Reshape -> Transpose -> Div(., 8)
// is folded into the projection: W and b are scaled once at load and the
// Div disappears.
//
// Guard: every value on the chain read once and not a graph output; the
// FusedMatMul carries no activation; the scalar is a rank-0 FP32 constant
// (so it never changes the result's shape), nonzero for Div.
#include <set>

#include "engine/kernels/internal_ops.h"
#include "engine/passes/pattern_util.h"

namespace inferd {
namespace {

using namespace pattern;

class ScaleIntoWeights final : public GraphPass {
 public:
  std::string_view name() const override { return "scale-into-weights"; }

  Result<bool> Apply(Graph& g) const override {
    bool changed = false;
    for (size_t i = 0; i < g.nodes.size();) {
      if (TryFold(g, i)) {
        changed = true;
      } else {
        ++i;
      }
    }
    return changed;
  }

 private:
  static bool TryFold(Graph& g, size_t si) {
    const Node& op = g.nodes[si];
    const bool div = Is(g, static_cast<int>(si), "Div", 2), mul = Is(g, static_cast<int>(si), "Mul", 2);
    if (!div && !mul) return false;
    // The scalar operand (Div: only the divisor).
    std::string x;
    float factor = 0;
    for (int side : {1, 0}) {
      if (div && side == 0) break;
      const Tensor* c = FloatConstant(g, op.inputs[static_cast<size_t>(side)]);
      if (c == nullptr || c->rank() != 0) continue;
      const float v = c->data<float>()[0];
      if (div && v == 0) return false;
      factor = div ? 1.f / v : v;
      x = op.inputs[static_cast<size_t>(1 - side)];
      break;
    }
    if (x.empty() || FloatConstant(g, x) != nullptr) return false;
    // Walk back through layout-only ops to the FusedMatMul.
    static const std::set<std::string> kLayout = {"Reshape", "Transpose", "Squeeze", "Unsqueeze"};
    std::string v = x;
    int pi = -1;
    for (int hops = 0; hops < 8; ++hops) {
      if (CountUses(g, v) != 1) return false;
      pi = FindProducer(g, v);
      if (pi < 0) return false;
      const Node& p = g.nodes[static_cast<size_t>(pi)];
      if (p.domain == kInternalDomain && p.op_type == "FusedMatMul") break;
      if (!p.domain.empty() || !kLayout.count(p.op_type) || p.inputs.empty()) return false;
      v = p.inputs[0];
      pi = -1;
    }
    if (pi < 0) return false;
    Node& f = g.nodes[static_cast<size_t>(pi)];
    if (f.FindAttribute("_activation") != nullptr || f.inputs.size() != 3) return false;
    const Tensor* w = FloatConstant(g, f.inputs[1]);
    const Tensor* b = FloatConstant(g, f.inputs[2]);
    if (w == nullptr || b == nullptr) return false;
    const int last = FindProducer(g, x);  // exists: the walk above started there
    const std::string wn = f.name + "/scaled_W", bn = f.name + "/scaled_bias";
    if (g.initializers.count(wn) || g.initializers.count(bn)) return false;
    // Scaled copies written in one pass each (no clone-then-scale).
    auto scaled_copy = [factor](const Tensor& t) {
      Tensor out = Tensor::Create(DType::kFloat32, t.shape()).value();  // t exists, so its shape fits
      const float* in = t.data<float>();
      float* o = out.data<float>();
      for (int64_t i = 0; i < t.numel(); ++i) o[i] = in[i] * factor;
      return out;
    };
    Tensor ws = scaled_copy(*w), bs = scaled_copy(*b);
    g.initializers[wn] = std::move(ws);
    g.initializers[bn] = std::move(bs);
    f.inputs[1] = wn;
    f.inputs[2] = bn;
    // The chain's last node now produces the scaled value under its name (x
    // was read only by the Div).
    const std::string scaled = op.outputs[0];
    g.nodes[static_cast<size_t>(last)].outputs[0] = scaled;
    g.nodes.erase(g.nodes.begin() + static_cast<std::ptrdiff_t>(si));
    RemoveDeadNodes(g);
    return true;
  }
};

}  // namespace

INFERD_REGISTER_PASS(ScaleIntoWeights, 36, ScaleIntoWeights);

}  // namespace inferd
