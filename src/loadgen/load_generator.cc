#include "loadgen/load_generator.h"

#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <memory>
#include <thread>
#include <vector>

#include "loadgen/response_parser.h"

namespace inferd::loadgen {
namespace {

using Clock = std::chrono::steady_clock;
using TimePoint = Clock::time_point;

constexpr size_t kReadBufferBytes = 64 << 10;
constexpr int kMaxEvents = 128;
// How often deadlines (timeouts, reconnect back-off) are checked.
constexpr auto kScanPeriod = std::chrono::milliseconds(5);
// Wait before reopening a connection that failed before any response, so a
// server that refuses or resets at once is not hammered in a tight loop.
constexpr auto kReconnectBackoff = std::chrono::milliseconds(10);
constexpr size_t kErrorBodyBytes = 300;

double ThreadCpuSeconds() {
  timespec ts{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

Clock::duration Seconds(double s) {
  return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(s));
}

enum class ErrorKind { kConnection, kTimeout, kProtocol };

struct Connection {
  enum class State { kClosed, kConnecting, kActive };
  Connection(uint32_t i, ResponseParserLimits limits) : index(i), parser(false, limits) {}

  const uint32_t index;  // in the worker's list
  int fd = -1;
  State state = State::kClosed;
  uint32_t generation = 0;  // tags epoll events so a stale one is ignored
  bool want_write = false;  // EPOLLOUT registered for the rest of a request
  size_t sent = 0;
  uint64_t responses = 0;  // on the current socket
  TimePoint start;         // of the request in flight
  TimePoint deadline;      // timeout (connecting/active) or reconnect time (closed)
  ResponseParser parser;
};

// One epoll loop over a share of the connections. Owns its sockets and its
// part of the result; touched only by its own thread.
class Worker {
 public:
  Worker(const LoadOptions& options, int connections, TimePoint measure_start, TimePoint end)
      : options_(options), measure_start_(measure_start), end_(end), buffer_(kReadBufferBytes) {
    ResponseParserLimits limits;
    limits.error_body_bytes = kErrorBodyBytes;
    for (int i = 0; i < connections; ++i)
      conns_.push_back(std::make_unique<Connection>(static_cast<uint32_t>(i), limits));
    timeout_ = Seconds(options.timeout_s);
  }
  ~Worker() {
    for (auto& c : conns_) Close(*c);
    if (epoll_fd_ >= 0) ::close(epoll_fd_);
  }
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  Status Init() {
    epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
    if (epoll_fd_ < 0) return Internal(std::string("epoll_create1: ") + std::strerror(errno));
    return Status::Ok();
  }

  void Run() {
    TimePoint now = Clock::now();
    for (auto& c : conns_) Open(*c, now);
    bool measuring = false;
    double cpu_start = 0;
    TimePoint next_scan = now + kScanPeriod;
    epoll_event events[kMaxEvents];
    for (;;) {
      now = Clock::now();
      if (!measuring && now >= measure_start_) {
        measuring = true;
        cpu_start = ThreadCpuSeconds();
      }
      if (now >= end_) break;
      if (now >= next_scan) {
        Scan(now);
        next_scan = now + kScanPeriod;
      }
      TimePoint wake = std::min(end_, next_scan);
      if (!measuring) wake = std::min(wake, measure_start_);
      const auto wait_us = std::chrono::duration_cast<std::chrono::microseconds>(wake - now).count();
      const int wait_ms = static_cast<int>(std::max<int64_t>(0, (wait_us + 999) / 1000));
      const int n = ::epoll_wait(epoll_fd_, events, kMaxEvents, wait_ms);
      for (int i = 0; i < n; ++i) {
        const uint64_t tag = events[i].data.u64;
        Connection& c = *conns_[static_cast<size_t>(tag & 0xffffffffu)];
        if (static_cast<uint32_t>(tag >> 32) != c.generation || c.state == Connection::State::kClosed) continue;
        Handle(c, events[i].events);
      }
    }
    if (measuring) result_.client_cpu_s = ThreadCpuSeconds() - cpu_start;
    for (auto& c : conns_) Close(*c);
  }

  LevelResult& result() { return result_; }

 private:
  bool InWindow(TimePoint t) const { return t >= measure_start_ && t < end_; }

  void SetInterest(Connection& c, uint32_t events, int op) {
    epoll_event ev{};
    ev.events = events;
    ev.data.u64 = (static_cast<uint64_t>(c.generation) << 32) | c.index;
    ::epoll_ctl(epoll_fd_, op, c.fd, &ev);
  }

  void Open(Connection& c, TimePoint now) {
    ++c.generation;
    ++result_.connections_opened;
    bool connected = false;
    auto fd = StartConnect(options_.endpoint, &connected);
    if (!fd.ok()) {
      Count(ErrorKind::kConnection, now, fd.status().message());
      c.state = Connection::State::kClosed;
      c.deadline = now + kReconnectBackoff;
      return;
    }
    c.fd = *fd;
    c.responses = 0;
    c.want_write = false;
    if (connected) {
      c.state = Connection::State::kActive;
      SetInterest(c, EPOLLIN, EPOLL_CTL_ADD);
      Send(c);
    } else {
      c.state = Connection::State::kConnecting;
      c.deadline = now + timeout_;
      SetInterest(c, EPOLLOUT, EPOLL_CTL_ADD);
    }
  }

  void Close(Connection& c) {
    if (c.fd >= 0) ::close(c.fd);  // also leaves the epoll set
    c.fd = -1;
    c.state = Connection::State::kClosed;
  }

  void Count(ErrorKind kind, TimePoint t, const std::string& message) {
    if (!InWindow(t)) return;
    const char* key = "connection";
    switch (kind) {
      case ErrorKind::kConnection:
        ++result_.connection_errors;
        break;
      case ErrorKind::kTimeout:
        ++result_.timeouts;
        key = "timeout";
        break;
      case ErrorKind::kProtocol:
        ++result_.protocol_errors;
        key = "protocol";
        break;
    }
    result_.error_examples.try_emplace(key, message);
  }

  // The connection failed: count it, drop the socket, and reopen (at once if
  // the socket had served requests or timed out, else after a back-off).
  void Fail(Connection& c, ErrorKind kind, const std::string& message) {
    const TimePoint now = Clock::now();
    Count(kind, now, message);
    const bool reopen_now = c.responses > 0 || kind == ErrorKind::kTimeout;
    Close(c);
    if (reopen_now) {
      Open(c, now);
    } else {
      c.deadline = now + kReconnectBackoff;
    }
  }

  void Send(Connection& c) {
    c.parser.Reset();
    c.sent = 0;
    c.start = Clock::now();
    c.deadline = c.start + timeout_;
    Write(c);
  }

  void Write(Connection& c) {
    const std::string& req = options_.request;
    while (c.sent < req.size()) {
      const ssize_t n = ::send(c.fd, req.data() + c.sent, req.size() - c.sent, MSG_NOSIGNAL);
      if (n > 0) {
        c.sent += static_cast<size_t>(n);
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        if (!c.want_write) {
          c.want_write = true;
          SetInterest(c, EPOLLIN | EPOLLOUT, EPOLL_CTL_MOD);
        }
        return;
      }
      return Fail(c, ErrorKind::kConnection, std::string("send: ") + std::strerror(errno));
    }
    if (c.want_write) {
      c.want_write = false;
      SetInterest(c, EPOLLIN, EPOLL_CTL_MOD);
    }
  }

  void Handle(Connection& c, uint32_t events) {
    if (c.state == Connection::State::kConnecting) {
      if ((events & (EPOLLOUT | EPOLLERR | EPOLLHUP)) == 0) return;
      if (const int err = ConnectError(c.fd); err != 0)
        return Fail(c, ErrorKind::kConnection,
                    "cannot connect to " + options_.endpoint.display + ": " + std::strerror(err));
      c.state = Connection::State::kActive;
      SetInterest(c, EPOLLIN, EPOLL_CTL_MOD);
      return Send(c);
    }
    const uint32_t generation = c.generation;
    if ((events & EPOLLOUT) && c.want_write) {
      Write(c);
      if (c.generation != generation || c.state != Connection::State::kActive) return;
    }
    if (events & (EPOLLIN | EPOLLERR | EPOLLHUP)) Receive(c);
  }

  void Receive(Connection& c) {
    const ssize_t n = ::recv(c.fd, buffer_.data(), buffer_.size(), 0);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return;
      return Fail(c, ErrorKind::kConnection, std::string("recv: ") + std::strerror(errno));
    }
    ResponseParser::State state;
    size_t consumed = 0;
    if (n == 0) {
      state = c.parser.FinishOnEof();
      if (state != ResponseParser::State::kComplete)
        return Fail(c, ErrorKind::kConnection, "server closed the connection: " + c.parser.error());
    } else {
      state = c.parser.Feed(std::string_view(buffer_.data(), static_cast<size_t>(n)), &consumed);
      if (state == ResponseParser::State::kIncomplete) return;
      if (state == ResponseParser::State::kError)
        return Fail(c, ErrorKind::kProtocol, "malformed response: " + c.parser.error());
      if (consumed != static_cast<size_t>(n))
        return Fail(c, ErrorKind::kProtocol, "the server sent bytes after the end of a response");
    }
    Complete(c, /*closed=*/n == 0);
  }

  void Complete(Connection& c, bool closed) {
    const TimePoint t = Clock::now();
    const int status = c.parser.status();
    if (InWindow(t)) {
      if (status == 200) {
        ++result_.completed;
        result_.latency.Record(
            static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(t - c.start).count()));
      } else {
        ++result_.http_errors[status];
        result_.error_examples.try_emplace("HTTP " + std::to_string(status), c.parser.body());
      }
    }
    ++c.responses;
    // A response that came before the whole request was sent leaves the
    // stream out of step: start over on a fresh connection.
    if (closed || !c.parser.keep_alive() || c.sent < options_.request.size()) {
      Close(c);
      return Open(c, t);
    }
    Send(c);
  }

  void Scan(TimePoint now) {
    for (auto& cp : conns_) {
      Connection& c = *cp;
      if (c.state == Connection::State::kClosed) {
        if (now >= c.deadline) Open(c, now);
      } else if (now >= c.deadline) {
        const bool connecting = c.state == Connection::State::kConnecting;
        Fail(c, ErrorKind::kTimeout,
             std::string(connecting ? "no connection" : "no response") + " within " +
                 std::to_string(options_.timeout_s) + " s");
      }
    }
  }

  const LoadOptions& options_;
  const TimePoint measure_start_;
  const TimePoint end_;
  Clock::duration timeout_{};
  int epoll_fd_ = -1;
  std::vector<std::unique_ptr<Connection>> conns_;
  std::vector<char> buffer_;
  LevelResult result_;
};

}  // namespace

uint64_t LevelResult::errors() const {
  uint64_t n = connection_errors + timeouts + protocol_errors;
  for (const auto& [status, count] : http_errors) n += count;
  return n;
}

Result<LevelResult> RunClosedLoop(const LoadOptions& options) {
  if (options.concurrency < 1 || options.concurrency > 100000)
    return InvalidArgument("concurrency must be between 1 and 100000, got " + std::to_string(options.concurrency));
  if (options.threads < 1 || options.threads > 64)
    return InvalidArgument("threads must be between 1 and 64, got " + std::to_string(options.threads));
  if (!(options.duration_s > 0) || !(options.warmup_s >= 0) || !(options.timeout_s > 0))
    return InvalidArgument("duration and timeout must be positive and warm-up not negative");
  if (options.request.empty()) return InvalidArgument("no request to send");
  if (options.endpoint.length == 0) return InvalidArgument("no endpoint to connect to");

  const int threads = std::min(options.threads, options.concurrency);
  const TimePoint measure_start = Clock::now() + Seconds(options.warmup_s);
  const TimePoint end = measure_start + Seconds(options.duration_s);
  std::vector<std::unique_ptr<Worker>> workers;
  for (int t = 0; t < threads; ++t) {
    const int share = options.concurrency / threads + (t < options.concurrency % threads ? 1 : 0);
    workers.push_back(std::make_unique<Worker>(options, share, measure_start, end));
    RETURN_IF_ERROR(workers.back()->Init());
  }
  std::vector<std::thread> running;
  for (size_t t = 1; t < workers.size(); ++t) running.emplace_back([w = workers[t].get()] { w->Run(); });
  workers[0]->Run();
  for (auto& th : running) th.join();

  LevelResult total;
  total.concurrency = options.concurrency;
  total.measured_s = options.duration_s;
  for (auto& w : workers) {
    LevelResult& r = w->result();
    total.completed += r.completed;
    total.latency.Merge(r.latency);
    for (const auto& [status, count] : r.http_errors) total.http_errors[status] += count;
    total.connection_errors += r.connection_errors;
    total.timeouts += r.timeouts;
    total.protocol_errors += r.protocol_errors;
    total.connections_opened += r.connections_opened;
    total.client_cpu_s += r.client_cpu_s;
    for (const auto& [kind, message] : r.error_examples) total.error_examples.try_emplace(kind, message);
  }
  total.requests_per_s = static_cast<double>(total.completed) / total.measured_s;
  total.inferences_per_s = total.requests_per_s * static_cast<double>(options.inferences_per_request);
  return total;
}

}  // namespace inferd::loadgen
