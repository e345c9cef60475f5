// The closed-loop load generator: N keep-alive connections, each sending the
// same pre-framed request again as soon as the previous response arrived,
// driven by epoll from one or two threads (never a thread per connection, so
// that at high concurrency on a small machine the client does not distort
// what it measures).
//
// A run has a warm-up phase (traffic flows, nothing is recorded) and a
// measured phase: a request counts when its response completes inside the
// measured window. Latency runs from the first byte sent to the last byte of
// the response (connect time excluded). A closed or reset connection is
// reopened (counted as a connection error unless the server announced the
// close with Connection: close); a request without a response within the
// timeout is counted and its connection replaced.
//
// Thread safety: RunClosedLoop may be called from any thread; it owns the
// threads it starts and joins them before returning.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "common/status.h"
#include "loadgen/http_client.h"
#include "loadgen/latency_histogram.h"

namespace inferd::loadgen {

struct LoadOptions {
  Endpoint endpoint;
  std::string request;  // the whole HTTP/1.1 request, sent unchanged each time
  int concurrency = 1;  // connections, each with one request in flight
  int threads = 1;      // epoll threads (1 or 2 are sensible)
  double warmup_s = 1.0;
  double duration_s = 5.0;
  double timeout_s = 30.0;  // per request (and per connect)
  int64_t inferences_per_request = 1;
};

struct LevelResult {
  int concurrency = 0;
  double measured_s = 0;      // the measured window as it really ran
  uint64_t completed = 0;     // HTTP 200 responses in the window
  double requests_per_s = 0;  // completed / measured_s
  double inferences_per_s = 0;
  LatencyHistogram latency;             // of the 200 responses, nanoseconds
  std::map<int, uint64_t> http_errors;  // status != 200 -> count
  uint64_t connection_errors = 0;       // refused, reset, closed mid-response
  uint64_t timeouts = 0;
  uint64_t protocol_errors = 0;     // malformed responses
  uint64_t connections_opened = 0;  // in the whole run, warm-up included
  double client_cpu_s = 0;          // CPU time of the generator's threads in the window
  // One example message per error kind ("HTTP 500", "connection", "timeout",
  // "protocol"), e.g. the start of the server's error body.
  std::map<std::string, std::string> error_examples;

  uint64_t errors() const;
};

// Runs one level. Fails only on bad options or when the OS refuses an epoll
// instance; an unreachable server shows up as connection errors.
Result<LevelResult> RunClosedLoop(const LoadOptions& options);

}  // namespace inferd::loadgen
