// The HTTP server over real loopback sockets: asynchronous responses from
// other threads, a dropped responder answering 500, the 413 message naming
// the cap and the hint, and graceful shutdown letting an in-flight request
// finish while idle connections are closed.
#include "http/server.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <future>
#include <thread>

namespace inferd::http {
namespace {

// A blocking HTTP/1.1 client on one connection (enough for tests).
class Client {
 public:
  explicit Client(uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  }
  ~Client() { ::close(fd_); }
  bool connected() const { return connected_; }

  bool SendRaw(const std::string& bytes) {
    return ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(bytes.size());
  }

  bool Send(const std::string& method, const std::string& path, const std::string& body = "") {
    std::string req = method + " " + path + " HTTP/1.1\r\nHost: x\r\nContent-Length: " + std::to_string(body.size()) +
                      "\r\n\r\n" + body;
    return ::send(fd_, req.data(), req.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(req.size());
  }

  // Reads one response; status 0 when the connection closed first.
  struct Reply {
    int status = 0;
    std::string head;
    std::string body;
  };
  Reply Read() {
    Reply r;
    while (true) {
      const size_t end = buf_.find("\r\n\r\n");
      if (end != std::string::npos) {
        r.head = buf_.substr(0, end);
        size_t length = 0;
        const size_t cl = r.head.find("Content-Length: ");
        if (cl != std::string::npos) length = std::stoul(r.head.substr(cl + 16));
        while (buf_.size() < end + 4 + length)
          if (!Fill()) return {};
        r.body = buf_.substr(end + 4, length);
        buf_.erase(0, end + 4 + length);
        r.status = std::stoi(r.head.substr(9, 3));
        return r;
      }
      if (!Fill()) return r;
    }
  }
  // True when the server closed the connection (read returns 0).
  bool ClosedByPeer() {
    char c;
    return ::recv(fd_, &c, 1, 0) == 0;
  }

 private:
  bool Fill() {
    char tmp[4096];
    const ssize_t n = ::recv(fd_, tmp, sizeof tmp, 0);
    if (n <= 0) return false;
    buf_.append(tmp, static_cast<size_t>(n));
    return true;
  }
  int fd_ = -1;
  bool connected_ = false;
  std::string buf_;
};

TEST(HttpServer, AnswersFromAnotherThreadLater) {
  std::vector<std::thread> workers;
  std::mutex mu;
  auto server = Server::StartAsync({}, [&](Request&& req, Responder respond) {
    std::lock_guard lock(mu);
    workers.emplace_back([path = req.path, respond = std::move(respond)]() mutable {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      respond(Response::Json(200, "{\"path\":\"" + path + "\"}"));
    });
  });
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  Client c((*server)->port());
  ASSERT_TRUE(c.connected());
  for (int i = 0; i < 3; ++i) {  // keep-alive: several on one connection
    ASSERT_TRUE(c.Send("GET", "/a/" + std::to_string(i)));
    auto r = c.Read();
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body, "{\"path\":\"/a/" + std::to_string(i) + "\"}");
  }
  (*server)->Stop();
  for (auto& t : workers) t.join();
}

// A handler answering at once, on the I/O thread (the response is sent
// without another trip through the queue), several times on one connection;
// every request carries the peer's address.
TEST(HttpServer, AnswersInlineOnKeepAliveWithRemoteAddress) {
  auto server = Server::StartAsync(
      {}, [](Request&& req, Responder respond) { respond(Response::Text(200, req.remote_address + " " + req.body)); });
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  Client c((*server)->port());
  ASSERT_TRUE(c.connected());
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(c.Send("POST", "/x", std::to_string(i)));
    auto r = c.Read();
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body, "127.0.0.1 " + std::to_string(i));
  }
  for (int i = 0; i < 500 && (*server)->in_flight() != 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  EXPECT_EQ((*server)->in_flight(), 0);
}

// on_written runs once the response is on the socket, before the next
// request on the same connection is read (a trace finished by it is visible
// to the client's next request).
TEST(HttpServer, OnWrittenRunsBeforeTheNextRequestIsRead) {
  std::atomic<int> written{0};
  auto server = Server::StartAsync({}, [&](Request&& req, Responder respond) {
    if (req.path == "/count") return respond(Response::Text(200, std::to_string(written.load())));
    Response r = Response::Text(200, std::string(1000, 'x'));
    r.on_written = [&](bool ok) {
      if (ok) written.fetch_add(1);
    };
    respond(std::move(r));
  });
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  Client c((*server)->port());
  ASSERT_TRUE(c.connected());
  for (int i = 1; i <= 3; ++i) {
    ASSERT_TRUE(c.Send("GET", "/x"));
    EXPECT_EQ(c.Read().body.size(), 1000u);
    ASSERT_TRUE(c.Send("GET", "/count"));
    EXPECT_EQ(c.Read().body, std::to_string(i));
  }
}

TEST(HttpServer, DroppedResponderAnswers500) {
  auto server = Server::StartAsync({}, [](Request&&, Responder respond) { Responder dropped = std::move(respond); });
  ASSERT_TRUE(server.ok());
  Client c((*server)->port());
  ASSERT_TRUE(c.Send("GET", "/x"));
  auto r = c.Read();
  EXPECT_EQ(r.status, 500);
  EXPECT_NE(r.body.find("dropped without a response"), std::string::npos) << r.body;
}

TEST(HttpServer, BodyOverTheCapNamesCapAndHint) {
  ServerOptions options;
  options.max_body_bytes = 100;
  options.max_body_hint = "start the server with --max-request-bytes to raise it";
  auto server = Server::Start(options, [](const Request&) { return Response::Text(200, "ok"); });
  ASSERT_TRUE(server.ok());
  Client c((*server)->port());
  ASSERT_TRUE(c.Send("POST", "/x", std::string(1000, 'a')));
  auto r = c.Read();
  EXPECT_EQ(r.status, 413);
  EXPECT_NE(r.body.find("cap of 100 bytes"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("--max-request-bytes"), std::string::npos) << r.body;
}

TEST(HttpServer, MalformedRequestsGetAnErrorNotASilentClose) {
  auto server = Server::Start({}, [](const Request&) { return Response::Text(200, "ok"); });
  ASSERT_TRUE(server.ok());
  {
    Client c((*server)->port());
    ASSERT_TRUE(c.SendRaw("GET /x HTTP/1.1\r\nHost x\r\n\r\n"));  // header line without a colon
    auto r = c.Read();
    EXPECT_EQ(r.status, 400);
    EXPECT_NE(r.body.find("malformed HTTP request"), std::string::npos) << r.body;
    EXPECT_TRUE(c.ClosedByPeer());
  }
  {
    Client c((*server)->port());
    ASSERT_TRUE(c.SendRaw("GET /x HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(20000, 'a') + "\r\n\r\n"));
    EXPECT_EQ(c.Read().status, 431);
  }
  {
    Client c((*server)->port());  // the server keeps answering well-formed requests
    ASSERT_TRUE(c.Send("GET", "/x"));
    EXPECT_EQ(c.Read().status, 200);
  }
}

TEST(HttpServer, ShutdownFinishesInFlightAndClosesIdle) {
  std::promise<void> arrived;
  std::thread worker;
  auto server = Server::StartAsync({}, [&](Request&& req, Responder respond) {
    if (req.path == "/fast") return respond(Response::Text(200, "fast"));
    worker = std::thread([respond = std::move(respond)]() mutable {
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
      respond(Response::Text(200, "slow done"));
    });
    arrived.set_value();
  });
  ASSERT_TRUE(server.ok());
  const uint16_t port = (*server)->port();
  Client idle(port);
  ASSERT_TRUE(idle.Send("GET", "/fast"));
  EXPECT_EQ(idle.Read().status, 200);  // now idle on a keep-alive connection
  Client busy(port);
  ASSERT_TRUE(busy.Send("GET", "/slow"));
  arrived.get_future().wait();
  // The fast request counts until its write completes, which may trail the client's read.
  for (int i = 0; i < 500 && (*server)->in_flight() != 1; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  EXPECT_EQ((*server)->in_flight(), 1);
  auto shutdown = std::async(std::launch::async, [&] { return (*server)->Shutdown(std::chrono::seconds(5)); });
  auto r = busy.Read();
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "slow done");
  EXPECT_NE(r.head.find("Connection: close"), std::string::npos) << r.head;
  EXPECT_TRUE(shutdown.get());
  EXPECT_TRUE(idle.ClosedByPeer());
  Client late(port);
  EXPECT_FALSE(late.connected() && late.Send("GET", "/fast") && late.Read().status == 200);
  worker.join();
}

}  // namespace
}  // namespace inferd::http
