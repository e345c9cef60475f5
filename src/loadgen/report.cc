#include "loadgen/report.h"

#include <cstdio>

namespace inferd::loadgen {
namespace {

double Ms(uint64_t nanos) { return static_cast<double>(nanos) / 1e6; }

std::string Fixed(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

std::string Pad(const std::string& s, size_t width) {
  return s.size() >= width ? s : std::string(width - s.size(), ' ') + s;
}

// One line per kind of error: "c=16 HTTP 500 x12: {"error":"..."}".
std::string ErrorLines(const LevelResult& r) {
  std::string out;
  auto example = [&](const std::string& key) {
    auto it = r.error_examples.find(key);
    if (it == r.error_examples.end() || it->second.empty()) return std::string();
    std::string text = it->second;
    for (char& ch : text)
      if (ch == '\n' || ch == '\r') ch = ' ';
    if (text.size() > 200) text = text.substr(0, 200) + "...";
    return ": " + text;
  };
  const std::string prefix = "  concurrency " + std::to_string(r.concurrency) + ": ";
  for (const auto& [status, count] : r.http_errors) {
    const std::string key = "HTTP " + std::to_string(status);
    out += prefix + key + " x" + std::to_string(count) + example(key) + "\n";
  }
  if (r.connection_errors)
    out += prefix + "connection errors x" + std::to_string(r.connection_errors) + example("connection") + "\n";
  if (r.timeouts) out += prefix + "timeouts x" + std::to_string(r.timeouts) + example("timeout") + "\n";
  if (r.protocol_errors)
    out += prefix + "malformed responses x" + std::to_string(r.protocol_errors) + example("protocol") + "\n";
  return out;
}

}  // namespace

namespace {
constexpr const char* kHead[] = {"concurrency", "req/s", "infer/s", "p50 ms", "p90 ms", "p99 ms", "max ms", "errors"};
constexpr size_t kWidth[] = {11, 10, 10, 8, 8, 8, 8, 7};
}  // namespace

std::string TableHeader() {
  std::string out;
  for (size_t i = 0; i < 8; ++i) out += (i ? "  " : "") + Pad(kHead[i], kWidth[i]);
  return out + "\n";
}

std::string TableRow(const LevelResult& r) {
  const std::string cells[] = {std::to_string(r.concurrency),          Fixed(r.requests_per_s, 1),
                               Fixed(r.inferences_per_s, 1),           Fixed(Ms(r.latency.Quantile(0.50)), 3),
                               Fixed(Ms(r.latency.Quantile(0.90)), 3), Fixed(Ms(r.latency.Quantile(0.99)), 3),
                               Fixed(Ms(r.latency.max()), 3),          std::to_string(r.errors())};
  std::string out;
  for (size_t i = 0; i < 8; ++i) out += (i ? "  " : "") + Pad(cells[i], kWidth[i]);
  return out + "\n";
}

std::string ErrorDetails(const std::vector<LevelResult>& levels) {
  std::string details;
  for (const LevelResult& r : levels) details += ErrorLines(r);
  return details.empty() ? details : "errors:\n" + details;
}

double ClientCpuMicrosPerRequest(const LevelResult& r) {
  const uint64_t n = r.completed + r.errors();
  return n ? r.client_cpu_s * 1e6 / static_cast<double>(n) : 0.0;
}

std::string ClientCpuNote(const std::vector<LevelResult>& levels) {
  std::string out = "generator CPU per request:";
  for (size_t i = 0; i < levels.size(); ++i)
    out += (i ? ", " : " ") + Fixed(ClientCpuMicrosPerRequest(levels[i]), 1) +
           " us (c=" + std::to_string(levels[i].concurrency) + ")";
  return out + "\n";
}

std::string FormatTable(const std::vector<LevelResult>& levels) {
  std::string out = TableHeader();
  for (const LevelResult& r : levels) out += TableRow(r);
  return out + ErrorDetails(levels);
}

nlohmann::json ToJson(const std::vector<LevelResult>& levels) {
  nlohmann::json arr = nlohmann::json::array();
  for (const LevelResult& r : levels) {
    nlohmann::json http = nlohmann::json::object();
    for (const auto& [status, count] : r.http_errors) http[std::to_string(status)] = count;
    nlohmann::json level = {
        {"concurrency", r.concurrency},
        {"duration_s", r.measured_s},
        {"completed", r.completed},
        {"requests_per_s", r.requests_per_s},
        {"inferences_per_s", r.inferences_per_s},
        {"latency_ms",
         {{"p50", Ms(r.latency.Quantile(0.50))},
          {"p90", Ms(r.latency.Quantile(0.90))},
          {"p99", Ms(r.latency.Quantile(0.99))},
          {"max", Ms(r.latency.max())},
          {"mean", r.latency.mean() / 1e6}}},
        {"errors",
         {{"total", r.errors()},
          {"http", http},
          {"connection", r.connection_errors},
          {"timeout", r.timeouts},
          {"protocol", r.protocol_errors}}},
        {"error_examples", r.error_examples},
        {"connections_opened", r.connections_opened},
        {"client_cpu_us_per_request", ClientCpuMicrosPerRequest(r)},
    };
    arr.push_back(std::move(level));
  }
  return {{"levels", arr}};
}

}  // namespace inferd::loadgen
