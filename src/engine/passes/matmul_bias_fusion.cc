// MatMul + bias fusion: Y = Add(MatMul(A, W), bias) with W a constant 2-D
// [K, N] FP32 weight and bias a constant FP32 [N] (operands of Add in either
// order) becomes inferd.FusedMatMul(A, W, bias), whose fast kernel adds the
// bias inside the oneDNN matmul. The activation-fusion pass (order 40) may
// then fold a following Relu & co into it.
//
// Guard: the MatMul output read only by the Add and not a graph output; no
// fused activation or sum already on the MatMul.
#include "engine/kernels/internal_ops.h"
#include "engine/passes/pattern_util.h"

namespace inferd {
namespace {

using namespace pattern;

class MatMulBiasFusion final : public GraphPass {
 public:
  std::string_view name() const override { return "matmul-bias-fusion"; }

  Result<bool> Apply(Graph& g) const override {
    bool changed = false;
    for (size_t i = 0; i < g.nodes.size(); ++i) {
      Node& mm = g.nodes[i];
      if (!Is(g, static_cast<int>(i), "MatMul", 2) || !mm.attributes.empty()) continue;
      const Tensor* w = FloatConstant(g, mm.inputs[1]);
      if (w == nullptr || w->rank() != 2) continue;
      const int add_i = SoleConsumer(g, mm.outputs[0]);
      if (!Is(g, add_i, "Add", 2)) continue;
      const std::string bias = OtherInput(g.nodes[static_cast<size_t>(add_i)], mm.outputs[0]);
      const Tensor* b = FloatConstant(g, bias);
      if (b == nullptr || b->rank() != 1 || b->dim(0) != w->dim(1)) continue;
      mm.domain = std::string(kInternalDomain);
      mm.op_type = "FusedMatMul";
      mm.inputs.push_back(bias);
      mm.outputs[0] = g.nodes[static_cast<size_t>(add_i)].outputs[0];
      // The Add comes after the MatMul: erasing it keeps index i valid.
      g.nodes.erase(g.nodes.begin() + add_i);
      g.opsets.emplace(std::string(kInternalDomain), 1);
      changed = true;
    }
    return changed;
  }
};

}  // namespace

INFERD_REGISTER_PASS(MatMulBiasFusion, 30, MatMulBiasFusion);

}  // namespace inferd
