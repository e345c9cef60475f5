// .npy input: the file is memory-mapped; each row is converted straight from
// the mapping into the batch, and the pages behind the rows read so far are
// dropped from the process (MADV_DONTNEED) so resident memory stays at a
// few batches whatever the file's size.
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "batch/batch_builder.h"
#include "batch/element_convert.h"
#include "common/npy.h"

namespace inferd::batch {
namespace {

class NpyReader final : public RowReader {
 public:
  ~NpyReader() override {
    if (map_ != nullptr) munmap(map_, size_);
  }

  static Result<std::unique_ptr<RowReader>> Open(const std::string& path, const RowTarget& target) {
    std::unique_ptr<NpyReader> r(new NpyReader());
    r->target_ = target;
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return NotFound("cannot open input '" + path + "': " + std::strerror(errno));
    struct stat st {};
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
      ::close(fd);
      return InvalidArgument("input '" + path + "' is not a regular file");
    }
    r->size_ = static_cast<size_t>(st.st_size);
    if (r->size_ == 0) {
      ::close(fd);
      return InvalidArgument("input '" + path + "' is empty, not an .npy file");
    }
    void* map = mmap(nullptr, r->size_, PROT_READ, MAP_PRIVATE, fd, 0);
    ::close(fd);
    if (map == MAP_FAILED) return Internal("cannot map input '" + path + "': " + std::strerror(errno));
    r->map_ = static_cast<char*>(map);
    madvise(r->map_, r->size_, MADV_SEQUENTIAL);
    auto header = ParseNpyHeader(std::string_view(r->map_, r->size_), r->size_);
    if (!header.ok()) return header.status().WithContext("input '" + path + "'");
    r->header_ = *header;
    if (r->header_.shape.empty())
      return InvalidArgument("input '" + path + "' holds a scalar; predict needs rows (an array of rank >= 1)");
    if (!IsConvertible(r->header_.dtype))
      return InvalidArgument("input '" + path + "': " + std::string(DTypeName(r->header_.dtype)) +
                             " data cannot feed a model");
    const Shape data_row(r->header_.shape.begin() + 1, r->header_.shape.end());
    auto row_shape = ResolveRowShape(target, data_row);
    if (!row_shape.ok()) return row_shape.status().WithContext("input '" + path + "'");
    r->row_shape_ = *row_shape;
    r->row_numel_ = ShapeNumel(data_row);
    r->row_bytes_ = static_cast<size_t>(r->row_numel_) * DTypeSize(r->header_.dtype);
    r->total_ = r->header_.shape[0];
    r->page_ = static_cast<size_t>(sysconf(_SC_PAGESIZE));
    return std::unique_ptr<RowReader>(std::move(r));
  }

  Result<ReadBatch> Next(int64_t max_rows) override {
    const int64_t n = std::min(max_rows, total_ - next_);
    if (n <= 0) return ReadBatch{next_, 0, {}, {}, {}, static_cast<uint64_t>(next_), 0, {}, 1.0};
    ASSIGN_OR_RETURN(BatchBuilder b, BatchBuilder::Create(target_.dtype, row_shape_, n, next_, pool_));
    for (int64_t i = 0; i < n; ++i) {
      const int64_t row = next_ + i;
      const char* src = map_ + header_.data_offset + static_cast<size_t>(row) * row_bytes_;
      std::string why =
          ConvertElements(header_.dtype, src, target_.dtype, b.slot(), row_numel_, target_.reject_nonfinite);
      if (why.empty())
        b.Accept(row);
      else
        b.Reject(row, 0, std::move(why));
    }
    next_ += n;
    DropReadPages();
    return std::move(b).Finish(n, static_cast<uint64_t>(next_));
  }

  Status Seek(int64_t row, uint64_t, int64_t) override {
    if (row < 0 || row > total_)
      return InvalidArgument("cannot resume at row " + std::to_string(row) + ": the input has " +
                             std::to_string(total_) + " rows");
    next_ = row;
    dropped_ = 0;
    return Status::Ok();
  }

  int64_t total_rows() const override { return total_; }
  double fraction_read() const override {
    return total_ > 0 ? static_cast<double>(next_) / static_cast<double>(total_) : 1.0;
  }
  Shape row_shape() const override { return row_shape_; }

 private:
  NpyReader() = default;

  // Rows already converted are not read again: let the kernel take their
  // pages out of this process (they stay in the page cache). Done per 8 MiB,
  // not per batch: each call interrupts the other threads' cores (TLB
  // shootdown), which the model's thread would feel.
  static constexpr size_t kDropBytes = size_t{8} << 20;
  void DropReadPages() {
    const size_t end = header_.data_offset + static_cast<size_t>(next_) * row_bytes_;
    const size_t upto = end / page_ * page_;
    if (upto >= dropped_ + kDropBytes) {
      madvise(map_ + dropped_, upto - dropped_, MADV_DONTNEED);
      dropped_ = upto;
    }
  }

  RowTarget target_;
  char* map_ = nullptr;
  size_t size_ = 0;
  size_t page_ = 4096;
  size_t dropped_ = 0;
  NpyHeader header_;
  Shape row_shape_;
  int64_t row_numel_ = 0;
  size_t row_bytes_ = 0;
  int64_t total_ = 0;
  int64_t next_ = 0;
};

}  // namespace

Result<std::unique_ptr<RowReader>> OpenNpyReader(const std::string& path, const RowTarget& target) {
  return NpyReader::Open(path, target);
}

}  // namespace inferd::batch
