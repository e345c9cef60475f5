#include "http/file_response.h"

#include <cctype>

namespace inferd::http {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool ParseUint(std::string_view s, uint64_t& out) {
  if (s.empty() || s.size() > 19) return false;
  out = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    out = out * 10 + static_cast<uint64_t>(c - '0');
  }
  return true;
}

}  // namespace

ByteRange ParseRange(std::string_view header, uint64_t size) {
  ByteRange r;
  header = Trim(header);
  if (header.empty()) return r;
  if (header.substr(0, 6) != "bytes=") {
    r.kind = ByteRange::Kind::kIgnored;  // unknown unit: serve the whole thing
    return r;
  }
  std::string_view spec = Trim(header.substr(6));
  if (spec.find(',') != std::string_view::npos) {
    r.kind = ByteRange::Kind::kIgnored;
    return r;
  }
  const size_t dash = spec.find('-');
  if (dash == std::string_view::npos) {
    r.kind = ByteRange::Kind::kIgnored;
    return r;
  }
  const std::string_view a = Trim(spec.substr(0, dash)), b = Trim(spec.substr(dash + 1));
  uint64_t first = 0, last = 0;
  if (a.empty()) {  // suffix: last N bytes
    if (!ParseUint(b, last)) {
      r.kind = ByteRange::Kind::kIgnored;
      return r;
    }
    if (last == 0 || size == 0) {
      r.kind = ByteRange::Kind::kUnsatisfiable;
      return r;
    }
    r.kind = ByteRange::Kind::kSatisfiable;
    r.first = last >= size ? 0 : size - last;
    r.last = size - 1;
    return r;
  }
  if (!ParseUint(a, first) || (!b.empty() && !ParseUint(b, last)) || (!b.empty() && last < first)) {
    r.kind = ByteRange::Kind::kIgnored;  // syntactically invalid: ignore the header
    return r;
  }
  if (first >= size) {
    r.kind = ByteRange::Kind::kUnsatisfiable;
    return r;
  }
  r.kind = ByteRange::Kind::kSatisfiable;
  r.first = first;
  r.last = b.empty() || last >= size ? size - 1 : last;
  return r;
}

bool EtagMatches(std::string_view if_none_match, std::string_view etag) {
  if (Trim(if_none_match) == "*") return true;
  auto strip_weak = [](std::string_view t) {
    t = Trim(t);
    if (t.substr(0, 2) == "W/") t.remove_prefix(2);
    return t;
  };
  const std::string_view want = strip_weak(etag);
  while (!if_none_match.empty()) {
    const size_t comma = if_none_match.find(',');
    if (strip_weak(if_none_match.substr(0, comma)) == want) return true;
    if (comma == std::string_view::npos) break;
    if_none_match.remove_prefix(comma + 1);
  }
  return false;
}

Response ServeFile(const Request& request, std::shared_ptr<const OpenFile> file, const std::string& etag,
                   const std::string& content_type) {
  const uint64_t size = file->size();
  const std::string quoted = "\"" + etag + "\"";
  Response res;
  res.SetHeader("ETag", quoted);
  res.SetHeader("Accept-Ranges", "bytes");
  if (const std::string* inm = request.Header("If-None-Match"); inm && EtagMatches(*inm, quoted)) {
    res.status = 304;
    return res;
  }
  ByteRange range;
  if (const std::string* h = request.Header("Range")) {
    range = ParseRange(*h, size);
    // If-Range with a different validator: send the whole current file.
    if (const std::string* ir = request.Header("If-Range"); ir && std::string_view(*ir) != quoted)
      range.kind = ByteRange::Kind::kIgnored;
  }
  if (range.kind == ByteRange::Kind::kUnsatisfiable) {
    res = Response::Error(
        416, "range \"" + *request.Header("Range") + "\" is outside the " + std::to_string(size) + "-byte artifact");
    res.SetHeader("Content-Range", "bytes */" + std::to_string(size));
    res.SetHeader("ETag", quoted);
    return res;
  }
  res.SetHeader("Content-Type", content_type);
  if (range.kind == ByteRange::Kind::kSatisfiable) {
    res.status = 206;
    res.SetHeader("Content-Range", "bytes " + std::to_string(range.first) + "-" + std::to_string(range.last) + "/" +
                                       std::to_string(size));
    res.file = FileRange{std::move(file), range.first, range.last - range.first + 1};
    return res;
  }
  res.status = 200;
  res.file = FileRange{std::move(file), 0, size};
  return res;
}

}  // namespace inferd::http
