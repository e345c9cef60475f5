#include "loadgen/response_parser.h"

#include <gtest/gtest.h>

#include <string>

namespace inferd::loadgen {
namespace {

using State = ResponseParser::State;

// Feeds `bytes` in pieces of `step` bytes; returns the final state and how
// many bytes were consumed in total.
std::pair<State, size_t> FeedInPieces(ResponseParser& p, const std::string& bytes, size_t step) {
  size_t total = 0;
  for (size_t off = 0; off < bytes.size(); off += step) {
    const std::string_view piece = std::string_view(bytes).substr(off, step);
    size_t consumed = 0;
    const State s = p.Feed(piece, &consumed);
    total += consumed;
    if (s != State::kIncomplete) return {s, total};
    EXPECT_EQ(consumed, piece.size());
  }
  return {State::kIncomplete, total};
}

TEST(ResponseParser, ContentLengthInEveryPieceSize) {
  const std::string body = R"({"outputs":[]})";
  const std::string response =
      "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
      "\r\n\r\n" + body;
  for (size_t step = 1; step <= response.size(); ++step) {
    ResponseParser p(/*keep_body=*/true);
    auto [state, consumed] = FeedInPieces(p, response, step);
    ASSERT_EQ(state, State::kComplete) << "step " << step << ": " << p.error();
    EXPECT_EQ(consumed, response.size());
    EXPECT_EQ(p.status(), 200);
    EXPECT_TRUE(p.keep_alive());
    EXPECT_EQ(p.body(), body);
    ASSERT_NE(p.Header("content-type"), nullptr);
    EXPECT_EQ(*p.Header("CONTENT-TYPE"), "application/json");
  }
}

TEST(ResponseParser, ChunkedWithExtensionsAndTrailersInEveryPieceSize) {
  const std::string response =
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
      "5\r\nhello\r\n"
      "7;ext=1\r\n, world\r\n"
      "A\r\n0123456789\r\n"
      "0\r\nX-Trailer: yes\r\n\r\n";
  for (size_t step = 1; step <= response.size(); ++step) {
    ResponseParser p(/*keep_body=*/true);
    auto [state, consumed] = FeedInPieces(p, response, step);
    ASSERT_EQ(state, State::kComplete) << "step " << step << ": " << p.error();
    EXPECT_EQ(consumed, response.size());
    EXPECT_EQ(p.body(), "hello, world0123456789");
    EXPECT_EQ(p.body_bytes(), 22u);
  }
}

TEST(ResponseParser, StopsAtTheEndOfOneResponse) {
  const std::string one = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
  ResponseParser p;
  size_t consumed = 0;
  ASSERT_EQ(p.Feed(one + one, &consumed), State::kComplete);
  EXPECT_EQ(consumed, one.size());
  p.Reset();
  EXPECT_TRUE(p.idle());
  ASSERT_EQ(p.Feed(std::string_view(one + one).substr(consumed), &consumed), State::kComplete);
  EXPECT_EQ(consumed, one.size());
}

TEST(ResponseParser, HotModeKeepsNoBodyExceptTheStartOfErrors) {
  ResponseParserLimits limits;
  limits.error_body_bytes = 5;
  ResponseParser p(/*keep_body=*/false, limits);
  size_t consumed = 0;
  ASSERT_EQ(p.Feed("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n0123456789", &consumed), State::kComplete);
  EXPECT_EQ(p.body(), "");
  EXPECT_EQ(p.body_bytes(), 10u);
  p.Reset();
  ASSERT_EQ(p.Feed("HTTP/1.1 500 Internal Server Error\r\nContent-Length: 10\r\n\r\nboom-boom!", &consumed),
            State::kComplete);
  EXPECT_EQ(p.status(), 500);
  EXPECT_EQ(p.body(), "boom-");
}

TEST(ResponseParser, ConnectionCloseAndHttp10) {
  ResponseParser p;
  size_t consumed = 0;
  ASSERT_EQ(p.Feed("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n", &consumed), State::kComplete);
  EXPECT_FALSE(p.keep_alive());
  p.Reset();
  ASSERT_EQ(p.Feed("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n", &consumed), State::kComplete);
  EXPECT_FALSE(p.keep_alive());
  p.Reset();
  ASSERT_EQ(p.Feed("HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 0\r\n\r\n", &consumed),
            State::kComplete);
  EXPECT_TRUE(p.keep_alive());
}

TEST(ResponseParser, BodyUntilEofCompletesOnlyAtEof) {
  ResponseParser p(/*keep_body=*/true);
  size_t consumed = 0;
  ASSERT_EQ(p.Feed("HTTP/1.1 200 OK\r\n\r\npart one ", &consumed), State::kIncomplete);
  ASSERT_EQ(p.Feed("part two", &consumed), State::kIncomplete);
  ASSERT_EQ(p.FinishOnEof(), State::kComplete);
  EXPECT_EQ(p.body(), "part one part two");
  EXPECT_FALSE(p.keep_alive());
}

TEST(ResponseParser, EofInTheMiddleIsAnError) {
  ResponseParser p;
  size_t consumed = 0;
  ASSERT_EQ(p.Feed("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n0123", &consumed), State::kIncomplete);
  EXPECT_EQ(p.FinishOnEof(), State::kError);
  EXPECT_NE(p.error().find("middle of the response body"), std::string::npos) << p.error();
  ResponseParser q;
  EXPECT_EQ(q.FinishOnEof(), State::kError);
  EXPECT_NE(q.error().find("before a response"), std::string::npos) << q.error();
}

TEST(ResponseParser, SkipsInterimResponses) {
  ResponseParser p(/*keep_body=*/true);
  size_t consumed = 0;
  const std::string bytes = "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 1\r\n\r\nx";
  ASSERT_EQ(p.Feed(bytes, &consumed), State::kComplete);
  EXPECT_EQ(consumed, bytes.size());
  EXPECT_EQ(p.status(), 201);
  EXPECT_EQ(p.body(), "x");
}

TEST(ResponseParser, NoBodyFor204AndLfOnlyLines) {
  ResponseParser p;
  size_t consumed = 0;
  ASSERT_EQ(p.Feed("HTTP/1.1 204 No Content\n\n", &consumed), State::kComplete);
  EXPECT_EQ(p.status(), 204);
}

TEST(ResponseParser, RejectsMalformedResponses) {
  const char* bad[] = {
      "HTTP/2 200 OK\r\n\r\n",
      "HTTP/1.1 2x0 OK\r\n\r\n",
      "HTTP/1.1 200 OK\r\nContent-Length: 12a\r\n\r\n",
      "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
      "HTTP/1.1 200 OK\r\nno colon here\r\n\r\n",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabXY\r\n",
      "HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999\r\n\r\n",
  };
  for (const char* b : bad) {
    ResponseParser p;
    size_t consumed = 0;
    EXPECT_EQ(p.Feed(b, &consumed), State::kError) << b;
    EXPECT_FALSE(p.error().empty()) << b;
  }
}

TEST(ResponseParser, BoundsTheHeaderBlockAndTheKeptBody) {
  ResponseParserLimits limits;
  limits.max_header_bytes = 100;
  limits.max_body_bytes = 10;
  ResponseParser p(/*keep_body=*/true, limits);
  size_t consumed = 0;
  EXPECT_EQ(p.Feed("HTTP/1.1 200 OK\r\nX: " + std::string(200, 'a') + "\r\n\r\n", &consumed), State::kError);
  ResponseParser q(/*keep_body=*/true, limits);
  EXPECT_EQ(q.Feed("HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\n", &consumed), State::kError);
  EXPECT_NE(q.error().find("exceeds the limit of 10"), std::string::npos) << q.error();
  ResponseParser r(/*keep_body=*/true, limits);
  EXPECT_EQ(r.Feed("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n8\r\n12345678\r\n8\r\n", &consumed),
            State::kError);
}

}  // namespace
}  // namespace inferd::loadgen
