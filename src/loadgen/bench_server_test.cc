// Not unit tests: tools for measuring the load generator itself, DISABLED_
// so they run only when asked for (bench/serving/wrk/run.sh does).
//
//   inferd_unit_tests --gtest_also_run_disabled_tests --gtest_filter='LoadGenBench.*'
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <thread>

#include "loadgen/fake_servers_for_test.h"
#include "loadgen/load_generator.h"
#include "loadgen/payload.h"

namespace inferd::loadgen {
namespace {

double EnvSeconds(const char* name, double fallback) {
  const char* v = std::getenv(name);
  return v ? std::atof(v) : fallback;
}

// Serves model "m" (fixed answers, no parsing) for $INFERD_ECHO_SECONDS
// seconds, writing its URL to $INFERD_ECHO_URL_FILE, so wrk and `inferd bench`
// can be pointed at the same server process.
TEST(LoadGenBench, DISABLED_ServeFakeModel) {
  testing::FakeV2Server server;
  ASSERT_TRUE(server.ok());
  server.set_mode(testing::FakeV2Server::Mode::kFast);
  if (const char* file = std::getenv("INFERD_ECHO_URL_FILE")) std::ofstream(file) << server.url() << "\n";
  std::printf("serving model m at %s\n", server.url().c_str());
  std::fflush(stdout);
  std::this_thread::sleep_for(std::chrono::duration<double>(EnvSeconds("INFERD_ECHO_SECONDS", 30)));
}

// The generator and the server in one process: requests/s at concurrency 16
// with one client thread, and the client's CPU time per request, which says
// how many requests/s one client thread could drive with the server elsewhere.
TEST(LoadGenBench, DISABLED_GeneratorAtConcurrency16) {
  testing::FakeV2Server server;
  ASSERT_TRUE(server.ok());
  server.set_mode(testing::FakeV2Server::Mode::kFast);
  auto url = ParseUrl(server.url());
  auto endpoint = Resolve(*url);
  ASSERT_TRUE(endpoint.ok());
  auto meta = ParseModelMetadata(R"({"name":"m","inputs":[{"name":"x","datatype":"FP32","shape":[-1,4]}]})");
  auto payload = BuildInferPayload(*meta, PayloadOptions{});
  ASSERT_TRUE(payload.ok());
  LoadOptions options;
  options.endpoint = *endpoint;
  options.request = FrameRequest("POST", *url, "/v2/models/m/infer", payload->Headers(), payload->body);
  options.concurrency = 16;
  options.threads = 1;
  options.warmup_s = 0.5;
  options.duration_s = EnvSeconds("INFERD_BENCH_SECONDS", 3);
  auto r = RunClosedLoop(options);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->errors(), 0u);
  const double cpu_us = r->client_cpu_s * 1e6 / static_cast<double>(r->completed);
  std::printf(
      "concurrency 16, 1 client thread, in-process server (2 threads): %.0f req/s, p50 %.3f ms, p99 %.3f ms\n"
      "client CPU %.2f us/request -> one client thread could drive ~%.0f req/s\n",
      r->requests_per_s, r->latency.Quantile(0.5) / 1e6, r->latency.Quantile(0.99) / 1e6, cpu_us, 1e6 / cpu_us);
}

}  // namespace
}  // namespace inferd::loadgen
