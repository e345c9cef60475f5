// OpProfiler: records where a model's run time goes, per operator.
//
// Attach to a RunContext (ctx.set_observer(&profiler)); each run becomes a
// span and each op a nested span carrying its node, kernel and shapes. Not
// attached, the runtime makes no timing calls at all. One profiler serves one
// RunContext (one thread) at a time.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "common/status.h"
#include "engine/runtime/model.h"

namespace inferd {

// "[1,3,224,224] x [64,3,7,7] -> [1,64,112,112]": one op call's shapes, as
// profiles and request traces show them.
std::string OpShapes(const std::vector<const Tensor*>& inputs, const std::vector<const Tensor*>& outputs);

class OpProfiler final : public RunObserver {
 public:
  explicit OpProfiler(const CompiledModel& model);

  void OnRunBegin() override;
  void OnRunEnd() override;
  void OnOpBegin(size_t step) override;
  void OnOpEnd(size_t step, const std::vector<const Tensor*>& inputs,
               const std::vector<const Tensor*>& outputs) override;

  // Aggregate per node (step), sorted by total time, largest first.
  struct OpStats {
    std::string op_type;
    std::string node;
    std::string kernel;
    std::string shapes;  // "in [1,3,224,224] x [64,3,7,7] -> out [1,64,112,112]" of the last call
    double total_ms = 0;
    int64_t calls = 0;
  };
  std::vector<OpStats> Summary() const;
  // Runs recorded and their total wall time.
  size_t runs() const { return runs_.size(); }
  double total_run_ms() const;
  // A text table: op, node, shapes, kernel, total ms, mean ms, share of run time.
  std::string FormatTable(size_t max_rows = 50) const;
  // Chrome trace event format (Perfetto, chrome://tracing): one "X" event per
  // run and per op, ops nested inside their run.
  Status WriteChromeTrace(const std::string& path) const;
  void Clear();

 private:
  using Clock = std::chrono::steady_clock;
  struct OpEvent {
    size_t step;
    double start_us;
    double dur_us;
    std::string shapes;
  };
  struct RunEvent {
    double start_us;
    double dur_us;
  };
  double NowUs() const { return std::chrono::duration<double, std::micro>(Clock::now() - origin_).count(); }

  const CompiledModel& model_;
  Clock::time_point origin_;
  double run_start_ = 0;
  double op_start_ = 0;
  std::vector<RunEvent> runs_;
  std::vector<OpEvent> ops_;
};

}  // namespace inferd
