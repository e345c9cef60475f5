// IDX input (MNIST, Fashion-MNIST), plain or gzip-compressed: the header is
// parsed as in common/idx.cc, then rows are streamed one at a time through
// zlib (which reads uncompressed files transparently), so only one row and
// one batch are in memory.
#include <zlib.h>

#include <algorithm>
#include <vector>

#include "batch/batch_builder.h"
#include "batch/element_convert.h"
#include "common/idx.h"

namespace inferd::batch {
namespace {

class IdxReader final : public RowReader {
 public:
  ~IdxReader() override {
    if (file_ != nullptr) gzclose(file_);
  }

  static Result<std::unique_ptr<RowReader>> Open(const std::string& path, const RowTarget& target) {
    std::unique_ptr<IdxReader> r(new IdxReader());
    r->target_ = target;
    r->path_ = path;
    r->file_ = gzopen(path.c_str(), "rb");
    if (r->file_ == nullptr) return NotFound("cannot open input '" + path + "'");
    gzbuffer(r->file_, 1 << 17);
    ASSIGN_OR_RETURN(IdxHeader header, ReadIdxHeader(r->file_, "input '" + path + "'"));
    r->dtype_ = header.dtype;
    r->data_offset_ = header.data_offset;
    const Shape& shape = header.shape;
    const Shape data_row(shape.begin() + 1, shape.end());
    r->row_numel_ = ShapeNumel(data_row);
    constexpr int64_t kMaxRowBytes = int64_t{1} << 30;
    if (r->row_numel_ < 0 || r->row_numel_ > kMaxRowBytes / static_cast<int64_t>(DTypeSize(r->dtype_)))
      return InvalidArgument("input '" + path + "': IDX row shape " + ShapeToString(data_row) + " is too large");
    auto row_shape = ResolveRowShape(target, data_row);
    if (!row_shape.ok()) return row_shape.status().WithContext("input '" + path + "'");
    r->row_shape_ = *row_shape;
    r->total_ = shape[0];
    r->row_buf_.resize(static_cast<size_t>(r->row_numel_) * DTypeSize(r->dtype_));
    return std::unique_ptr<RowReader>(std::move(r));
  }

  Result<ReadBatch> Next(int64_t max_rows) override {
    const int64_t n = std::min(max_rows, total_ - next_);
    if (n <= 0) return ReadBatch{next_, 0, {}, {}, {}, static_cast<uint64_t>(next_), 0, {}, 1.0};
    ASSIGN_OR_RETURN(BatchBuilder b, BatchBuilder::Create(target_.dtype, row_shape_, n, next_, pool_));
    const size_t elem = DTypeSize(dtype_);
    for (int64_t i = 0; i < n; ++i) {
      const int64_t row = next_ + i;
      if (!GzReadExact(file_, row_buf_.data(), row_buf_.size()))
        return DataLoss("input '" + path_ + "': IDX data ends at row " + std::to_string(row) +
                        " though its header promises " + std::to_string(total_) + " rows");
      if (elem > 1) {  // IDX is big-endian
        for (size_t k = 0; k < row_buf_.size(); k += elem)
          std::reverse(row_buf_.begin() + k, row_buf_.begin() + k + elem);
      }
      std::string why =
          ConvertElements(dtype_, row_buf_.data(), target_.dtype, b.slot(), row_numel_, target_.reject_nonfinite);
      if (why.empty())
        b.Accept(row);
      else
        b.Reject(row, 0, std::move(why));
    }
    next_ += n;
    return std::move(b).Finish(n, static_cast<uint64_t>(next_));
  }

  Status Seek(int64_t row, uint64_t, int64_t) override {
    if (row < 0 || row > total_)
      return InvalidArgument("cannot resume at row " + std::to_string(row) + ": the input has " +
                             std::to_string(total_) + " rows");
    const uint64_t offset = data_offset_ + static_cast<uint64_t>(row) * row_buf_.size();
    if (gzseek(file_, static_cast<z_off_t>(offset), SEEK_SET) < 0)
      return DataLoss("input '" + path_ + "': cannot seek to row " + std::to_string(row));
    next_ = row;
    return Status::Ok();
  }

  int64_t total_rows() const override { return total_; }
  double fraction_read() const override {
    return total_ > 0 ? static_cast<double>(next_) / static_cast<double>(total_) : 1.0;
  }
  Shape row_shape() const override { return row_shape_; }

 private:
  IdxReader() = default;

  RowTarget target_;
  std::string path_;
  gzFile file_ = nullptr;
  DType dtype_ = DType::kUint8;
  uint64_t data_offset_ = 0;
  Shape row_shape_;
  int64_t row_numel_ = 0;
  int64_t total_ = 0;
  int64_t next_ = 0;
  std::vector<char> row_buf_;
};

}  // namespace

Result<std::unique_ptr<RowReader>> OpenIdxReader(const std::string& path, const RowTarget& target) {
  return IdxReader::Open(path, target);
}

}  // namespace inferd::batch
