// Random-access reads from a serialized model: an in-memory buffer or an open
// file. The loader reads a model's structure through one of these and copies
// each weight's bytes straight into its tensor, so large files are never
// held whole in memory.
//
// Files are read with pread(), not memory-mapped: a file that is truncated or
// rewritten while it loads gives a short read (a DataLoss status naming the
// file), never a SIGBUS. The file is opened once, so a rename over the path
// while loading does not mix two versions.
//
// Thread safety: Read is const and safe from several threads (pread has no
// shared file position); the object itself must outlive every reader.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "common/status.h"

namespace inferd {

class ByteSource {
 public:
  virtual ~ByteSource() = default;
  // Total bytes, fixed when the source was opened.
  virtual uint64_t size() const = 0;
  // Copies [offset, offset + n) into `out`. Fails (DataLoss) when the bytes
  // are no longer there, e.g. a file truncated since it was opened.
  virtual Status Read(uint64_t offset, size_t n, void* out) const = 0;
  // "'model.onnx'" or "the model bytes", for error messages.
  virtual std::string Describe() const = 0;
};

// Views caller-owned bytes; they must outlive the source.
class MemoryByteSource final : public ByteSource {
 public:
  explicit MemoryByteSource(std::string_view bytes) : bytes_(bytes) {}
  uint64_t size() const override { return bytes_.size(); }
  Status Read(uint64_t offset, size_t n, void* out) const override;
  std::string Describe() const override { return "the model bytes"; }

 private:
  std::string_view bytes_;
};

class FileByteSource final : public ByteSource {
 public:
  // Opens a regular file for reading. NotFound when it cannot be opened,
  // InvalidArgument when it is not a regular file.
  static Result<std::unique_ptr<FileByteSource>> Open(const std::string& path);
  ~FileByteSource() override;
  FileByteSource(const FileByteSource&) = delete;
  FileByteSource& operator=(const FileByteSource&) = delete;

  uint64_t size() const override { return size_; }
  Status Read(uint64_t offset, size_t n, void* out) const override;
  std::string Describe() const override { return "'" + path_ + "'"; }

 private:
  FileByteSource(int fd, uint64_t size, std::string path) : fd_(fd), size_(size), path_(std::move(path)) {}
  int fd_;
  uint64_t size_;
  std::string path_;
};

}  // namespace inferd
