// `inferd trace summarize DIR`: where the time of many traced requests went.
//
// Reads every *.json file of DIR written by `inferd serve --trace-rate`
// (Chrome trace event JSON, one request per file; see serving/trace.h) and
// prints, per phase, its share of the requests' total time, p50 and p99 in
// microseconds and how many traces had it; then the operators that took the
// most run time. Files that are not such traces are counted and skipped.
#include <algorithm>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "cli/verbs.h"

namespace inferd::cli {
namespace {
namespace fs = std::filesystem;
using json = nlohmann::json;

struct SummarizeArgs {
  std::string dir;
  size_t top = 15;
};

// The phases in the order a request meets them; "batch/..." are inside "batch".
const char* const kPhases[] = {"parse",     "validate", "queue",     "batch", "batch/assemble",
                               "batch/run", "handoff",  "serialize", "send"};
const char* const kTopLevel[] = {"parse", "validate", "queue", "batch", "handoff", "serialize", "send"};

struct Samples {
  std::vector<double> us;
  double total = 0;
  void Add(double v) {
    us.push_back(v);
    total += v;
  }
  double Quantile(double q) {
    if (us.empty()) return 0;
    std::sort(us.begin(), us.end());
    const size_t rank = static_cast<size_t>(std::ceil(q * static_cast<double>(us.size())));
    return us[std::min(us.size() - 1, rank == 0 ? 0 : rank - 1)];
  }
};

struct OpTotal {
  std::string kernel;
  double total_us = 0;
  int64_t calls = 0;
};

int Summarize(const SummarizeArgs& a) {
  std::error_code ec;
  if (!fs::is_directory(a.dir, ec)) return ReportError(NotFound("trace folder \"" + a.dir + "\" does not exist"));
  std::vector<fs::path> files;
  for (auto it = fs::directory_iterator(a.dir, ec); !ec && it != fs::directory_iterator(); it.increment(ec))
    if (it->path().extension() == ".json" && it->is_regular_file()) files.push_back(it->path());
  std::sort(files.begin(), files.end());

  std::map<std::string, Samples> phases;
  Samples request, other;
  std::map<std::pair<std::string, std::string>, OpTotal> ops;  // (op type, node)
  double run_total_us = 0;
  size_t traces = 0, skipped = 0;
  // A batch's run is in the trace of each traced request it carried: count
  // its operators once, keyed by (process name = model:version, batch_id).
  std::set<std::pair<std::string, int64_t>> batches_seen;
  for (const fs::path& path : files) {
    if (fs::file_size(path, ec) > (64u << 20)) {
      ++skipped;
      continue;
    }
    std::ifstream in(path, std::ios::binary);
    json doc = json::parse(in, nullptr, false);
    if (doc.is_discarded() || !doc.is_object() || !doc.contains("traceEvents") || !doc["traceEvents"].is_array()) {
      ++skipped;
      continue;
    }
    double request_us = -1, top_sum = 0, run_us = 0;
    std::string process;
    int64_t batch_id = -1;
    std::map<std::string, double> seen;
    std::vector<std::tuple<std::string, std::string, std::string, double>> file_ops;
    for (const json& e : doc["traceEvents"]) {
      if (!e.is_object()) continue;
      if (e.value("ph", "") == "M" && e.value("name", "") == "process_name" && e.contains("args") &&
          e["args"].is_object())
        process = e["args"].value("name", "");
      if (e.value("ph", "") != "X" || !e.contains("dur") || !e["dur"].is_number()) continue;
      const std::string cat = e.value("cat", ""), name = e.value("name", "");
      const double dur = e["dur"].get<double>();
      if (cat == "request") {
        request_us = dur;
      } else if (cat == "phase" && name != "receive") {
        seen[name] += dur;
        if (name == "batch" && e.contains("args") && e["args"].is_object())
          batch_id = e["args"].value("batch_id", int64_t{-1});
      } else if (cat == "batch") {
        seen["batch/" + name] += dur;
        if (name == "run") run_us += dur;
      } else if (cat == "op") {
        const json args = e.value("args", json::object());
        file_ops.emplace_back(name, args.value("node", ""), args.value("kernel", ""), dur);
      }
    }
    if (request_us < 0) {
      ++skipped;
      continue;
    }
    ++traces;
    request.Add(request_us);
    for (const auto& [name, dur] : seen) phases[name].Add(dur);
    for (const char* p : kTopLevel)
      if (auto it = seen.find(p); it != seen.end()) top_sum += it->second;
    other.Add(std::max(0.0, request_us - top_sum));
    if (batch_id >= 0 && !batches_seen.insert({process, batch_id}).second) continue;
    run_total_us += run_us;
    for (auto& [type, node, kernel, dur] : file_ops) {
      OpTotal& t = ops[{type, node}];
      t.kernel = kernel;
      t.total_us += dur;
      ++t.calls;
    }
  }
  if (traces == 0) {
    return ReportError(NotFound("no request traces in \"" + a.dir + "\" (" + std::to_string(skipped) +
                                " other .json files); start the server with --trace-rate N"));
  }

  char line[512];
  std::snprintf(line, sizeof line, "%zu traces in %s (%zu files skipped)\n\n", traces, a.dir.c_str(), skipped);
  std::cout << line;
  std::snprintf(line, sizeof line, "%-16s %7s %11s %11s %11s %7s\n", "phase", "share", "mean us", "p50 us", "p99 us",
                "count");
  std::cout << line;
  auto row = [&](const std::string& label, Samples& s) {
    const double share = request.total > 0 ? 100.0 * s.total / request.total : 0;
    std::snprintf(line, sizeof line, "%-16s %6.1f%% %11.1f %11.1f %11.1f %7zu\n", label.c_str(), share,
                  s.us.empty() ? 0.0 : s.total / static_cast<double>(s.us.size()), s.Quantile(0.5), s.Quantile(0.99),
                  s.us.size());
    std::cout << line;
  };
  for (const char* p : kPhases) {
    auto it = phases.find(p);
    if (it == phases.end()) continue;
    const std::string name = p;
    row(name.rfind("batch/", 0) == 0 ? "  " + name.substr(6) : name, it->second);
  }
  row("(gaps)", other);
  row("request", request);
  std::cout << "\nshares are of the summed request time; assemble and run lie inside batch; (gaps) is request time\n"
               "outside every phase (routing, hand-offs between threads).\n";

  std::vector<std::pair<std::pair<std::string, std::string>, OpTotal>> sorted(ops.begin(), ops.end());
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](const auto& x, const auto& y) { return x.second.total_us > y.second.total_us; });
  if (!sorted.empty()) {
    std::snprintf(line, sizeof line,
                  "\ntop operators by total time (share of the model run time; a batch shared by traced requests "
                  "counted once)\n%-20s %-24s %-14s %12s %7s %8s %10s\n",
                  "op", "node", "kernel", "total us", "share", "calls", "mean us");
    std::cout << line;
    for (size_t i = 0; i < sorted.size() && i < a.top; ++i) {
      const auto& [key, t] = sorted[i];
      std::snprintf(line, sizeof line, "%-20.20s %-24.24s %-14.14s %12.1f %6.1f%% %8" PRId64 " %10.2f\n",
                    key.first.c_str(), key.second.c_str(), t.kernel.c_str(), t.total_us,
                    run_total_us > 0 ? 100.0 * t.total_us / run_total_us : 0.0, t.calls,
                    t.total_us / static_cast<double>(t.calls));
      std::cout << line;
    }
    if (sorted.size() > a.top) std::cout << "... " << sorted.size() - a.top << " more operators\n";
  }
  return kExitOk;
}

}  // namespace

Verb AddTraceVerb(CLI::App& app) {
  auto args = std::make_shared<SummarizeArgs>();
  CLI::App* cmd = app.add_subcommand("trace", "Read request traces written by `inferd serve --trace-rate`");
  cmd->require_subcommand(1);
  CLI::App* sum = cmd->add_subcommand("summarize", "Where time went across many traces: per phase and per operator");
  sum->add_option("DIR", args->dir, "Trace folder (serve's --trace-dir)")->required();
  sum->add_option("--top", args->top, "Operators listed")->capture_default_str();
  return {cmd, [args] { return Summarize(*args); }};
}

}  // namespace inferd::cli
