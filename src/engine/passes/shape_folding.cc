// Shape folding: exporters compute reshape targets at run time from Shape ->
// Gather -> Unsqueeze -> Concat chains even when only the batch dimension is
// symbolic. This pass infers what it can of every value's shape (rank, and
// each dim as a number or unknown) from the declared input shapes, then
//   * Shape(v) with every dim of v known becomes a constant;
//   * Gather(Shape(v), i) with dim i of v known becomes a constant;
//   * Reshape(x, Concat(c0, r, c2...)) whose pieces are one-element constants
//     > 0 except one run-time piece gets the constant target [c0, -1, c2...]
//     (the run-time piece is then the one dim Reshape infers);
// and runs constant folding after each step until nothing changes, so the
// chains collapse and their nodes die.
//
// The inference is deliberately small: elementwise and broadcasting ops,
// Transpose, MatMul/Gemm, Reshape, Slice and ReduceMean with constant
// arguments, and the internal ops. Anything else has an unknown shape.
// Guard on the Reshape rewrite: allowzero 0 (a -1 then means the same as the
// run-time value for every non-empty input).
#include <climits>
#include <set>
#include <unordered_map>

#include "engine/kernels/internal_ops.h"
#include "engine/passes/pattern_util.h"

namespace inferd {
namespace {

using namespace pattern;
using Dims = std::vector<int64_t>;  // -1: unknown
using ShapeMap = std::unordered_map<std::string, Dims>;

std::optional<Dims> Get(const ShapeMap& shapes, const std::string& v) {
  auto it = shapes.find(v);
  if (it == shapes.end()) return std::nullopt;
  return it->second;
}

std::optional<std::vector<int64_t>> IntConstant(const Graph& g, const std::string& v) {
  auto it = g.initializers.find(v);
  if (it == g.initializers.end() || it->second.dtype() != DType::kInt64) return std::nullopt;
  return std::vector<int64_t>(it->second.data<int64_t>(), it->second.data<int64_t>() + it->second.numel());
}

std::optional<Dims> Broadcast(const std::vector<Dims>& ins) {
  size_t rank = 0;
  for (const auto& d : ins) rank = std::max(rank, d.size());
  Dims out(rank, 1);
  for (const auto& d : ins) {
    const size_t off = rank - d.size();
    for (size_t i = 0; i < d.size(); ++i) {
      int64_t& o = out[off + i];
      const int64_t v = d[i];
      if (v == 1) continue;
      if (o == 1 || o == v) {
        o = v;
      } else if (o == -1 || v == -1) {
        o = (o == -1 && v == -1) ? -1 : std::max(o, v);  // a known dim > 1 wins
      } else {
        return std::nullopt;  // will fail at run time; infer nothing
      }
    }
  }
  return out;
}

int64_t SliceLength(int64_t dim, int64_t start, int64_t end, int64_t step) {
  if (dim < 0 || step == 0) return -1;
  if (start < 0) start += dim;
  if (end < 0) end += dim;
  if (step > 0) {
    start = std::clamp<int64_t>(start, 0, dim);
    end = std::clamp<int64_t>(end, 0, dim);
    return end > start ? (end - start + step - 1) / step : 0;
  }
  start = std::clamp<int64_t>(start, 0, dim - 1);
  end = std::clamp<int64_t>(end, -1, dim - 1);
  return start > end ? (start - end - step - 1) / -step : 0;
}

std::optional<Dims> Infer(const Graph& g, const Node& n, const ShapeMap& s) {
  auto in = [&](size_t i) { return i < n.inputs.size() ? Get(s, n.inputs[i]) : std::nullopt; };
  const std::string& op = n.op_type;
  if (n.domain == kInternalDomain) {
    if (op == "LayerNormalization" || op == "Gelu") return in(0);
    if (op == "FusedMatMul") {
      auto a = in(0), b = in(1);
      if (!a || !b || a->empty() || b->size() != 2) return std::nullopt;
      a->back() = (*b)[1];
      return a;
    }
    return std::nullopt;
  }
  if (!n.domain.empty()) return std::nullopt;
  static const std::set<std::string> kSameShape = {"Relu", "Sigmoid", "Tanh", "Erf", "Sqrt", "Exp", "Log", "Neg", "Abs",
                                                   "Cast", "Softmax", "LogSoftmax", "Identity", "LeakyRelu", "Clip",
                                                   "Reciprocal", "Dropout", "HardSigmoid", "HardSwish", "Elu", "Gelu"};
  if (kSameShape.count(op)) return in(0);
  if (op == "Add" || op == "Sub" || op == "Mul" || op == "Div" || op == "Pow" || op == "Where") {
    std::vector<Dims> ins;
    for (size_t i = 0; i < n.inputs.size(); ++i) {
      auto d = in(i);
      if (!d) return std::nullopt;
      ins.push_back(*d);
    }
    return Broadcast(ins);
  }
  if (op == "Transpose") {
    auto a = in(0);
    if (!a) return std::nullopt;
    std::vector<int64_t> perm;
    if (const Attribute* p = n.FindAttribute("perm")) perm = p->ints;
    if (perm.empty())
      for (size_t i = a->size(); i-- > 0;) perm.push_back(static_cast<int64_t>(i));
    if (perm.size() != a->size()) return std::nullopt;
    Dims out;
    for (int64_t p : perm) {
      if (p < 0 || p >= static_cast<int64_t>(a->size())) return std::nullopt;
      out.push_back((*a)[static_cast<size_t>(p)]);
    }
    return out;
  }
  if (op == "MatMul") {
    auto a = in(0), b = in(1);
    if (!a || !b || a->size() < 2 || b->size() < 2) return std::nullopt;
    auto batch = Broadcast({Dims(a->begin(), a->end() - 2), Dims(b->begin(), b->end() - 2)});
    if (!batch) return std::nullopt;
    batch->push_back((*a)[a->size() - 2]);
    batch->push_back(b->back());
    return batch;
  }
  if (op == "Gemm") {
    auto a = in(0), b = in(1);
    if (!a || !b || a->size() != 2 || b->size() != 2) return std::nullopt;
    const Attribute* ta = n.FindAttribute("transA");
    const Attribute* tb = n.FindAttribute("transB");
    return Dims{(*a)[ta && ta->i ? 1 : 0], (*b)[tb && tb->i ? 0 : 1]};
  }
  if (op == "ReduceMean") {
    auto a = in(0);
    const Attribute* axes = n.FindAttribute("axes");
    const Attribute* kd = n.FindAttribute("keepdims");
    if (!a || !axes || (kd && kd->i != 1)) return std::nullopt;
    for (int64_t ax : axes->ints) {
      if (ax < 0) ax += static_cast<int64_t>(a->size());
      if (ax < 0 || ax >= static_cast<int64_t>(a->size())) return std::nullopt;
      (*a)[static_cast<size_t>(ax)] = 1;
    }
    return a;
  }
  if (op == "Reshape") {
    auto a = in(0);
    auto target = n.inputs.size() == 2 ? IntConstant(g, n.inputs[1]) : std::nullopt;
    const Attribute* az = n.FindAttribute("allowzero");
    if (!target || (az && az->i != 0)) return std::nullopt;
    Dims out = *target;
    int64_t known = 1;
    int infer_at = -1;
    for (size_t i = 0; i < out.size(); ++i) {
      if (out[i] == 0) out[i] = a && i < a->size() ? (*a)[i] : -1;
      if (out[i] == -1 && (*target)[i] == -1) infer_at = static_cast<int>(i);
      if (out[i] >= 0) known *= out[i];
    }
    if (infer_at >= 0 && a && known > 0) {
      int64_t total = 1;
      for (int64_t d : *a) total = (d < 0 || total < 0) ? -1 : total * d;
      int unknown = 0;
      for (int64_t d : out) unknown += d < 0 ? 1 : 0;
      if (total >= 0 && unknown == 1) out[static_cast<size_t>(infer_at)] = total / known;
    }
    return out;
  }
  if (op == "Shape") {
    auto a = in(0);
    if (!a || !n.attributes.empty()) return std::nullopt;
    return Dims{static_cast<int64_t>(a->size())};
  }
  if (op == "Gather") {
    auto a = in(0), idx = in(1);
    const Attribute* axis_attr = n.FindAttribute("axis");
    int64_t axis = axis_attr ? axis_attr->i : 0;
    if (!a || !idx) return std::nullopt;
    if (axis < 0) axis += static_cast<int64_t>(a->size());
    if (axis < 0 || axis >= static_cast<int64_t>(a->size())) return std::nullopt;
    Dims out(a->begin(), a->begin() + axis);
    out.insert(out.end(), idx->begin(), idx->end());
    out.insert(out.end(), a->begin() + axis + 1, a->end());
    return out;
  }
  if (op == "Unsqueeze") {
    auto a = in(0);
    std::vector<int64_t> axes;
    if (const Attribute* at = n.FindAttribute("axes")) {
      axes = at->ints;
    } else if (n.inputs.size() == 2) {
      auto c = IntConstant(g, n.inputs[1]);
      if (!c) return std::nullopt;
      axes = *c;
    }
    if (!a || axes.empty()) return std::nullopt;
    const int64_t rank = static_cast<int64_t>(a->size() + axes.size());
    Dims out(static_cast<size_t>(rank), -2);
    for (int64_t ax : axes) {
      if (ax < 0) ax += rank;
      if (ax < 0 || ax >= rank || out[static_cast<size_t>(ax)] != -2) return std::nullopt;
      out[static_cast<size_t>(ax)] = 1;
    }
    size_t next = 0;
    for (int64_t& d : out)
      if (d == -2) d = (*a)[next++];
    return out;
  }
  if (op == "Concat") {
    const Attribute* axis_attr = n.FindAttribute("axis");
    auto first = in(0);
    if (!first || !axis_attr) return std::nullopt;
    int64_t axis = axis_attr->i < 0 ? axis_attr->i + static_cast<int64_t>(first->size()) : axis_attr->i;
    if (axis < 0 || axis >= static_cast<int64_t>(first->size())) return std::nullopt;
    Dims out = *first;
    for (size_t i = 1; i < n.inputs.size(); ++i) {
      auto d = in(i);
      if (!d || d->size() != out.size()) return std::nullopt;
      int64_t& o = out[static_cast<size_t>(axis)];
      const int64_t v = (*d)[static_cast<size_t>(axis)];
      o = (o < 0 || v < 0) ? -1 : o + v;
    }
    return out;
  }
  if (op == "Slice" && n.inputs.size() >= 3) {
    auto a = in(0);
    auto starts = IntConstant(g, n.inputs[1]), ends = IntConstant(g, n.inputs[2]);
    if (!a || !starts || !ends || starts->size() != ends->size()) return std::nullopt;
    std::vector<int64_t> axes, steps(starts->size(), 1);
    for (size_t i = 0; i < starts->size(); ++i) axes.push_back(static_cast<int64_t>(i));
    if (n.inputs.size() > 3 && !n.inputs[3].empty()) {
      auto c = IntConstant(g, n.inputs[3]);
      if (!c || c->size() != starts->size()) return std::nullopt;
      axes = *c;
    }
    if (n.inputs.size() > 4 && !n.inputs[4].empty()) {
      auto c = IntConstant(g, n.inputs[4]);
      if (!c || c->size() != starts->size()) return std::nullopt;
      steps = *c;
    }
    for (size_t i = 0; i < axes.size(); ++i) {
      int64_t ax = axes[i] < 0 ? axes[i] + static_cast<int64_t>(a->size()) : axes[i];
      if (ax < 0 || ax >= static_cast<int64_t>(a->size())) return std::nullopt;
      int64_t& d = (*a)[static_cast<size_t>(ax)];
      d = SliceLength(d, (*starts)[i], (*ends)[i], steps[i]);
    }
    return a;
  }
  return std::nullopt;
}

ShapeMap InferShapes(const Graph& g) {
  ShapeMap shapes;
  auto declare = [&](const ValueInfo& v) {
    if (!v.dims) return;
    Dims d;
    for (const Dim& dim : *v.dims) d.push_back(dim.fixed() ? dim.value : -1);
    shapes[v.name] = d;
  };
  for (const auto& v : g.inputs) declare(v);
  for (const auto& [name, v] : g.value_infos) declare(v);
  for (const auto& [name, t] : g.initializers) shapes[name] = t.shape();
  for (const Node& n : g.nodes) {
    if (n.outputs.empty() || n.outputs[0].empty()) continue;
    if (auto d = Infer(g, n, shapes)) shapes[n.outputs[0]] = *d;
  }
  return shapes;
}

bool AllKnown(const Dims& d) {
  return std::all_of(d.begin(), d.end(), [](int64_t v) { return v >= 0; });
}

// One sweep of the three rewrites; returns whether anything changed.
bool FoldOnce(Graph& g) {
  const ShapeMap shapes = InferShapes(g);
  bool changed = false;
  std::unordered_map<std::string, std::string> shape_of;  // Shape output -> its input
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    Node& n = g.nodes[i];
    if (!n.domain.empty() || n.outputs.size() != 1) continue;
    if (n.op_type == "Shape" && n.inputs.size() == 1 && n.attributes.empty()) {
      auto d = Get(shapes, n.inputs[0]);
      if (d && AllKnown(*d)) {
        g.initializers[n.outputs[0]] = Tensor::FromVector<int64_t>(*d, {static_cast<int64_t>(d->size())});
        g.nodes.erase(g.nodes.begin() + static_cast<std::ptrdiff_t>(i--));
        changed = true;
      } else {
        shape_of[n.outputs[0]] = n.inputs[0];
      }
      continue;
    }
    if (n.op_type == "Gather" && n.inputs.size() == 2 && shape_of.count(n.inputs[0])) {
      const Attribute* axis = n.FindAttribute("axis");
      auto idx_it = g.initializers.find(n.inputs[1]);
      auto d = Get(shapes, shape_of[n.inputs[0]]);
      if ((axis && axis->i != 0) || idx_it == g.initializers.end() || idx_it->second.numel() != 1 || !d) continue;
      const Tensor& idx_t = idx_it->second;
      int64_t idx = idx_t.dtype() == DType::kInt64   ? idx_t.data<int64_t>()[0]
                    : idx_t.dtype() == DType::kInt32 ? idx_t.data<int32_t>()[0]
                                                     : INT64_MIN;
      if (idx < 0 && idx != INT64_MIN) idx += static_cast<int64_t>(d->size());
      if (idx < 0 || idx >= static_cast<int64_t>(d->size()) || (*d)[static_cast<size_t>(idx)] < 0) continue;
      g.initializers[n.outputs[0]] = Tensor::FromVector<int64_t>({(*d)[static_cast<size_t>(idx)]}, idx_t.shape());
      g.nodes.erase(g.nodes.begin() + static_cast<std::ptrdiff_t>(i--));
      changed = true;
      continue;
    }
    if (n.op_type == "Reshape" && n.inputs.size() == 2 && !g.initializers.count(n.inputs[1])) {
      const Attribute* az = n.FindAttribute("allowzero");
      const int ci = FindProducer(g, n.inputs[1]);
      if ((az && az->i != 0) || ci < 0 || !Is(g, ci, "Concat", g.nodes[static_cast<size_t>(ci)].inputs.size()))
        continue;
      const Node& concat = g.nodes[static_cast<size_t>(ci)];
      std::vector<int64_t> target;
      int runtime = 0;
      bool ok = true;
      for (const auto& piece : concat.inputs) {
        auto c = IntConstant(g, piece);
        if (c && c->size() == 1 && (*c)[0] > 0) {
          target.push_back((*c)[0]);
        } else if (!c) {
          auto pd = Get(shapes, piece);
          ok = ok && pd && pd->size() == 1 && (*pd)[0] == 1;  // one element
          target.push_back(-1);
          ++runtime;
        } else {
          ok = false;
        }
      }
      if (!ok || runtime != 1) continue;
      const std::string name = n.outputs[0] + "/folded_shape";
      if (g.initializers.count(name)) continue;
      g.initializers[name] = Tensor::FromVector<int64_t>(target, {static_cast<int64_t>(target.size())});
      n.inputs[1] = name;
      changed = true;
    }
  }
  return changed;
}

class ShapeFolding final : public GraphPass {
 public:
  std::string_view name() const override { return "shape-folding"; }

  Result<bool> Apply(Graph& g) const override {
    const GraphPass* folding = nullptr;
    for (const GraphPass* p : PassRegistry::Global().Passes())
      if (p->name() == "constant-folding") folding = p;
    bool changed = false;
    constexpr int kMaxSweeps = 16;
    for (int sweep = 0; sweep < kMaxSweeps; ++sweep) {
      bool any = FoldOnce(g);
      if (folding != nullptr) {
        ASSIGN_OR_RETURN(bool folded, folding->Apply(g));
        any = any || folded;
      }
      if (!any) break;
      changed = true;
    }
    if (changed) RemoveDeadNodes(g);
    return changed;
  }
};

}  // namespace

INFERD_REGISTER_PASS(ShapeFolding, 25, ShapeFolding);

}  // namespace inferd
