// Layout assignment: see dnnl_passes.h for what it does and
// kernels/dnnl/layout.h for the attributes it sets.
#include <set>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "engine/kernels/internal_ops.h"
#include "engine/passes/dnnl_passes.h"

namespace inferd {
namespace {

const std::string kDomain(kInternalDomain);

// What a node does with blocked values.
struct Decision {
  enum class Role { kNone, kConv, kSameLayout, kBinary } role = Role::kNone;
  bool src = false;    // Conv: input 0 read blocked (others: always, when in a region)
  bool dst = false;    // output 0 written blocked (a Conv's sum input read blocked too)
  int sum_input = -1;  // Conv's "_sum_input"
};

bool HasSubgraphs(const Graph& g) {
  for (const auto& n : g.nodes)
    for (const auto& [_, a] : n.attributes)
      if (a.g || !a.graphs.empty()) return true;
  return false;
}

int64_t IntAttr(const Node& n, const char* key, int64_t def) {
  const Attribute* a = n.FindAttribute(key);
  return a != nullptr && a->type == Attribute::Type::kInt ? a->i : def;
}

Attribute MakeInt(int64_t v) {
  Attribute a;
  a.type = Attribute::Type::kInt;
  a.i = v;
  return a;
}

bool HasExtraOutputs(const Node& n) {
  for (size_t o = 1; o < n.outputs.size(); ++o)
    if (!n.outputs[o].empty()) return true;
  return false;
}

// Whether node `n` (with decision `d`) reads its input `k` in blocked form.
bool ReadsBlocked(const Decision& d, size_t k) {
  switch (d.role) {
    case Decision::Role::kNone:
      return false;
    case Decision::Role::kConv:
      return (k == 0 && d.src) || (static_cast<int>(k) == d.sum_input && d.dst);
    case Decision::Role::kSameLayout:
      return k == 0;
    case Decision::Role::kBinary:
      return k <= 1;
  }
  return false;
}

}  // namespace

Result<bool> LayoutAssignment::Apply(Graph& g) const {
  if (block_ != 8 && block_ != 16) return false;
  if (HasSubgraphs(g)) return false;
  for (const auto& n : g.nodes)
    if (n.FindAttribute("_layout_block") ||
        (n.domain == kDomain && (n.op_type == "ToPlainLayout" || n.op_type == "ToBlockedLayout")))
      return false;
  static const std::set<std::string> kUnary = {"Relu", "Clip",        "LeakyRelu", "Sigmoid",
                                               "Tanh", "HardSigmoid", "HardSwish", "Elu"};
  const int64_t onnx_opset = g.OpsetFor("");

  std::unordered_map<std::string, int64_t> blocked;      // blocked value -> channels
  std::unordered_map<std::string, int64_t> block_plain;  // plain value a Conv reads blocked -> channels
  std::vector<Decision> d(g.nodes.size());
  auto channels_of = [&](const std::string& v) -> int64_t {
    auto it = blocked.find(v);
    return it == blocked.end() ? -1 : it->second;
  };

  for (size_t i = 0; i < g.nodes.size(); ++i) {
    const Node& n = g.nodes[i];
    Decision& di = d[i];
    if (!n.domain.empty() || n.inputs.empty() || n.inputs[0].empty() || n.outputs.empty() || n.outputs[0].empty())
      continue;
    const std::string& x = n.inputs[0];
    if (n.op_type == "Conv") {
      if (n.outputs.size() != 1 || n.inputs.size() < 2) continue;
      auto w = g.initializers.find(n.inputs[1]);
      if (w == g.initializers.end() || w->second.dtype() != DType::kFloat32 || w->second.rank() != 4) continue;
      const int64_t group = IntAttr(n, "group", 1);
      if (group < 1) continue;
      const int64_t cin = w->second.dim(1) * group, cout = w->second.dim(0);
      const int64_t sum = IntAttr(n, "_sum_input", -1);
      if (sum >= static_cast<int64_t>(n.inputs.size()) || (sum >= 0 && n.inputs[static_cast<size_t>(sum)].empty()))
        continue;
      di.role = Decision::Role::kConv;
      di.sum_input = static_cast<int>(sum);
      if (cin % block_ == 0 && !g.initializers.count(x)) {
        if (channels_of(x) == cin) {
          di.src = true;
        } else if (channels_of(x) < 0) {
          block_plain[x] = cin;
          di.src = true;
        }
      }
      di.dst = cout % block_ == 0 && (sum < 0 || channels_of(n.inputs[static_cast<size_t>(sum)]) == cout);
      if (di.dst) blocked[n.outputs[0]] = cout;
      continue;
    }
    const int64_t c = channels_of(x);
    if (c < 0 || HasExtraOutputs(n)) continue;
    bool same_layout = false;
    if (n.op_type == "MaxPool" || n.op_type == "AveragePool") {
      const Attribute* k = n.FindAttribute("kernel_shape");
      same_layout = k != nullptr && k->ints.size() == 2;
    } else if (n.op_type == "GlobalAveragePool") {
      same_layout = true;
    } else if (n.op_type == "BatchNormalization") {
      same_layout = onnx_opset >= 9 && IntAttr(n, "training_mode", 0) == 0 && n.inputs.size() == 5;
      for (size_t k = 1; same_layout && k < n.inputs.size(); ++k) same_layout = channels_of(n.inputs[k]) < 0;
    } else if (kUnary.count(n.op_type)) {
      same_layout = true;
      for (size_t k = 1; k < n.inputs.size(); ++k) same_layout = same_layout && channels_of(n.inputs[k]) < 0;
    } else if ((n.op_type == "Add" || n.op_type == "Mul") && n.inputs.size() == 2 && channels_of(n.inputs[1]) == c) {
      di.role = Decision::Role::kBinary;
    }
    if (same_layout) di.role = Decision::Role::kSameLayout;
    if (di.role == Decision::Role::kNone) continue;
    di.src = di.dst = true;
    blocked[n.outputs[0]] = c;
  }

  // Readers of every value, by (node, input index).
  std::unordered_map<std::string, std::vector<std::pair<size_t, size_t>>> readers;
  for (size_t j = 0; j < g.nodes.size(); ++j)
    for (size_t k = 0; k < g.nodes[j].inputs.size(); ++k)
      if (!g.nodes[j].inputs[k].empty()) readers[g.nodes[j].inputs[k]].emplace_back(j, k);
  auto has_blocked_reader = [&](const std::string& v) {
    for (const auto& [j, k] : readers[v])
      if (ReadsBlocked(d[j], k)) return true;
    return false;
  };
  // A Conv whose output no region op reads writes it plain (its own reorder
  // is cheaper than a separate node). Readers come later in the order, so
  // walking backwards sees their final decisions first.
  for (size_t i = g.nodes.size(); i-- > 0;) {
    if (d[i].role != Decision::Role::kConv || !d[i].dst) continue;
    if (has_blocked_reader(g.nodes[i].outputs[0])) continue;
    d[i].dst = false;
    blocked.erase(g.nodes[i].outputs[0]);
  }

  std::unordered_set<std::string> names;
  for (const auto& n : g.nodes) {
    names.insert(n.inputs.begin(), n.inputs.end());
    names.insert(n.outputs.begin(), n.outputs.end());
  }
  for (const auto& v : g.inputs) names.insert(v.name);
  for (const auto& [name, _] : g.initializers) names.insert(name);
  auto fresh = [&](const std::string& base) {
    std::string name = base;
    for (int i = 1; names.count(name); ++i) name = base + "_" + std::to_string(i);
    names.insert(name);
    return name;
  };
  std::set<std::string> outputs;
  for (const auto& o : g.outputs) outputs.insert(o.name);

  bool changed = false;
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    if (!d[i].src && !d[i].dst) continue;
    Node& n = g.nodes[i];
    n.attributes["_layout_block"] = MakeInt(block_);
    n.attributes["_layout_src"] = MakeInt(d[i].src ? 1 : 0);
    n.attributes["_layout_dst"] = MakeInt(d[i].dst ? 1 : 0);
    changed = true;
  }
  std::vector<Node> reorders;
  auto add_reorder = [&](const char* op, const std::string& from, const std::string& to) {
    Node r;
    r.op_type = op;
    r.domain = kDomain;
    r.name = to + "/" + op;
    r.inputs = {from};
    r.outputs = {to};
    r.attributes["block"] = MakeInt(block_);
    reorders.push_back(std::move(r));
  };
  auto untyped = [&](const std::string& name) {
    ValueInfo info;
    info.name = name;
    info.dtype = DType::kFloat32;  // shape left unknown: it is the physical [N, C/b, H, W, b]
    g.value_infos[name] = info;
  };

  // Blocked values: plain readers and graph outputs go through ToPlainLayout.
  std::set<std::string> blocked_names;
  for (const auto& [v, _] : blocked) blocked_names.insert(v);  // deterministic order
  for (const std::string& v : blocked_names) {
    std::vector<std::pair<size_t, size_t>> plain_readers;
    std::vector<std::pair<size_t, size_t>> blocked_readers;
    for (const auto& jk : readers[v])
      (ReadsBlocked(d[jk.first], jk.second) ? blocked_readers : plain_readers).push_back(jk);
    if (outputs.count(v)) {
      const std::string b = fresh(v + "__blocked");
      for (auto& o : g.nodes[static_cast<size_t>(FindProducer(g, v))].outputs)
        if (o == v) o = b;
      for (const auto& [j, k] : blocked_readers) g.nodes[j].inputs[k] = b;
      add_reorder("ToPlainLayout", b, v);
      untyped(b);
      continue;
    }
    untyped(v);
    if (plain_readers.empty()) continue;
    const std::string p = fresh(v + "__plain");
    for (const auto& [j, k] : plain_readers) g.nodes[j].inputs[k] = p;
    add_reorder("ToPlainLayout", v, p);
  }
  // Plain values that Convs read blocked: blocked once, shared.
  for (const auto& [v, _] : std::map<std::string, int64_t>(block_plain.begin(), block_plain.end())) {
    const std::string b = fresh(v + "__blocked");
    for (const auto& [j, k] : readers[v])
      if (ReadsBlocked(d[j], k)) g.nodes[j].inputs[k] = b;
    add_reorder("ToBlockedLayout", v, b);
    untyped(b);
  }
  if (!reorders.empty()) {
    g.opsets.emplace(kDomain, 1);
    for (auto& r : reorders) g.nodes.push_back(std::move(r));
    RETURN_IF_ERROR(g.TopologicalSort());
  }
  return changed;
}

Status RunDnnlPasses(Graph& g, int block) {
  ASSIGN_OR_RETURN(bool fused, ConvResidualFusion().Apply(g));
  if (fused) RETURN_IF_ERROR(OptimizeGraph(g));  // activations after the fused Adds now follow a Conv
  if (block > 0) {
    auto r = LayoutAssignment(block).Apply(g);
    if (!r.ok()) return r.status().WithContext("optimizer pass layout-assignment");
  }
  return g.TopologicalSort();
}

}  // namespace inferd
