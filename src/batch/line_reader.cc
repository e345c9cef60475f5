#include "batch/line_reader.h"

#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <limits>

namespace inferd::batch {

bool ParseNumber(std::string_view text, double* value) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  if (text.empty()) return false;
  bool negative = false;
  if (text.front() == '+' || text.front() == '-') {
    negative = text.front() == '-';
    text.remove_prefix(1);
    if (text.empty() || text.front() == '+' || text.front() == '-') return false;
  }
  double v = 0;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() && ec != std::errc::result_out_of_range) return false;
  if (ptr != text.data() + text.size()) return false;
  if (ec == std::errc::result_out_of_range) {
    // Overflow becomes infinity, underflow zero: what every CSV reader does.
    v = text.find_first_of("eE") != std::string_view::npos && text.find("e-") == std::string_view::npos &&
                text.find("E-") == std::string_view::npos
            ? std::numeric_limits<double>::infinity()
            : 0.0;
  }
  *value = negative ? -v : v;
  return true;
}

Result<LineReader> LineReader::Open(const std::string& path) {
  LineReader r;
  r.path_ = path;
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) return NotFound("input '" + path + "' is not a readable file");
  r.file_size_ = std::filesystem::file_size(path, ec);
  r.file_ = std::fopen(path.c_str(), "rb");
  if (r.file_ == nullptr) return NotFound("cannot open input '" + path + "': " + std::strerror(errno));
  r.buf_.resize(size_t{1} << 20);
  return r;
}

LineReader::LineReader(LineReader&& o) noexcept
    : path_(std::move(o.path_)),
      file_(o.file_),
      file_size_(o.file_size_),
      buf_(std::move(o.buf_)),
      begin_(o.begin_),
      end_(o.end_),
      eof_(o.eof_),
      offset_(o.offset_),
      line_number_(o.line_number_) {
  o.file_ = nullptr;
}

LineReader::~LineReader() {
  if (file_ != nullptr) std::fclose(file_);
}

Status LineReader::Fill() {
  if (begin_ > 0) {
    std::memmove(buf_.data(), buf_.data() + begin_, end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
  }
  if (end_ == buf_.size()) {
    if (buf_.size() >= kMaxLineBytes) return Status::Ok();  // caller sees a full buffer without a newline
    buf_.resize(std::min(buf_.size() * 2, kMaxLineBytes));
  }
  const size_t got = std::fread(buf_.data() + end_, 1, buf_.size() - end_, file_);
  if (got == 0) {
    if (std::ferror(file_)) return DataLoss("cannot read input '" + path_ + "': " + std::strerror(errno));
    eof_ = true;
  }
  end_ += got;
  return Status::Ok();
}

Result<LineReader::Got> LineReader::Next(std::string_view* line) {
  size_t scanned = begin_;
  for (;;) {
    const void* nl = std::memchr(buf_.data() + scanned, '\n', end_ - scanned);
    if (nl != nullptr) {
      const size_t pos = static_cast<const char*>(nl) - buf_.data();
      size_t len = pos - begin_;
      *line = std::string_view(buf_.data() + begin_, len);
      if (len > 0 && (*line)[len - 1] == '\r') line->remove_suffix(1);
      offset_ += len + 1;
      begin_ = pos + 1;
      ++line_number_;
      return Got::kLine;
    }
    if (eof_) {
      if (begin_ == end_) return Got::kEnd;
      *line = std::string_view(buf_.data() + begin_, end_ - begin_);
      if (!line->empty() && line->back() == '\r') line->remove_suffix(1);
      offset_ += end_ - begin_;
      begin_ = end_;
      ++line_number_;
      return Got::kLine;
    }
    if (begin_ == 0 && end_ == buf_.size() && buf_.size() >= kMaxLineBytes) {
      // Too long: skip to the next newline without keeping it.
      ++line_number_;
      for (;;) {
        const void* skip_nl = std::memchr(buf_.data() + begin_, '\n', end_ - begin_);
        if (skip_nl != nullptr) {
          const size_t pos = static_cast<const char*>(skip_nl) - buf_.data();
          offset_ += pos - begin_ + 1;
          begin_ = pos + 1;
          return Got::kTooLong;
        }
        offset_ += end_ - begin_;
        begin_ = end_ = 0;
        RETURN_IF_ERROR(Fill());
        if (eof_ && end_ == 0) return Got::kTooLong;
      }
    }
    scanned = end_ - begin_;
    RETURN_IF_ERROR(Fill());
    // Fill moved the unread bytes to the front.
  }
}

Status LineReader::Seek(uint64_t offset, int64_t line_number) {
  if (offset > file_size_)
    return InvalidArgument("cannot resume at byte " + std::to_string(offset) + " of input '" + path_ + "' (" +
                           std::to_string(file_size_) + " bytes): the input changed");
  if (std::fseek(file_, static_cast<long>(offset), SEEK_SET) != 0)
    return DataLoss("cannot seek in input '" + path_ + "': " + std::strerror(errno));
  begin_ = end_ = 0;
  eof_ = false;
  offset_ = offset;
  line_number_ = line_number;
  return Status::Ok();
}

}  // namespace inferd::batch
