// Server: a small HTTP/1.1 server (Boost.Beast on Asio) that calls one
// handler per request. Keep-alive, request size limit, idle timeout, file
// bodies streamed with pread. Binds 127.0.0.1 unless told otherwise.
//
// Handlers run on one of the server's I/O threads and may be called from
// several at once: they must be thread-safe. A synchronous Handler returns
// the response and should not block for long; an AsyncHandler gets a
// Responder it may call later from any thread (a batch finishing on an
// execution thread), so slow work never holds an I/O thread.
// Start() returns once the socket listens (port() is then the real port,
// useful with port 0). Shutdown() is graceful: it stops accepting, closes
// idle connections, lets in-flight requests finish and answer (with
// Connection: close), then joins. Stop() (or the destructor) is abrupt.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "common/status.h"
#include "http/message.h"

namespace inferd::http {

struct ServerOptions {
  std::string address = "127.0.0.1";
  uint16_t port = 0;  // 0: any free port
  int threads = 2;
  uint64_t max_body_bytes = 16 << 20;
  int idle_timeout_seconds = 30;
  std::string server_name = "inferd";
  // Appended to the 413 error so the client learns how to raise the cap,
  // e.g. "start the server with --max-request-bytes N".
  std::string max_body_hint;
};

// Sends the response to one request. Call it exactly once, from any thread;
// a Responder dropped without being called answers 500 so no client hangs.
class Responder {
 public:
  Responder() = default;
  explicit Responder(std::function<void(Response)> send) : send_(std::move(send)) {}
  Responder(Responder&& other) noexcept : send_(std::move(other.send_)) { other.send_ = nullptr; }
  Responder& operator=(Responder&& other) noexcept;
  Responder(const Responder&) = delete;
  Responder& operator=(const Responder&) = delete;
  ~Responder();
  void operator()(Response response);
  explicit operator bool() const { return static_cast<bool>(send_); }

 private:
  std::function<void(Response)> send_;
};

using AsyncHandler = std::function<void(Request&&, Responder)>;

class Server {
 public:
  static Result<std::unique_ptr<Server>> Start(const ServerOptions& options, Handler handler);
  static Result<std::unique_ptr<Server>> StartAsync(const ServerOptions& options, AsyncHandler handler);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  uint16_t port() const;
  const std::string& address() const;
  // Requests received and not yet answered.
  int64_t in_flight() const;
  // Graceful stop; returns false if requests were still in flight when
  // `timeout` passed (they are then cut off).
  bool Shutdown(std::chrono::milliseconds timeout);
  void Stop();

 private:
  struct Impl;
  explicit Server(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace inferd::http
