#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "batch/row_writer.h"

namespace inferd::batch {

OutputFile::OutputFile(OutputFile&& o) noexcept : fd_(o.fd_), size_(o.size_), path_(std::move(o.path_)) { o.fd_ = -1; }

OutputFile& OutputFile::operator=(OutputFile&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = o.fd_;
    size_ = o.size_;
    path_ = std::move(o.path_);
    o.fd_ = -1;
  }
  return *this;
}

OutputFile::~OutputFile() {
  if (fd_ >= 0) ::close(fd_);
}

Result<OutputFile> OutputFile::Open(const std::string& path, uint64_t keep_bytes) {
  OutputFile f;
  f.path_ = path;
  const int flags = O_WRONLY | O_CREAT | O_CLOEXEC | (keep_bytes == 0 ? O_TRUNC : 0);
  f.fd_ = ::open(path.c_str(), flags, 0644);
  if (f.fd_ < 0) return NotFound("cannot create '" + path + "': " + std::strerror(errno));
  if (keep_bytes > 0) {
    struct stat st {};
    if (fstat(f.fd_, &st) != 0) return DataLoss("cannot stat '" + path + "': " + std::strerror(errno));
    if (static_cast<uint64_t>(st.st_size) < keep_bytes)
      return DataLoss("cannot resume: '" + path + "' has " + std::to_string(st.st_size) +
                      " bytes but the interrupted run had committed " + std::to_string(keep_bytes) +
                      " (was it changed or truncated?)");
    if (ftruncate(f.fd_, static_cast<off_t>(keep_bytes)) != 0)
      return DataLoss("cannot truncate '" + path + "': " + std::strerror(errno));
    if (lseek(f.fd_, static_cast<off_t>(keep_bytes), SEEK_SET) < 0)
      return DataLoss("cannot seek in '" + path + "': " + std::strerror(errno));
  }
  f.size_ = keep_bytes;
  return f;
}

Status OutputFile::Write(std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd_, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return DataLoss("cannot write '" + path_ + "': " + std::strerror(errno));
    }
    data.remove_prefix(static_cast<size_t>(n));
    size_ += static_cast<uint64_t>(n);
  }
  return Status::Ok();
}

Status OutputFile::WriteAt(uint64_t offset, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::pwrite(fd_, data.data(), data.size(), static_cast<off_t>(offset));
    if (n < 0) {
      if (errno == EINTR) continue;
      return DataLoss("cannot write '" + path_ + "': " + std::strerror(errno));
    }
    data.remove_prefix(static_cast<size_t>(n));
    offset += static_cast<uint64_t>(n);
  }
  return Status::Ok();
}

Status OutputFile::Close() {
  if (fd_ < 0) return Status::Ok();
  const int rc = ::close(fd_);
  fd_ = -1;
  if (rc != 0) return DataLoss("cannot close '" + path_ + "': " + std::strerror(errno));
  return Status::Ok();
}

}  // namespace inferd::batch
