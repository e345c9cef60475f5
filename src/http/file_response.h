// Serving a file over HTTP with validators: a strong ETag, If-None-Match
// (304), and single byte ranges (206 with Content-Range; 416 when the range
// lies past the end). Multi-range requests get the whole file (200), which
// RFC 9110 allows. No Beast here; reusable by any handler.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "http/message.h"

namespace inferd::http {

struct ByteRange {
  enum class Kind { kNone, kSatisfiable, kUnsatisfiable, kIgnored };
  Kind kind = Kind::kNone;
  uint64_t first = 0;  // inclusive
  uint64_t last = 0;   // inclusive
};

// Parses a Range header ("bytes=0-99", "bytes=100-", "bytes=-500") against a
// representation of `size` bytes.
ByteRange ParseRange(std::string_view header, uint64_t size);
// True when an If-None-Match value ("*", a list, weak or strong tags) matches `etag`
// (given with its quotes) under the weak comparison RFC 9110 asks for.
bool EtagMatches(std::string_view if_none_match, std::string_view etag);

// Builds the response for GET/HEAD of `file`. `etag` is the opaque tag
// without quotes (e.g. a sha256).
Response ServeFile(const Request& request, std::shared_ptr<const OpenFile> file, const std::string& etag,
                   const std::string& content_type);

}  // namespace inferd::http
