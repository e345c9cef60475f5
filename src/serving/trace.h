// Request timelines: RequestTrace records where one infer request's time
// went (parse, validate, queue, batch assembly, each operator of the model
// run, serialise, send); TraceStore samples requests, writes finished traces
// as Chrome trace event JSON (one file per trace, oldest deleted beyond a
// cap) and finds recent ones by id for GET /v2/trace/{id}.
//
// Cost when off: an untraced request owns no RequestTrace (a null pointer);
// with trace_rate 0 ShouldSample() is one branch, no atomic, no clock read.
//
// Threads: a RequestTrace is written by one thread at a time, handed along
// with the request (I/O thread -> batcher instance -> I/O thread); its
// RunObserver methods run on the instance running the batch. TraceStore is
// thread-safe; a background thread renders and writes files, so no request
// thread touches the disk.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "common/status.h"
#include "engine/runtime/model.h"

namespace inferd::serving {

using TraceClock = std::chrono::steady_clock;

// One request's timeline. Time points left at their default were not
// reached (a request that failed validation has no queue span).
class RequestTrace final : public RunObserver {
 public:
  RequestTrace(std::string id, TraceClock::time_point received_at) : id_(std::move(id)) { received = received_at; }

  const std::string& id() const { return id_; }

  // Set by the inference API as the request moves along.
  std::string model, version, request_id, outcome = "success", error;
  uint64_t body_bytes = 0;
  std::string sampled_by;  // "rate", "header" or "parameter"
  TraceClock::time_point received, decoded, validated, enqueued, started, computed, serialize_begin, encoded, responded,
      sent;
  int64_t batch_id = 0, batch_size = 0, batch_requests = 0;
  uint64_t response_bytes = 0;
  // The model the run used (for op names); kept alive by the request.
  std::shared_ptr<const CompiledModel> compiled;

  // RunObserver: the model run and each operator (on the batch's thread).
  void OnRunBegin() override { run_begin_ = TraceClock::now(); }
  void OnRunEnd() override { run_end_ = TraceClock::now(); }
  void OnOpBegin(size_t) override { op_begin_ = TraceClock::now(); }
  void OnOpEnd(size_t step, const std::vector<const Tensor*>& inputs,
               const std::vector<const Tensor*>& outputs) override;

  // Chrome trace event JSON ({"traceEvents":[...]}): one "X" event per span
  // on one track, children inside their parents, ts/dur in microseconds
  // since `received`. Span names and categories: see trace.cc.
  std::string ToChromeJson() const;

 private:
  struct OpSpan {
    size_t step;
    TraceClock::time_point begin, end;
    std::string shapes;
  };
  std::string id_;
  TraceClock::time_point run_begin_{}, run_end_{}, op_begin_{};
  std::vector<OpSpan> ops_;
};

struct TraceOptions {
  // Trace one request in `rate` (0: only requests that opt in).
  int64_t rate = 0;
  // Folder of trace files; created on the first trace.
  std::string dir = "inferd-traces";
  // Trace files kept at most; the oldest is deleted beyond it.
  int64_t max_files = 1000;
  // Finished traces waiting for the writer at most; beyond it a trace is
  // dropped (counted in dropped()) rather than holding memory or a request.
  int64_t max_pending = 256;
};

class TraceStore {
 public:
  static Result<std::unique_ptr<TraceStore>> Create(TraceOptions options);
  // Writes what is pending, then stops the writer.
  ~TraceStore();
  TraceStore(const TraceStore&) = delete;
  TraceStore& operator=(const TraceStore&) = delete;

  // Whether the next request is sampled by rate (cheap; no clock read).
  bool ShouldSample() {
    return rate_ > 0 && counter_.fetch_add(1, std::memory_order_relaxed) % static_cast<uint64_t>(rate_) == 0;
  }
  // A new trace with a fresh id; it counts as recording until Finish.
  std::shared_ptr<RequestTrace> Begin(TraceClock::time_point received);
  // The trace is complete: queue it for the writer.
  void Finish(std::shared_ptr<RequestTrace> trace);
  // The Chrome JSON of a recent trace. A trace still recording is waited
  // for up to `wait`; NOT_FOUND when unknown or rotated away.
  Result<std::string> Get(const std::string& id, std::chrono::milliseconds wait = std::chrono::milliseconds(200));
  // Waits until every finished trace is on disk (tests, shutdown).
  void Flush();

  const TraceOptions& options() const { return options_; }
  int64_t written() const { return written_.load(); }
  int64_t dropped() const { return dropped_.load(); }

 private:
  explicit TraceStore(TraceOptions options);
  void WriterLoop();
  Status WriteOne(const RequestTrace& trace, std::string& path_out);

  const TraceOptions options_;
  const int64_t rate_;
  std::atomic<uint64_t> counter_{0};
  std::atomic<uint64_t> next_id_{1};
  uint64_t id_salt_ = 0;
  std::atomic<int64_t> written_{0}, dropped_{0};

  std::mutex mu_;
  std::condition_variable cv_;       // writer: work or stop
  std::condition_variable done_cv_;  // Get/Flush: a trace finished or was written
  bool stop_ = false;
  bool writing_ = false;
  std::set<std::string> recording_;
  std::deque<std::shared_ptr<RequestTrace>> queue_;                 // finished, not yet written
  std::map<std::string, std::shared_ptr<RequestTrace>> unwritten_;  // id -> trace (queue_ and in the writer)
  std::deque<std::pair<std::string, std::string>> files_;           // (id, path), oldest first
  std::map<std::string, std::string> file_of_;                      // id -> path
  int64_t failures_ = 0;                                            // writer thread only
  std::thread writer_;
};

}  // namespace inferd::serving
