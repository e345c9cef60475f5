// ArtifactStore: the registry's files under its root folder.
//
//   ROOT/catalog.db                    the catalog (SQLite, WAL)
//   ROOT/models/NAME/N/model.onnx      published version N of NAME (immutable)
//   ROOT/orphans/NAME/N-TIME/          folders found without a catalog row
//   ROOT/.tmp-PID-NONCE/               a push or removal in progress
//
// Publishing is copy -> fsync file -> fsync folder -> rename into place ->
// fsync parent, so a version folder either holds a complete, durable file or
// does not exist. A temporary folder is flock()ed by its writer for its whole
// life; recovery deletes only temporaries whose lock is free and whose
// writer process is gone, so concurrent pushers never delete each other's work.
// Thread-compatible: one ArtifactStore per Registry.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "common/status.h"

namespace inferd::registry {

inline constexpr const char* kArtifactFileName = "model.onnx";

// A copy of a model file in a locked temporary folder, hashed and fsynced.
// Deleting it removes the folder unless it was published.
class StagedArtifact {
 public:
  ~StagedArtifact();
  StagedArtifact(const StagedArtifact&) = delete;
  StagedArtifact& operator=(const StagedArtifact&) = delete;

  const std::string& dir() const { return dir_; }
  std::string file() const { return dir_ + "/" + kArtifactFileName; }
  const std::string& sha256() const { return sha256_; }
  int64_t size() const { return size_; }

 private:
  friend class ArtifactStore;
  StagedArtifact() = default;
  std::string dir_;
  int lock_fd_ = -1;
  bool published_ = false;
  std::string sha256_;
  int64_t size_ = 0;
};

struct FileStamp {
  int64_t size = 0;
  int64_t mtime_ns = 0;
};

class ArtifactStore {
 public:
  // Creates ROOT and ROOT/models when missing.
  static Result<std::unique_ptr<ArtifactStore>> Open(const std::string& root);

  const std::string& root() const { return root_; }
  std::string CatalogPath() const { return root_ + "/catalog.db"; }
  std::string VersionDir(const std::string& model, int64_t number) const;
  std::string ArtifactPath(const std::string& model, int64_t number) const;

  // Copies `source` into a new locked temporary folder, hashing as it goes,
  // and fsyncs the copy and the folder.
  Result<std::unique_ptr<StagedArtifact>> Stage(const std::string& source);
  // Renames the staged folder to VersionDir(model, number) and fsyncs the
  // parents. A folder already at that place (left by a push that died
  // between rename and catalog commit) is moved to orphans/ first; its new
  // path is appended to `moved_aside`.
  Status Publish(StagedArtifact& staged, const std::string& model, int64_t number,
                 std::vector<std::string>* moved_aside);
  // Moves a version folder out of models/ (to a temporary name) and deletes it.
  Status RemoveVersion(const std::string& model, int64_t number);
  // Moves a version folder to orphans/; returns where it went.
  Result<std::string> Quarantine(const std::string& model, int64_t number);

  // Deletes temporaries left by dead writers; returns their names.
  std::vector<std::string> RemoveStaleTemporaries();
  // Every models/NAME/N folder (N a positive integer).
  Result<std::vector<std::pair<std::string, int64_t>>> ListVersionDirs() const;

  Result<FileStamp> Stamp(const std::string& path) const;

 private:
  explicit ArtifactStore(std::string root) : root_(std::move(root)) {}
  Result<std::string> NewTemporaryName();
  std::string root_;
};

// fsync()s a file or folder by path.
Status SyncPath(const std::string& path);

}  // namespace inferd::registry
