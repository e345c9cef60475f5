#include "loadgen/http_client.h"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

namespace inferd::loadgen {
namespace {

char Lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (Lower(a[i]) != Lower(b[i])) return false;
  return true;
}

std::string ErrnoText(int err) { return std::strerror(err); }

// Closes the socket when it goes out of scope.
class FdGuard {
 public:
  explicit FdGuard(int fd) : fd_(fd) {}
  ~FdGuard() {
    if (fd_ >= 0) ::close(fd_);
  }
  FdGuard(const FdGuard&) = delete;
  FdGuard& operator=(const FdGuard&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

}  // namespace

std::string Url::Authority() const {
  const bool v6 = host.find(':') != std::string::npos;
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

Result<Url> ParseUrl(std::string_view text) {
  const std::string original(text);
  std::string_view rest = text;
  const size_t scheme_end = rest.find("://");
  if (scheme_end != std::string_view::npos) {
    std::string scheme(rest.substr(0, scheme_end));
    for (char& c : scheme) c = Lower(c);
    if (scheme == "https")
      return InvalidArgument("URL \"" + original + "\": https is not supported; use an http:// address");
    if (scheme != "http")
      return InvalidArgument("URL \"" + original + "\": unsupported scheme \"" + scheme + "\"; use http://");
    rest.remove_prefix(scheme_end + 3);
  }
  if (rest.find_first_of("?#") != std::string_view::npos)
    return InvalidArgument("URL \"" + original + "\": a query or fragment is not allowed");
  const size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  std::string_view path = slash == std::string_view::npos ? std::string_view() : rest.substr(slash);
  if (authority.find('@') != std::string_view::npos)
    return InvalidArgument("URL \"" + original + "\": user information is not supported");
  Url url;
  std::string_view port_text;
  if (!authority.empty() && authority.front() == '[') {
    const size_t close = authority.find(']');
    if (close == std::string_view::npos) return InvalidArgument("URL \"" + original + "\": unclosed '[' in the host");
    url.host = std::string(authority.substr(1, close - 1));
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return InvalidArgument("URL \"" + original + "\": junk after the IPv6 address");
      port_text = after.substr(1);
      if (port_text.empty()) return InvalidArgument("URL \"" + original + "\": empty port");
    }
  } else {
    const size_t colon = authority.find(':');
    url.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) {
      port_text = authority.substr(colon + 1);
      if (port_text.empty()) return InvalidArgument("URL \"" + original + "\": empty port");
    }
  }
  if (url.host.empty()) return InvalidArgument("URL \"" + original + "\": no host");
  if (!port_text.empty()) {
    if (port_text.size() > 5) return InvalidArgument("URL \"" + original + "\": bad port");
    unsigned port = 0;
    for (char c : port_text) {
      if (c < '0' || c > '9') return InvalidArgument("URL \"" + original + "\": bad port");
      port = port * 10 + static_cast<unsigned>(c - '0');
    }
    if (port == 0 || port > 65535) return InvalidArgument("URL \"" + original + "\": port out of range 1-65535");
    url.port = static_cast<uint16_t>(port);
  }
  while (!path.empty() && path.back() == '/') path.remove_suffix(1);
  url.base_path = std::string(path);
  return url;
}

Result<Endpoint> Resolve(const Url& url) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  const std::string port = std::to_string(url.port);
  const int rc = ::getaddrinfo(url.host.c_str(), port.c_str(), &hints, &found);
  if (rc != 0 || found == nullptr)
    return Unavailable("cannot resolve host \"" + url.host + "\": " + ::gai_strerror(rc));
  Endpoint endpoint;
  std::memcpy(&endpoint.address, found->ai_addr, found->ai_addrlen);
  endpoint.length = found->ai_addrlen;
  endpoint.display = url.Authority();
  ::freeaddrinfo(found);
  return endpoint;
}

Result<int> StartConnect(const Endpoint& endpoint, bool* connected) {
  *connected = false;
  const int fd = ::socket(endpoint.address.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return Unavailable("socket: " + ErrnoText(errno));
  const int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  int rc;
  do rc = ::connect(fd, reinterpret_cast<const sockaddr*>(&endpoint.address), endpoint.length);
  while (rc < 0 && errno == EINTR);
  if (rc == 0) {
    *connected = true;
    return fd;
  }
  if (errno == EINPROGRESS) return fd;
  const int err = errno;
  ::close(fd);
  return Unavailable("cannot connect to " + endpoint.display + ": " + ErrnoText(err));
}

int ConnectError(int fd) {
  int err = 0;
  socklen_t len = sizeof err;
  if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0) return errno;
  return err;
}

std::string FrameRequest(std::string_view method, const Url& url, std::string_view path,
                         const std::vector<std::pair<std::string, std::string>>& headers, std::string_view body) {
  std::string out;
  out.reserve(256 + body.size());
  out.append(method).append(" ").append(url.base_path).append(path).append(" HTTP/1.1\r\n");
  out.append("Host: ").append(url.Authority()).append("\r\n");
  out.append("User-Agent: inferd-bench\r\n");
  for (const auto& [k, v] : headers) out.append(k).append(": ").append(v).append("\r\n");
  if (!body.empty() || method == "POST" || method == "PUT")
    out.append("Content-Length: ").append(std::to_string(body.size())).append("\r\n");
  out.append("\r\n").append(body);
  return out;
}

std::string EncodePathSegment(std::string_view segment) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char ch : segment) {
    const auto c = static_cast<unsigned char>(ch);
    const bool plain = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
                       c == '.' || c == '_' || c == '~';
    if (plain) {
      out += ch;
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::string ModelPath(std::string_view model, std::string_view version) {
  std::string path = "/v2/models/" + EncodePathSegment(model);
  if (!version.empty()) path += "/versions/" + EncodePathSegment(version);
  return path;
}

const std::string* HttpReply::Header(std::string_view name) const {
  for (const auto& [k, v] : headers)
    if (EqualsIgnoreCase(k, name)) return &v;
  return nullptr;
}

Result<HttpReply> Exchange(const Endpoint& endpoint, std::string_view request, double timeout_s,
                           size_t max_body_bytes) {
  using Clock = std::chrono::steady_clock;
  const auto deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                           std::chrono::duration<double>(timeout_s > 0 ? timeout_s : 1e9));
  auto remaining_ms = [&]() -> int {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    return left <= 0 ? 0 : static_cast<int>(std::min<int64_t>(left, 1 << 30));
  };
  auto timed_out = [&](const char* what) {
    return Status(StatusCode::kDeadlineExceeded, "no " + std::string(what) + " from " + endpoint.display + " within " +
                                                     std::to_string(timeout_s) + " s");
  };
  // Waits for `events` on fd; false when the deadline passed.
  auto wait = [&](int fd, short events) -> bool {
    for (;;) {
      pollfd p{fd, events, 0};
      const int rc = ::poll(&p, 1, remaining_ms());
      if (rc > 0) return true;
      if (rc == 0) return false;
      if (errno != EINTR) return false;
    }
  };

  bool connected = false;
  ASSIGN_OR_RETURN(const int raw_fd, StartConnect(endpoint, &connected));
  FdGuard fd(raw_fd);
  if (!connected) {
    if (!wait(fd.get(), POLLOUT)) return timed_out("connection");
    if (const int err = ConnectError(fd.get()); err != 0)
      return Unavailable("cannot connect to " + endpoint.display + ": " + ErrnoText(err));
  }
  size_t sent = 0;
  while (sent < request.size()) {
    const ssize_t n = ::send(fd.get(), request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n > 0) {
      sent += static_cast<size_t>(n);
    } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      if (!wait(fd.get(), POLLOUT)) return timed_out("progress sending the request");
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else {
      return Unavailable("sending to " + endpoint.display + ": " + ErrnoText(errno));
    }
  }
  ResponseParserLimits limits;
  limits.max_body_bytes = max_body_bytes;
  ResponseParser parser(/*keep_body=*/true, limits);
  char buf[16384];
  for (;;) {
    const ssize_t n = ::recv(fd.get(), buf, sizeof buf, 0);
    ResponseParser::State state;
    if (n > 0) {
      size_t consumed = 0;
      state = parser.Feed(std::string_view(buf, static_cast<size_t>(n)), &consumed);
    } else if (n == 0) {
      state = parser.FinishOnEof();
    } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
      if (!wait(fd.get(), POLLIN)) return timed_out("response");
      continue;
    } else if (errno == EINTR) {
      continue;
    } else {
      return Unavailable("reading from " + endpoint.display + ": " + ErrnoText(errno));
    }
    if (state == ResponseParser::State::kComplete) break;
    if (state == ResponseParser::State::kError) {
      if (n == 0) return Unavailable(endpoint.display + ": " + parser.error());
      return DataLoss("malformed response from " + endpoint.display + ": " + parser.error());
    }
  }
  HttpReply reply;
  reply.status = parser.status();
  reply.headers = parser.headers();
  reply.body = parser.body();
  return reply;
}

}  // namespace inferd::loadgen
