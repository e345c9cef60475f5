// .npy output: a header with room for any row count, then the rows. The
// header is rewritten after each batch (same length, new count), so the
// committed prefix of the file is always a valid .npy array.
#include <cstring>

#include "batch/row_writer.h"
#include "common/npy.h"

namespace inferd::batch {
namespace {

constexpr size_t kPrefix = 10;  // magic, version 1.0, 16-bit header length

std::string Dict(const char* descr, int64_t rows, const Shape& row_shape) {
  std::string d = std::string("{'descr': '") + descr + "', 'fortran_order': False, 'shape': (" + std::to_string(rows);
  for (int64_t x : row_shape) d += ", " + std::to_string(x);
  if (row_shape.empty()) d += ",";
  return d + "), }";
}

class NpyWriter final : public RowWriter {
 public:
  NpyWriter(std::string path, OutputSpec spec) : path_(std::move(path)), spec_(std::move(spec)) {}

  Status Open(uint64_t resume_bytes, int64_t resume_rows) override {
    ASSIGN_OR_RETURN(file_, OutputFile::Open(path_, resume_bytes));
    rows_ = resume_rows;
    if (resume_bytes == 0) return Status::Ok();
    // The header of the interrupted run says the type and row shape; its
    // count may be ahead of what was committed, so only the rest is used.
    std::string head(std::min<uint64_t>(resume_bytes, 4096), '\0');
    FILE* f = std::fopen(path_.c_str(), "rb");
    if (f == nullptr) return NotFound("cannot read '" + path_ + "' to resume");
    const size_t got = std::fread(head.data(), 1, head.size(), f);
    std::fclose(f);
    head.resize(got);
    // Zero the row count (same length, space-padded) so the header parses
    // without the data it promises; only the type and row shape are used.
    const size_t at = head.find("'shape': (");
    if (at != std::string::npos) {
      for (size_t i = at + 10; i < head.size() && head[i] >= '0' && head[i] <= '9'; ++i)
        head[i] = i == at + 10 ? '0' : ' ';
    }
    size_t data_offset =
        head.size() >= kPrefix ? kPrefix + (static_cast<uint8_t>(head[8]) | static_cast<uint8_t>(head[9]) << 8) : 0;
    auto h = ParseNpyHeader(head, data_offset);
    if (!h.ok()) return h.status().WithContext("cannot resume '" + path_ + "'");
    dtype_ = h->dtype;
    row_shape_.assign(h->shape.begin() + 1, h->shape.end());
    data_offset_ = h->data_offset;
    row_bytes_ = static_cast<uint64_t>(ShapeNumel(row_shape_)) * DTypeSize(dtype_);
    if (data_offset_ + static_cast<uint64_t>(resume_rows) * row_bytes_ != resume_bytes)
      return DataLoss("cannot resume '" + path_ + "': its committed length does not match its rows");
    started_ = true;
    return Status::Ok();
  }

  Status Append(const std::vector<int64_t>& row_ids, const std::vector<Tensor>& outputs) override {
    const Tensor& t = outputs[0];
    if (t.rank() < 1 || t.dim(0) != static_cast<int64_t>(row_ids.size()))
      return Internal("output \"" + spec_.names[0] + "\" has shape " + ShapeToString(t.shape()) + " for " +
                      std::to_string(row_ids.size()) + " rows");
    const Shape row_shape(t.shape().begin() + 1, t.shape().end());
    if (!started_) {
      if (NpyDescr(t.dtype()) == nullptr)
        return InvalidArgument("output \"" + spec_.names[0] + "\" is " + std::string(DTypeName(t.dtype())) +
                               ", which .npy cannot hold; write .csv or .jsonl");
      RETURN_IF_ERROR(Start(t.dtype(), row_shape));
    } else if (t.dtype() != dtype_ || row_shape != row_shape_) {
      return InvalidArgument("output \"" + spec_.names[0] + "\" changed from " + std::string(DTypeName(dtype_)) + " " +
                             ShapeToString(row_shape_) + " rows to " + std::string(DTypeName(t.dtype())) + " " +
                             ShapeToString(row_shape) + "; an .npy output needs one row shape");
    }
    RETURN_IF_ERROR(file_.Write(std::string_view(static_cast<const char*>(t.raw()), t.nbytes())));
    rows_ += t.dim(0);
    return file_.WriteAt(0, Header(rows_));
  }

  uint64_t bytes() const override { return file_.size(); }

  Status Finish() override {
    if (!started_) {
      // No row at all: an empty array of the declared type.
      DType dt = spec_.dtypes.empty() ? DType::kFloat32 : spec_.dtypes[0];
      if (NpyDescr(dt) == nullptr) dt = DType::kFloat32;
      RETURN_IF_ERROR(Start(dt, {}));
    }
    RETURN_IF_ERROR(file_.WriteAt(0, Header(rows_)));
    return file_.Close();
  }

 private:
  Status Start(DType dtype, const Shape& row_shape) {
    dtype_ = dtype;
    row_shape_ = row_shape;
    row_bytes_ = static_cast<uint64_t>(ShapeNumel(row_shape_)) * DTypeSize(dtype_);
    // Room for a 20-digit row count, padded so the data starts 64-byte aligned.
    const std::string widest = Dict(NpyDescr(dtype_), INT64_MAX, row_shape_);
    data_offset_ = (kPrefix + widest.size() + 1 + 63) / 64 * 64;
    if (data_offset_ - kPrefix > 0xffff) return InvalidArgument("output row shape is too long for an .npy header");
    started_ = true;
    return file_.Write(Header(rows_));
  }

  std::string Header(int64_t rows) const {
    std::string dict = Dict(NpyDescr(dtype_), rows, row_shape_);
    const size_t header_len = data_offset_ - kPrefix;
    dict.append(header_len - dict.size() - 1, ' ');
    dict += '\n';
    std::string out("\x93NUMPY\x01\x00", 8);
    out += static_cast<char>(header_len & 0xff);
    out += static_cast<char>(header_len >> 8);
    return out + dict;
  }

  std::string path_;
  OutputSpec spec_;
  OutputFile file_;
  bool started_ = false;
  DType dtype_ = DType::kFloat32;
  Shape row_shape_;
  uint64_t data_offset_ = 0;
  uint64_t row_bytes_ = 0;
  int64_t rows_ = 0;
};

}  // namespace

Result<std::unique_ptr<RowWriter>> CreateNpyWriter(const std::string& path, OutputSpec spec) {
  return std::unique_ptr<RowWriter>(new NpyWriter(path, std::move(spec)));
}

}  // namespace inferd::batch
