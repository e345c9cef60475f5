#include "http/message.h"

#include "common/json_escape.h"

#include <fcntl.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

namespace inferd::http {

std::shared_ptr<const OpenFile> OpenFile::Open(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return nullptr;
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return nullptr;
  }
  return std::shared_ptr<const OpenFile>(new OpenFile(fd, static_cast<uint64_t>(st.st_size)));
}

OpenFile::~OpenFile() { ::close(fd_); }

const std::string* Request::Header(std::string_view name) const {
  for (const auto& [k, v] : headers)
    if (k.size() == name.size() && ::strncasecmp(k.data(), name.data(), name.size()) == 0) return &v;
  return nullptr;
}

std::vector<std::string> Request::Segments() const {
  std::vector<std::string> out;
  const std::string_view raw = std::string_view(target).substr(0, target.find('?'));
  size_t i = 0;
  while (i < raw.size()) {
    if (raw[i] == '/') {
      ++i;
      continue;
    }
    const size_t j = raw.find('/', i);
    const std::string_view seg = raw.substr(i, j == std::string_view::npos ? std::string_view::npos : j - i);
    std::string decoded;
    if (!PercentDecode(seg, decoded, false)) decoded = std::string(seg);
    out.push_back(std::move(decoded));
    if (j == std::string_view::npos) break;
    i = j + 1;
  }
  return out;
}

void Response::SetHeader(std::string name, std::string value) {
  for (auto& [k, v] : headers)
    if (::strcasecmp(k.c_str(), name.c_str()) == 0) {
      v = std::move(value);
      return;
    }
  headers.emplace_back(std::move(name), std::move(value));
}

Response Response::Text(int status, std::string text) {
  Response r;
  r.status = status;
  r.body = std::move(text);
  r.SetHeader("Content-Type", "text/plain; charset=utf-8");
  return r;
}

Response Response::Json(int status, std::string json) {
  Response r;
  r.status = status;
  r.body = std::move(json);
  r.SetHeader("Content-Type", "application/json");
  return r;
}

Response Response::Error(int status, std::string_view message) {
  std::string body = "{\"error\":\"";
  AppendJsonEscaped(body, message);
  return Json(status, body + "\"}\n");
}

bool PercentDecode(std::string_view in, std::string& out, bool plus_is_space) {
  out.clear();
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '%') {
      if (i + 2 >= in.size()) return false;
      const int hi = hex(in[i + 1]), lo = hex(in[i + 2]);
      if (hi < 0 || lo < 0) return false;
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else if (plus_is_space && in[i] == '+') {
      out += ' ';
    } else {
      out += in[i];
    }
  }
  return true;
}

std::string PercentEncode(std::string_view in) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : in) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
        c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

bool ParseTarget(Request& request) {
  const size_t q = request.target.find('?');
  if (!PercentDecode(std::string_view(request.target).substr(0, q), request.path, false)) return false;
  request.query.clear();
  if (q == std::string::npos) return true;
  std::string_view rest = std::string_view(request.target).substr(q + 1);
  while (!rest.empty()) {
    const size_t amp = rest.find('&');
    const std::string_view pair = rest.substr(0, amp);
    const size_t eq = pair.find('=');
    std::string key, value;
    if (!PercentDecode(pair.substr(0, eq), key, true)) return false;
    if (eq != std::string_view::npos && !PercentDecode(pair.substr(eq + 1), value, true)) return false;
    if (!key.empty()) request.query[key] = value;
    if (amp == std::string_view::npos) break;
    rest = rest.substr(amp + 1);
  }
  return true;
}

std::string_view ReasonPhrase(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 204:
      return "No Content";
    case 206:
      return "Partial Content";
    case 304:
      return "Not Modified";
    case 400:
      return "Bad Request";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 409:
      return "Conflict";
    case 412:
      return "Precondition Failed";
    case 413:
      return "Payload Too Large";
    case 416:
      return "Range Not Satisfiable";
    case 429:
      return "Too Many Requests";
    case 500:
      return "Internal Server Error";
    case 503:
      return "Service Unavailable";
    default:
      return "";
  }
}

int HttpStatusFor(StatusCode code) {
  switch (code) {
    case StatusCode::kOk:
      return 200;
    case StatusCode::kInvalidArgument:
    case StatusCode::kOutOfRange:
      return 400;
    case StatusCode::kUnauthenticated:
      return 401;
    case StatusCode::kPermissionDenied:
      return 403;
    case StatusCode::kNotFound:
      return 404;
    case StatusCode::kAlreadyExists:
    case StatusCode::kAborted:
    case StatusCode::kFailedPrecondition:
      return 409;  // conflicts with the current state
    case StatusCode::kResourceExhausted:
      return 429;
    case StatusCode::kCancelled:
      return 499;
    case StatusCode::kUnimplemented:
      return 501;
    case StatusCode::kUnavailable:
      return 503;
    case StatusCode::kDeadlineExceeded:
      return 504;
    default:
      return 500;
  }
}

Response ErrorResponse(const Status& status) {
  Response r = Response::Error(HttpStatusFor(status.code()), status.message());
  r.body.insert(r.body.size() - 2, ",\"code\":\"" + std::string(StatusCodeName(status.code())) + "\"");
  return r;
}

}  // namespace inferd::http
