#include "serving/inference_api.h"

#include <nlohmann/json.hpp>

#include "serving/model_config.h"
#include "serving/validation.h"

namespace inferd::serving {
namespace {

using Clock = std::chrono::steady_clock;
using json = nlohmann::ordered_json;

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

json ShapeJson(const ValueInfo& info) {
  json shape = json::array();
  if (info.dims)
    for (const Dim& d : *info.dims) shape.push_back(d.fixed() ? d.value : -1);
  return shape;
}

json TensorMetadata(const std::vector<ValueInfo>& infos) {
  json out = json::array();
  for (const ValueInfo& info : infos)
    out.push_back({{"name", info.name}, {"datatype", std::string(WireDatatype(info.dtype))}, {"shape", ShapeJson(info)}});
  return out;
}

http::Response WithRetryAfter(http::Response r, int seconds) {
  r.SetHeader("Retry-After", std::to_string(seconds));
  return r;
}

const char* OutcomeFor(StatusCode code) {
  switch (code) {
    case StatusCode::kOk:
      return "success";
    case StatusCode::kInvalidArgument:
    case StatusCode::kOutOfRange:
      return "invalid";
    case StatusCode::kNotFound:
      return "not_found";
    case StatusCode::kResourceExhausted:
      return "overloaded";
    case StatusCode::kDeadlineExceeded:
      return "timeout";
    case StatusCode::kUnavailable:
      return "unavailable";
    default:
      return "error";
  }
}

// Phases run from a microsecond (parsing a small request) to seconds (a
// long queue or a large model).
std::vector<double> PhaseBucketsSeconds() {
  return {1e-6,  2e-6,  5e-6,  10e-6, 20e-6, 50e-6, 100e-6, 200e-6, 500e-6, 1e-3, 2e-3, 5e-3,
          10e-3, 20e-3, 50e-3, 0.1,   0.2,   0.5,   1.0,    2.0,    5.0,    10.0, 30.0, 60.0};
}

bool TruthyHeader(const std::string& v) { return v == "1" || v == "true" || v == "True" || v == "TRUE" || v == "yes"; }

// Marks the trace answered and hands it to the store once the response is
// written (the "send" span).
void AttachTrace(http::Response& r, const std::shared_ptr<RequestTrace>& trace, TraceStore* store,
                 Clock::time_point responded) {
  trace->responded = responded;
  trace->response_bytes = r.body.size();
  r.SetHeader("Inferd-Trace-Id", trace->id());
  r.on_written = [trace, store](bool) {
    trace->sent = Clock::now();
    store->Finish(trace);
  };
}

std::vector<double> OverheadBucketsSeconds() {
  return {5e-6, 10e-6, 15e-6, 20e-6, 25e-6, 30e-6, 40e-6, 50e-6, 60e-6, 80e-6, 100e-6,
          150e-6, 200e-6, 300e-6, 500e-6, 1e-3, 2e-3, 5e-3, 10e-3, 50e-3};
}


}  // namespace

struct InferenceApi::VersionMetrics {
  Counter* success = nullptr;
  Histogram* overhead = nullptr;
  Histogram* request = nullptr;
  Histogram* queue = nullptr;
  Histogram* compute = nullptr;
  Histogram* batch = nullptr;
  // inferd_phase_duration_seconds{phase=...}: the trace's phases.
  Histogram* parse = nullptr;
  Histogram* validate = nullptr;
  Histogram* queue_phase = nullptr;
  Histogram* batch_phase = nullptr;
  Histogram* handoff = nullptr;
  Histogram* serialize = nullptr;
};

// One infer request from decode to response; shared by the batcher's
// completion callback.
struct InferenceApi::InferCall {
  InferenceApi* api = nullptr;
  http::Responder respond;
  std::shared_ptr<const Servable> servable;
  InferRequest request;
  Clock::time_point received;
  VersionMetrics* metrics = nullptr;
  std::string version_text;
  Clock::time_point decoded, validated;
  std::shared_ptr<RequestTrace> trace;  // null unless traced
};

InferenceApi::InferenceApi(ModelManager& manager, Metrics& metrics, InferenceApiOptions options)
    : manager_(manager), metrics_(metrics), options_(std::move(options)) {
  request_seconds_all_ = &metrics_.GetHistogram("inferd_http_request_duration_seconds",
                                                "Time from receiving a request to its response, every route",
                                                LatencyBucketsSeconds());
  metrics_.AddGaugeCallback("inferd_inflight_requests", "Infer requests received and not yet answered",
                            [this] { return std::vector<std::pair<Labels, double>>{{{}, double(in_flight_.load())}}; });
  metrics_.AddGaugeCallback("inferd_loaded_versions", "Versions READY per model", [this] {
    std::map<std::string, double> counts;
    for (const IndexEntry& e : manager_.Index(true)) counts[e.name] += 1;
    std::vector<std::pair<Labels, double>> out;
    for (auto& [name, n] : counts) out.push_back({{{"model", name}}, n});
    return out;
  });
  metrics_.AddGaugeCallback("inferd_queue_depth", "Requests waiting in each version's batch queue", [this] {
    std::vector<std::pair<Labels, double>> out;
    for (const IndexEntry& e : manager_.Index(true)) {
      auto s = manager_.Acquire(e.name, e.version);
      if (s.ok() && (*s)->batcher)
        out.push_back({{{"model", e.name}, {"version", e.version}}, double((*s)->batcher->queue_depth())});
    }
    return out;
  });
}

InferenceApi::~InferenceApi() {
  std::vector<std::thread> threads;
  {
    std::lock_guard lock(control_mu_);
    threads.swap(control_threads_);
  }
  for (auto& t : threads)
    if (t.joinable()) t.join();
}

InferenceApi::VersionMetrics& InferenceApi::MetricsFor(const std::string& model, int64_t version) {
  std::string key = model;
  key += '\0';
  key += std::to_string(version);
  {
    std::shared_lock lock(metrics_mu_);
    auto it = version_metrics_.find(key);
    if (it != version_metrics_.end()) return *it->second;
  }
  std::unique_lock lock(metrics_mu_);
  auto& slot = version_metrics_[key];
  if (!slot) {
    slot = std::make_unique<VersionMetrics>();
    const Labels labels = {{"model", model}, {"version", std::to_string(version)}};
    Labels ok = labels;
    ok.emplace_back("outcome", "success");
    slot->success = &metrics_.GetCounter("inferd_requests_total", "Infer requests by model, version and outcome", ok);
    slot->request = &metrics_.GetHistogram("inferd_request_duration_seconds",
                                           "Infer request latency, from receipt to response", LatencyBucketsSeconds(),
                                           labels);
    slot->queue = &metrics_.GetHistogram("inferd_queue_duration_seconds", "Time an infer request waited in the queue",
                                         LatencyBucketsSeconds(), labels);
    slot->compute = &metrics_.GetHistogram("inferd_compute_duration_seconds",
                                           "Model run time of the batch an infer request was part of",
                                           LatencyBucketsSeconds(), labels);
    slot->overhead = &metrics_.GetHistogram(
        "inferd_server_overhead_seconds",
        "Server time of a successful infer request outside the model run (receipt to response minus compute)",
        OverheadBucketsSeconds(), labels);
    slot->batch = &metrics_.GetHistogram("inferd_batch_size", "Rows in each batch run", BatchSizeBuckets(1024), labels);
    auto phase = [&](const char* name) {
      Labels l = labels;
      l.emplace_back("phase", name);
      return &metrics_.GetHistogram(
          "inferd_phase_duration_seconds",
          "Time a successful infer request spent in each phase of its trace (parse, validate, queue, batch = "
          "assembly + model run, handoff = output split and earlier requests of the batch answered, serialize)",
          PhaseBucketsSeconds(), l);
    };
    slot->parse = phase("parse");
    slot->validate = phase("validate");
    slot->queue_phase = phase("queue");
    slot->batch_phase = phase("batch");
    slot->handoff = phase("handoff");
    slot->serialize = phase("serialize");
  }
  return *slot;
}

void InferenceApi::Count(const std::string& model, const std::string& version, const char* outcome) {
  metrics_.GetCounter("inferd_requests_total", "Infer requests by model, version and outcome",
                      {{"model", model}, {"version", version}, {"outcome", outcome}})
      .Inc();
}

void InferenceApi::Handle(http::Request&& request, http::Responder respond) {
  const auto segments = request.Segments();
  const auto& m = request.method;
  const size_t n = segments.size();
  auto reply = [&](http::Response r) {
    request_seconds_all_->Observe(Seconds(Clock::now() - request.received));
    respond(std::move(r));
  };
  auto not_allowed = [&](const char* allowed) {
    auto r = http::Response::Error(405, "method " + m + " not allowed on " + request.path + " (use " + allowed + ")");
    r.SetHeader("Allow", allowed);
    reply(std::move(r));
  };

  if (n == 1 && segments[0] == "metrics") {
    if (m != "GET") return not_allowed("GET");
    auto r = http::Response::Text(200, metrics_.Render());
    r.SetHeader("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
    return reply(std::move(r));
  }
  if (n == 0 || segments[0] != "v2") {
    return reply(http::Response::Error(404, "no route for " + request.path + " (the inference API is under /v2)"));
  }
  if (n == 1) {
    if (m != "GET") return not_allowed("GET");
    return reply(ServerMetadata());
  }
  if (segments[1] == "health" && n == 3) {
    if (m != "GET") return not_allowed("GET");
    if (segments[2] == "live") return reply(http::Response::Json(200, R"({"live":true})"));
    if (segments[2] == "ready") {
      const bool ready = manager_.Settled();
      return reply(http::Response::Json(ready ? 200 : 503, ready ? R"({"ready":true})" : R"({"ready":false})"));
    }
  }
  if (segments[1] == "models" && n >= 3) {
    const std::string& model = segments[2];
    std::string version;
    size_t rest = 3;
    if (n >= 5 && segments[3] == "versions") {
      version = segments[4];
      rest = 5;
    }
    if (n == rest) {
      if (m != "GET") return not_allowed("GET");
      return reply(ModelMetadata(model, version));
    }
    if (n == rest + 1) {
      const std::string& action = segments[rest];
      if (action == "infer") {
        if (m != "POST") return not_allowed("POST");
        return Infer(std::move(request), model, version, std::move(respond));
      }
      if (action == "ready") {
        if (m != "GET") return not_allowed("GET");
        return reply(ModelReady(model, version));
      }
      if (action == "config") {
        if (m != "GET") return not_allowed("GET");
        return reply(ModelConfigJson(model, version));
      }
    }
  }
  if (segments[1] == "trace" && n == 3) {
    if (m != "GET") return not_allowed("GET");
    return reply(TraceJson(segments[2]));
  }
  if (segments[1] == "repository") {
    if (n == 3 && segments[2] == "index") {
      if (m != "POST" && m != "GET") return not_allowed("POST");
      return reply(RepositoryIndex(request));
    }
    if (n == 5 && segments[2] == "models" && (segments[4] == "load" || segments[4] == "unload")) {
      if (m != "POST") return not_allowed("POST");
      return RepositoryAction(request, segments[3], segments[4] == "load", std::move(respond));
    }
  }
  reply(http::Response::Error(404, "no route for " + m + " " + request.path));
}

http::Response InferenceApi::TraceJson(const std::string& id) {
  if (!options_.traces) return http::Response::Error(404, "tracing is off on this server (no trace store)");
  auto text = options_.traces->Get(id);
  if (!text.ok()) return http::ErrorResponse(text.status());
  return http::Response::Json(200, std::move(text).value());
}

http::Response InferenceApi::ServerMetadata() const {
  json body = {{"name", options_.server_name},
               {"version", options_.server_version},
               {"extensions", {"binary_tensor_data", "model_repository", "model_configuration"}}};
  return http::Response::Json(200, body.dump());
}

http::Response InferenceApi::ModelMetadata(const std::string& model, const std::string& version) {
  auto servable = manager_.Acquire(model, version);
  if (!servable.ok()) return http::ErrorResponse(servable.status());
  const Servable& s = **servable;
  json versions = json::array();
  if (version.empty()) {
    for (const IndexEntry& e : manager_.Index(true))
      if (e.name == model) versions.push_back(e.version);
  } else {
    versions.push_back(std::to_string(s.version));
  }
  json body = {{"name", s.model},
               {"versions", versions},
               {"platform", "onnx"},
               {"inputs", TensorMetadata(s.signature.inputs)},
               {"outputs", TensorMetadata(s.signature.outputs)},
               {"parameters",
                {{"version", std::to_string(s.version)},
                 {"sha256", s.sha256},
                 {"max_batch_size", s.config.batching.max_batch_size}}}};
  return http::Response::Json(200, body.dump());
}

http::Response InferenceApi::ModelReady(const std::string& model, const std::string& version) {
  auto servable = manager_.Acquire(model, version);
  if (servable.ok()) return http::Response::Json(200, R"({"ready":true})");
  if (servable.status().code() == StatusCode::kNotFound) return http::ErrorResponse(servable.status());
  return http::Response::Error(400, servable.status().message());
}

http::Response InferenceApi::ModelConfigJson(const std::string& model, const std::string& version) {
  auto servable = manager_.Acquire(model, version);
  if (!servable.ok()) return http::ErrorResponse(servable.status());
  const Servable& s = **servable;
  auto r = http::Response::Text(200, ModelConfigToYaml(s.config));
  r.SetHeader("Content-Type", "application/yaml");
  return r;
}

http::Response InferenceApi::RepositoryIndex(const http::Request& request) {
  bool ready_only = false;
  if (!request.body.empty()) {
    json body = json::parse(request.body, nullptr, false);
    if (body.is_discarded() || !body.is_object())
      return http::Response::Error(400, "repository index: the body must be a JSON object like {\"ready\": true}");
    if (body.contains("ready")) {
      if (!body["ready"].is_boolean()) return http::Response::Error(400, "repository index: \"ready\" must be a boolean");
      ready_only = body["ready"].get<bool>();
    }
  }
  json out = json::array();
  for (const IndexEntry& e : manager_.Index(ready_only)) {
    json entry = {{"name", e.name}, {"version", e.version}, {"state", e.state}};
    entry["reason"] = e.reason;
    out.push_back(std::move(entry));
  }
  return http::Response::Json(200, out.dump());
}

void InferenceApi::RepositoryAction(const http::Request& request, const std::string& model, bool load,
                                    http::Responder respond) {
  std::optional<std::string> config;
  if (!request.body.empty()) {
    json body = json::parse(request.body, nullptr, false);
    if (body.is_discarded() || !body.is_object())
      return respond(http::Response::Error(400, "repository " + std::string(load ? "load" : "unload") +
                                                    ": the body must be a JSON object"));
    if (load && body.contains("parameters") && body["parameters"].is_object() &&
        body["parameters"].contains("config")) {
      const json& c = body["parameters"]["config"];
      // Triton sends the config as a JSON string; accept an object too.
      config = c.is_string() ? c.get<std::string>() : c.dump();
    }
  }
  // Loading waits for warm-up: never on an I/O thread.
  std::lock_guard lock(control_mu_);
  control_threads_.emplace_back([this, model, load, config, respond = std::move(respond)]() mutable {
    const Status st = load ? manager_.Load(model, config) : manager_.Unload(model);
    if (!st.ok()) return respond(http::ErrorResponse(st));
    respond(http::Response::Json(200, "{}"));
  });
}

void InferenceApi::Infer(http::Request&& request, const std::string& model, const std::string& version,
                         http::Responder respond) {
  TraceStore* const traces = options_.traces;
  std::shared_ptr<RequestTrace> trace;
  auto begin_trace = [&](const char* by) {
    trace = traces->Begin(request.received);
    trace->sampled_by = by;
    trace->model = model;
    trace->version = version;
    trace->body_bytes = request.body.size();
  };
  if (traces) {
    if (traces->ShouldSample()) {
      begin_trace("rate");
    } else if (const std::string* h = request.Header("Inferd-Trace"); h && TruthyHeader(*h)) {
      begin_trace("header");
    }
  }
  auto fail = [&](const Status& st, const std::string& version_label) {
    Count(model, version_label.empty() ? "" : version_label, OutcomeFor(st.code()));
    http::Response r = http::ErrorResponse(st);
    if (st.code() == StatusCode::kResourceExhausted || st.code() == StatusCode::kUnavailable)
      r = WithRetryAfter(std::move(r), options_.retry_after_seconds);
    const auto now = Clock::now();
    if (trace) {
      trace->outcome = OutcomeFor(st.code());
      trace->error = st.message();
      AttachTrace(r, trace, traces, now);
    }
    request_seconds_all_->Observe(Seconds(now - request.received));
    respond(std::move(r));
  };
  if (in_flight_.load(std::memory_order_relaxed) >= options_.max_in_flight)
    return fail(ResourceExhausted("the server has " + std::to_string(options_.max_in_flight) +
                                  " requests in flight; retry later"),
                version);

  std::optional<uint64_t> json_length;
  if (const std::string* h = request.Header("Inference-Header-Content-Length")) {
    auto v = ParseInferenceHeaderContentLength(*h);
    if (!v.ok()) return fail(v.status(), version);
    json_length = *v;
  }
  auto decoded = DecodeInferRequest(request.body, json_length, options_.decode);
  const Clock::time_point decoded_at = Clock::now();
  if (!decoded.ok()) return fail(decoded.status(), version);
  if (!trace && traces && decoded->trace) begin_trace("parameter");
  if (trace) {
    trace->decoded = decoded_at;
    trace->request_id = decoded->id;
  }

  // A version being swapped out refuses new work (UNAVAILABLE); the next
  // Acquire sees its successor, so retry a few times before failing.
  for (int attempt = 0;; ++attempt) {
    auto servable = manager_.Acquire(model, version);
    if (!servable.ok()) return fail(servable.status(), version);
    const Servable& s = **servable;
    if (trace) trace->version = std::to_string(s.version);
    if (Status st = ValidateRequestedOutputs(s.signature, *decoded); !st.ok()) return fail(st, std::to_string(s.version));
    InferRequest attempt_request = *decoded;  // tensors share storage: cheap
    auto inputs = ValidateInputs(s.signature, attempt_request);
    const Clock::time_point validated_at = Clock::now();
    if (!inputs.ok()) return fail(inputs.status(), std::to_string(s.version));

    auto call = std::make_shared<InferCall>();
    call->api = this;
    call->servable = *servable;
    call->request = std::move(attempt_request);
    call->received = request.received;
    call->metrics = &MetricsFor(s.model, s.version);
    call->version_text = std::to_string(s.version);
    call->decoded = decoded_at;
    call->validated = validated_at;
    call->trace = trace;

    Job job;
    job.inputs = std::move(*inputs);
    if (decoded->timeout_us) job.deadline = request.received + std::chrono::microseconds(*decoded->timeout_us);
    if (trace) {
      trace->validated = validated_at;
      trace->compiled = s.compiled;
      job.observer = trace.get();
    }
    job.done = [call](Result<std::vector<Tensor>> outputs, const BatchInfo& info) {
      const Clock::time_point serialize_begin = Clock::now();
      InferenceApi& api = *call->api;
      const Servable& sv = *call->servable;
      if (RequestTrace* t = call->trace.get()) {
        t->enqueued = info.enqueued;
        t->started = info.started;
        t->computed = info.computed;
        t->serialize_begin = serialize_begin;
        t->batch_id = info.batch_id;
        t->batch_size = info.batch_size;
        t->batch_requests = info.batch_requests;
      }
      if (!outputs.ok()) {
        http::Response r = http::ErrorResponse(outputs.status());
        if (outputs.status().code() == StatusCode::kResourceExhausted)
          r = WithRetryAfter(std::move(r), api.options_.retry_after_seconds);
        return api.Finish(*call, std::move(r), OutcomeFor(outputs.status().code()));
      }
      std::vector<NamedTensor> named;
      named.reserve(outputs->size());
      for (size_t i = 0; i < outputs->size() && i < sv.signature.outputs.size(); ++i)
        named.push_back({sv.signature.outputs[i].name, std::move((*outputs)[i])});
      auto encoded = EncodeInferResponse(sv.model, call->version_text, call->request, named);
      const Clock::time_point encoded_at = Clock::now();
      if (call->trace) call->trace->encoded = encoded_at;
      if (!encoded.ok()) return api.Finish(*call, http::ErrorResponse(encoded.status()), "error");
      http::Response r;
      r.status = 200;
      r.body = std::move(encoded->body);
      if (encoded->json_length) {
        r.SetHeader("Content-Type", "application/octet-stream");
        r.SetHeader("Inference-Header-Content-Length", std::to_string(*encoded->json_length));
      } else {
        r.SetHeader("Content-Type", "application/json");
      }
      VersionMetrics& vm = *call->metrics;
      vm.queue->Observe(Seconds(info.started - info.enqueued));
      vm.compute->Observe(Seconds(info.computed - info.started));
      vm.batch->Observe(double(info.batch_size));
      vm.parse->Observe(Seconds(call->decoded - call->received));
      vm.validate->Observe(Seconds(call->validated - call->decoded));
      vm.queue_phase->Observe(Seconds(info.started - info.enqueued));
      vm.batch_phase->Observe(Seconds(info.computed - info.started));
      vm.handoff->Observe(Seconds(serialize_begin - info.computed));
      vm.serialize->Observe(Seconds(encoded_at - serialize_begin));
      api.Finish(*call, std::move(r), "success", Seconds(info.computed - info.started));
    };
    call->respond = std::move(respond);
    in_flight_.fetch_add(1, std::memory_order_relaxed);
    Status st = s.batcher->Submit(std::move(job));
    if (st.ok()) return;
    in_flight_.fetch_sub(1, std::memory_order_relaxed);
    respond = std::move(call->respond);
    if (st.code() == StatusCode::kUnavailable && attempt < 3) continue;
    return fail(st, call->version_text);
  }
}

void InferenceApi::Finish(InferCall& call, http::Response response, const char* outcome, double compute_seconds) {
  const auto now = Clock::now();
  const double seconds = Seconds(now - call.received);
  request_seconds_all_->Observe(seconds);
  if (std::string_view(outcome) == "success") {
    call.metrics->success->Inc();
    call.metrics->request->Observe(seconds);
    call.metrics->overhead->Observe(std::max(0.0, seconds - compute_seconds));
  } else {
    Count(call.servable->model, call.version_text, outcome);
  }
  if (call.trace) {
    if (std::string_view(outcome) != "success") {
      call.trace->outcome = outcome;
      call.trace->error = response.body;
    }
    AttachTrace(response, call.trace, options_.traces, now);
  }
  in_flight_.fetch_sub(1, std::memory_order_relaxed);
  call.respond(std::move(response));
}

}  // namespace inferd::serving
