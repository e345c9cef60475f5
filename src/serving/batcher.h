// DynamicBatcher: one bounded request queue per loaded model version, and
// the execution instances (threads, each with its own RunContext) that drain
// it, merging queued requests into one batch along dimension 0.
//
// Merging rules: only requests whose inputs agree in dtype and in every
// dimension but the first are merged; a batch never exceeds max_batch_size
// rows. A batch is run as soon as it reaches max_batch_size (or the largest
// preferred size that the queue can fill), otherwise when its oldest request
// has waited max_queue_delay_us. Outputs are split back along dimension 0.
//
// With batching off (max_batch_size <= 1) every request runs alone, still
// through the queue (so queue limits and timeouts hold), unless the caller
// uses RunInline.
//
// Threads: Submit, RunInline, queue_depth and Drain may be called from any
// thread. `done` is called exactly once for every accepted job, from one of
// the batcher's threads (an instance, or its timer thread for a job whose
// deadline passed in the queue), or from Submit's thread for a job accepted
// already past its deadline; it must not block for long. The batcher may be
// destroyed from `done` (its threads then finish the queue on their own).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "common/status.h"
#include "common/tensor.h"
#include "engine/runtime/model.h"

namespace inferd::serving {

struct BatchingConfig {
  // Rows per batch at most; 0 or 1 turns batching off.
  int64_t max_batch_size = 0;
  // How long the oldest queued request may wait for others to join it.
  int64_t max_queue_delay_us = 0;
  // Batch sizes to aim for (e.g. {8, 16, 32}); empty = max_batch_size.
  std::vector<int64_t> preferred_batch_sizes;
  // Requests waiting at most; a Submit past it is refused at once.
  int64_t max_queue_size = 1024;
  // Applied to jobs that come without a deadline; 0 = none.
  int64_t default_timeout_us = 0;
  // Execution threads (each runs one batch at a time).
  int instances = 1;
};

// What happened to a job, for metrics and traces.
struct BatchInfo {
  int64_t batch_id = 0;        // unique per batcher; shared by the jobs of one batch
  int64_t batch_size = 0;      // rows in the batch the job ran in
  int64_t batch_requests = 0;  // jobs merged into it
  std::chrono::steady_clock::time_point enqueued;
  std::chrono::steady_clock::time_point started;   // batch assembly began (queue wait ends)
  std::chrono::steady_clock::time_point computed;  // model run finished
};

using Deadline = std::chrono::steady_clock::time_point;
inline constexpr Deadline kNoDeadline = Deadline::max();

struct Job {
  // Validated inputs in the model's input order.
  std::vector<Tensor> inputs;
  // When the caller stops waiting; the job fails with DEADLINE_EXCEEDED if
  // it has not started by then. kNoDeadline: config.default_timeout_us applies.
  Deadline deadline = kNoDeadline;
  // Outputs in the model's output order, or the error.
  std::function<void(Result<std::vector<Tensor>>, const BatchInfo&)> done;
  // Optional: observer attached to the RunContext while this job's batch
  // runs (the per-operator profile of a traced request).
  RunObserver* observer = nullptr;
};

class DynamicBatcher {
 public:
  // Fails when batching is asked for but the model cannot batch: every input
  // and output must have a symbolic (or -1) first dimension.
  static Result<std::unique_ptr<DynamicBatcher>> Create(std::shared_ptr<const CompiledModel> model,
                                                        BatchingConfig config);
  // Drains.
  ~DynamicBatcher();

  // Whether the model's signature allows merging along dimension 0.
  static bool CanBatch(const CompiledModel& model);

  // Accepts the job, or refuses it at once (`done` not called):
  // RESOURCE_EXHAUSTED when the queue is full, UNAVAILABLE when draining,
  // INVALID_ARGUMENT when its first dimension exceeds max_batch_size.
  Status Submit(Job job);

  // Runs on the caller's thread with a pooled RunContext (no queue).
  // UNAVAILABLE once draining; Drain waits for inline runs too.
  Result<std::vector<Tensor>> RunInline(const std::vector<Tensor>& inputs, RunObserver* observer = nullptr);

  // Stops accepting and returns when every accepted job has completed.
  void Drain();

  int64_t queue_depth() const;
  int64_t in_flight() const;  // accepted and not yet completed (RunInline calls included)
  const BatchingConfig& config() const;

 private:
  struct Impl;
  explicit DynamicBatcher(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace inferd::serving
