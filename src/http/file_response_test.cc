#include "http/file_response.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

namespace inferd::http {
namespace {

TEST(HttpRange, ParsesSingleRanges) {
  auto r = ParseRange("bytes=0-99", 1000);
  EXPECT_EQ(r.kind, ByteRange::Kind::kSatisfiable);
  EXPECT_EQ(r.first, 0u);
  EXPECT_EQ(r.last, 99u);
  r = ParseRange("bytes=990-2000", 1000);  // clamps to the end
  EXPECT_EQ(r.last, 999u);
  r = ParseRange("bytes=-5", 1000);
  EXPECT_EQ(r.first, 995u);
  EXPECT_EQ(r.last, 999u);
  r = ParseRange("bytes=-5000", 1000);
  EXPECT_EQ(r.first, 0u);
  r = ParseRange("bytes=10-", 1000);
  EXPECT_EQ(r.first, 10u);
  EXPECT_EQ(r.last, 999u);
  EXPECT_EQ(ParseRange("bytes=1000-", 1000).kind, ByteRange::Kind::kUnsatisfiable);
  EXPECT_EQ(ParseRange("bytes=-0", 1000).kind, ByteRange::Kind::kUnsatisfiable);
  EXPECT_EQ(ParseRange("bytes=0-0", 0).kind, ByteRange::Kind::kUnsatisfiable);
  for (const char* ignored : {"bytes=5-1", "bytes=0-1,5-6", "items=0-1", "bytes=x-y", "bytes=12"})
    EXPECT_EQ(ParseRange(ignored, 1000).kind, ByteRange::Kind::kIgnored) << ignored;
  EXPECT_EQ(ParseRange("", 1000).kind, ByteRange::Kind::kNone);
}

TEST(HttpRange, EtagMatching) {
  EXPECT_TRUE(EtagMatches("\"abc\"", "\"abc\""));
  EXPECT_TRUE(EtagMatches("W/\"abc\"", "\"abc\""));
  EXPECT_TRUE(EtagMatches("\"x\", \"abc\"", "\"abc\""));
  EXPECT_TRUE(EtagMatches("*", "\"abc\""));
  EXPECT_FALSE(EtagMatches("\"abcd\"", "\"abc\""));
  EXPECT_FALSE(EtagMatches("abc", "\"abc\""));
}

TEST(HttpRange, ServeFileStatuses) {
  char path[] = "/tmp/inferd-http-test-XXXXXX";
  const int fd = ::mkstemp(path);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::write(fd, "0123456789", 10), 10);
  ::close(fd);
  auto file = OpenFile::Open(path);
  ASSERT_TRUE(file);
  Request req;
  Response r = ServeFile(req, file, "e1", "application/octet-stream");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.file->length, 10u);
  req.headers = {{"range", "bytes=2-4"}};
  r = ServeFile(req, file, "e1", "application/octet-stream");
  EXPECT_EQ(r.status, 206);
  EXPECT_EQ(r.file->offset, 2u);
  EXPECT_EQ(r.file->length, 3u);
  req.headers = {{"Range", "bytes=2-4"}, {"If-Range", "\"old\""}};
  EXPECT_EQ(ServeFile(req, file, "e1", "x").status, 200);
  req.headers = {{"Range", "bytes=10-"}};
  r = ServeFile(req, file, "e1", "x");
  EXPECT_EQ(r.status, 416);
  req.headers = {{"If-None-Match", "\"e1\""}, {"Range", "bytes=0-1"}};
  EXPECT_EQ(ServeFile(req, file, "e1", "x").status, 304);
  std::remove(path);
}

TEST(HttpMessage, TargetsAndStatusMapping) {
  Request req;
  req.target = "/v1/models/a%20b/x?limit=3&model=c+d";
  ASSERT_TRUE(ParseTarget(req));
  EXPECT_EQ(req.path, "/v1/models/a b/x");
  EXPECT_EQ(req.query["model"], "c d");
  EXPECT_EQ(req.Segments(), (std::vector<std::string>{"v1", "models", "a b", "x"}));
  req.target = "/bad%2";
  EXPECT_FALSE(ParseTarget(req));
  EXPECT_EQ(HttpStatusFor(StatusCode::kNotFound), 404);
  EXPECT_EQ(HttpStatusFor(StatusCode::kInvalidArgument), 400);
  EXPECT_EQ(HttpStatusFor(StatusCode::kDataLoss), 500);
  EXPECT_EQ(ErrorResponse(NotFound("gone \"x\"")).body, "{\"error\":\"gone \\\"x\\\"\",\"code\":\"NOT_FOUND\"}\n");
}

}  // namespace
}  // namespace inferd::http
