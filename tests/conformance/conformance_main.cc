// Conformance driver: runs ONNX's backend test cases (model.onnx plus
// test_data_set_*/input_*.pb and output_*.pb) through inferd and compares
// the outputs with ONNX's tolerances (|got - want| <= atol + rtol * |want|,
// rtol 1e-3, atol 1e-7, NaN equal to NaN).
//
// Usage: inferd_conformance [--unsupported FILE] [--write-unsupported FILE]
//                           [--filter TEXT] [--verbose] DATA_DIR...
//        inferd_conformance --list-ops   (the operators that have kernels)
// Each DATA_DIR holds one folder per case (e.g. .../data/node). Cases the
// engine reports as UNIMPLEMENTED are "unsupported". With --unsupported, the
// listed cases are expected to be unsupported: a listed case that passes, or
// an unlisted one that is unsupported, fails the run, so the list only
// shrinks and never hides a regression. Exit code 0 only if nothing failed.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "engine/onnx/loader.h"
#include "engine/runtime/model.h"

namespace fs = std::filesystem;
using namespace inferd;

namespace {

constexpr double kRtol = 1e-3;
constexpr double kAtol = 1e-7;

enum class Outcome { kPass, kFail, kUnsupported };

struct CaseResult {
  Outcome outcome;
  std::string reason;
};

// ONNX 1.12's test data stores bfloat16 tensors as UINT16 files holding the
// bits, and made its expected bfloat16 values by truncating float32, where
// inferd rounds to nearest even. Such tensors are reinterpreted as BF16 and
// compared within one bfloat16 unit in the last place (2^-7 relative).
constexpr double kBf16Rtol = 1.0 / 128;

Tensor AsBf16(const Tensor& t) { return Tensor(DType::kBFloat16, t.shape(), t.storage(), 0); }

std::string Compare(const Tensor& got, const Tensor& want_in, size_t index) {
  const std::string where = "output " + std::to_string(index);
  Tensor want = want_in;
  double rtol = kRtol;
  if (got.dtype() == DType::kBFloat16 && want.dtype() == DType::kUint16) {
    want = AsBf16(want);
    rtol = kBf16Rtol;
  }
  if (got.dtype() != want.dtype())
    return where + ": type " + std::string(DTypeOnnxName(got.dtype())) + ", expected " + std::string(DTypeOnnxName(want.dtype()));
  if (got.shape() != want.shape())
    return where + ": shape " + ShapeToString(got.shape()) + ", expected " + ShapeToString(want.shape());
  if (got.dtype() == DType::kString) {
    for (int64_t i = 0; i < got.numel(); ++i)
      if (got.data<std::string>()[i] != want.data<std::string>()[i])
        return where + "[" + std::to_string(i) + "]: '" + got.data<std::string>()[i] + "', expected '" + want.data<std::string>()[i] + "'";
    return "";
  }
  int64_t bad = 0, first = -1;
  double worst = 0;
  for (int64_t i = 0; i < got.numel(); ++i) {
    const double g = got.GetAsDouble(i), w = want.GetAsDouble(i);
    if (std::isnan(g) && std::isnan(w)) continue;
    if (std::isinf(g) || std::isinf(w)) {
      if (g == w) continue;
    } else if (std::abs(g - w) <= kAtol + rtol * std::abs(w)) {
      continue;
    }
    if (first < 0) first = i;
    ++bad;
    worst = std::max(worst, std::abs(g - w));
  }
  if (bad == 0) return "";
  std::ostringstream os;
  os << where << ": " << bad << " of " << got.numel() << " values differ; first at [" << first << "] got "
     << got.GetAsDouble(first) << " expected " << want.GetAsDouble(first) << "; max abs diff " << worst;
  return os.str();
}

std::vector<fs::path> SortedFiles(const fs::path& dir, const std::string& prefix) {
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.path().filename().string().rfind(prefix, 0) == 0 && e.path().extension() == ".pb") files.push_back(e.path());
  // input_10 after input_9: sort by the number.
  std::sort(files.begin(), files.end(), [&](const fs::path& a, const fs::path& b) {
    auto num = [&](const fs::path& p) { return std::stoi(p.stem().string().substr(prefix.size())); };
    return num(a) < num(b);
  });
  return files;
}

CaseResult RunCase(const fs::path& dir) {
  const fs::path model_path = dir / "model.onnx";
  if (!fs::exists(model_path)) return {Outcome::kUnsupported, "no model.onnx"};
  ModelOptions options;
  options.num_threads = 1;
  // ONNX's CastLike cases declare `like` as [3,4] but feed [1]; ONNX's runner
  // does not check declared shapes either.
  options.check_input_shapes = false;
  auto model = CompiledModel::Load(model_path.string(), options);
  if (!model.ok()) {
    if (model.status().code() == StatusCode::kUnimplemented) return {Outcome::kUnsupported, model.status().message()};
    return {Outcome::kFail, "load: " + model.status().ToString()};
  }
  std::vector<fs::path> sets;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.is_directory() && e.path().filename().string().rfind("test_data_set_", 0) == 0) sets.push_back(e.path());
  std::sort(sets.begin(), sets.end());
  if (sets.empty()) return {Outcome::kUnsupported, "no test data sets"};
  auto ctx = (*model)->NewRunContext();
  for (const auto& set : sets) {
    std::vector<Tensor> inputs, expected;
    for (const auto& f : SortedFiles(set, "input_")) {
      auto t = LoadTensorProtoFile(f.string());
      if (!t.ok()) return {Outcome::kUnsupported, "input " + f.filename().string() + ": " + t.status().message()};
      inputs.push_back(std::move(t).value());
    }
    for (const auto& f : SortedFiles(set, "output_")) {
      auto t = LoadTensorProtoFile(f.string());
      if (!t.ok()) return {Outcome::kUnsupported, "output " + f.filename().string() + ": " + t.status().message()};
      expected.push_back(std::move(t).value());
    }
    // Some cases feed fewer inputs than the graph declares when trailing
    // inputs are optional; pass what the files provide, in order.
    const auto& decl = (*model)->inputs();
    for (size_t i = 0; i < inputs.size() && i < decl.size(); ++i)
      if (decl[i].dtype == DType::kBFloat16 && inputs[i].dtype() == DType::kUint16) inputs[i] = AsBf16(inputs[i]);
    if (inputs.size() != decl.size())
      return {Outcome::kUnsupported, "test provides " + std::to_string(inputs.size()) + " inputs, model declares " + std::to_string(decl.size())};
    auto out = (*model)->Run(*ctx, inputs);
    if (!out.ok()) {
      if (out.status().code() == StatusCode::kUnimplemented) return {Outcome::kUnsupported, out.status().message()};
      return {Outcome::kFail, set.filename().string() + ": " + out.status().ToString()};
    }
    if (out->size() != expected.size())
      return {Outcome::kFail, "produced " + std::to_string(out->size()) + " outputs, expected " + std::to_string(expected.size())};
    for (size_t i = 0; i < expected.size(); ++i) {
      std::string diff = Compare((*out)[i], expected[i], i);
      if (!diff.empty()) return {Outcome::kFail, set.filename().string() + ": " + diff};
    }
  }
  return {Outcome::kPass, ""};
}

std::set<std::string> ReadList(const std::string& path) {
  std::set<std::string> names;
  std::ifstream f(path);
  std::string line;
  while (std::getline(f, line)) {
    line.erase(std::find(line.begin(), line.end(), '#'), line.end());
    while (!line.empty() && std::isspace(static_cast<unsigned char>(line.back()))) line.pop_back();
    if (!line.empty()) names.insert(line);
  }
  return names;
}

}  // namespace

int main(int argc, char** argv) {
  std::string unsupported_file, write_file, filter;
  bool verbose = false;
  std::vector<fs::path> roots;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--unsupported" && i + 1 < argc) unsupported_file = argv[++i];
    else if (a == "--write-unsupported" && i + 1 < argc) write_file = argv[++i];
    else if (a == "--filter" && i + 1 < argc) filter = argv[++i];
    else if (a == "--verbose" || a == "-v") verbose = true;
    else if (a == "--list-ops") {
      const auto ops = KernelRegistry::Global().Ops();
      for (const auto& [domain, op] : ops) std::cout << (domain.empty() ? "ai.onnx" : domain) << " " << op << "\n";
      std::cout << ops.size() << " operators have kernels\n";
      return 0;
    }
    else if (a == "--help" || a == "-h") {
      std::cout << "usage: inferd_conformance [--unsupported FILE] [--write-unsupported FILE] [--filter TEXT] [--verbose] DATA_DIR...\n";
      return 0;
    } else if (!a.empty() && a[0] == '-') {
      std::cerr << "unknown option " << a << "\n";
      return 2;
    } else {
      roots.emplace_back(a);
    }
  }
  if (roots.empty()) {
    std::cerr << "give at least one data folder, e.g. /usr/share/libonnx-testdata/data/node\n";
    return 2;
  }
  const std::set<std::string> expected_unsupported = unsupported_file.empty() ? std::set<std::string>{} : ReadList(unsupported_file);
  std::vector<std::string> now_unsupported, regressions, now_passing;
  int total_pass = 0, total_fail = 0, total_unsup = 0;
  for (const auto& root : roots) {
    if (!fs::is_directory(root)) {
      std::cerr << "not a folder: " << root << "\n";
      return 2;
    }
    const std::string set_name = root.filename().string();
    std::vector<fs::path> cases;
    for (const auto& e : fs::directory_iterator(root))
      if (e.is_directory()) cases.push_back(e.path());
    std::sort(cases.begin(), cases.end());
    int pass = 0, fail = 0, unsup = 0;
    for (const auto& c : cases) {
      const std::string id = set_name + "/" + c.filename().string();
      if (!filter.empty() && id.find(filter) == std::string::npos) continue;
      CaseResult r = RunCase(c);
      const bool listed = expected_unsupported.count(id) > 0;
      switch (r.outcome) {
        case Outcome::kPass:
          ++pass;
          if (listed) now_passing.push_back(id);
          if (verbose) std::cout << "pass        " << id << "\n";
          break;
        case Outcome::kFail:
          ++fail;
          std::cout << "FAIL        " << id << ": " << r.reason << "\n";
          break;
        case Outcome::kUnsupported:
          ++unsup;
          now_unsupported.push_back(id);
          if (!unsupported_file.empty() && !listed) regressions.push_back(id + ": " + r.reason);
          if (verbose) std::cout << "unsupported " << id << ": " << r.reason << "\n";
          break;
      }
    }
    std::cout << "conformance " << set_name << ": " << pass << " passed, " << fail << " failed, " << unsup << " unsupported\n";
    total_pass += pass;
    total_fail += fail;
    total_unsup += unsup;
  }
  if (!write_file.empty()) {
    std::ofstream f(write_file);
    f << "# ONNX backend test cases inferd does not support yet (one per line).\n"
         "# Regenerate with: inferd_conformance --write-unsupported FILE DATA_DIR...\n";
    for (const auto& id : now_unsupported) f << id << "\n";
  }
  for (const auto& id : now_passing)
    std::cout << "NOW PASSES  " << id << " (listed as unsupported: remove it from the list)\n";
  for (const auto& r : regressions) std::cout << "UNLISTED    " << r << " (unsupported but not in the list)\n";
  const bool ok = total_fail == 0 && now_passing.empty() && regressions.empty();
  std::cout << "conformance: " << total_pass << " passed, " << total_fail << " failed, " << total_unsup << " unsupported\n";
  return ok ? 0 : 1;
}
