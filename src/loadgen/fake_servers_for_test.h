// Test-only servers for the load generator's tests (header-only, included by
// _test.cc files): a small Open Inference Protocol server on http::Server,
// and a raw TCP server whose answers a test scripts byte for byte (for
// Connection: close, resets and chunked bodies).
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "http/server.h"
#include "loadgen/http_client.h"

namespace inferd::loadgen::testing {

// Model "m": input "x" FP32 [-1,4], output "y" FP32 [-1,2].
class FakeV2Server {
 public:
  enum class Mode { kCheck, kFast, kError500 };

  FakeV2Server() {
    http::ServerOptions options;
    options.threads = 2;
    auto server = http::Server::Start(options, [this](const http::Request& r) { return Handle(r); });
    if (server.ok()) server_ = std::move(*server);
  }
  bool ok() const { return server_ != nullptr; }
  uint16_t port() const { return server_->port(); }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port()); }
  void set_mode(Mode m) { mode_ = m; }

  std::atomic<Mode> mode_{Mode::kCheck};
  std::atomic<uint64_t> infer_requests{0};
  std::atomic<uint64_t> good_json{0}, good_binary{0}, bad_requests{0};
  std::mutex mu;
  std::string last_problem;  // guarded by mu

 private:
  http::Response Bad(const std::string& problem) {
    ++bad_requests;
    std::lock_guard<std::mutex> lock(mu);
    last_problem = problem;
    return http::Response::Error(400, problem);
  }

  http::Response Handle(const http::Request& r) {
    using nlohmann::json;
    if (r.method == "GET" && r.path == "/v2/models/m")
      return http::Response::Json(200, R"({"name":"m","versions":["1"],"platform":"test",)"
                                       R"("inputs":[{"name":"x","datatype":"FP32","shape":[-1,4]}],)"
                                       R"("outputs":[{"name":"y","datatype":"FP32","shape":[-1,2]}]})");
    if (r.method != "POST" || r.path != "/v2/models/m/infer") return http::Response::Error(404, "no such model");
    ++infer_requests;
    const Mode mode = mode_.load();
    if (mode == Mode::kError500) return http::Response::Error(500, "deliberate failure");
    if (mode == Mode::kFast) return http::Response::Json(200, kJsonReply);
    const std::string* header_length = r.Header("Inference-Header-Content-Length");
    const size_t json_len = header_length ? std::stoul(*header_length) : r.body.size();
    if (json_len > r.body.size()) return Bad("Inference-Header-Content-Length beyond the body");
    json j = json::parse(r.body.substr(0, json_len), nullptr, false);
    if (j.is_discarded() || !j.contains("inputs") || j["inputs"].size() != 1) return Bad("bad JSON part");
    const json& in = j["inputs"][0];
    if (in.value("name", "") != "x" || in.value("datatype", "") != "FP32") return Bad("bad input name/type");
    const auto shape = in["shape"].get<std::vector<int64_t>>();
    if (shape.size() != 2 || shape[1] != 4) return Bad("bad shape");
    const size_t numel = static_cast<size_t>(shape[0] * shape[1]);
    if (header_length == nullptr) {
      if (!in.contains("data") || in["data"].size() != numel) return Bad("data does not match the shape");
      ++good_json;
      return http::Response::Json(200, kJsonReply);
    }
    const size_t declared = in["parameters"].value("binary_data_size", size_t{0});
    if (declared != numel * 4) return Bad("binary_data_size " + std::to_string(declared) + " != numel*4");
    if (json_len + declared != r.body.size()) return Bad("binary bytes do not fill the body");
    if (!j.contains("parameters") || !j["parameters"].value("binary_data_output", false))
      return Bad("binary_data_output not requested");
    ++good_binary;
    const std::string head = R"({"model_name":"m","outputs":[{"name":"y","datatype":"FP32","shape":[1,2],)"
                             R"("parameters":{"binary_data_size":8}}]})";
    http::Response res = http::Response::Json(200, head + std::string(8, '\0'));
    res.SetHeader("Content-Type", "application/octet-stream");
    res.SetHeader("Inference-Header-Content-Length", std::to_string(head.size()));
    return res;
  }

  static constexpr const char* kJsonReply =
      R"({"model_name":"m","outputs":[{"name":"y","datatype":"FP32","shape":[1,2],"data":[0.5,0.25]}]})";
  std::unique_ptr<http::Server> server_;
};

// A TCP server on 127.0.0.1 with a thread per connection. For the n-th
// request it receives (0-based, over all connections) it sends `respond(n)`;
// an empty answer closes the connection without responding. After an answer
// it closes the connection when `close_after(n)` says so. Requests must carry
// a Content-Length body or none.
class ScriptedServer {
 public:
  ScriptedServer(std::function<std::string(uint64_t)> respond, std::function<bool(uint64_t)> close_after)
      : respond_(std::move(respond)), close_after_(std::move(close_after)) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(listen_fd_, 128) != 0 ||
        ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0)
      return;
    port_ = ntohs(addr.sin_port);
    acceptor_ = std::thread([this] { AcceptLoop(); });
  }
  ~ScriptedServer() {
    stop_ = true;
    if (acceptor_.joinable()) acceptor_.join();
    for (auto& c : conns_) c.thread.join();
    if (listen_fd_ >= 0) ::close(listen_fd_);
  }
  uint16_t port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  uint64_t requests() const { return requests_; }
  uint64_t accepted() const { return accepted_; }

 private:
  void AcceptLoop() {
    while (!stop_) {
      pollfd p{listen_fd_, POLLIN, 0};
      if (::poll(&p, 1, 20) <= 0) continue;
      const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) continue;
      ++accepted_;
      // Join the connections that ended, so a close-per-request run does not pile up threads.
      for (size_t i = 0; i < conns_.size();) {
        if (conns_[i].done->load()) {
          conns_[i].thread.join();
          conns_[i] = std::move(conns_.back());
          conns_.pop_back();
        } else {
          ++i;
        }
      }
      auto done = std::make_shared<std::atomic<bool>>(false);
      conns_.push_back({std::thread([this, fd, done] {
                          Serve(fd);
                          *done = true;
                        }),
                        done});
    }
  }

  // Reads one request (headers + Content-Length body); false on EOF/stop.
  bool ReadRequest(int fd, std::string& pending) {
    for (;;) {
      const size_t end = pending.find("\r\n\r\n");
      if (end != std::string::npos) {
        size_t body = 0;
        const size_t cl = pending.find("Content-Length: ");
        if (cl != std::string::npos && cl < end) body = std::stoul(pending.substr(cl + 16));
        if (pending.size() >= end + 4 + body) {
          pending.erase(0, end + 4 + body);
          return true;
        }
      }
      pollfd p{fd, POLLIN, 0};
      if (stop_) return false;
      if (::poll(&p, 1, 20) <= 0) continue;
      char buf[4096];
      const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0) return false;
      pending.append(buf, static_cast<size_t>(n));
    }
  }

  void Serve(int fd) {
    std::string pending;
    while (ReadRequest(fd, pending)) {
      const uint64_t n = requests_++;
      const std::string answer = respond_(n);
      if (answer.empty()) break;
      size_t sent = 0;
      while (sent < answer.size()) {
        const ssize_t k = ::send(fd, answer.data() + sent, answer.size() - sent, MSG_NOSIGNAL);
        if (k <= 0) break;
        sent += static_cast<size_t>(k);
      }
      if (close_after_(n)) break;
    }
    ::close(fd);
  }

  std::function<std::string(uint64_t)> respond_;
  std::function<bool(uint64_t)> close_after_;
  int listen_fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> requests_{0}, accepted_{0};
  struct Conn {
    std::thread thread;
    std::shared_ptr<std::atomic<bool>> done;
  };
  std::thread acceptor_;
  std::vector<Conn> conns_;  // touched by the acceptor thread, then by the destructor after joining it
};

}  // namespace inferd::loadgen::testing
