// `inferd serve`: serves every model of the local registry over the Open
// Inference Protocol (KServe v2 REST), following the registry as versions
// are pushed and aliases move.
#include <pthread.h>
#include <signal.h>

#include <fstream>
#include <iostream>

#include "cli/verbs.h"
#include "http/server.h"
#include "registry/registry.h"
#include "serving/event_log.h"
#include "serving/inference_api.h"
#include "serving/lifecycle.h"
#include "serving/metrics.h"
#include "serving/model_config.h"
#include "serving/trace.h"

namespace inferd::cli {
namespace {

struct ServeArgs {
  std::string registry;
  std::string bind = "127.0.0.1";
  int port = 8000;
  int http_threads = 2;
  std::vector<std::string> models;
  std::vector<std::string> model_configs;  // NAME=FILE.yaml
  std::string default_config;              // FILE.yaml
  int poll_ms = 500;
  int load_threads = 1;
  uint64_t max_request_bytes = 64ull << 20;
  bool reject_nonfinite = false;
  double shutdown_timeout_s = 30;
  std::string port_file;
  int64_t trace_rate = 0;
  std::string trace_dir = "inferd-traces";
  int64_t trace_max_files = 1000;
};

int Serve(const ServeArgs& a) {
  using namespace serving;
  ManagerOptions mo;
  mo.registry_root = registry::ResolveRoot(a.registry);
  mo.models = a.models;
  mo.poll_interval_ms = a.poll_ms;
  mo.load_threads = std::max(1, a.load_threads);
  if (!a.default_config.empty()) {
    auto text = ReadModelConfigFile(a.default_config);
    if (!text.ok()) return ReportError(text.status());
    auto config = ParseModelConfigYaml(*text, a.default_config);
    if (!config.ok()) return ReportError(config.status());
    mo.default_config = *config;
  }
  for (const std::string& spec : a.model_configs) {
    const size_t eq = spec.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == spec.size())
      return ReportUsage("--model-config: expected NAME=FILE.yaml, got \"" + spec + "\"");
    const std::string name = spec.substr(0, eq), file = spec.substr(eq + 1);
    auto text = ReadModelConfigFile(file);
    if (!text.ok()) return ReportError(text.status());
    if (auto parsed = ParseModelConfigYaml(*text, file, mo.default_config); !parsed.ok())
      return ReportError(parsed.status());
    mo.config_overrides[name] = *text;
  }
  mo.on_state = [](const std::string& model, int64_t version, const std::string& state, const std::string& reason) {
    LogEvent(state == "UNAVAILABLE" ? "error" : "info", "version_state",
             {{"model", model}, {"version", std::to_string(version)}, {"state", state}, {"reason", reason}});
  };

  // Block the stop signals before any thread starts, then wait for one.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);

  auto manager = ModelManager::Start(mo);
  if (!manager.ok()) return ReportError(manager.status());
  Metrics metrics;
  TraceOptions to;
  to.rate = a.trace_rate;
  to.dir = a.trace_dir;
  to.max_files = a.trace_max_files;
  auto traces = TraceStore::Create(to);
  if (!traces.ok()) return ReportError(traces.status());
  metrics.AddGaugeCallback(
      "inferd_traces", "Request traces written to the trace folder, and dropped", [t = traces->get()] {
        return std::vector<std::pair<Labels, double>>{{{{"state", "written"}}, double(t->written())},
                                                      {{{"state", "dropped"}}, double(t->dropped())}};
      });
  InferenceApiOptions ao;
  ao.traces = traces->get();
  ao.decode.reject_nonfinite = a.reject_nonfinite;
  ao.server_version = kVersion;
  InferenceApi api(**manager, metrics, ao);

  http::ServerOptions so;
  so.address = a.bind;
  so.port = static_cast<uint16_t>(a.port);
  so.threads = std::max(1, a.http_threads);
  so.max_body_bytes = a.max_request_bytes;
  so.max_body_hint = "start the server with --max-request-bytes to raise it";
  auto server = http::Server::StartAsync(so, api.AsHandler());
  if (!server.ok()) return ReportError(server.status());
  const uint16_t port = (*server)->port();
  if (!a.port_file.empty()) {
    std::ofstream pf(a.port_file + ".tmp");
    pf << port << "\n";
    pf.close();
    std::rename((a.port_file + ".tmp").c_str(), a.port_file.c_str());
  }
  LogEvent("info", "listening",
           {{"url", "http://" + a.bind + ":" + std::to_string(port)}, {"registry", mo.registry_root}});
  LogEvent("info", "tracing",
           {{"trace_rate", std::to_string(a.trace_rate)},
            {"trace_dir", a.trace_dir},
            {"trace_max_files", std::to_string(a.trace_max_files)}});
  std::cout << "inferd serving registry \"" << mo.registry_root << "\" on http://" << a.bind << ":" << port
            << "/v2 (Ctrl-C or SIGTERM to stop)" << std::endl;

  int sig = 0;
  sigwait(&set, &sig);
  LogEvent("info", "shutting_down", {{"signal", sig == SIGTERM ? "SIGTERM" : "SIGINT"},
                                     {"in_flight", std::to_string((*server)->in_flight())}});
  const bool drained =
      (*server)->Shutdown(std::chrono::milliseconds(static_cast<int64_t>(a.shutdown_timeout_s * 1000)));
  (*manager)->Stop();
  LogEvent(drained ? "info" : "warn", "stopped", {{"drained", drained ? "true" : "false"}});
  return drained ? kExitOk : kExitError;
}

}  // namespace

Verb AddServeVerb(CLI::App& app) {
  auto args = std::make_shared<ServeArgs>();
  CLI::App* cmd = app.add_subcommand("serve", "Serve the registry's models over the Open Inference Protocol (HTTP)");
  cmd->add_option("--registry", args->registry, "Registry folder (default $INFERD_REGISTRY or ./inferd-data)");
  cmd->add_option("--bind", args->bind, "Address to listen on")->capture_default_str();
  cmd->add_option("--http-port", args->port, "HTTP port (0: any free port)")->capture_default_str()->check(CLI::Range(0, 65535));
  cmd->add_option("--http-threads", args->http_threads, "HTTP I/O threads")->capture_default_str()->check(CLI::Range(1, 64));
  cmd->add_option("--model", args->models, "Serve only these models (repeatable; default: every model)");
  cmd->add_option("--model-config", args->model_configs,
                  "NAME=FILE.yaml: serving config override for one model (repeatable)");
  cmd->add_option("--default-config", args->default_config, "FILE.yaml: config for versions stored without one");
  cmd->add_option("--poll-ms", args->poll_ms, "How often to look for registry changes (0: never)")
      ->capture_default_str()
      ->check(CLI::Range(0, 3600000));
  cmd->add_option("--load-threads", args->load_threads, "Threads loading model versions")->capture_default_str()->check(CLI::Range(1, 16));
  cmd->add_option("--max-request-bytes", args->max_request_bytes, "Largest request body accepted (413 beyond)")
      ->capture_default_str();
  cmd->add_flag("--reject-nonfinite", args->reject_nonfinite, "Refuse float inputs holding NaN or Inf");
  cmd->add_option("--shutdown-timeout", args->shutdown_timeout_s, "Seconds to let in-flight requests finish on SIGTERM")
      ->capture_default_str();
  cmd->add_option("--trace-rate", args->trace_rate,
                  "Trace one infer request in N (0: only requests sending the header Inferd-Trace: 1 or the "
                  "parameter \"trace\": true)")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{0}, int64_t{1} << 40));
  cmd->add_option("--trace-dir", args->trace_dir,
                  "Folder of request traces (Chrome trace JSON, one file per trace; created on the first trace)")
      ->capture_default_str();
  cmd->add_option("--trace-max-files", args->trace_max_files, "Trace files kept; the oldest are deleted beyond it")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{1}, int64_t{10000000}));
  cmd->add_option("--port-file", args->port_file, "Write the port listened on to this file (useful with --http-port 0)");
  return {cmd, [args] { return Serve(*args); }};
}

}  // namespace inferd::cli
