// RegistryHttpApi: the registry over HTTP (JSON), for replicas and tools.
//
//   GET    /v1/models                                   models with aliases
//   GET    /v1/models/NAME                              one model and its versions
//   GET    /v1/models/NAME/versions/N                   a version's manifest
//   GET    /v1/models/NAME/aliases/ALIAS                the manifest the alias points at
//   GET    /v1/models/NAME/versions/N/artifact          the ONNX file: ETag = sha256,
//   HEAD   (same)                                       If-None-Match (304), Range (206/416)
//   PUT    /v1/models/NAME/aliases/ALIAS  {"version":N} move an alias (POST too)
//   DELETE /v1/models/NAME/aliases/ALIAS                remove an alias
//   GET    /v1/audit[?model=NAME&limit=K]               the audit trail
//
// Thread-safe: calls into the Registry are serialized by a mutex (they are
// short catalog queries); artifact bytes stream outside it.
#pragma once

#include <memory>
#include <mutex>
#include <string>

#include "http/message.h"
#include "registry/registry.h"

namespace inferd::registry {

class RegistryHttpApi {
 public:
  explicit RegistryHttpApi(std::unique_ptr<Registry> registry) : registry_(std::move(registry)) {}
  http::Response Handle(const http::Request& request);
  http::Handler AsHandler() {
    return [this](const http::Request& r) { return Handle(r); };
  }

 private:
  http::Response Route(const http::Request& request);
  std::mutex mu_;
  std::unique_ptr<Registry> registry_;
};

}  // namespace inferd::registry
