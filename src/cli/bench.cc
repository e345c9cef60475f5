// `inferd bench URL --model M`: closed-loop load against any Open Inference
// Protocol (KServe v2 REST) server, in the spirit of Triton's perf_analyzer.
//
//   inferd bench http://127.0.0.1:8000 --model resnet --concurrency 1,4,16,64
//          [--version V] [--duration S] [--warmup S] [--binary] [--batch N]
//          [--input NAME=FILE.npy]... [--timeout S] [--threads 1|2] [--seed N] [--json]
//
// It reads the model's metadata, builds one request (seeded random data, or
// .npy files), checks that the first answer is a well-formed 200, then runs
// each concurrency level (warm-up, then the measured window) and prints a
// table, or with --json a document with the same numbers.
//
// Exit codes, as every verb's: 0 when the load ran (even with request
// errors, which are printed); 1 when the server is unreachable, does not know
// the model, or does not answer the first inference with a well-formed 200;
// 2 for a bad option value or URL.
#include <iostream>
#include <map>

#include "cli/verbs.h"
#include "loadgen/http_client.h"
#include "loadgen/load_generator.h"
#include "loadgen/payload.h"
#include "loadgen/report.h"

namespace inferd::cli {
namespace {

constexpr int kBenchBadArgs = kExitUsage;
constexpr int kBenchUnreachable = kExitError;

struct BenchArgs {
  std::string url, model, version;
  std::string concurrency = "1,4,16,64";
  std::string duration = "5", warmup = "1", timeout = "30", batch = "0", threads = "1", seed = "1";
  std::vector<std::string> inputs;
  bool binary = false;
  bool json = false;
};

// The start of a server's body for a message, without trailing whitespace.
std::string Clip(const std::string& body) {
  std::string s = body.substr(0, 2000);
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s.empty() ? "(empty body)" : s;
}

int Fail(int code, const std::string& message) {
  std::cerr << "inferd: error: " << message << "\n";
  return code;
}

// Numbers are parsed here (not by CLI11) so that a bad value exits with this
// verb's code 1 and a message naming the option.
Result<double> ParseSeconds(const std::string& flag, const std::string& text, bool allow_zero) {
  size_t used = 0;
  double v = 0;
  try {
    v = std::stod(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != text.size() || text.empty() || !(v >= 0) || v > 86400 || (!allow_zero && v == 0))
    return InvalidArgument(flag + " \"" + text + "\": expected a number of seconds" +
                           (allow_zero ? " (0 or more)" : " above 0") + ", at most 86400");
  return v;
}

Result<int64_t> ParseCount(const std::string& flag, const std::string& text, int64_t lo, int64_t hi) {
  size_t used = 0;
  long long v = 0;
  try {
    v = std::stoll(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != text.size() || text.empty() || v < lo || v > hi)
    return InvalidArgument(flag + " \"" + text + "\": expected a whole number from " + std::to_string(lo) + " to " +
                           std::to_string(hi));
  return static_cast<int64_t>(v);
}

Result<std::vector<int>> ParseLevels(const std::string& text) {
  std::vector<int> levels;
  size_t start = 0;
  while (start <= text.size()) {
    const size_t comma = text.find(',', start);
    const std::string item = text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    auto n = ParseCount("--concurrency", item, 1, 10000);
    if (!n.ok())
      return InvalidArgument("--concurrency \"" + text +
                             "\": expected a comma-separated list of numbers from 1 to "
                             "10000, like 1,4,16,64");
    levels.push_back(static_cast<int>(*n));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return levels;
}

int RunBench(const BenchArgs& a) {
  using namespace inferd::loadgen;
  if (a.url.empty()) return Fail(kBenchBadArgs, "a server URL is required: inferd bench http://HOST:PORT --model M");
  auto url = ParseUrl(a.url);
  if (!url.ok()) return Fail(kBenchBadArgs, url.status().message());
  if (a.model.empty()) return Fail(kBenchBadArgs, "--model is required (the model to load)");
  auto levels = ParseLevels(a.concurrency);
  auto duration = ParseSeconds("--duration", a.duration, false);
  auto warmup = ParseSeconds("--warmup", a.warmup, true);
  auto timeout = ParseSeconds("--timeout", a.timeout, false);
  auto batch = ParseCount("--batch", a.batch, 0, 1 << 20);
  auto threads = ParseCount("--threads", a.threads, 1, 16);
  auto seed = ParseCount("--seed", a.seed, 0, INT64_MAX);
  for (const Status* st : {&levels.status(), &duration.status(), &warmup.status(), &timeout.status(), &batch.status(),
                           &threads.status(), &seed.status()})
    if (!st->ok()) return Fail(kBenchBadArgs, st->message());
  PayloadOptions payload_options;
  payload_options.batch = *batch;
  payload_options.binary = a.binary;
  payload_options.seed = static_cast<uint64_t>(*seed);
  for (const std::string& spec : a.inputs) {
    const size_t eq = spec.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == spec.size())
      return Fail(kBenchBadArgs, "--input \"" + spec + "\" must look like NAME=FILE.npy");
    if (!payload_options.input_files.emplace(spec.substr(0, eq), spec.substr(eq + 1)).second)
      return Fail(kBenchBadArgs, "--input names \"" + spec.substr(0, eq) + "\" twice");
  }

  // Find the server and the model.
  auto endpoint = Resolve(*url);
  if (!endpoint.ok()) return Fail(kBenchUnreachable, endpoint.status().message());
  const std::string model_path = ModelPath(a.model, a.version);
  const std::string model_text = "model \"" + a.model + "\"" + (a.version.empty() ? "" : " version " + a.version);
  auto meta_reply = Exchange(*endpoint, FrameRequest("GET", *url, model_path, {}, ""), *timeout);
  if (!meta_reply.ok())
    return Fail(kBenchUnreachable, "cannot reach the server at " + a.url + ": " + meta_reply.status().message());
  if (meta_reply->status != 200)
    return Fail(kBenchUnreachable, model_text + " is not available at " + a.url + " (GET " + url->base_path +
                                       model_path + " answered HTTP " + std::to_string(meta_reply->status) +
                                       "): " + Clip(meta_reply->body));
  auto meta = ParseModelMetadata(meta_reply->body);
  if (!meta.ok())
    return Fail(kBenchUnreachable,
                "the server's metadata for " + model_text + " is unusable: " + meta.status().message());
  if (meta->name.empty()) meta->name = a.model;

  // Build the request and check the first answer.
  auto payload = BuildInferPayload(*meta, payload_options, uint64_t{256} << 20);
  if (!payload.ok()) return Fail(kBenchBadArgs, payload.status().message());
  const std::string request = FrameRequest("POST", *url, model_path + "/infer", payload->Headers(), payload->body);
  auto first = Exchange(*endpoint, request, *timeout);
  if (!first.ok()) return Fail(kBenchUnreachable, "the first inference request failed: " + first.status().message());
  if (Status st = CheckInferResponse(first->status, first->body, first->Header("Inference-Header-Content-Length"));
      !st.ok())
    return Fail(kBenchUnreachable, model_text + ": " + st.message());

  std::ostream& info = a.json ? std::cerr : std::cout;
  info << "model \"" << meta->name << "\"" << (a.version.empty() ? "" : " version " + a.version) << " at "
       << endpoint->display << ": " << (a.binary ? "binary" : "JSON") << " request of " << payload->body.size()
       << " bytes, " << payload->batch << " inference" << (payload->batch == 1 ? "" : "s") << " per request\n";
  for (const std::string& line : payload->inputs_described) info << "  input " << line << "\n";
  info << "warm-up " << *warmup << " s, measured " << *duration << " s per level, " << *threads << " thread"
       << (*threads == 1 ? "" : "s") << "\n";
  if (!a.json) info << "\n" << TableHeader() << std::flush;

  std::vector<LevelResult> results;
  for (int concurrency : *levels) {
    LoadOptions options;
    options.endpoint = *endpoint;
    options.request = request;
    options.concurrency = concurrency;
    options.threads = static_cast<int>(*threads);
    options.warmup_s = *warmup;
    options.duration_s = *duration;
    options.timeout_s = *timeout;
    options.inferences_per_request = payload->batch;
    auto result = RunClosedLoop(options);
    if (!result.ok()) return ReportError(result.status());
    if (!a.json) std::cout << TableRow(*result) << std::flush;
    results.push_back(std::move(*result));
  }
  if (a.json) {
    nlohmann::json doc = ToJson(results);
    doc["model"] = meta->name;
    if (!a.version.empty()) doc["version"] = a.version;
    doc["url"] = a.url;
    doc["binary"] = a.binary;
    doc["batch"] = payload->batch;
    doc["request_bytes"] = payload->body.size();
    doc["warmup_s"] = *warmup;
    doc["threads"] = *threads;
    std::cout << doc.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
    std::cerr << ErrorDetails(results);
  } else {
    std::cout << ErrorDetails(results) << ClientCpuNote(results);
  }
  return kExitOk;
}

}  // namespace

Verb AddBenchVerb(CLI::App& app) {
  auto args = std::make_shared<BenchArgs>();
  CLI::App* cmd = app.add_subcommand(
      "bench", "Load an Open Inference Protocol (KServe v2 REST) server and report throughput and latency");
  // Not ->required(): a missing URL is reported by RunBench (exit code 2, like any usage error).
  cmd->add_option("url", args->url, "Server address, http://host:port");
  cmd->add_option("--model", args->model, "Model name");
  cmd->add_option("--version", args->version, "Model version (default: the server's choice)");
  cmd->add_option("--concurrency", args->concurrency, "Comma-separated concurrency levels")
      ->type_name("N,N,...")
      ->capture_default_str();
  cmd->add_option("--duration", args->duration, "Measured seconds per level")->type_name("S")->capture_default_str();
  cmd->add_option("--warmup", args->warmup, "Warm-up seconds per level (not measured)")
      ->type_name("S")
      ->capture_default_str();
  cmd->add_option("--timeout", args->timeout, "Seconds before a request counts as timed out")
      ->type_name("S")
      ->capture_default_str();
  cmd->add_option("--batch", args->batch,
                  "Size of the variable first dimension (inferences per request); default 1, or the --input "
                  "files' first dimension")
      ->type_name("N");
  cmd->add_option("--input", args->inputs, "Send this data for an input (repeatable)")->type_name("NAME=FILE.npy");
  cmd->add_option("--threads", args->threads, "Client event-loop threads")->type_name("N")->capture_default_str();
  cmd->add_option("--seed", args->seed, "Seed of the random input data")->type_name("N")->capture_default_str();
  cmd->add_flag("--binary", args->binary, "Use the binary tensor extension for inputs and outputs");
  cmd->add_flag("--json", args->json, "Print the results as JSON");
  cmd->footer(
      "Exit status: 0 the load ran (request errors are reported, not fatal); 1 server unreachable, model "
      "unknown, or first inference not a well-formed 200; 2 bad option value or URL.");
  return {cmd, [args] { return RunBench(*args); }};
}

}  // namespace inferd::cli
