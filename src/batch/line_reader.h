// LineReader: the lines of a text file, read through a fixed buffer, with
// the byte offset of each line (so a resumed run can start mid-file).
// Lines end with "\n" or "\r\n" (the terminator is not part of the line);
// a last line without a terminator still counts. A line longer than the
// limit is reported as such (and skipped) rather than growing the buffer
// without bound.
//
// Used by one thread at a time.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace inferd::batch {

// A number in a text field: decimal or scientific notation, optional sign,
// "nan"/"inf" (any case); surrounding blanks allowed. False if not a number.
bool ParseNumber(std::string_view text, double* value);

class LineReader {
 public:
  static constexpr size_t kMaxLineBytes = size_t{64} << 20;

  static Result<LineReader> Open(const std::string& path);
  LineReader(LineReader&&) noexcept;
  LineReader& operator=(LineReader&&) = delete;
  ~LineReader();

  enum class Got { kLine, kTooLong, kEnd };
  // The next line in `line` (valid until the next call).
  Result<Got> Next(std::string_view* line);
  // Repositions at `offset` (the start of a line), counting it as line `line_number`.
  Status Seek(uint64_t offset, int64_t line_number);

  // Byte offset just past the last line returned.
  uint64_t offset() const { return offset_; }
  // 1-based number of the last line returned.
  int64_t line_number() const { return line_number_; }
  uint64_t file_size() const { return file_size_; }
  // At most how many rows the rest of the file can hold (a row is at least
  // one character and a newline): caps batch buffers for small files.
  int64_t MaxRowsLeft() const {
    return static_cast<int64_t>((file_size_ > offset_ ? file_size_ - offset_ : 0) / 2 + 1);
  }

 private:
  LineReader() = default;
  Status Fill();

  std::string path_;
  std::FILE* file_ = nullptr;
  uint64_t file_size_ = 0;
  std::vector<char> buf_;
  size_t begin_ = 0, end_ = 0;  // unread bytes are buf_[begin_, end_)
  bool eof_ = false;
  uint64_t offset_ = 0;
  int64_t line_number_ = 0;
};

}  // namespace inferd::batch
