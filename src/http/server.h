// Server: a small HTTP/1.1 server (Boost.Beast on Asio) that calls one
// Handler per request. Keep-alive, request size limit, idle timeout, file
// bodies streamed with pread. Binds 127.0.0.1 unless told otherwise.
//
// The handler runs on one of the server's I/O threads and may be called from
// several at once: it must be thread-safe and should not block for long.
// Start() returns once the socket listens (port() is then the real port,
// useful with port 0); Stop() (or the destructor) closes it and joins.
#pragma once

#include <cstdint>
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
};

class Server {
 public:
  static Result<std::unique_ptr<Server>> Start(const ServerOptions& options, Handler handler);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  uint16_t port() const;
  const std::string& address() const;
  void Stop();

 private:
  struct Impl;
  explicit Server(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace inferd::http
