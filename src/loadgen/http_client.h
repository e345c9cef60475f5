// The plain-TCP HTTP/1.1 client pieces of the load generator: URL parsing,
// name resolution, non-blocking sockets with TCP_NODELAY, request framing, and
// a blocking one-shot exchange for the requests made before a load run
// (model metadata, the check of the first inference).
//
// Only http:// is spoken; https:// is refused with a clear message.
// Functions here keep no shared state and may be called from any thread.
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"
#include "loadgen/response_parser.h"

namespace inferd::loadgen {

struct Url {
  std::string host;  // without brackets for IPv6 literals
  uint16_t port = 80;
  std::string base_path;  // "" or "/prefix" (no trailing slash); prepended to /v2/...
  // "host:port" as sent in the Host header (IPv6 literals bracketed).
  std::string Authority() const;
};

// Accepts "http://host[:port][/prefix]" and, without a scheme, "host[:port]".
// Fails (INVALID_ARGUMENT) on https://, other schemes, a bad port, an empty
// host, or a query/fragment.
Result<Url> ParseUrl(std::string_view text);

// A resolved address to connect to.
struct Endpoint {
  sockaddr_storage address{};
  socklen_t length = 0;
  std::string display;  // "host:port", for messages
};

// Resolves the host (numeric or by name); UNAVAILABLE when it cannot be.
Result<Endpoint> Resolve(const Url& url);

// Opens a non-blocking TCP socket with TCP_NODELAY and starts connecting.
// On success `*connected` says whether the connect already finished (else it
// is in progress: wait for writability, then check ConnectError).
Result<int> StartConnect(const Endpoint& endpoint, bool* connected);
// The pending error of a socket whose non-blocking connect has finished (0: connected).
int ConnectError(int fd);

// The bytes of one HTTP/1.1 request with Host, Content-Length (when a body or
// POST) and keep-alive; `path` is the full path ("/v2/models/m/infer").
std::string FrameRequest(std::string_view method, const Url& url, std::string_view path,
                         const std::vector<std::pair<std::string, std::string>>& headers, std::string_view body);

// Percent-encodes one path segment (everything but A-Z a-z 0-9 - . _ ~).
std::string EncodePathSegment(std::string_view segment);

// "/v2/models/M" or "/v2/models/M/versions/V" (segments encoded; without the URL's base path).
std::string ModelPath(std::string_view model, std::string_view version);

struct HttpReply {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // Case-insensitive; nullptr when absent.
  const std::string* Header(std::string_view name) const;
};

// Connects, sends `request` (from FrameRequest), reads one whole response and
// closes. UNAVAILABLE when the server cannot be reached or drops the
// connection, DEADLINE_EXCEEDED past `timeout_s`, DATA_LOSS on a malformed
// response. The body is kept up to `max_body_bytes`.
Result<HttpReply> Exchange(const Endpoint& endpoint, std::string_view request, double timeout_s,
                           size_t max_body_bytes = 64 << 20);

}  // namespace inferd::loadgen
