#include "loadgen/load_generator.h"

#include <gtest/gtest.h>

#include "loadgen/fake_servers_for_test.h"
#include "loadgen/payload.h"

namespace inferd::loadgen {
namespace {

using testing::FakeV2Server;
using testing::ScriptedServer;

// Options for a short run against `url` with the request for model "m".
LoadOptions ShortRun(const std::string& url_text, int concurrency, bool binary = false) {
  LoadOptions options;
  auto url = ParseUrl(url_text);
  EXPECT_TRUE(url.ok());
  auto endpoint = Resolve(*url);
  EXPECT_TRUE(endpoint.ok());
  options.endpoint = *endpoint;
  auto meta = ParseModelMetadata(R"({"name":"m","inputs":[{"name":"x","datatype":"FP32","shape":[-1,4]}]})");
  EXPECT_TRUE(meta.ok());
  PayloadOptions payload_options;
  payload_options.binary = binary;
  payload_options.batch = 2;
  auto payload = BuildInferPayload(*meta, payload_options);
  EXPECT_TRUE(payload.ok());
  options.request = FrameRequest("POST", *url, "/v2/models/m/infer", payload->Headers(), payload->body);
  options.inferences_per_request = payload->batch;
  options.concurrency = concurrency;
  options.warmup_s = 0.05;
  options.duration_s = 0.5;
  options.timeout_s = 5;
  return options;
}

std::string OkResponse(bool close) {
  const std::string body = R"({"outputs":[{"name":"y","datatype":"FP32","shape":[1],"data":[1]}]})";
  return std::string("HTTP/1.1 200 OK\r\n") + (close ? "Connection: close\r\n" : "") +
         "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

TEST(LoadGenerator, ClosedLoopAtConcurrency1And8) {
  FakeV2Server server;
  ASSERT_TRUE(server.ok());
  for (int concurrency : {1, 8}) {
    auto r = RunClosedLoop(ShortRun(server.url(), concurrency));
    ASSERT_TRUE(r.ok()) << r.status().message();
    EXPECT_GT(r->completed, 0u) << "concurrency " << concurrency;
    EXPECT_EQ(r->errors(), 0u) << "concurrency " << concurrency;
    EXPECT_EQ(r->latency.count(), r->completed);
    EXPECT_GT(r->latency.Quantile(0.5), 0u);
    EXPECT_LE(r->latency.Quantile(0.5), r->latency.Quantile(0.99));
    EXPECT_DOUBLE_EQ(r->requests_per_s, static_cast<double>(r->completed) / 0.5);
    EXPECT_DOUBLE_EQ(r->inferences_per_s, r->requests_per_s * 2);
    EXPECT_EQ(r->connections_opened, static_cast<uint64_t>(concurrency));  // keep-alive: no reconnects
    EXPECT_GT(r->client_cpu_s, 0.0);
  }
  EXPECT_EQ(server.bad_requests.load(), 0u) << server.last_problem;
  EXPECT_GT(server.good_json.load(), 0u);
}

TEST(LoadGenerator, TwoThreadsShareTheConnections) {
  FakeV2Server server;
  ASSERT_TRUE(server.ok());
  LoadOptions options = ShortRun(server.url(), 5);
  options.threads = 2;
  auto r = RunClosedLoop(options);
  ASSERT_TRUE(r.ok());
  EXPECT_GT(r->completed, 0u);
  EXPECT_EQ(r->errors(), 0u);
  EXPECT_EQ(r->connections_opened, 5u);
}

TEST(LoadGenerator, BinaryRequestsAreFramedAsTheServerExpects) {
  FakeV2Server server;
  ASSERT_TRUE(server.ok());
  LoadOptions options = ShortRun(server.url(), 4, /*binary=*/true);
  // The first answer passes the same check `inferd bench` makes.
  auto first = Exchange(options.endpoint, options.request, 5);
  ASSERT_TRUE(first.ok());
  const Status st = CheckInferResponse(first->status, first->body, first->Header("Inference-Header-Content-Length"));
  EXPECT_TRUE(st.ok()) << st.message() << " " << first->body;
  auto r = RunClosedLoop(options);
  ASSERT_TRUE(r.ok());
  EXPECT_GT(r->completed, 0u);
  EXPECT_EQ(r->errors(), 0u);
  EXPECT_EQ(server.bad_requests.load(), 0u) << server.last_problem;
  EXPECT_GE(server.good_binary.load(), r->completed);
}

TEST(LoadGenerator, CountsHttpErrorsByStatusWithTheServersMessage) {
  FakeV2Server server;
  ASSERT_TRUE(server.ok());
  server.set_mode(FakeV2Server::Mode::kError500);
  auto r = RunClosedLoop(ShortRun(server.url(), 2));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->completed, 0u);
  EXPECT_EQ(r->latency.count(), 0u);
  ASSERT_EQ(r->http_errors.count(500), 1u);
  EXPECT_GT(r->http_errors.at(500), 0u);
  EXPECT_EQ(r->errors(), r->http_errors.at(500));
  EXPECT_NE(r->error_examples["HTTP 500"].find("deliberate failure"), std::string::npos);
  EXPECT_EQ(r->connections_opened, 2u);  // an error response keeps the connection
}

TEST(LoadGenerator, ReconnectsWhenTheServerAnswersConnectionClose) {
  ScriptedServer server([](uint64_t) { return OkResponse(/*close=*/true); }, [](uint64_t) { return true; });
  LoadOptions options = ShortRun(server.url(), 2);
  options.duration_s = 0.3;
  auto r = RunClosedLoop(options);
  ASSERT_TRUE(r.ok());
  EXPECT_GT(r->completed, 10u);
  EXPECT_EQ(r->errors(), 0u) << r->error_examples.begin()->second;
  // One connection per response.
  EXPECT_GE(r->connections_opened, r->completed);
  EXPECT_GE(server.accepted(), r->completed);
}

TEST(LoadGenerator, CountsDroppedConnectionsAndCarriesOn) {
  // Every fifth request: the server closes without answering.
  ScriptedServer server([](uint64_t n) { return n % 5 == 4 ? std::string() : OkResponse(false); },
                        [](uint64_t) { return false; });
  auto r = RunClosedLoop(ShortRun(server.url(), 2));
  ASSERT_TRUE(r.ok());
  EXPECT_GT(r->completed, 0u);
  EXPECT_GT(r->connection_errors, 0u);
  EXPECT_NE(r->error_examples["connection"].find("closed"), std::string::npos) << r->error_examples["connection"];
  EXPECT_GT(r->connections_opened, 2u);
}

TEST(LoadGenerator, ReadsChunkedResponsesOnKeepAliveConnections) {
  ScriptedServer server(
      [](uint64_t) {
        return std::string(
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\n{\"ou\r\n"
            "16\r\ntputs\":[{\"name\":\"y\"}]}\r\n0\r\n\r\n");
      },
      [](uint64_t) { return false; });
  auto r = RunClosedLoop(ShortRun(server.url(), 3));
  ASSERT_TRUE(r.ok());
  EXPECT_GT(r->completed, 0u);
  EXPECT_EQ(r->errors(), 0u) << (r->error_examples.empty() ? "" : r->error_examples.begin()->second);
  EXPECT_EQ(server.accepted(), 3u);
}

TEST(LoadGenerator, TimesOutRequestsAndReplacesTheirConnections) {
  // Headers promise a body that never comes.
  ScriptedServer server([](uint64_t) { return std::string("HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\n"); },
                        [](uint64_t) { return false; });
  LoadOptions options = ShortRun(server.url(), 2);
  options.warmup_s = 0;
  options.timeout_s = 0.1;
  auto r = RunClosedLoop(options);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->completed, 0u);
  EXPECT_GE(r->timeouts, 4u);
  EXPECT_GT(r->connections_opened, 2u);
  EXPECT_NE(r->error_examples["timeout"].find("no response within"), std::string::npos);
}

TEST(LoadGenerator, AnUnreachableServerGivesConnectionErrorsWithBackOff) {
  uint16_t port;
  {
    FakeV2Server gone;
    ASSERT_TRUE(gone.ok());
    port = gone.port();
  }
  LoadOptions options = ShortRun("http://127.0.0.1:" + std::to_string(port), 2);
  auto r = RunClosedLoop(options);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->completed, 0u);
  EXPECT_GT(r->connection_errors, 0u);
  EXPECT_LT(r->connection_errors, 400u);  // ~10 ms back-off per connection, not a tight loop
  EXPECT_NE(r->error_examples["connection"].find("refused"), std::string::npos) << r->error_examples["connection"];
}

TEST(LoadGenerator, RejectsBadOptions) {
  LoadOptions options;
  options.concurrency = 0;
  EXPECT_EQ(RunClosedLoop(options).status().code(), StatusCode::kInvalidArgument);
  options.concurrency = 1;
  EXPECT_FALSE(RunClosedLoop(options).ok());  // no request, no endpoint
}

}  // namespace
}  // namespace inferd::loadgen
