// InferenceApi: the Open Inference Protocol (KServe v2) over HTTP, on top of
// the ModelManager. Routes (wire facts in ../shared/PROTOCOL.md):
//
//   GET  /v2/health/live | /v2/health/ready
//   GET  /v2                                         server metadata
//   GET  /v2/models/M[/versions/V]                   model metadata
//   GET  /v2/models/M[/versions/V]/ready             200 ready, 400 not yet, 404 unknown
//   GET  /v2/models/M[/versions/V]/config            the serving config in effect (JSON)
//   POST /v2/models/M[/versions/V]/infer             JSON or binary tensors
//   POST /v2/repository/index                        every version and its state
//   POST /v2/repository/models/M/load | unload       model-repository extension
//   GET  /v2/trace/ID                                a recent request timeline (Chrome trace JSON)
//   GET  /metrics                                    Prometheus text format
//
// Tracing (options.traces): a request is traced when the store samples it
// (--trace-rate), or when it asks: header `Inferd-Trace: 1` (or true) or
// request parameter "trace": true. Its response carries the header
// `Inferd-Trace-Id`; the timeline is finished once the response has been
// written to the socket. Every successful infer request (traced or not)
// also feeds inferd_phase_duration_seconds{phase=...}, the same phases.
//
// V is a number or a registry alias. Infer requests are decoded and
// validated on the I/O thread, queued to the version's DynamicBatcher, and
// answered from the execution thread that ran them: no I/O thread waits on
// a model. Load/unload run on a control thread of their own.
//
// Thread-safe: Handle may be called from any number of I/O threads.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "http/server.h"
#include "serving/infer_codec.h"
#include "serving/lifecycle.h"
#include "serving/metrics.h"
#include "serving/trace.h"

namespace inferd::serving {

struct InferenceApiOptions {
  DecodeOptions decode;
  std::string server_name = "inferd";
  std::string server_version;
  // Seconds a 503 (queue full, still loading) tells the client to wait.
  int retry_after_seconds = 1;
  // Requests at most in flight over all models; beyond it, 503 at once.
  int64_t max_in_flight = 100000;
  // Request timelines; nullptr: none (opt-ins are ignored). Not owned; must
  // outlive the InferenceApi.
  TraceStore* traces = nullptr;
};

class InferenceApi {
 public:
  InferenceApi(ModelManager& manager, Metrics& metrics, InferenceApiOptions options);
  ~InferenceApi();
  InferenceApi(const InferenceApi&) = delete;
  InferenceApi& operator=(const InferenceApi&) = delete;

  void Handle(http::Request&& request, http::Responder respond);
  http::AsyncHandler AsHandler() {
    return [this](http::Request&& r, http::Responder respond) { Handle(std::move(r), std::move(respond)); };
  }
  int64_t in_flight() const { return in_flight_.load(); }

 private:
  struct VersionMetrics;
  struct InferCall;

  void Infer(http::Request&& request, const std::string& model, const std::string& version,
             http::Responder respond);
  void Finish(InferCall& call, http::Response response, const char* outcome, double compute_seconds = 0);
  http::Response TraceJson(const std::string& id);
  http::Response ModelMetadata(const std::string& model, const std::string& version);
  http::Response ModelReady(const std::string& model, const std::string& version);
  http::Response ModelConfigJson(const std::string& model, const std::string& version);
  http::Response RepositoryIndex(const http::Request& request);
  void RepositoryAction(const http::Request& request, const std::string& model, bool load,
                        http::Responder respond);
  http::Response ServerMetadata() const;
  VersionMetrics& MetricsFor(const std::string& model, int64_t version);
  void Count(const std::string& model, const std::string& version, const char* outcome);

  ModelManager& manager_;
  Metrics& metrics_;
  InferenceApiOptions options_;
  std::atomic<int64_t> in_flight_{0};
  Histogram* request_seconds_all_ = nullptr;
  std::shared_mutex metrics_mu_;
  std::unordered_map<std::string, std::unique_ptr<VersionMetrics>> version_metrics_;
  // Load/unload calls wait for the manager; they run here, one at a time.
  std::mutex control_mu_;
  std::vector<std::thread> control_threads_;
};

}  // namespace inferd::serving
