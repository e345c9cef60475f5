#include "engine/kernels/kernel.h"

#include <algorithm>
#include <set>

namespace inferd {

namespace {
const char* AttrTypeName(Attribute::Type t) {
  switch (t) {
    case Attribute::Type::kFloat: return "float";
    case Attribute::Type::kInt: return "int";
    case Attribute::Type::kString: return "string";
    case Attribute::Type::kTensor: return "tensor";
    case Attribute::Type::kGraph: return "graph";
    case Attribute::Type::kFloats: return "floats";
    case Attribute::Type::kInts: return "ints";
    case Attribute::Type::kStrings: return "strings";
    case Attribute::Type::kTensors: return "tensors";
    case Attribute::Type::kGraphs: return "graphs";
    default: return "undefined";
  }
}
}  // namespace

int64_t KernelInfo::GetInt(const std::string& key, int64_t def) const {
  const Attribute* a = node_.FindAttribute(key);
  if (a == nullptr) return def;
  if (a->type == Attribute::Type::kInt) return a->i;
  if (a->type == Attribute::Type::kFloat) {
    // A float where an int is wanted: its value when an int64 can hold it.
    const float f = a->f;
    return f >= -9.2e18f && f <= 9.2e18f ? static_cast<int64_t>(f) : def;
  }
  return def;
}

float KernelInfo::GetFloat(const std::string& key, float def) const {
  const Attribute* a = node_.FindAttribute(key);
  if (a == nullptr) return def;
  if (a->type == Attribute::Type::kFloat) return a->f;
  if (a->type == Attribute::Type::kInt) return static_cast<float>(a->i);
  return def;
}

std::string KernelInfo::GetString(const std::string& key, const std::string& def) const {
  const Attribute* a = node_.FindAttribute(key);
  return (a != nullptr && a->type == Attribute::Type::kString) ? a->s : def;
}

std::vector<int64_t> KernelInfo::GetInts(const std::string& key, const std::vector<int64_t>& def) const {
  const Attribute* a = node_.FindAttribute(key);
  if (a == nullptr) return def;
  if (a->type == Attribute::Type::kInts) return a->ints;
  if (a->type == Attribute::Type::kInt) return {a->i};
  return def;
}

std::vector<float> KernelInfo::GetFloats(const std::string& key, const std::vector<float>& def) const {
  const Attribute* a = node_.FindAttribute(key);
  if (a == nullptr) return def;
  if (a->type == Attribute::Type::kFloats) return a->floats;
  if (a->type == Attribute::Type::kFloat) return {a->f};
  return def;
}

std::vector<std::string> KernelInfo::GetStrings(const std::string& key,
                                                const std::vector<std::string>& def) const {
  const Attribute* a = node_.FindAttribute(key);
  if (a == nullptr) return def;
  if (a->type == Attribute::Type::kStrings) return a->strings;
  if (a->type == Attribute::Type::kString) return {a->s};
  return def;
}

const Tensor* KernelInfo::GetTensor(const std::string& key) const {
  const Attribute* a = node_.FindAttribute(key);
  return (a != nullptr && a->type == Attribute::Type::kTensor) ? &a->t : nullptr;
}

Result<int64_t> KernelInfo::RequireInt(const std::string& key) const {
  const Attribute* a = node_.FindAttribute(key);
  if (a == nullptr) return Error("missing required attribute '" + key + "'");
  if (a->type != Attribute::Type::kInt)
    return Error("attribute '" + key + "' must be an int, got " + AttrTypeName(a->type));
  return a->i;
}

Result<std::vector<int64_t>> KernelInfo::RequireInts(const std::string& key) const {
  const Attribute* a = node_.FindAttribute(key);
  if (a == nullptr) return Error("missing required attribute '" + key + "'");
  if (a->type != Attribute::Type::kInts)
    return Error("attribute '" + key + "' must be a list of ints, got " + AttrTypeName(a->type));
  return a->ints;
}

KernelRegistry& KernelRegistry::Global() {
  static KernelRegistry* registry = new KernelRegistry();
  return *registry;
}

bool KernelRegistry::Register(KernelRegistration reg) {
  regs_.push_back(std::move(reg));
  return true;
}

std::vector<const KernelRegistration*> KernelRegistry::Find(const std::string& domain, const std::string& op,
                                                            int64_t opset) const {
  const std::string& d = domain == "ai.onnx" ? std::string() : domain;
  std::vector<const KernelRegistration*> out;
  for (const auto& r : regs_)
    if (r.domain == d && r.op_type == op && opset >= r.since_version && opset <= r.until_version)
      out.push_back(&r);
  std::stable_sort(out.begin(), out.end(),
                   [](const KernelRegistration* a, const KernelRegistration* b) { return a->priority > b->priority; });
  return out;
}

bool KernelRegistry::Knows(const std::string& domain, const std::string& op) const {
  const std::string& d = domain == "ai.onnx" ? std::string() : domain;
  return std::any_of(regs_.begin(), regs_.end(),
                     [&](const KernelRegistration& r) { return r.domain == d && r.op_type == op; });
}

std::vector<std::pair<std::string, std::string>> KernelRegistry::Ops() const {
  std::set<std::pair<std::string, std::string>> ops;
  for (const auto& r : regs_) ops.emplace(r.domain, r.op_type);
  return {ops.begin(), ops.end()};
}

Result<std::unique_ptr<Kernel>> CreateKernel(const KernelInfo& info, const std::vector<std::string>& providers) {
  const Node& node = info.node();
  auto& registry = KernelRegistry::Global();
  auto candidates = registry.Find(node.domain, node.op_type, info.opset());
  if (candidates.empty()) {
    const std::string domain = node.domain.empty() ? "ai.onnx" : node.domain;
    if (registry.Knows(node.domain, node.op_type))
      return Unimplemented(node.Describe() + ": operator " + node.op_type + " is supported, but not at " + domain +
                           " opset " + std::to_string(info.opset()));
    return Unimplemented(node.Describe() + ": unsupported operator " + node.op_type + " (domain " + domain +
                         ", opset " + std::to_string(info.opset()) + ")");
  }
  Status last = Unimplemented(node.Describe() + ": no kernel accepted this node");
  for (const KernelRegistration* reg : candidates) {
    if (!providers.empty() && std::find(providers.begin(), providers.end(), reg->provider) == providers.end())
      continue;
    auto kernel = reg->factory(info);
    if (kernel.ok()) return kernel;
    last = kernel.status();
    // UNIMPLEMENTED means "not for me, try the next"; anything else is a real error.
    if (last.code() != StatusCode::kUnimplemented) return last;
  }
  return last;
}

}  // namespace inferd
