// The only file that includes Boost.Beast (it compiles slowly).
#include "http/server.h"

#include <unistd.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/optional.hpp>
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

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket&& socket, const ServerOptions& options, const Handler& handler)
      : stream_(std::move(socket)), options_(options), handler_(handler) {}

  void Run() {
    beast::error_code ec;
    stream_.socket().set_option(tcp::no_delay(true), ec);
    net::dispatch(stream_.get_executor(), beast::bind_front_handler(&Session::Read, shared_from_this()));
  }

 private:
  void Read() {
    parser_.emplace();
    parser_->body_limit(options_.max_body_bytes);
    stream_.expires_after(std::chrono::seconds(options_.idle_timeout_seconds));
    bhttp::async_read(stream_, buffer_, *parser_, beast::bind_front_handler(&Session::OnRead, shared_from_this()));
  }

  void OnRead(beast::error_code ec, std::size_t) {
    if (ec == bhttp::error::end_of_stream || ec == beast::error::timeout || ec == net::error::operation_aborted) {
      return Close();
    }
    if (ec == bhttp::error::body_limit) {
      Response r =
          Response::Error(413, "request body is larger than " + std::to_string(options_.max_body_bytes) + " bytes");
      return Send(std::move(r), false, false);
    }
    if (ec) return Close();
    auto& msg = parser_->get();
    Request req;
    req.method = std::string(msg.method_string());
    req.target = std::string(msg.target());
    for (const auto& field : msg)
      req.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    req.body = std::move(msg.body());
    beast::error_code rec;
    const auto remote = stream_.socket().remote_endpoint(rec);
    if (!rec) req.remote_address = remote.address().to_string();
    const bool keep_alive = msg.keep_alive();
    const bool head = msg.method() == bhttp::verb::head;
    Response res;
    if (!ParseTarget(req)) {
      res = Response::Error(400, "malformed request target");
    } else {
      try {
        res = handler_(req);
      } catch (const std::exception& e) {
        res = Response::Error(500, std::string("internal error: ") + e.what());
      }
    }
    Send(std::move(res), keep_alive, head);
  }

  template <class Body>
  void Fill(bhttp::response<Body>& out, const Response& res, bool keep_alive) {
    out.result(static_cast<unsigned>(res.status));
    out.version(11);
    out.set(bhttp::field::server, options_.server_name);
    for (const auto& [k, v] : res.headers) out.set(k, v);
    out.keep_alive(keep_alive);
  }

  void Send(Response res, bool keep_alive, bool head) {
    const bool no_body = head || res.status == 304 || res.status == 204;
    if (res.file && !no_body) {
      auto out = std::make_shared<bhttp::response<FileRangeBody>>();
      Fill(*out, res, keep_alive);
      out->body() = *res.file;
      out->prepare_payload();
      bhttp::async_write(stream_, *out,
                         [self = shared_from_this(), out, keep_alive](beast::error_code ec, std::size_t) {
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
    bhttp::async_write(stream_, *out, [self = shared_from_this(), out, keep_alive](beast::error_code ec, std::size_t) {
      self->OnWrite(ec, keep_alive);
    });
  }

  void OnWrite(beast::error_code ec, bool keep_alive) {
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
  const ServerOptions& options_;
  const Handler& handler_;
};

}  // namespace

struct Server::Impl {
  ServerOptions options;
  Handler handler;
  net::io_context ioc;
  tcp::acceptor acceptor{net::make_strand(ioc)};
  std::vector<std::thread> threads;
  uint16_t port = 0;
  bool stopped = false;

  void Accept() {
    acceptor.async_accept(net::make_strand(ioc), [this](beast::error_code ec, tcp::socket socket) {
      if (ec == net::error::operation_aborted) return;
      if (!ec) std::make_shared<Session>(std::move(socket), options, handler)->Run();
      if (acceptor.is_open()) Accept();
    });
  }
};

Server::Server(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Result<std::unique_ptr<Server>> Server::Start(const ServerOptions& options, Handler handler) {
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  impl->handler = std::move(handler);
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
const std::string& Server::address() const { return impl_->options.address; }

void Server::Stop() {
  if (!impl_ || impl_->stopped) return;
  impl_->stopped = true;
  net::post(impl_->acceptor.get_executor(), [impl = impl_.get()] {
    beast::error_code ec;
    impl->acceptor.close(ec);
  });
  impl_->ioc.stop();
  for (auto& t : impl_->threads)
    if (t.joinable()) t.join();
}

}  // namespace inferd::http
