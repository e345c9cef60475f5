#include "cli/run_inputs.h"

#include <algorithm>
#include <cstdio>
#include <random>

#include "common/npy.h"
#include "common/random_tensor.h"

namespace inferd::cli {

Result<std::pair<std::string, std::string>> ParseInputSpec(const std::string& spec) {
  const size_t eq = spec.find('=');
  if (eq == std::string::npos || eq == 0 || eq + 1 == spec.size())
    return InvalidArgument("--input '" + spec + "' must look like NAME=FILE.npy");
  return std::pair{spec.substr(0, eq), spec.substr(eq + 1)};
}

Result<Shape> ShapeForRandomInput(const ValueInfo& input, int64_t batch) {
  if (!input.dims)
    return InvalidArgument("input \"" + input.name + "\" has no declared shape; give its data with --input " +
                           input.name + "=FILE.npy");
  Shape shape;
  for (size_t i = 0; i < input.dims->size(); ++i) {
    const Dim& d = (*input.dims)[i];
    if (d.fixed()) {
      shape.push_back(d.value);
    } else if (i == 0) {
      shape.push_back(batch);
    } else {
      return InvalidArgument("input \"" + input.name + "\" " + input.ShapeString() + ": dimension " +
                             std::to_string(i) + (d.symbol.empty() ? std::string() : " ('" + d.symbol + "')") +
                             " is symbolic and only the first one is set by --batch; give its data with --input " +
                             input.name + "=FILE.npy");
    }
  }
  return shape;
}

namespace {

std::string FormatValue(const Tensor& t, int64_t i) {
  if (t.dtype() == DType::kString) {
    std::string s = t.data<std::string>()[i];
    if (s.size() > 32) s = s.substr(0, 32) + "...";
    return "\"" + s + "\"";
  }
  if (t.dtype() == DType::kBool) return t.data<bool>()[i] ? "true" : "false";
  char buf[40];
  const double v = t.GetAsDouble(i);
  switch (t.dtype()) {
    case DType::kFloat32:
    case DType::kFloat64:
    case DType::kFloat16:
    case DType::kBFloat16:
      std::snprintf(buf, sizeof buf, "%.6g", v);
      break;
    case DType::kUint64:
      std::snprintf(buf, sizeof buf, "%llu", static_cast<unsigned long long>(t.data<uint64_t>()[i]));
      break;
    case DType::kInt64:
      std::snprintf(buf, sizeof buf, "%lld", static_cast<long long>(t.data<int64_t>()[i]));
      break;
    default:
      std::snprintf(buf, sizeof buf, "%.0f", v);
      break;
  }
  return buf;
}

bool IsFloat(DType t) {
  return t == DType::kFloat32 || t == DType::kFloat64 || t == DType::kFloat16 || t == DType::kBFloat16;
}

}  // namespace

std::string DescribeOutput(const std::string& name, const Tensor& t, size_t max_values) {
  std::string s =
      "output \"" + name + "\": " + std::string(DTypeName(t.dtype())) + " " + ShapeToString(t.shape()) + "\n";
  const int64_t shown = std::min<int64_t>(t.numel(), static_cast<int64_t>(max_values));
  s += "  values:";
  for (int64_t i = 0; i < shown; ++i) s += (i ? ", " : " ") + FormatValue(t, i);
  if (t.numel() == 0)
    s += " (empty)";
  else if (shown < t.numel())
    s += ", ... (" + std::to_string(shown) + " of " + std::to_string(t.numel()) + ")";
  s += "\n";
  if (t.rank() == 2 && IsFloat(t.dtype()) && t.dim(1) > 0) {
    constexpr int64_t kMaxRows = 16;
    const int64_t rows = t.dim(0), cols = t.dim(1);
    s += "  argmax per row:";
    for (int64_t r = 0; r < std::min(rows, kMaxRows); ++r) {
      int64_t best = 0;
      double best_v = t.GetAsDouble(r * cols);
      for (int64_t c = 1; c < cols; ++c) {
        const double v = t.GetAsDouble(r * cols + c);
        if (v > best_v || (best_v != best_v && v == v)) {  // NaN never wins over a number
          best = c;
          best_v = v;
        }
      }
      char buf[64];
      std::snprintf(buf, sizeof buf, "%s%lld (%.6g)", r ? ", " : " ", static_cast<long long>(best), best_v);
      s += buf;
    }
    if (rows > kMaxRows) s += ", ... (" + std::to_string(kMaxRows) + " of " + std::to_string(rows) + " rows)";
    s += "\n";
  }
  return s;
}

std::string OutputFileName(const std::string& name) {
  std::string out;
  for (char c : name) {
    const bool ok =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
    out += ok ? c : '_';
  }
  if (out.empty() || out == "." || out == "..") out = "output" + out;
  return out + ".npy";
}

// Fills `feeds` (in the model's input order) from files and random data.
Status BuildInputs(const std::vector<std::string>& input_specs, bool random, int64_t batch, uint64_t seed,
                   const CompiledModel& model, std::vector<Tensor>* feeds) {
  std::map<std::string, std::string> files;
  for (const auto& spec : input_specs) {
    ASSIGN_OR_RETURN(auto parsed, ParseInputSpec(spec));
    files[parsed.first] = parsed.second;
  }
  const auto& decls = model.inputs();
  for (const auto& [name, _] : files) {
    if (std::none_of(decls.begin(), decls.end(), [&](const ValueInfo& v) { return v.name == name; })) {
      std::string names;
      for (const auto& v : decls) names += (names.empty() ? "" : ", ") + v.name;
      return InvalidArgument("--input names \"" + name + "\", which the model does not have; its inputs are: " +
                             (names.empty() ? "(none)" : names));
    }
  }
  feeds->clear();
  for (size_t i = 0; i < decls.size(); ++i) {
    const ValueInfo& decl = decls[i];
    auto file = files.find(decl.name);
    if (file != files.end()) {
      ASSIGN_OR_RETURN(Tensor t, LoadNpyFile(file->second));
      RETURN_IF_ERROR(model.CheckInput(i, t));
      feeds->push_back(std::move(t));
      continue;
    }
    if (!random)
      return InvalidArgument("no data for input \"" + decl.name + "\" " + std::string(DTypeName(decl.dtype)) + " " +
                             decl.ShapeString() + "; pass --input " + decl.name + "=FILE.npy or --random");
    if (decl.dtype == DType::kUndefined)
      return InvalidArgument("input \"" + decl.name + "\" has no declared type; give its data with --input " +
                             decl.name + "=FILE.npy");
    ASSIGN_OR_RETURN(Shape shape, ShapeForRandomInput(decl, batch));
    auto t = RandomTensor(decl.dtype, shape, seed + i);
    if (!t.ok()) return t.status().WithContext("input \"" + decl.name + "\"");
    feeds->push_back(std::move(t).value());
  }
  return Status::Ok();
}

}  // namespace inferd::cli
