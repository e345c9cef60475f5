// MatMul slice split: a fused projection whose output is only cut into
// pieces along its last axis, as PyTorch exports attention's packed QKV
// projection,
//   P = inferd.FusedMatMul(A, W[K,3D], b[3D])
//   q = Slice(P, [0], [D], [-1])   k = Slice(P, [D], [2D], [-1])   v = ...
// becomes one FusedMatMul per piece with the matching columns of W and b, so
// no slice copies are made (and later passes may fold a scale into one
// piece's weights).
//
// Guard: every reader of P is such a Slice (constant starts/ends, axes [-1],
// steps absent or [1]) and P is not a graph output.
#include "engine/kernels/internal_ops.h"
#include "engine/passes/pattern_util.h"

namespace inferd {
namespace {

using namespace pattern;

std::optional<int64_t> OneInt(const Graph& g, const std::string& v) {
  auto it = g.initializers.find(v);
  if (it == g.initializers.end() || it->second.numel() != 1 || it->second.dtype() != DType::kInt64) return std::nullopt;
  return it->second.data<int64_t>()[0];
}

class MatMulSliceSplit final : public GraphPass {
 public:
  std::string_view name() const override { return "matmul-slice-split"; }

  Result<bool> Apply(Graph& g) const override {
    bool changed = false;
    for (size_t i = 0; i < g.nodes.size(); ++i)
      if (TrySplit(g, i)) changed = true;
    return changed;
  }

 private:
  static bool TrySplit(Graph& g, size_t pi) {
    const Node& p = g.nodes[pi];
    if (p.domain != kInternalDomain || p.op_type != "FusedMatMul" || p.inputs.size() != 3 || p.outputs.size() != 1)
      return false;
    const Tensor* w = FloatConstant(g, p.inputs[1]);
    const Tensor* b = FloatConstant(g, p.inputs[2]);
    if (w == nullptr || b == nullptr || w->rank() != 2 || b->numel() != w->dim(1)) return false;
    const int64_t k = w->dim(0), n = w->dim(1);
    const std::string out = p.outputs[0];
    for (const auto& o : g.outputs)
      if (o.name == out) return false;
    struct Piece {
      size_t slice;
      int64_t begin, end;
    };
    std::vector<Piece> pieces;
    for (size_t j = 0; j < g.nodes.size(); ++j) {
      const Node& s = g.nodes[j];
      if (std::find(s.inputs.begin(), s.inputs.end(), out) == s.inputs.end()) continue;
      if (!Is(g, static_cast<int>(j), "Slice", s.inputs.size()) || s.inputs.size() < 4 || s.inputs.size() > 5 ||
          s.inputs[0] != out)
        return false;
      auto start = OneInt(g, s.inputs[1]), end = OneInt(g, s.inputs[2]), axis = OneInt(g, s.inputs[3]);
      if (!start || !end || axis != -1) return false;
      if (s.inputs.size() == 5 && OneInt(g, s.inputs[4]) != 1) return false;
      int64_t lo = *start < 0 ? *start + n : *start, hi = *end < 0 ? *end + n : *end;
      lo = std::clamp<int64_t>(lo, 0, n);
      hi = std::clamp<int64_t>(hi, 0, n);
      if (hi <= lo) return false;
      pieces.push_back({j, lo, hi});
    }
    if (pieces.empty()) return false;

    std::vector<Node> replacements;
    for (size_t i = 0; i < pieces.size(); ++i) {
      const Piece& pc = pieces[i];
      const int64_t cols = pc.end - pc.begin;
      const std::string tag = p.name + "/split" + std::to_string(i);
      Tensor ws = Tensor::Create(DType::kFloat32, {k, cols}).value();
      Tensor bs = Tensor::Create(DType::kFloat32, {cols}).value();
      for (int64_t r = 0; r < k; ++r)
        for (int64_t c = 0; c < cols; ++c) ws.data<float>()[r * cols + c] = w->data<float>()[r * n + pc.begin + c];
      for (int64_t c = 0; c < cols; ++c) bs.data<float>()[c] = b->data<float>()[pc.begin + c];
      if (g.initializers.count(tag + "/W") || g.initializers.count(tag + "/bias")) return false;
      g.initializers[tag + "/W"] = std::move(ws);
      g.initializers[tag + "/bias"] = std::move(bs);
      Node q = p;
      q.name = tag;
      q.inputs = {p.inputs[0], tag + "/W", tag + "/bias"};
      q.outputs = {g.nodes[pc.slice].outputs[0]};
      replacements.push_back(std::move(q));
    }
    std::vector<int> erase;
    for (const Piece& pc : pieces) erase.push_back(static_cast<int>(pc.slice));
    EraseNodes(g, erase);  // all after pi: pi stays valid
    g.nodes.erase(g.nodes.begin() + static_cast<std::ptrdiff_t>(pi));
    g.nodes.insert(g.nodes.begin() + static_cast<std::ptrdiff_t>(pi), replacements.begin(), replacements.end());
    RemoveDeadNodes(g);
    return true;
  }
};

}  // namespace

INFERD_REGISTER_PASS(MatMulSliceSplit, 35, MatMulSliceSplit);

}  // namespace inferd
