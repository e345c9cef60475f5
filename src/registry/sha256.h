// SHA-256 of bytes and files (OpenSSL EVP), as lower-case hex.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "common/status.h"

namespace inferd::registry {

// Incremental hasher: Update() any number of times, then Finish() once.
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  void Update(const void* data, size_t size);
  // Lower-case hex digest (64 characters).
  std::string Finish();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

std::string Sha256Hex(std::string_view bytes);
// Hashes a whole file; `size_out` (optional) receives its length.
Result<std::string> Sha256File(const std::string& path, uint64_t* size_out = nullptr);

}  // namespace inferd::registry
