// The peer of the serving overhead benchmark (bench/serving/run.sh): the
// same HTTP stack as `inferd serve` (src/http/server.h, asynchronous handler,
// same I/O threads) minus inferd's work. Every POST is answered with a fixed
// body, normally a real response of inferd to the same request, so the bytes
// on the wire match; every GET with the metadata body, so `inferd bench` can
// run against it too.
//
//   inferd_serving_echo --body-file F [--content-type T] [--header NAME=VALUE]...
//                       [--metadata-file F] [--http-port P] [--http-threads N]
//                       [--port-file F]
// Runs until SIGINT or SIGTERM.
#include <pthread.h>
#include <signal.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "http/server.h"

using namespace inferd;

namespace {

bool ReadFile(const std::string& path, std::string& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream ss;
  ss << in.rdbuf();
  out = ss.str();
  return true;
}

int Usage(const std::string& why) {
  std::fprintf(stderr,
               "inferd_serving_echo: %s\nusage: inferd_serving_echo --body-file F [--content-type T] "
               "[--header NAME=VALUE]... [--metadata-file F] [--http-port P] [--http-threads N] [--port-file F]\n",
               why.c_str());
  return 2;
}

bool ParseInt(const std::string& text, int lo, int hi, int& out) {
  char* end = nullptr;
  const long v = std::strtol(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || v < lo || v > hi) return false;
  out = static_cast<int>(v);
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  std::string body_file, metadata_file, port_file, content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;
  int port = 0, threads = 2;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (i + 1 >= argc) return Usage(flag + " needs a value");
    const std::string value = argv[++i];
    if (flag == "--body-file") {
      body_file = value;
    } else if (flag == "--metadata-file") {
      metadata_file = value;
    } else if (flag == "--port-file") {
      port_file = value;
    } else if (flag == "--content-type") {
      content_type = value;
    } else if (flag == "--header") {
      const size_t eq = value.find('=');
      if (eq == std::string::npos || eq == 0) return Usage("--header: expected NAME=VALUE, got \"" + value + "\"");
      headers.emplace_back(value.substr(0, eq), value.substr(eq + 1));
    } else if (flag == "--http-port") {
      if (!ParseInt(value, 0, 65535, port)) return Usage("--http-port: expected 0..65535, got \"" + value + "\"");
    } else if (flag == "--http-threads") {
      if (!ParseInt(value, 1, 64, threads)) return Usage("--http-threads: expected 1..64, got \"" + value + "\"");
    } else {
      return Usage("unknown option \"" + flag + "\"");
    }
  }
  if (body_file.empty()) return Usage("--body-file is required");
  std::string body, metadata = "{}";
  if (!ReadFile(body_file, body)) return Usage("cannot read \"" + body_file + "\"");
  if (!metadata_file.empty() && !ReadFile(metadata_file, metadata))
    return Usage("cannot read \"" + metadata_file + "\"");

  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);

  http::ServerOptions so;
  so.port = static_cast<uint16_t>(port);
  so.threads = threads;
  // Answers on the I/O thread through the Responder, as inferd does when a
  // request runs inline (no batching).
  auto server = http::Server::StartAsync(so, [&](http::Request&& req, http::Responder respond) {
    http::Response res;
    res.status = 200;
    if (req.method == "POST") {
      res.body = body;
      res.SetHeader("Content-Type", content_type);
      for (const auto& [k, v] : headers) res.SetHeader(k, v);
    } else {
      res.body = metadata;
      res.SetHeader("Content-Type", "application/json");
    }
    respond(std::move(res));
  });
  if (!server.ok()) {
    std::fprintf(stderr, "inferd_serving_echo: %s\n", server.status().ToString().c_str());
    return 1;
  }
  if (!port_file.empty()) {
    {
      std::ofstream pf(port_file + ".tmp");
      pf << (*server)->port() << "\n";
    }
    std::rename((port_file + ".tmp").c_str(), port_file.c_str());
  }
  std::cout << "echo on http://127.0.0.1:" << (*server)->port() << " (" << body.size() << "-byte body, " << threads
            << " threads)" << std::endl;
  int sig = 0;
  sigwait(&set, &sig);
  (*server)->Shutdown(std::chrono::milliseconds(2000));
  return 0;
}
