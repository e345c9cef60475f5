#include "engine/onnx/byte_source.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace inferd {

Status MemoryByteSource::Read(uint64_t offset, size_t n, void* out) const {
  if (offset > bytes_.size() || n > bytes_.size() - offset)
    return DataLoss("read of " + std::to_string(n) + " bytes at " + std::to_string(offset) + " is past the end of " +
                    Describe() + " (" + std::to_string(bytes_.size()) + " bytes)");
  if (n > 0) std::memcpy(out, bytes_.data() + offset, n);
  return Status::Ok();
}

Result<std::unique_ptr<FileByteSource>> FileByteSource::Open(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return NotFound("cannot read '" + path + "': " + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    const int err = errno;
    ::close(fd);
    return NotFound("cannot read '" + path + "': " + std::strerror(err));
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    return InvalidArgument("'" + path + "' is not a regular file");
  }
  return std::unique_ptr<FileByteSource>(new FileByteSource(fd, static_cast<uint64_t>(st.st_size), path));
}

FileByteSource::~FileByteSource() { ::close(fd_); }

Status FileByteSource::Read(uint64_t offset, size_t n, void* out) const {
  auto* dst = static_cast<char*>(out);
  size_t done = 0;
  while (done < n) {
    const ssize_t got = ::pread(fd_, dst + done, n - done, static_cast<off_t>(offset + done));
    if (got < 0 && errno == EINTR) continue;
    if (got < 0)
      return DataLoss("cannot read " + Describe() + " at byte " + std::to_string(offset + done) + ": " +
                      std::strerror(errno));
    if (got == 0)
      return DataLoss(Describe() + " ended at byte " + std::to_string(offset + done) + " while " +
                      std::to_string(size_) + " were expected (was it truncated or rewritten while loading?)");
    done += static_cast<size_t>(got);
  }
  return Status::Ok();
}

}  // namespace inferd
