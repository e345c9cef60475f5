// HTTP requests and responses as plain values, independent of the server
// library (Boost.Beast stays inside server.cc). Handlers map a Request to a
// Response; a Response body is either bytes or a byte range of an open file,
// which the server streams without reading it all into memory.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"

namespace inferd::http {

// An open, read-only file shared by the responses that stream from it.
class OpenFile {
 public:
  // nullptr when the file cannot be opened (errno set).
  static std::shared_ptr<const OpenFile> Open(const std::string& path);
  ~OpenFile();
  OpenFile(const OpenFile&) = delete;
  OpenFile& operator=(const OpenFile&) = delete;
  int fd() const { return fd_; }
  uint64_t size() const { return size_; }

 private:
  OpenFile(int fd, uint64_t size) : fd_(fd), size_(size) {}
  int fd_;
  uint64_t size_;
};

struct FileRange {
  std::shared_ptr<const OpenFile> file;
  uint64_t offset = 0;
  uint64_t length = 0;
};

struct Request {
  std::string method;                        // "GET", "PUT", ...
  std::string target;                        // as sent: "/v1/models/a%20b?x=1"
  std::string path;                          // percent-decoded path: "/v1/models/a b"
  std::map<std::string, std::string> query;  // decoded
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::string remote_address;
  // When the whole request had been read (the start of server-side time).
  std::chrono::steady_clock::time_point received;

  // Case-insensitive; nullptr when absent.
  const std::string* Header(std::string_view name) const;
  // Path split on '/', each segment percent-decoded: "/v1/models/x" -> {"v1","models","x"}.
  std::vector<std::string> Segments() const;
};

struct Response {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::optional<FileRange> file;  // when set, sent instead of `body`
  // Optional: called on an I/O thread once the response has been written to
  // the socket (true) or the write failed (false); never called if the
  // server stops first. (Request traces time their "send" span with it.)
  std::function<void(bool written)> on_written;

  void SetHeader(std::string name, std::string value);
  static Response Text(int status, std::string text);
  static Response Json(int status, std::string json);
  // {"error": message} with the given status.
  static Response Error(int status, std::string_view message);
};

using Handler = std::function<Response(const Request&)>;

// Percent-decoding; false on a malformed escape.
bool PercentDecode(std::string_view in, std::string& out, bool plus_is_space);
std::string PercentEncode(std::string_view in);
// Fills request.path and request.query from request.target; false if malformed.
bool ParseTarget(Request& request);
std::string_view ReasonPhrase(int status);
// The one place a Status code becomes an HTTP status.
int HttpStatusFor(StatusCode code);
// {"error": message, "code": "NOT_FOUND"} with HttpStatusFor(status.code()).
Response ErrorResponse(const Status& status);

}  // namespace inferd::http
