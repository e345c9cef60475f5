// The registry's HTTP API over real loopback HTTP, driven with curl:
// listing, manifests, artifact download with ETag / If-None-Match (304),
// Range (206 with the right bytes, suffix ranges, 416), HEAD, 404s, and
// moving aliases with PUT (audited with the client's address).
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <map>

#include "http/server.h"
#include "registry/http_api.h"
#include "registry/sample_model.h"
#include "registry_test_util.h"

namespace inferd::registry::test {
namespace {

struct CurlResult {
  int status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
};

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

class RegistryHttp : public ::testing::Test {
 protected:
  void SetUp() override {
    model_ = tmp_.path() + "/m.onnx";
    ASSERT_TRUE(WriteSampleModel(model_, 250000, 3).ok());  // ~1 MB
    RegistryOptions options;
    options.root = tmp_.path() + "/reg";
    auto reg = Registry::Open(options);
    ASSERT_TRUE(reg.ok());
    PushRequest req;
    req.name = "net";
    req.file = model_;
    req.aliases = {"production"};
    auto v1 = (*reg)->Push(req);
    ASSERT_TRUE(v1.ok()) << v1.status().ToString();
    sha_ = v1->sha256;
    req.aliases.clear();
    req.serving_config = "max_batch_size: 8\n";
    ASSERT_TRUE((*reg)->Push(req).ok());
    api_ = std::make_unique<RegistryHttpApi>(std::move(*reg));
    auto server = http::Server::Start(http::ServerOptions{}, api_->AsHandler());
    ASSERT_TRUE(server.ok()) << server.status().ToString();
    server_ = std::move(*server);
    base_ = "http://127.0.0.1:" + std::to_string(server_->port());
  }

  CurlResult Curl(const std::string& args, const std::string& path) {
    const std::string body = tmp_.path() + "/body", head = tmp_.path() + "/head";
    std::remove(body.c_str());
    const std::string cmd =
        "curl -s -o " + body + " -D " + head + " -w '%{http_code}' " + args + " '" + base_ + path + "'";
    CurlResult r;
    FILE* p = ::popen(cmd.c_str(), "r");
    if (!p) return r;
    char buf[16] = {};
    if (std::fgets(buf, sizeof buf, p)) r.status = std::atoi(buf);
    ::pclose(p);
    r.body = ReadFile(body);
    std::ifstream hs(head);
    std::string line;
    while (std::getline(hs, line)) {
      const size_t colon = line.find(':');
      if (colon == std::string::npos) continue;
      std::string name = line.substr(0, colon), value = line.substr(colon + 1);
      for (auto& c : name) c = static_cast<char>(std::tolower(c));
      while (!value.empty() && (value.front() == ' ')) value.erase(0, 1);
      while (!value.empty() && (value.back() == '\r' || value.back() == ' ')) value.pop_back();
      r.headers[name] = value;
    }
    return r;
  }

  TempDir tmp_;
  std::string model_, sha_, base_;
  std::unique_ptr<RegistryHttpApi> api_;
  std::unique_ptr<http::Server> server_;
};

TEST_F(RegistryHttp, ListsModelsAndManifests) {
  auto r = Curl("", "/v1/models");
  ASSERT_EQ(r.status, 200) << r.body;
  auto j = nlohmann::json::parse(r.body);
  ASSERT_EQ(j["models"].size(), 1u);
  EXPECT_EQ(j["models"][0]["name"], "net");
  EXPECT_EQ(j["models"][0]["latest"], 2);
  EXPECT_EQ(j["models"][0]["aliases"]["production"], 1);
  r = Curl("", "/v1/models/net/versions/1");
  ASSERT_EQ(r.status, 200);
  j = nlohmann::json::parse(r.body);
  EXPECT_EQ(j["sha256"], sha_);
  EXPECT_EQ(j["signature"]["inputs"][0]["name"], "X");
  EXPECT_EQ(j["artifact"], "/v1/models/net/versions/1/artifact");
  EXPECT_TRUE(j["serving_config"].is_null());
  r = Curl("", "/v1/models/net/versions/2");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(nlohmann::json::parse(r.body)["serving_config"], "max_batch_size: 8\n");
  r = Curl("", "/v1/models/net");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(nlohmann::json::parse(r.body)["versions"].size(), 2u);
  r = Curl("", "/v1/models/net/aliases/production");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(nlohmann::json::parse(r.body)["version"], 1);
}

TEST_F(RegistryHttp, ArtifactWithEtagAndRanges) {
  const std::string bytes = ReadFile(model_);
  const std::string etag = "\"" + sha_ + "\"";
  auto r = Curl("", "/v1/models/net/versions/1/artifact");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.body, bytes);
  EXPECT_EQ(r.headers["etag"], etag);
  EXPECT_EQ(r.headers["accept-ranges"], "bytes");
  EXPECT_EQ(r.headers["content-length"], std::to_string(bytes.size()));

  r = Curl("-H 'If-None-Match: " + etag + "'", "/v1/models/net/versions/1/artifact");
  EXPECT_EQ(r.status, 304);
  EXPECT_TRUE(r.body.empty());
  EXPECT_EQ(r.headers["etag"], etag);
  r = Curl("-H 'If-None-Match: \"something-else\"'", "/v1/models/net/versions/1/artifact");
  EXPECT_EQ(r.status, 200);

  r = Curl("-H 'Range: bytes=100-199'", "/v1/models/net/versions/1/artifact");
  ASSERT_EQ(r.status, 206);
  EXPECT_EQ(r.body, bytes.substr(100, 100));
  EXPECT_EQ(r.headers["content-range"], "bytes 100-199/" + std::to_string(bytes.size()));
  r = Curl("-H 'Range: bytes=-10'", "/v1/models/net/versions/1/artifact");
  ASSERT_EQ(r.status, 206);
  EXPECT_EQ(r.body, bytes.substr(bytes.size() - 10));
  r = Curl("-H 'Range: bytes=500000-'", "/v1/models/net/versions/1/artifact");
  ASSERT_EQ(r.status, 206);
  EXPECT_EQ(r.body, bytes.substr(500000));
  r = Curl("-H 'Range: bytes=" + std::to_string(bytes.size()) + "-'", "/v1/models/net/versions/1/artifact");
  EXPECT_EQ(r.status, 416);
  EXPECT_EQ(r.headers["content-range"], "bytes */" + std::to_string(bytes.size()));

  r = Curl("-I", "/v1/models/net/versions/1/artifact");  // HEAD (curl writes the headers to -o too)
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.headers["content-length"], std::to_string(bytes.size()));
  EXPECT_EQ(r.headers["etag"], etag);
}

TEST_F(RegistryHttp, UnknownThingsAre404) {
  for (const char* path : {"/v1/models/nope", "/v1/models/net/versions/9", "/v1/models/net/versions/9/artifact",
                           "/v1/models/net/aliases/staging", "/v2/whatever", "/v1/models/net/elsewhere"}) {
    auto r = Curl("", path);
    EXPECT_EQ(r.status, 404) << path << ": " << r.body;
    EXPECT_NE(r.body.find("\"error\""), std::string::npos) << path;
  }
  EXPECT_EQ(Curl("", "/v1/models/net/versions/v1").status, 400);
  EXPECT_EQ(Curl("", "/v1/models/..%2Fetc/versions/1").status, 400);
  EXPECT_EQ(Curl("-X DELETE", "/v1/models").status, 405);
}

TEST_F(RegistryHttp, MovesAliases) {
  auto r = Curl("-X PUT -d '{\"version\": 2}'", "/v1/models/net/aliases/production");
  ASSERT_EQ(r.status, 200) << r.body;
  auto j = nlohmann::json::parse(r.body);
  EXPECT_EQ(j["version"], 2);
  EXPECT_EQ(j["previous"], 1);
  EXPECT_EQ(nlohmann::json::parse(Curl("", "/v1/models/net/aliases/production").body)["version"], 2);
  r = Curl("-X POST -d '{\"version\": 1}'", "/v1/models/net/aliases/staging");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(Curl("-X PUT -d '{\"version\": 7}'", "/v1/models/net/aliases/production").status, 404);
  EXPECT_EQ(Curl("-X PUT -d 'nonsense'", "/v1/models/net/aliases/production").status, 400);
  EXPECT_EQ(Curl("-X PUT -d '{\"version\": 1}'", "/v1/models/net/aliases/9bad").status, 400);
  EXPECT_EQ(Curl("-X DELETE", "/v1/models/net/aliases/staging").status, 204);
  EXPECT_EQ(Curl("", "/v1/models/net/aliases/staging").status, 404);
  r = Curl("", "/v1/audit?model=net");
  ASSERT_EQ(r.status, 200);
  j = nlohmann::json::parse(r.body);
  bool found = false;
  for (const auto& e : j["entries"])
    if (e["action"] == "alias.set" && e["user"] == "http:127.0.0.1" && e["detail"]["to"] == 2) found = true;
  EXPECT_TRUE(found) << r.body;
}

}  // namespace
}  // namespace inferd::registry::test
