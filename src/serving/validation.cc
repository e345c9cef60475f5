#include "serving/validation.h"

#include <string>
#include <utility>

namespace inferd::serving {
namespace {

std::string Q(std::string_view name) {
  std::string s = "\"";
  s.append(name);
  s += '"';
  return s;
}

template <class Items>
std::string NameList(const Items& items) {
  std::string s;
  for (const auto& it : items) s += (s.empty() ? "" : ", ") + Q(it.name);
  return s.empty() ? "nothing" : s;
}

// "[-1,784]": the protocol's spelling of a declared shape (symbolic dims are -1).
std::string DeclaredShape(const ValueInfo& info) {
  if (!info.dims) return "of any shape";
  std::string s = "[";
  for (size_t i = 0; i < info.dims->size(); ++i) {
    if (i) s += ',';
    const Dim& d = (*info.dims)[i];
    s += std::to_string(d.fixed() ? d.value : -1);
  }
  return s + "]";
}

bool ShapeMatches(const ValueInfo& info, const Shape& shape) {
  if (!info.dims) return true;
  if (info.dims->size() != shape.size()) return false;
  for (size_t i = 0; i < shape.size(); ++i) {
    const Dim& d = (*info.dims)[i];
    if (d.fixed() && d.value != shape[i]) return false;
  }
  return true;
}

// Dimension 0 is the batch when the model batches and declares it symbolic
// (or declares no shape). A fixed dim 0 is checked as any fixed dim.
bool BatchesOnDim0(const ModelSignature& sig, const ValueInfo& info, const Tensor& t) {
  if (sig.max_batch_size <= 0 || t.rank() == 0) return false;
  return !info.dims || (!info.dims->empty() && !(*info.dims)[0].fixed());
}

}  // namespace

Result<std::vector<Tensor>> ValidateInputs(const ModelSignature& signature, InferRequest& request) {
  const size_t n = signature.inputs.size();
  std::vector<int> slot_of(n, -1);  // signature input -> request input
  for (size_t r = 0; r < request.inputs.size(); ++r) {
    const std::string& name = request.inputs[r].name;
    size_t s = 0;
    while (s < n && signature.inputs[s].name != name) ++s;
    if (s == n)
      return InvalidArgument("unknown input " + Q(name) + " (the model takes " + NameList(signature.inputs) + ")");
    if (slot_of[s] >= 0) return InvalidArgument("input " + Q(name) + " sent twice");
    slot_of[s] = static_cast<int>(r);
  }
  for (size_t s = 0; s < n; ++s)
    if (slot_of[s] < 0)
      return InvalidArgument("missing input " + Q(signature.inputs[s].name) + " (the model takes " +
                             NameList(signature.inputs) + ")");

  const std::string* batch_from = nullptr;  // first batched input, for "differs from" messages
  int64_t batch = -1;
  for (size_t s = 0; s < n; ++s) {
    const ValueInfo& info = signature.inputs[s];
    const Tensor& t = request.inputs[static_cast<size_t>(slot_of[s])].tensor;
    if (t.dtype() != info.dtype || !ShapeMatches(info, t.shape()))
      return InvalidArgument("input " + Q(info.name) + ": expected " + std::string(WireDatatype(info.dtype)) + " " +
                             DeclaredShape(info) + ", got " + std::string(WireDatatype(t.dtype())) + " " +
                             ShapeToString(t.shape()));
    if (!BatchesOnDim0(signature, info, t)) continue;
    const int64_t rows = t.dim(0);
    if (rows > signature.max_batch_size)
      return InvalidArgument("input " + Q(info.name) + ": batch of " + std::to_string(rows) +
                             " rows exceeds the model's max_batch_size " + std::to_string(signature.max_batch_size));
    if (batch_from != nullptr && rows != batch)
      return InvalidArgument("input " + Q(info.name) + ": batch of " + std::to_string(rows) +
                             " rows differs from input " + Q(*batch_from) + "'s " + std::to_string(batch));
    if (batch_from == nullptr) batch_from = &info.name, batch = rows;
  }

  std::vector<Tensor> ordered;
  ordered.reserve(n);
  for (size_t s = 0; s < n; ++s) ordered.push_back(std::move(request.inputs[static_cast<size_t>(slot_of[s])].tensor));
  return ordered;
}

Status ValidateRequestedOutputs(const ModelSignature& signature, const InferRequest& request) {
  for (size_t r = 0; r < request.outputs.size(); ++r) {
    const std::string& name = request.outputs[r].name;
    bool known = false;
    for (const auto& o : signature.outputs) known = known || o.name == name;
    if (!known)
      return InvalidArgument("unknown output " + Q(name) + " (the model produces " + NameList(signature.outputs) + ")");
    for (size_t k = 0; k < r; ++k)
      if (request.outputs[k].name == name) return InvalidArgument("output " + Q(name) + " requested twice");
  }
  return Status::Ok();
}

}  // namespace inferd::serving
