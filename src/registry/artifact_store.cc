#include "registry/artifact_store.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <random>

#include "registry/sha256.h"

namespace inferd::registry {
namespace fs = std::filesystem;
namespace {

constexpr const char* kTempPrefix = ".tmp-";

std::string Errno(const std::string& what) { return what + ": " + std::strerror(errno); }

Status WriteAll(int fd, const char* data, size_t size, const std::string& path) {
  while (size > 0) {
    const ssize_t n = ::write(fd, data, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Internal(Errno("writing \"" + path + "\""));
    }
    data += n;
    size -= static_cast<size_t>(n);
  }
  return Status::Ok();
}

Status MakeDir(const std::string& path) {
  if (::mkdir(path.c_str(), 0755) != 0 && errno != EEXIST) return Internal(Errno("creating folder \"" + path + "\""));
  return Status::Ok();
}

bool ProcessAlive(pid_t pid) { return pid > 0 && (::kill(pid, 0) == 0 || errno == EPERM); }

std::string UtcStamp() {
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  return std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(now).count());
}

}  // namespace

Status SyncPath(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Internal(Errno("opening \"" + path + "\" to fsync"));
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  if (rc != 0) return Internal("fsync \"" + path + "\": " + std::strerror(err));
  return Status::Ok();
}

StagedArtifact::~StagedArtifact() {
  if (!published_ && !dir_.empty()) {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  if (lock_fd_ >= 0) ::close(lock_fd_);
}

Result<std::unique_ptr<ArtifactStore>> ArtifactStore::Open(const std::string& root) {
  if (root.empty()) return InvalidArgument("registry root folder is empty");
  std::error_code ec;
  fs::create_directories(root, ec);
  if (ec) return Internal("cannot create registry folder \"" + root + "\": " + ec.message());
  if (!fs::is_directory(root, ec)) return FailedPrecondition("registry root \"" + root + "\" is not a folder");
  std::unique_ptr<ArtifactStore> store(new ArtifactStore(root));
  RETURN_IF_ERROR(MakeDir(root + "/models"));
  return store;
}

std::string ArtifactStore::VersionDir(const std::string& model, int64_t number) const {
  return root_ + "/models/" + model + "/" + std::to_string(number);
}

std::string ArtifactStore::ArtifactPath(const std::string& model, int64_t number) const {
  return VersionDir(model, number) + "/" + kArtifactFileName;
}

Result<std::string> ArtifactStore::NewTemporaryName() {
  static std::atomic<uint64_t> counter{0};
  std::random_device rd;
  const uint64_t nonce = (uint64_t{rd()} << 32) ^ rd() ^ counter.fetch_add(1);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(nonce));
  return root_ + "/" + kTempPrefix + std::to_string(::getpid()) + "-" + buf;
}

Result<std::unique_ptr<StagedArtifact>> ArtifactStore::Stage(const std::string& source) {
  const int in = ::open(source.c_str(), O_RDONLY | O_CLOEXEC);
  if (in < 0) return NotFound(Errno("cannot open model file \"" + source + "\""));
  struct stat st {};
  if (::fstat(in, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(in);
    return InvalidArgument("\"" + source + "\" is not a regular file");
  }
  std::unique_ptr<StagedArtifact> staged(new StagedArtifact());
  ASSIGN_OR_RETURN(std::string dir, NewTemporaryName());
  if (::mkdir(dir.c_str(), 0755) != 0) {
    ::close(in);
    return Internal(Errno("creating \"" + dir + "\""));
  }
  staged->dir_ = dir;
  staged->lock_fd_ = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (staged->lock_fd_ < 0 || ::flock(staged->lock_fd_, LOCK_EX | LOCK_NB) != 0) {
    ::close(in);
    return Internal(Errno("locking \"" + dir + "\""));
  }
  const std::string path = staged->file();
  const int out = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444);
  if (out < 0) {
    ::close(in);
    return Internal(Errno("creating \"" + path + "\""));
  }
  Sha256 hash;
  std::vector<char> buf(1 << 20);
  int64_t total = 0;
  Status status;
  for (;;) {
    const ssize_t n = ::read(in, buf.data(), buf.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      status = Internal(Errno("reading \"" + source + "\""));
      break;
    }
    if (n == 0) break;
    hash.Update(buf.data(), static_cast<size_t>(n));
    status = WriteAll(out, buf.data(), static_cast<size_t>(n), path);
    if (!status.ok()) break;
    total += n;
  }
  ::close(in);
  if (status.ok() && ::fsync(out) != 0) status = Internal(Errno("fsync \"" + path + "\""));
  ::close(out);
  RETURN_IF_ERROR(status);
  RETURN_IF_ERROR(SyncPath(dir));
  staged->sha256_ = hash.Finish();
  staged->size_ = total;
  return staged;
}

Status ArtifactStore::Publish(StagedArtifact& staged, const std::string& model, int64_t number,
                              std::vector<std::string>* moved_aside) {
  const std::string parent = root_ + "/models/" + model;
  bool created_parent = false;
  if (::mkdir(parent.c_str(), 0755) == 0) {
    created_parent = true;
  } else if (errno != EEXIST) {
    return Internal(Errno("creating \"" + parent + "\""));
  }
  if (created_parent) RETURN_IF_ERROR(SyncPath(root_ + "/models"));
  const std::string target = VersionDir(model, number);
  struct stat st {};
  if (::lstat(target.c_str(), &st) == 0) {
    ASSIGN_OR_RETURN(std::string moved, Quarantine(model, number));
    if (moved_aside) moved_aside->push_back(moved);
  }
  if (::rename(staged.dir_.c_str(), target.c_str()) != 0)
    return Internal(Errno("renaming \"" + staged.dir_ + "\" to \"" + target + "\""));
  staged.published_ = true;
  staged.dir_ = target;
  return SyncPath(parent);
}

Result<std::string> ArtifactStore::Quarantine(const std::string& model, int64_t number) {
  RETURN_IF_ERROR(MakeDir(root_ + "/orphans"));
  RETURN_IF_ERROR(MakeDir(root_ + "/orphans/" + model));
  const std::string to = root_ + "/orphans/" + model + "/" + std::to_string(number) + "-" + UtcStamp();
  const std::string from = VersionDir(model, number);
  if (::rename(from.c_str(), to.c_str()) != 0) return Internal(Errno("moving \"" + from + "\" to \"" + to + "\""));
  RETURN_IF_ERROR(SyncPath(root_ + "/models/" + model));
  return to;
}

Status ArtifactStore::RemoveVersion(const std::string& model, int64_t number) {
  const std::string from = VersionDir(model, number);
  ASSIGN_OR_RETURN(std::string tmp, NewTemporaryName());
  if (::rename(from.c_str(), tmp.c_str()) != 0) {
    if (errno == ENOENT) return Status::Ok();
    return Internal(Errno("moving \"" + from + "\" away"));
  }
  (void)SyncPath(root_ + "/models/" + model);
  std::error_code ec;
  fs::remove_all(tmp, ec);
  if (ec) return Internal("deleting \"" + tmp + "\": " + ec.message());
  return Status::Ok();
}

std::vector<std::string> ArtifactStore::RemoveStaleTemporaries() {
  std::vector<std::string> removed;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(root_, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind(kTempPrefix, 0) != 0) continue;
    const pid_t pid = static_cast<pid_t>(std::atol(name.c_str() + std::strlen(kTempPrefix)));
    if (pid == ::getpid() || ProcessAlive(pid)) continue;
    const int fd = ::open(entry.path().c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) continue;
    const bool free = ::flock(fd, LOCK_EX | LOCK_NB) == 0;
    if (free) {
      std::error_code rm_ec;
      fs::remove_all(entry.path(), rm_ec);
      if (!rm_ec) removed.push_back(name);
    }
    ::close(fd);
  }
  return removed;
}

Result<std::vector<std::pair<std::string, int64_t>>> ArtifactStore::ListVersionDirs() const {
  std::vector<std::pair<std::string, int64_t>> out;
  std::error_code ec;
  for (const auto& model : fs::directory_iterator(root_ + "/models", ec)) {
    if (!model.is_directory()) continue;
    std::error_code ec2;
    for (const auto& version : fs::directory_iterator(model.path(), ec2)) {
      const std::string n = version.path().filename().string();
      if (n.empty() || n.size() > 18 || n.find_first_not_of("0123456789") != std::string::npos || n[0] == '0') continue;
      out.emplace_back(model.path().filename().string(), std::stoll(n));
    }
  }
  if (ec) return Internal("listing \"" + root_ + "/models\": " + ec.message());
  return out;
}

Result<FileStamp> ArtifactStore::Stamp(const std::string& path) const {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return NotFound(Errno("\"" + path + "\""));
  FileStamp s;
  s.size = st.st_size;
  s.mtime_ns = int64_t{st.st_mtim.tv_sec} * 1000000000 + st.st_mtim.tv_nsec;
  return s;
}

}  // namespace inferd::registry
