// Presenting load-generator results: a fixed-width table for people and a
// JSON document (same numbers) for scripts. Pure functions; any thread.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "loadgen/load_generator.h"

namespace inferd::loadgen {

// One row per level: concurrency, req/s, infer/s, p50/p90/p99/max ms, errors;
// then a line per error kind with an example message, and the generator's
// own CPU time per request. The pieces let a caller print rows as they come.
std::string FormatTable(const std::vector<LevelResult>& levels);
std::string TableHeader();
std::string TableRow(const LevelResult& r);
// "" when no level had errors.
std::string ErrorDetails(const std::vector<LevelResult>& levels);
// "generator CPU per request: 4.1 us (c=1), 3.0 us (c=16)"
std::string ClientCpuNote(const std::vector<LevelResult>& levels);
// The generator's CPU time per request (successful or not) in microseconds; 0 if none.
double ClientCpuMicrosPerRequest(const LevelResult& r);

// {"levels":[{"concurrency", "duration_s", "completed", "requests_per_s",
//   "inferences_per_s", "latency_ms":{"p50","p90","p99","max","mean"},
//   "errors":{"total","http":{"500":n},"connection","timeout","protocol"},
//   "error_examples":{...}, "connections_opened", "client_cpu_us_per_request"}]}
nlohmann::json ToJson(const std::vector<LevelResult>& levels);

}  // namespace inferd::loadgen
