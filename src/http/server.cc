// The only file that includes Boost.Beast (it compiles slowly).
#include "http/server.h"

#include <unistd.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/optional.hpp>
#include <atomic>
#include <mutex>
#include <thread>
#include <vector>

namespace inferd::http {
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace {

// A Beast body that streams a byte range of an open file with pread.
struct FileRangeBody {
  using value_type = FileRange;
  static std::uint64_t size(const value_type& v) { return v.length; }

  class writer {
   public:
    using const_buffers_type = net::const_buffer;
    template <bool isRequest, class Fields>
    writer(const bhttp::header<isRequest, Fields>&, const value_type& v) : v_(v) {}
    void init(beast::error_code& ec) {
      pos_ = v_.offset;
      remain_ = v_.length;
      ec = {};
    }
    boost::optional<std::pair<const_buffers_type, bool>> get(beast::error_code& ec) {
      if (remain_ == 0) {
        ec = {};
        return boost::none;
      }
      const size_t want = static_cast<size_t>(std::min<uint64_t>(remain_, sizeof buf_));
      ssize_t n;
      do n = ::pread(v_.file->fd(), buf_, want, static_cast<off_t>(pos_));
      while (n < 0 && errno == EINTR);
      if (n <= 0) {
        ec = beast::errc::make_error_code(beast::errc::io_error);
        return boost::none;
      }
      pos_ += static_cast<uint64_t>(n);
      remain_ -= static_cast<uint64_t>(n);
      ec = {};
      return std::make_pair(net::const_buffer(buf_, static_cast<size_t>(n)), remain_ > 0);
    }

   private:
    const value_type& v_;
    uint64_t pos_ = 0;
    uint64_t remain_ = 0;
    char buf_[1 << 16];
  };
};

// State the sessions share with the server.
struct Shared {
  ServerOptions options;
  AsyncHandler handler;
  std::atomic<int64_t> in_flight{0};
  std::atomic<bool> draining{false};
  std::mutex mu;
  std::vector<std::weak_ptr<class Session>> sessions;  // pruned as they expire
  size_t registered = 0;
};

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket&& socket, Shared& shared) : stream_(std::move(socket)), shared_(shared) {}

  void Run() {
    beast::error_code ec;
    stream_.socket().set_option(tcp::no_delay(true), ec);
    // Once per connection, not per request (it is a system call).
    const auto remote = stream_.socket().remote_endpoint(ec);
    if (!ec) remote_address_ = remote.address().to_string();
    {
      std::lock_guard lock(shared_.mu);
      if (++shared_.registered % 64 == 0)
        std::erase_if(shared_.sessions, [](const std::weak_ptr<Session>& w) { return w.expired(); });
      shared_.sessions.push_back(weak_from_this());
    }
    net::dispatch(stream_.get_executor(), beast::bind_front_handler(&Session::Read, shared_from_this()));
  }

  // On the session's strand: closes the connection if it waits for a request.
  void CloseIfIdle() {
    net::post(stream_.get_executor(), [self = shared_from_this()] {
      if (!self->idle_) return;
      beast::error_code ec;
      self->stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
      self->stream_.socket().close(ec);
    });
  }

 private:
  void Read() {
    if (shared_.draining.load(std::memory_order_relaxed)) return Close();
    idle_ = true;
    parser_.emplace();
    parser_->body_limit(shared_.options.max_body_bytes);
    stream_.expires_after(std::chrono::seconds(shared_.options.idle_timeout_seconds));
    bhttp::async_read(stream_, buffer_, *parser_, beast::bind_front_handler(&Session::OnRead, shared_from_this()));
  }

  void OnRead(beast::error_code ec, std::size_t) {
    idle_ = false;
    if (ec == bhttp::error::end_of_stream || ec == beast::error::timeout || ec == net::error::operation_aborted) {
      return Close();
    }
    if (ec == bhttp::error::body_limit) {
      std::string message = "request body is larger than the server's cap of " +
                            std::to_string(shared_.options.max_body_bytes) + " bytes";
      if (!shared_.options.max_body_hint.empty()) message += "; " + shared_.options.max_body_hint;
      shared_.in_flight.fetch_add(1, std::memory_order_relaxed);
      return Send(Response::Error(413, message), false, false);
    }
    if (ec == bhttp::error::header_limit) {
      shared_.in_flight.fetch_add(1, std::memory_order_relaxed);
      return Send(Response::Error(431, "request headers are larger than the server's cap of 8 KiB"), false, false);
    }
    if (ec.category() == beast::error_code(bhttp::error::bad_method).category() && ec != bhttp::error::partial_message) {
      // Malformed HTTP: say what was wrong, then close (the stream cannot be resynchronised).
      shared_.in_flight.fetch_add(1, std::memory_order_relaxed);
      return Send(Response::Error(400, "malformed HTTP request: " + ec.message()), false, false);
    }
    if (ec) return Close();
    stream_.expires_never();
    shared_.in_flight.fetch_add(1, std::memory_order_relaxed);
    auto& msg = parser_->get();
    Request req;
    req.received = std::chrono::steady_clock::now();
    req.method = std::string(msg.method_string());
    req.target = std::string(msg.target());
    req.headers.reserve(8);
    for (const auto& field : msg)
      req.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    req.body = std::move(msg.body());
    req.remote_address = remote_address_;
    const bool keep_alive = msg.keep_alive();
    const bool head = msg.method() == bhttp::verb::head;
    if (!ParseTarget(req)) return Send(Response::Error(400, "malformed request target"), keep_alive, head);
    auto self = shared_from_this();
    // dispatch: a handler answering at once, on this strand, sends without
    // another trip through the I/O queue; from other threads it is a post.
    Responder responder([self, keep_alive, head](Response r) {
      net::dispatch(self->stream_.get_executor(), [self, r = std::move(r), keep_alive, head]() mutable {
        self->Send(std::move(r), keep_alive, head);
      });
    });
    try {
      shared_.handler(std::move(req), std::move(responder));
    } catch (const std::exception& e) {
      // The responder, if the handler had not passed it on, answered 500.
    }
  }

  template <class Body>
  void Fill(bhttp::response<Body>& out, const Response& res, bool keep_alive) {
    out.result(static_cast<unsigned>(res.status));
    out.version(11);
    out.set(bhttp::field::server, shared_.options.server_name);
    for (const auto& [k, v] : res.headers) out.set(k, v);
    out.keep_alive(keep_alive);
  }

  void Send(Response res, bool keep_alive, bool head) {
    if (shared_.draining.load(std::memory_order_relaxed)) keep_alive = false;
    stream_.expires_after(std::chrono::seconds(shared_.options.idle_timeout_seconds));
    const bool no_body = head || res.status == 304 || res.status == 204;
    if (res.file && !no_body) {
      auto out = std::make_shared<bhttp::response<FileRangeBody>>();
      Fill(*out, res, keep_alive);
      out->body() = *res.file;
      out->prepare_payload();
      bhttp::async_write(stream_, *out,
                         [self = shared_from_this(), out, keep_alive, on_written = std::move(res.on_written)](
                             beast::error_code ec, std::size_t) {
                           if (on_written) on_written(!ec);
                           self->OnWrite(ec, keep_alive);
                         });
      return;
    }
    auto out = std::make_shared<bhttp::response<bhttp::string_body>>();
    Fill(*out, res, keep_alive);
    const uint64_t length = res.file ? res.file->length : res.body.size();
    if (!no_body) {
      out->body() = std::move(res.body);
      out->prepare_payload();
    } else if (head) {
      out->content_length(length);  // what GET would send; no body follows
    }
    // Before the next read: a client's next request on this connection sees
    // whatever on_written did (a finished trace).
    bhttp::async_write(stream_, *out,
                       [self = shared_from_this(), out, keep_alive, on_written = std::move(res.on_written)](
                           beast::error_code ec, std::size_t) {
                         if (on_written) on_written(!ec);
                         self->OnWrite(ec, keep_alive);
                       });
  }

  void OnWrite(beast::error_code ec, bool keep_alive) {
    shared_.in_flight.fetch_sub(1, std::memory_order_relaxed);
    if (ec || !keep_alive) return Close();
    Read();
  }

  void Close() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  Shared& shared_;
  bool idle_ = false;  // waiting for a request (touched only on the strand)
  std::string remote_address_;
};

}  // namespace

struct Server::Impl {
  Shared shared;
  net::io_context ioc;
  // Keeps run() going while every session waits on an asynchronous handler.
  net::executor_work_guard<net::io_context::executor_type> work{ioc.get_executor()};
  tcp::acceptor acceptor{net::make_strand(ioc)};
  std::vector<std::thread> threads;
  uint16_t port = 0;
  bool stopped = false;

  void Accept() {
    acceptor.async_accept(net::make_strand(ioc), [this](beast::error_code ec, tcp::socket socket) {
      if (ec == net::error::operation_aborted) return;
      if (!ec && !shared.draining.load()) std::make_shared<Session>(std::move(socket), shared)->Run();
      if (acceptor.is_open()) Accept();
    });
  }
};

Responder& Responder::operator=(Responder&& other) noexcept {
  if (this != &other) {
    if (send_) send_(Response::Error(500, "internal error: request dropped without a response"));
    send_ = std::move(other.send_);
    other.send_ = nullptr;
  }
  return *this;
}

Responder::~Responder() {
  if (send_) send_(Response::Error(500, "internal error: request dropped without a response"));
}

void Responder::operator()(Response response) {
  if (!send_) return;
  auto send = std::move(send_);
  send_ = nullptr;
  send(std::move(response));
}

Server::Server(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Result<std::unique_ptr<Server>> Server::Start(const ServerOptions& options, Handler handler) {
  return StartAsync(options, [handler = std::move(handler)](Request&& request, Responder respond) {
    Response res;
    try {
      res = handler(request);
    } catch (const std::exception& e) {
      res = Response::Error(500, std::string("internal error: ") + e.what());
    }
    respond(std::move(res));
  });
}

Result<std::unique_ptr<Server>> Server::StartAsync(const ServerOptions& options, AsyncHandler handler) {
  auto impl = std::make_unique<Impl>();
  impl->shared.options = options;
  impl->shared.handler = std::move(handler);
  beast::error_code ec;
  const auto address = net::ip::make_address(options.address, ec);
  if (ec) return InvalidArgument("cannot listen on \"" + options.address + "\": not an IP address");
  const tcp::endpoint endpoint(address, options.port);
  auto& acc = impl->acceptor;
  acc.open(endpoint.protocol(), ec);
  if (!ec) acc.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) acc.bind(endpoint, ec);
  if (!ec) acc.listen(net::socket_base::max_listen_connections, ec);
  if (ec)
    return Unavailable("cannot listen on " + options.address + ":" + std::to_string(options.port) + ": " +
                       ec.message());
  impl->port = acc.local_endpoint().port();
  impl->Accept();
  const int n = std::max(1, options.threads);
  for (int i = 0; i < n; ++i) impl->threads.emplace_back([ioc = &impl->ioc] { ioc->run(); });
  return std::unique_ptr<Server>(new Server(std::move(impl)));
}

Server::~Server() { Stop(); }

uint16_t Server::port() const { return impl_->port; }
const std::string& Server::address() const { return impl_->shared.options.address; }
int64_t Server::in_flight() const { return impl_->shared.in_flight.load(); }

bool Server::Shutdown(std::chrono::milliseconds timeout) {
  if (!impl_ || impl_->stopped) return true;
  impl_->shared.draining = true;
  net::post(impl_->acceptor.get_executor(), [impl = impl_.get()] {
    beast::error_code ec;
    impl->acceptor.close(ec);
  });
  std::vector<std::shared_ptr<Session>> live;
  {
    std::lock_guard lock(impl_->shared.mu);
    for (auto& w : impl_->shared.sessions)
      if (auto s = w.lock()) live.push_back(std::move(s));
  }
  for (auto& s : live) s->CloseIfIdle();
  live.clear();
  const auto until = std::chrono::steady_clock::now() + timeout;
  bool drained = false;
  while (!(drained = impl_->shared.in_flight.load() == 0) && std::chrono::steady_clock::now() < until)
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  Stop();
  return drained;
}

void Server::Stop() {
  if (!impl_ || impl_->stopped) return;
  impl_->stopped = true;
  impl_->shared.draining = true;
  net::post(impl_->acceptor.get_executor(), [impl = impl_.get()] {
    beast::error_code ec;
    impl->acceptor.close(ec);
  });
  impl_->work.reset();
  impl_->ioc.stop();
  for (auto& t : impl_->threads)
    if (t.joinable()) t.join();
  // The posted close may not have run before stop(): close here, no thread runs now.
  beast::error_code ec;
  impl_->acceptor.close(ec);
}

}  // namespace inferd::http
