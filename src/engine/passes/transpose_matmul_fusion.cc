// Transpose-MatMul fusion: the transposes around attention's products,
//   MatMul(Transpose(Q, p), Transpose(K, q)) -> Softmax -> MatMul(., Transpose(V, r)) -> Transpose(., s)
// fold into inferd.TransposedMatMul nodes (internal_ops.h) whose kernel reads
// and writes through strides, so no transposed copy is made. PyTorch's
// multi-head attention export has four such transposes per layer.
//
// Guard: every MatMul operand rank 3 (a folded Transpose's perm has 3
// entries; an operand left in place must have a rank the graph tells: see
// RankOf), each folded Transpose read only by the MatMul (or, for the output,
// the only reader of the MatMul) and not a graph output, and the operands
// FP32 as far as the graph tells (IsFloat). Order 37: after the QKV split.
#include <optional>
#include <set>

#include "engine/kernels/internal_ops.h"
#include "engine/passes/pattern_util.h"

namespace inferd {
namespace {

using namespace pattern;

constexpr int kMaxDepth = 24;

const Node* Producer(const Graph& g, const std::string& value) {
  for (const Node& n : g.nodes)
    for (const std::string& out : n.outputs)
      if (out == value) return &n;
  return nullptr;
}

bool IsOp(const Node& n, const char* op) { return n.domain.empty() && n.op_type == op; }

// Ops whose output has the rank of input 0, and those that broadcast inputs 0 and 1.
const std::set<std::string> kSameRank = {"Relu",    "Sigmoid",    "Tanh",     "Erf",  "Exp",  "Sqrt",      "Neg",
                                         "Softmax", "LogSoftmax", "Identity", "Cast", "Clip", "LeakyRelu", "Dropout"};
const std::set<std::string> kBroadcast = {"Add", "Sub", "Mul", "Div", "Pow"};

// The rank of `value` when the graph tells it, else nullopt.
std::optional<size_t> RankOf(const Graph& g, const std::string& value, int depth = 0) {
  if (depth > kMaxDepth || value.empty()) return std::nullopt;
  if (auto it = g.initializers.find(value); it != g.initializers.end()) return it->second.shape().size();
  for (const ValueInfo& in : g.inputs)
    if (in.name == value) return in.dims ? std::optional<size_t>(in.dims->size()) : std::nullopt;
  const Node* n = Producer(g, value);
  if (n == nullptr || n->outputs.empty() || n->outputs[0] != value) return std::nullopt;
  if (n->domain == kInternalDomain && n->op_type == "TransposedMatMul") return 3;
  if (n->domain == kInternalDomain && (n->op_type == "Gelu" || n->op_type == "LayerNormalization"))
    return n->inputs.empty() ? std::nullopt : RankOf(g, n->inputs[0], depth + 1);
  if (!n->domain.empty()) return std::nullopt;
  if (n->op_type == "Transpose") {
    const Attribute* perm = n->FindAttribute("perm");
    return perm != nullptr ? std::optional<size_t>(perm->ints.size()) : std::nullopt;
  }
  if (kSameRank.count(n->op_type) && !n->inputs.empty()) return RankOf(g, n->inputs[0], depth + 1);
  if ((kBroadcast.count(n->op_type) || n->op_type == "MatMul") && n->inputs.size() == 2) {
    const auto a = RankOf(g, n->inputs[0], depth + 1), b = RankOf(g, n->inputs[1], depth + 1);
    if (!a || !b || (n->op_type == "MatMul" && (*a < 2 || *b < 2))) return std::nullopt;
    return std::max(*a, *b);
  }
  return std::nullopt;
}

// Whether `value` is FP32 as far as the graph tells.
bool IsFloat(const Graph& g, const std::string& value, int depth = 0) {
  if (depth > kMaxDepth || value.empty()) return false;
  if (auto it = g.initializers.find(value); it != g.initializers.end()) return it->second.dtype() == DType::kFloat32;
  for (const ValueInfo& in : g.inputs)
    if (in.name == value) return in.dtype == DType::kFloat32;
  const Node* n = Producer(g, value);
  if (n == nullptr || n->inputs.empty()) return false;
  if (n->domain == kInternalDomain) return true;  // the fusion passes create internal ops for FP32 only
  static const std::set<std::string> kFloatOnly = {"Softmax", "LogSoftmax", "Sigmoid", "Tanh", "Erf", "Sqrt", "Exp"};
  if (kFloatOnly.count(n->op_type)) return true;
  static const std::set<std::string> kFollowInput0 = {"Reshape",   "Transpose", "Relu",   "Identity", "Squeeze",
                                                      "Unsqueeze", "Slice",     "Gather", "Add",      "Sub",
                                                      "Mul",       "Div",       "MatMul", "Neg",      "Flatten"};
  return kFollowInput0.count(n->op_type) && IsFloat(g, n->inputs[0], depth + 1);
}

// Index of the Transpose (perm of 3) producing `value` whose only reader is
// node `reader`, or -1.
int FoldableTransposeInput(const Graph& g, const std::string& value, int reader) {
  if (SoleConsumer(g, value) != reader) return -1;
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    const Node& n = g.nodes[i];
    if (n.outputs.size() != 1 || n.outputs[0] != value) continue;
    const Attribute* perm = n.FindAttribute("perm");
    if (!IsOp(n, "Transpose") || n.inputs.size() != 1 || perm == nullptr || perm->ints.size() != 3) return -1;
    return static_cast<int>(i);
  }
  return -1;
}

class TransposeMatMulFusion final : public GraphPass {
 public:
  std::string_view name() const override { return "transpose-matmul-fusion"; }

  // A fusion erases Transposes before the MatMul, which shifts the nodes
  // after it; sweep again until nothing changes.
  Result<bool> Apply(Graph& g) const override {
    bool any = false;
    while (FuseAtEachNode(g, &TryFuse)) any = true;
    return any;
  }

 private:
  static bool TryFuse(Graph& g, int mm_i) {
    if (!Is(g, mm_i, "MatMul", 2)) return false;
    const Node& mm = g.nodes[static_cast<size_t>(mm_i)];
    int t[2] = {FoldableTransposeInput(g, mm.inputs[0], mm_i), FoldableTransposeInput(g, mm.inputs[1], mm_i)};
    if (mm.inputs[0] == mm.inputs[1]) t[1] = -1;  // one Transpose read twice is not read only once
    for (int i = 0; i < 2; ++i)
      if (t[i] < 0 && RankOf(g, mm.inputs[static_cast<size_t>(i)]) != std::optional<size_t>(3)) return false;
    if (!IsFloat(g, mm.inputs[0]) && !IsFloat(g, mm.inputs[1])) return false;
    int ty = -1;
    const int reader = SoleConsumer(g, mm.outputs[0]);
    if (reader >= 0 && IsOp(g.nodes[static_cast<size_t>(reader)], "Transpose")) {
      const Attribute* perm = g.nodes[static_cast<size_t>(reader)].FindAttribute("perm");
      if (perm != nullptr && perm->ints.size() == 3) ty = reader;
    }
    // oneDNN 2.6 takes a strided B or a strided output at nearly full speed,
    // but not both at once (measured: 1.47 ms against 0.75-0.84 ms for
    // attention's [32,128,128] x [32,128,64]): then B's Transpose stays.
    if (t[1] >= 0 && ty >= 0) {
      t[1] = -1;
      if (RankOf(g, mm.inputs[1]) != std::optional<size_t>(3)) return false;
    }
    if (t[0] < 0 && t[1] < 0 && ty < 0) return false;

    Node fused;
    fused.name = mm.name.empty() ? mm.outputs[0] + "/TransposedMatMul" : mm.name;
    fused.op_type = "TransposedMatMul";
    fused.domain = std::string(kInternalDomain);
    const char* perm_names[2] = {"perm_a", "perm_b"};
    for (int i = 0; i < 2; ++i) {
      if (t[i] < 0) {
        fused.inputs.push_back(mm.inputs[static_cast<size_t>(i)]);
        continue;
      }
      const Node& tr = g.nodes[static_cast<size_t>(t[i])];
      fused.inputs.push_back(tr.inputs[0]);
      fused.attributes[perm_names[i]] = attrs::IntsAttr(tr.FindAttribute("perm")->ints);
    }
    if (ty >= 0) {
      const Node& tr = g.nodes[static_cast<size_t>(ty)];
      fused.outputs = {tr.outputs[0]};
      fused.attributes["perm_y"] = attrs::IntsAttr(tr.FindAttribute("perm")->ints);
    } else {
      fused.outputs = mm.outputs;
    }
    g.nodes[static_cast<size_t>(mm_i)] = std::move(fused);
    std::vector<int> erase;
    for (int i : {t[0], t[1], ty})
      if (i >= 0) erase.push_back(i);
    EraseNodes(g, erase);
    g.opsets.emplace(std::string(kInternalDomain), 1);
    return true;
  }
};

}  // namespace

INFERD_REGISTER_PASS(TransposeMatMulFusion, 37, TransposeMatMulFusion);

}  // namespace inferd
