#include "registry/http_api.h"

#include "http/file_response.h"

namespace inferd::registry {
namespace {

http::Response JsonOk(const nlohmann::json& j, int status = 200) {
  return http::Response::Json(status, j.dump(2) + "\n");
}

nlohmann::json Manifest(const VersionRecord& v) {
  nlohmann::json j = ToJson(v);
  j["artifact"] = "/v1/models/" + http::PercentEncode(v.model) + "/versions/" + std::to_string(v.number) + "/artifact";
  return j;
}

http::Response MethodNotAllowed(const char* allow) {
  http::Response r = http::Response::Error(405, std::string("method not allowed; use ") + allow);
  r.SetHeader("Allow", allow);
  return r;
}

}  // namespace

http::Response RegistryHttpApi::Handle(const http::Request& request) {
  http::Response r = Route(request);
  return r;
}

http::Response RegistryHttpApi::Route(const http::Request& req) {
  const auto seg = req.Segments();
  const bool get = req.method == "GET" || req.method == "HEAD";
  if (seg.size() < 2 || seg[0] != "v1")
    return http::ErrorResponse(NotFound("no such endpoint \"" + req.path + "\"; try /v1/models"));
  std::unique_lock<std::mutex> lock(mu_);
  registry_->SetActor("http:" + req.remote_address, req.method + " " + req.target);

  if (seg[1] == "audit" && seg.size() == 2) {
    if (!get) return MethodNotAllowed("GET");
    const auto m = req.query.find("model");
    int64_t limit = 0;
    if (auto l = req.query.find("limit"); l != req.query.end()) limit = std::atoll(l->second.c_str());
    auto log = registry_->Log(m == req.query.end() ? "" : m->second, limit);
    if (!log.ok()) return http::ErrorResponse(log.status());
    nlohmann::json j = nlohmann::json::array();
    for (const auto& e : *log) j.push_back(ToJson(e));
    return JsonOk({{"entries", j}});
  }
  if (seg[1] != "models") return http::ErrorResponse(NotFound("no such endpoint \"" + req.path + "\""));

  if (seg.size() == 2) {
    if (!get) return MethodNotAllowed("GET");
    auto models = registry_->List();
    if (!models.ok()) return http::ErrorResponse(models.status());
    nlohmann::json j = nlohmann::json::array();
    for (const auto& m : *models) j.push_back(ToJson(m));
    return JsonOk({{"models", j}});
  }
  const std::string& name = seg[2];
  if (seg.size() == 3 || (seg.size() == 4 && seg[3] == "versions")) {
    if (!get) return MethodNotAllowed("GET");
    auto versions = registry_->Versions(name);
    if (!versions.ok()) return http::ErrorResponse(versions.status());
    nlohmann::json j = nlohmann::json::array();
    for (const auto& v : *versions) j.push_back(Manifest(v));
    return JsonOk({{"name", name}, {"versions", j}});
  }
  if (seg.size() >= 5 && seg[3] == "versions") {
    auto number = ParseVersionNumber(seg[4]);
    if (!number.ok()) return http::ErrorResponse(number.status());
    ModelRef ref;
    ref.name = name;
    ref.version = *number;
    if (Status s = ValidateModelName(name); !s.ok()) return http::ErrorResponse(s);
    auto v = registry_->Show(ref);
    if (!v.ok()) return http::ErrorResponse(v.status());
    if (seg.size() == 5) {
      if (!get) return MethodNotAllowed("GET");
      return JsonOk(Manifest(*v));
    }
    if (seg.size() == 6 && seg[5] == "artifact") {
      if (!get) return MethodNotAllowed("GET, HEAD");
      if (Status s = registry_->Verify(*v); !s.ok()) return http::ErrorResponse(s);
      auto file = http::OpenFile::Open(v->path);
      if (!file) return http::ErrorResponse(DataLoss("artifact \"" + v->path + "\" cannot be opened"));
      lock.unlock();
      http::Response r = http::ServeFile(req, std::move(file), v->sha256, "application/octet-stream");
      r.SetHeader("Cache-Control", "public, max-age=31536000, immutable");
      r.SetHeader("Content-Disposition",
                  "attachment; filename=\"" + http::PercentEncode(name) + "-v" + std::to_string(v->number) + ".onnx\"");
      return r;
    }
  }
  if (seg.size() == 5 && seg[3] == "aliases") {
    const std::string& alias = seg[4];
    if (get) {
      auto n = registry_->ResolveAlias(name, alias);
      if (!n.ok()) return http::ErrorResponse(n.status());
      ModelRef ref;
      ref.name = name;
      ref.version = *n;
      auto v = registry_->Show(ref);
      if (!v.ok()) return http::ErrorResponse(v.status());
      return JsonOk(Manifest(*v));
    }
    if (req.method == "PUT" || req.method == "POST") {
      const auto body = nlohmann::json::parse(req.body, nullptr, false);
      if (!body.is_object() || !body.contains("version") || !body["version"].is_number_integer())
        return http::ErrorResponse(InvalidArgument("body must be JSON {\"version\": N} with N a version number"));
      const int64_t version = body["version"].get<int64_t>();
      auto previous = registry_->ResolveAlias(name, alias);
      if (Status s = registry_->SetAlias(name, alias, version); !s.ok()) return http::ErrorResponse(s);
      return JsonOk({{"model", name},
                     {"alias", alias},
                     {"version", version},
                     {"previous", previous.ok() ? nlohmann::json(*previous) : nlohmann::json(nullptr)}});
    }
    if (req.method == "DELETE") {
      if (Status s = registry_->RemoveAlias(name, alias); !s.ok()) return http::ErrorResponse(s);
      http::Response r;
      r.status = 204;
      return r;
    }
    return MethodNotAllowed("GET, PUT, POST, DELETE");
  }
  return http::ErrorResponse(NotFound("no such endpoint \"" + req.path + "\""));
}

}  // namespace inferd::registry
