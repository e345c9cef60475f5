#include "loadgen/response_parser.h"

#include <algorithm>
#include <cstring>

namespace inferd::loadgen {
namespace {

constexpr size_t kMaxChunkLine = 4096;
// Framing sizes beyond this are refused (a body counter, not an allocation).
constexpr uint64_t kMaxFramedBytes = uint64_t{1} << 50;

char Lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (Lower(a[i]) != Lower(b[i])) return false;
  return true;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n'))
    s.remove_suffix(1);
  return s;
}

// Calls fn(token) for each comma-separated token of a header value, trimmed.
template <class Fn>
void ForEachToken(std::string_view value, Fn&& fn) {
  while (!value.empty()) {
    const size_t comma = value.find(',');
    fn(Trim(value.substr(0, comma)));
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
}

bool ParseDecimal(std::string_view s, uint64_t* out) {
  if (s.empty() || s.size() > 15) return false;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  *out = v;
  return true;
}

bool ParseHex(std::string_view s, uint64_t* out) {
  if (s.empty() || s.size() > 12) return false;
  uint64_t v = 0;
  for (char c : s) {
    int d;
    if (c >= '0' && c <= '9')
      d = c - '0';
    else if (c >= 'a' && c <= 'f')
      d = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F')
      d = c - 'A' + 10;
    else
      return false;
    v = v * 16 + static_cast<uint64_t>(d);
  }
  *out = v;
  return true;
}

}  // namespace

ResponseParser::ResponseParser(bool keep_body, ResponseParserLimits limits) : keep_body_(keep_body), limits_(limits) {}

void ResponseParser::Reset() {
  phase_ = Phase::kHeaders;
  header_.clear();
  status_ = 0;
  keep_alive_ = true;
  chunked_ = false;
  has_length_ = false;
  remaining_ = 0;
  body_bytes_ = 0;
  body_.clear();
  headers_.clear();
  error_.clear();
}

ResponseParser::State ResponseParser::Fail(std::string message) {
  error_ = std::move(message);
  keep_alive_ = false;
  phase_ = Phase::kDone;
  return State::kError;
}

const std::string* ResponseParser::Header(std::string_view name) const {
  for (const auto& [k, v] : headers_)
    if (EqualsIgnoreCase(k, name)) return &v;
  return nullptr;
}

void ResponseParser::KeepBody(std::string_view bytes) {
  body_bytes_ += bytes.size();
  if (keep_body_) {
    body_.append(bytes);
  } else if (status_ >= 300 && body_.size() < limits_.error_body_bytes) {
    body_.append(bytes.substr(0, limits_.error_body_bytes - body_.size()));
  }
}

ResponseParser::State ResponseParser::ParseHeaderBlock(std::string_view block) {
  size_t eol = block.find('\n');
  std::string_view line = Trim(block.substr(0, eol));
  // Status line: HTTP/1.x SP 3DIGIT [SP reason]
  if (line.size() < 12 || line.substr(0, 7) != "HTTP/1." || (line[7] != '0' && line[7] != '1') || line[8] != ' ')
    return Fail("malformed status line \"" + std::string(line.substr(0, 80)) + "\"");
  const bool http10 = line[7] == '0';
  int status = 0;
  for (size_t i = 9; i < 12; ++i) {
    if (line[i] < '0' || line[i] > '9') return Fail("malformed status code in \"" + std::string(line) + "\"");
    status = status * 10 + (line[i] - '0');
  }
  if (line.size() > 12 && line[12] != ' ') return Fail("malformed status line \"" + std::string(line) + "\"");
  if (status < 100) return Fail("status code " + std::to_string(status) + " is out of range");
  status_ = status;
  keep_alive_ = !http10;
  chunked_ = false;
  has_length_ = false;
  remaining_ = 0;
  headers_.clear();
  while (eol != std::string_view::npos) {
    block.remove_prefix(eol + 1);
    eol = block.find('\n');
    line = Trim(block.substr(0, eol));
    if (line.empty()) continue;
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0)
      return Fail("malformed header line \"" + std::string(line.substr(0, 80)) + "\"");
    const std::string_view name = line.substr(0, colon);
    const std::string_view value = Trim(line.substr(colon + 1));
    if (keep_body_) headers_.emplace_back(std::string(name), std::string(value));
    if (EqualsIgnoreCase(name, "content-length")) {
      uint64_t n = 0;
      if (!ParseDecimal(value, &n)) return Fail("malformed Content-Length \"" + std::string(value) + "\"");
      if (has_length_ && n != remaining_) return Fail("conflicting Content-Length headers");
      has_length_ = true;
      remaining_ = n;
    } else if (EqualsIgnoreCase(name, "transfer-encoding")) {
      bool last_chunked = false;
      ForEachToken(value, [&](std::string_view t) { last_chunked = EqualsIgnoreCase(t, "chunked"); });
      chunked_ = last_chunked;
      if (!chunked_) keep_alive_ = false;  // body runs to the end of the connection
    } else if (EqualsIgnoreCase(name, "connection")) {
      ForEachToken(value, [&](std::string_view t) {
        if (EqualsIgnoreCase(t, "close")) keep_alive_ = false;
        if (EqualsIgnoreCase(t, "keep-alive") && http10) keep_alive_ = true;
      });
    }
  }
  return StartBody();
}

ResponseParser::State ResponseParser::StartBody() {
  header_.clear();
  if (status_ < 200) {  // interim response (100 Continue, 103): the real one follows
    phase_ = Phase::kHeaders;
    return State::kIncomplete;
  }
  if (status_ == 204 || status_ == 304) {
    phase_ = Phase::kDone;
    return State::kComplete;
  }
  if (chunked_) {
    phase_ = Phase::kChunkSize;
    return State::kIncomplete;
  }
  if (has_length_) {
    if (remaining_ > kMaxFramedBytes) return Fail("Content-Length " + std::to_string(remaining_) + " is too large");
    if (keep_body_ && remaining_ > limits_.max_body_bytes)
      return Fail("response body of " + std::to_string(remaining_) + " bytes exceeds the limit of " +
                  std::to_string(limits_.max_body_bytes));
    phase_ = remaining_ == 0 ? Phase::kDone : Phase::kFixedBody;
    return remaining_ == 0 ? State::kComplete : State::kIncomplete;
  }
  keep_alive_ = false;
  phase_ = Phase::kUntilEof;
  return State::kIncomplete;
}

ResponseParser::State ResponseParser::Feed(std::string_view data, size_t* consumed) {
  size_t pos = 0;
  auto done = [&](State s) {
    *consumed = pos;
    return s;
  };
  while (pos < data.size()) {
    const std::string_view rest = data.substr(pos);
    switch (phase_) {
      case Phase::kHeaders: {
        // The block ends at an empty line ("\r\n\r\n" or "\n\n"), which may be
        // split across pieces: look at the tail of what is already held.
        size_t end = std::string_view::npos;
        for (size_t i = 0; i < rest.size(); ++i) {
          if (rest[i] != '\n') continue;
          // Previous bytes: from `rest` when present, else from header_.
          auto prev = [&](size_t back) -> char {
            if (i >= back) return rest[i - back];
            const size_t from_held = back - i;
            return from_held <= header_.size() ? header_[header_.size() - from_held] : '\0';
          };
          if (prev(1) == '\n' || (prev(1) == '\r' && prev(2) == '\n')) {
            end = i + 1;
            break;
          }
        }
        const size_t take = end == std::string_view::npos ? rest.size() : end;
        if (header_.size() + take > limits_.max_header_bytes)
          return done(
              Fail("response header block is larger than " + std::to_string(limits_.max_header_bytes) + " bytes"));
        header_.append(rest.substr(0, take));
        pos += take;
        if (end == std::string_view::npos) break;
        const State s = ParseHeaderBlock(header_);
        if (s != State::kIncomplete) return done(s);
        break;
      }
      case Phase::kFixedBody: {
        const size_t take = static_cast<size_t>(std::min<uint64_t>(remaining_, rest.size()));
        KeepBody(rest.substr(0, take));
        pos += take;
        remaining_ -= take;
        if (remaining_ == 0) {
          phase_ = Phase::kDone;
          return done(State::kComplete);
        }
        break;
      }
      case Phase::kChunkSize:
      case Phase::kChunkDataEnd:
      case Phase::kTrailers: {
        const size_t nl = rest.find('\n');
        const size_t take = nl == std::string_view::npos ? rest.size() : nl + 1;
        const size_t cap = phase_ == Phase::kTrailers ? limits_.max_header_bytes : kMaxChunkLine;
        if (header_.size() + take > cap) return done(Fail("chunk framing line is too long"));
        header_.append(rest.substr(0, take));
        pos += take;
        if (nl == std::string_view::npos) break;
        const std::string_view line = Trim(header_);
        if (phase_ == Phase::kChunkDataEnd) {
          if (!line.empty()) return done(Fail("chunk data is not followed by CRLF"));
          phase_ = Phase::kChunkSize;
        } else if (phase_ == Phase::kTrailers) {
          if (line.empty()) {
            phase_ = Phase::kDone;
            header_.clear();
            return done(State::kComplete);
          }
        } else {
          uint64_t size = 0;
          if (!ParseHex(Trim(line.substr(0, line.find(';'))), &size))
            return done(Fail("malformed chunk size \"" + std::string(line.substr(0, 40)) + "\""));
          if (keep_body_ && body_bytes_ + size > limits_.max_body_bytes)
            return done(Fail("chunked response body exceeds the limit of " + std::to_string(limits_.max_body_bytes) +
                             " bytes"));
          if (body_bytes_ + size > kMaxFramedBytes) return done(Fail("chunked response body is too large"));
          remaining_ = size;
          phase_ = size == 0 ? Phase::kTrailers : Phase::kChunkData;
        }
        header_.clear();
        break;
      }
      case Phase::kChunkData: {
        const size_t take = static_cast<size_t>(std::min<uint64_t>(remaining_, rest.size()));
        KeepBody(rest.substr(0, take));
        pos += take;
        remaining_ -= take;
        if (remaining_ == 0) phase_ = Phase::kChunkDataEnd;
        break;
      }
      case Phase::kUntilEof: {
        if (keep_body_ && body_bytes_ + rest.size() > limits_.max_body_bytes)
          return done(Fail("response body exceeds the limit of " + std::to_string(limits_.max_body_bytes) + " bytes"));
        KeepBody(rest);
        pos = data.size();
        break;
      }
      case Phase::kDone:
        return done(error_.empty() ? State::kComplete : State::kError);
    }
  }
  return done(phase_ == Phase::kDone ? (error_.empty() ? State::kComplete : State::kError) : State::kIncomplete);
}

ResponseParser::State ResponseParser::FinishOnEof() {
  switch (phase_) {
    case Phase::kUntilEof:
      phase_ = Phase::kDone;
      return State::kComplete;
    case Phase::kDone:
      return error_.empty() ? State::kComplete : State::kError;
    case Phase::kHeaders:
      return Fail(header_.empty() ? "connection closed before a response arrived"
                                  : "connection closed in the middle of the response headers");
    default:
      return Fail("connection closed in the middle of the response body");
  }
}

}  // namespace inferd::loadgen
