// ResponseParser: an incremental HTTP/1.1 response reader for the load
// generator. Bytes are pushed in as they arrive from the socket, in pieces of
// any size; the parser says when one whole response has been read and how
// many of the pushed bytes belonged to it.
//
// Bodies framed by Content-Length, by chunked transfer coding, or (without
// either) by the end of the connection are understood; interim 1xx responses
// are skipped. Sizes the peer sends are bounded (header block, kept body), so
// a hostile server cannot make the reader allocate without limit.
//
// Two modes: the hot path (keep_body = false) only tracks framing, the status
// code and Connection, and allocates nothing per response once warm; the full
// mode also keeps the headers and the body, for checking a response.
//
// Thread safety: none; one parser per connection, used by one thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace inferd::loadgen {

struct ResponseParserLimits {
  size_t max_header_bytes = 64 << 10;
  size_t max_body_bytes = 64 << 20;  // only applies to the body kept in full mode
  // Hot mode: the first this-many bytes of a non-2xx body are kept (for error reports).
  size_t error_body_bytes = 0;
};

class ResponseParser {
 public:
  enum class State { kIncomplete, kComplete, kError };

  explicit ResponseParser(bool keep_body = false, ResponseParserLimits limits = {});

  // Consumes bytes of the current response from `data`. Returns kComplete
  // once the response ends (`*consumed` then says where it ended: the rest
  // belongs to whatever follows), kIncomplete when all of `data` was used and
  // more is needed, kError on a malformed response (error() says why). After
  // kComplete or kError, call Reset() before the next response.
  State Feed(std::string_view data, size_t* consumed);

  // The peer closed the connection. Completes a response whose body runs to
  // the end of the connection; any other partial response is an error.
  State FinishOnEof();

  // Ready for the next response; keeps buffer capacity.
  void Reset();

  // True when nothing of a response has been read since the last Reset().
  bool idle() const { return phase_ == Phase::kHeaders && header_.empty(); }
  int status() const { return status_; }
  // Whether the connection may carry another request after this response.
  bool keep_alive() const { return keep_alive_; }
  uint64_t body_bytes() const { return body_bytes_; }
  const std::string& error() const { return error_; }
  // Full mode: the body. Hot mode: the start of a non-2xx body (see limits).
  const std::string& body() const { return body_; }
  const std::vector<std::pair<std::string, std::string>>& headers() const { return headers_; }
  // Case-insensitive header lookup (full mode only); nullptr when absent.
  const std::string* Header(std::string_view name) const;

 private:
  enum class Phase { kHeaders, kFixedBody, kChunkSize, kChunkData, kChunkDataEnd, kTrailers, kUntilEof, kDone };

  State Fail(std::string message);
  State ParseHeaderBlock(std::string_view block);
  State StartBody();
  void KeepBody(std::string_view bytes);

  bool keep_body_;
  ResponseParserLimits limits_;
  Phase phase_ = Phase::kHeaders;
  std::string header_;  // the header block (or a chunk-size/trailer line) so far
  int status_ = 0;
  bool keep_alive_ = true;
  bool chunked_ = false;
  bool has_length_ = false;
  uint64_t remaining_ = 0;  // of the fixed body or the current chunk
  uint64_t body_bytes_ = 0;
  std::string body_;
  std::vector<std::pair<std::string, std::string>> headers_;
  std::string error_;
};

}  // namespace inferd::loadgen
