// The fast path for inputs' `data` arrays; see Prescan in infer_codec_internal.h.
//
// Why it is safe: the text before a claimed array is unchanged, so if it is
// malformed nlohmann fails there as it would on the original; if it is well
// formed, this scanner's view of where strings, keys and containers are is
// exact, so the array it claims is the value of an input's "data" key, and
// it was checked here to be a complete, valid JSON array, which `[]` stands
// for syntactically. The values go to the same handler code as nlohmann's.
#include <charconv>
#include <string>

#include "serving/infer_codec_internal.h"

namespace inferd::serving::codec_internal {
namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Scans a JSON number at s[i]; returns its end, or npos if it does not
// follow the JSON grammar. `integer`: no fraction and no exponent.
size_t ScanNumber(std::string_view s, size_t i, bool* integer) {
  const size_t n = s.size();
  if (i < n && s[i] == '-') ++i;
  if (i >= n || !IsDigit(s[i])) return std::string_view::npos;
  if (s[i] == '0') {
    ++i;
  } else {
    while (i < n && IsDigit(s[i])) ++i;
  }
  *integer = true;
  if (i < n && s[i] == '.') {
    *integer = false;
    ++i;
    if (i >= n || !IsDigit(s[i])) return std::string_view::npos;
    while (i < n && IsDigit(s[i])) ++i;
  }
  if (i < n && (s[i] == 'e' || s[i] == 'E')) {
    *integer = false;
    ++i;
    if (i < n && (s[i] == '+' || s[i] == '-')) ++i;
    if (i >= n || !IsDigit(s[i])) return std::string_view::npos;
    while (i < n && IsDigit(s[i])) ++i;
  }
  return i;
}

// Reads the number s[begin, end) as nlohmann would: an integer that fits
// int64 (negative) or uint64 (otherwise), else a double. False if the double
// overflows or underflows (nlohmann then reports or handles it).
bool ReadNumber(std::string_view s, size_t begin, size_t end, bool integer, JsonScalar* out) {
  const char* b = s.data() + begin;
  const char* e = s.data() + end;
  if (integer) {
    if (*b == '-') {
      out->kind = JsonScalar::Kind::kInt;
      const auto r = std::from_chars(b, e, out->i);
      if (r.ec == std::errc() && r.ptr == e) return true;
    } else {
      out->kind = JsonScalar::Kind::kUint;
      const auto r = std::from_chars(b, e, out->u);
      if (r.ec == std::errc() && r.ptr == e) return true;
    }
  }
  out->kind = JsonScalar::Kind::kFloat;
  const auto r = std::from_chars(b, e, out->f);
  return r.ec == std::errc() && r.ptr == e;
}

// Parses the array at s[i] (s[i] == '['). Returns the index past its ']'
// and fills `events`, or npos if the array holds anything but numbers,
// booleans and arrays, or is malformed.
size_t ParseArray(std::string_view s, size_t i, std::vector<JsonScalar>* events) {
  const size_t n = s.size();
  enum class Want { kValueOrClose, kValue, kCommaOrClose } want = Want::kValueOrClose;
  size_t depth = 1;
  JsonScalar ev;
  ev.kind = JsonScalar::Kind::kOpen;
  ev.u = 0;
  events->push_back(ev);
  ++i;
  while (true) {
    while (i < n && IsSpace(s[i])) ++i;
    if (i >= n) return std::string_view::npos;
    const char c = s[i];
    if (c == ']' && want != Want::kValue) {
      ev.kind = JsonScalar::Kind::kClose;
      events->push_back(ev);
      ++i;
      if (--depth == 0) return i;
      want = Want::kCommaOrClose;
      continue;
    }
    if (want == Want::kCommaOrClose) {
      if (c != ',') return std::string_view::npos;
      want = Want::kValue;
      ++i;
      continue;
    }
    if (c == '[') {
      ev.kind = JsonScalar::Kind::kOpen;
      events->push_back(ev);
      ++depth;
      ++i;
      want = Want::kValueOrClose;
      continue;
    }
    if (s.compare(i, 4, "true") == 0 || s.compare(i, 5, "false") == 0) {
      ev.kind = JsonScalar::Kind::kBool;
      ev.b = c == 't';
      i += ev.b ? 4 : 5;
    } else {
      bool integer = false;
      const size_t end = ScanNumber(s, i, &integer);
      if (end == std::string_view::npos || !ReadNumber(s, i, end, integer, &ev)) return std::string_view::npos;
      i = end;
    }
    events->push_back(ev);
    want = Want::kCommaOrClose;
  }
}

}  // namespace

std::optional<Prescan> PrescanDataArrays(std::string_view s) {
  struct Frame {
    bool object;
    bool expect_key;
    std::string_view key;  // the current member's key (objects)
  };
  std::vector<Frame> stack;
  stack.reserve(8);
  Prescan out;
  bool claimed = false;
  size_t copied = 0;  // s[0, copied) is in out.json already
  const size_t n = s.size();
  size_t i = 0;
  while (i < n) {
    const char c = s[i];
    if (c == '"') {
      size_t j = i + 1;
      bool escaped = false;
      while (j < n && s[j] != '"') {
        if (s[j] == '\\') {
          escaped = true;
          ++j;
        }
        ++j;
      }
      if (j >= n) return std::nullopt;  // unterminated: nlohmann reports it
      if (!stack.empty() && stack.back().object && stack.back().expect_key) {
        if (escaped) return std::nullopt;  // "d\u0061ta" is "data": leave such requests to nlohmann
        stack.back().key = s.substr(i + 1, j - i - 1);
        stack.back().expect_key = false;
      }
      i = j + 1;
    } else if (c == '{' || c == '[') {
      // An input's data: {"inputs":[{... "data":[
      if (c == '[' && stack.size() == 3 && stack[0].object && stack[0].key == "inputs" && !stack[1].object &&
          stack[2].object && stack[2].key == "data") {
        std::vector<JsonScalar> events;
        events.reserve(32);
        const size_t end = ParseArray(s, i, &events);
        if (end != std::string_view::npos) {
          if (!claimed) out.json.reserve(n);
          out.json.append(s.data() + copied, i - copied);
          out.json += "[]";
          copied = end;
          out.arrays.push_back(std::move(events));
          claimed = true;
          i = end;
          continue;
        }
        out.arrays.emplace_back();  // left to nlohmann
      }
      stack.push_back({c == '{', c == '{', {}});
      ++i;
    } else if (c == '}' || c == ']') {
      if (stack.empty()) return std::nullopt;
      stack.pop_back();
      ++i;
    } else {
      if (c == ',' && !stack.empty() && stack.back().object) stack.back().expect_key = true;
      ++i;
    }
  }
  if (!claimed) return std::nullopt;
  out.json.append(s.data() + copied, n - copied);
  return out;
}

}  // namespace inferd::serving::codec_internal
