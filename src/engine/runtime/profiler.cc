#include "engine/runtime/profiler.h"

#include "common/json_escape.h"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <map>

namespace inferd {
namespace {

}  // namespace

std::string OpShapes(const std::vector<const Tensor*>& inputs, const std::vector<const Tensor*>& outputs) {
  std::string s;
  for (const Tensor* t : inputs) {
    if (!s.empty()) s += " x ";
    s += t ? ShapeToString(t->shape()) : "-";
  }
  s += " -> ";
  bool first = true;
  for (const Tensor* t : outputs) {
    if (!first) s += " x ";
    first = false;
    s += t ? ShapeToString(t->shape()) : "-";
  }
  return s;
}

OpProfiler::OpProfiler(const CompiledModel& model) : model_(model), origin_(Clock::now()) {}

void OpProfiler::OnRunBegin() { run_start_ = NowUs(); }
void OpProfiler::OnRunEnd() { runs_.push_back({run_start_, NowUs() - run_start_}); }
void OpProfiler::OnOpBegin(size_t) { op_start_ = NowUs(); }
void OpProfiler::OnOpEnd(size_t step, const std::vector<const Tensor*>& inputs,
                         const std::vector<const Tensor*>& outputs) {
  const double end = NowUs();
  ops_.push_back({step, op_start_, end - op_start_, OpShapes(inputs, outputs)});
}

void OpProfiler::Clear() {
  runs_.clear();
  ops_.clear();
}

double OpProfiler::total_run_ms() const {
  double total = 0;
  for (const auto& r : runs_) total += r.dur_us;
  return total / 1000.0;
}

std::vector<OpProfiler::OpStats> OpProfiler::Summary() const {
  std::map<size_t, OpStats> by_step;
  for (const auto& e : ops_) {
    OpStats& s = by_step[e.step];
    if (s.calls == 0) {
      const Node& n = model_.step_node(e.step);
      s.op_type = n.op_type;
      s.node = n.name.empty() ? (n.outputs.empty() ? "" : n.outputs[0]) : n.name;
      s.kernel = std::string(model_.step_kernel_name(e.step));
      if (const Attribute* act = n.FindAttribute("_activation")) s.op_type += "+" + act->s;
    }
    s.shapes = e.shapes;
    s.total_ms += e.dur_us / 1000.0;
    ++s.calls;
  }
  std::vector<OpStats> out;
  for (auto& [_, s] : by_step) out.push_back(std::move(s));
  std::stable_sort(out.begin(), out.end(), [](const OpStats& a, const OpStats& b) { return a.total_ms > b.total_ms; });
  return out;
}

std::string OpProfiler::FormatTable(size_t max_rows) const {
  const auto stats = Summary();
  const double run_ms = total_run_ms();
  std::string out;
  char line[512];
  std::snprintf(line, sizeof line, "%-22s %-28s %-12s %10s %9s %6s  %s\n", "op", "node", "kernel", "total ms", "mean ms",
                "share", "shapes");
  out += line;
  double op_total = 0;
  for (const auto& s : stats) op_total += s.total_ms;
  for (size_t i = 0; i < stats.size() && i < max_rows; ++i) {
    const auto& s = stats[i];
    std::snprintf(line, sizeof line, "%-22.22s %-28.28s %-12.12s %10.3f %9.4f %5.1f%%  %s\n", s.op_type.c_str(),
                  s.node.c_str(), s.kernel.c_str(), s.total_ms, s.total_ms / static_cast<double>(s.calls),
                  run_ms > 0 ? 100.0 * s.total_ms / run_ms : 0.0, s.shapes.c_str());
    out += line;
  }
  if (stats.size() > max_rows) out += "... " + std::to_string(stats.size() - max_rows) + " more ops\n";
  std::snprintf(line, sizeof line, "%zu runs, %.3f ms total, %.3f ms per run; ops account for %.1f%% (the rest is runtime overhead)\n",
                runs_.size(), run_ms, runs_.empty() ? 0.0 : run_ms / static_cast<double>(runs_.size()),
                run_ms > 0 ? 100.0 * op_total / run_ms : 0.0);
  out += line;
  return out;
}

Status OpProfiler::WriteChromeTrace(const std::string& path) const {
  std::ofstream f(path);
  if (!f) return Internal("cannot write trace file '" + path + "'");
  f << "{\"displayTimeUnit\":\"ms\",\"traceEvents\":[\n";
  f << "{\"name\":\"process_name\",\"ph\":\"M\",\"pid\":1,\"args\":{\"name\":\"inferd\"}}";
  char num[64];
  auto fmt = [&](double v) {
    std::snprintf(num, sizeof num, "%.3f", v);
    return std::string(num);
  };
  for (size_t i = 0; i < runs_.size(); ++i)
    f << ",\n{\"name\":\"run " << i << "\",\"cat\":\"run\",\"ph\":\"X\",\"pid\":1,\"tid\":1,\"ts\":" << fmt(runs_[i].start_us)
      << ",\"dur\":" << fmt(runs_[i].dur_us) << "}";
  for (const auto& e : ops_) {
    const Node& n = model_.step_node(e.step);
    f << ",\n{\"name\":\"" << JsonEscaped(n.op_type) << "\",\"cat\":\"op\",\"ph\":\"X\",\"pid\":1,\"tid\":1,\"ts\":"
      << fmt(e.start_us) << ",\"dur\":" << fmt(e.dur_us) << ",\"args\":{\"node\":\"" << JsonEscaped(n.name)
      << "\",\"kernel\":\"" << JsonEscaped(std::string(model_.step_kernel_name(e.step))) << "\",\"shapes\":\""
      << JsonEscaped(e.shapes) << "\"}}";
  }
  f << "\n]}\n";
  if (!f) return Internal("failed writing trace file '" + path + "'");
  return Status::Ok();
}

}  // namespace inferd
