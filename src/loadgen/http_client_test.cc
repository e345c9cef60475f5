#include "loadgen/http_client.h"

#include <gtest/gtest.h>

#include "loadgen/fake_servers_for_test.h"

namespace inferd::loadgen {
namespace {

TEST(HttpClient, ParsesUrls) {
  auto u = ParseUrl("http://127.0.0.1:8000");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->host, "127.0.0.1");
  EXPECT_EQ(u->port, 8000);
  EXPECT_EQ(u->base_path, "");
  u = ParseUrl("localhost:9");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->Authority(), "localhost:9");
  u = ParseUrl("HTTP://[::1]:81/prefix/");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->host, "::1");
  EXPECT_EQ(u->base_path, "/prefix");
  EXPECT_EQ(u->Authority(), "[::1]:81");
  u = ParseUrl("http://example");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->port, 80);
}

TEST(HttpClient, RejectsBadUrlsWithAReason) {
  auto https = ParseUrl("https://a:1");
  ASSERT_FALSE(https.ok());
  EXPECT_NE(https.status().message().find("https is not supported"), std::string::npos);
  for (const char* bad : {"ftp://a", "http://:80", "http://a:", "http://a:0", "http://a:70000", "http://a:8x",
                          "http://a/x?q=1", "http://[::1", "http://u@a"})
    EXPECT_FALSE(ParseUrl(bad).ok()) << bad;
}

TEST(HttpClient, FramesRequestsAndEncodesPaths) {
  auto u = ParseUrl("http://h:1/base");
  ASSERT_TRUE(u.ok());
  const std::string r = FrameRequest("POST", *u, ModelPath("my model", "2"), {{"Content-Type", "a/b"}}, "xyz");
  EXPECT_EQ(r.rfind("POST /base/v2/models/my%20model/versions/2 HTTP/1.1\r\nHost: h:1\r\n", 0), 0u) << r;
  EXPECT_NE(r.find("Content-Type: a/b\r\n"), std::string::npos);
  EXPECT_NE(r.find("Content-Length: 3\r\n\r\nxyz"), std::string::npos);
  EXPECT_EQ(EncodePathSegment("a/b"), "a%2Fb");
}

TEST(HttpClient, ExchangesWithARealServer) {
  testing::FakeV2Server server;
  ASSERT_TRUE(server.ok());
  auto url = ParseUrl(server.url());
  ASSERT_TRUE(url.ok());
  auto endpoint = Resolve(*url);
  ASSERT_TRUE(endpoint.ok()) << endpoint.status().message();
  auto reply = Exchange(*endpoint, FrameRequest("GET", *url, ModelPath("m", ""), {}, ""), 5);
  ASSERT_TRUE(reply.ok()) << reply.status().message();
  EXPECT_EQ(reply->status, 200);
  EXPECT_NE(reply->body.find("\"inputs\""), std::string::npos);
  ASSERT_NE(reply->Header("content-type"), nullptr);
  reply = Exchange(*endpoint, FrameRequest("GET", *url, ModelPath("nope", ""), {}, ""), 5);
  ASSERT_TRUE(reply.ok());
  EXPECT_EQ(reply->status, 404);
  EXPECT_NE(reply->body.find("no such model"), std::string::npos);
}

TEST(HttpClient, ReportsAnUnreachableServer) {
  uint16_t port;
  {
    testing::FakeV2Server server;  // take a free port, then free it
    ASSERT_TRUE(server.ok());
    port = server.port();
  }
  auto endpoint = Resolve(*ParseUrl("127.0.0.1:" + std::to_string(port)));
  ASSERT_TRUE(endpoint.ok());
  auto reply = Exchange(*endpoint, "GET / HTTP/1.1\r\n\r\n", 5);
  ASSERT_FALSE(reply.ok());
  EXPECT_EQ(reply.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(reply.status().message().find("cannot connect to 127.0.0.1:"), std::string::npos)
      << reply.status().message();
}

TEST(HttpClient, TimesOutOnASilentServer) {
  // Accepts and reads, never answers (an empty answer would close: answer with nothing useful instead).
  testing::ScriptedServer server([](uint64_t) { return std::string("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n"); },
                                 [](uint64_t) { return false; });
  auto endpoint = Resolve(*ParseUrl(server.url()));
  ASSERT_TRUE(endpoint.ok());
  auto reply = Exchange(*endpoint, "GET / HTTP/1.1\r\nHost: x\r\n\r\n", 0.2);
  ASSERT_FALSE(reply.ok());
  EXPECT_EQ(reply.status().code(), StatusCode::kDeadlineExceeded) << reply.status().message();
}

}  // namespace
}  // namespace inferd::loadgen
