// CSV input: a header line names the columns; each later non-blank line is
// a row. The columns read are --columns in that order, or all of them; they
// must be numbers (quotes around a field are allowed). A line with another
// number of fields than the header, or a field that is not a number, is a
// bad row. Blank lines are not rows.
#include <algorithm>
#include <unordered_map>
#include <vector>

#include "batch/batch_builder.h"
#include "batch/element_convert.h"
#include "batch/line_reader.h"

namespace inferd::batch {
namespace {

// Splits on commas; strips blanks and one pair of surrounding double quotes.
void SplitFields(std::string_view line, std::vector<std::string_view>* fields) {
  fields->clear();
  size_t start = 0;
  for (;;) {
    const size_t comma = line.find(',', start);
    std::string_view f = line.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
    while (!f.empty() && (f.front() == ' ' || f.front() == '\t')) f.remove_prefix(1);
    while (!f.empty() && (f.back() == ' ' || f.back() == '\t')) f.remove_suffix(1);
    if (f.size() >= 2 && f.front() == '"' && f.back() == '"') f = f.substr(1, f.size() - 2);
    fields->push_back(f);
    if (comma == std::string_view::npos) return;
    start = comma + 1;
  }
}

bool IsBlank(std::string_view line) {
  return std::all_of(line.begin(), line.end(), [](char c) { return c == ' ' || c == '\t'; });
}

class CsvReader final : public RowReader {
 public:
  static Result<std::unique_ptr<RowReader>> Open(const std::string& path, const RowTarget& target) {
    ASSIGN_OR_RETURN(LineReader lines, LineReader::Open(path));
    std::unique_ptr<CsvReader> r(new CsvReader(std::move(lines)));
    r->target_ = target;
    r->path_ = path;
    std::string_view line;
    for (;;) {
      ASSIGN_OR_RETURN(LineReader::Got got, r->lines_.Next(&line));
      if (got == LineReader::Got::kEnd)
        return InvalidArgument("input '" + path + "' is empty: a CSV input needs a header line");
      if (got == LineReader::Got::kTooLong) return InvalidArgument("input '" + path + "': the header line is too long");
      if (!IsBlank(line)) break;
    }
    if (!line.empty() && static_cast<unsigned char>(line[0]) == 0xEF && line.substr(0, 3) == "\xEF\xBB\xBF")
      line.remove_prefix(3);  // a UTF-8 byte order mark
    std::vector<std::string_view> names;
    SplitFields(line, &names);
    for (auto n : names) r->header_.emplace_back(n);
    r->data_offset_ = r->lines_.offset();
    r->data_line_ = r->lines_.line_number();
    if (target.columns.empty()) {
      for (size_t i = 0; i < r->header_.size(); ++i) r->selected_.push_back(i);
    } else {
      std::unordered_map<std::string, size_t> index;
      for (size_t i = 0; i < r->header_.size(); ++i) index.emplace(r->header_[i], i);
      for (const auto& c : target.columns) {
        auto it = index.find(c);
        if (it == index.end()) {
          std::string all;
          for (const auto& h : r->header_) all += (all.empty() ? "" : ", ") + h;
          return InvalidArgument("--columns names '" + c + "', which is not in the header of '" + path +
                                 "' (columns: " + all + ")");
        }
        r->selected_.push_back(it->second);
      }
    }
    auto shape = ResolveRowShapeForWidth(target, static_cast<int64_t>(r->selected_.size()));
    if (!shape.ok()) {
      return shape.status().WithContext("input '" + path + "' (" + std::to_string(r->selected_.size()) + " columns" +
                                        (target.columns.empty() ? "; choose some with --columns" : "") + ")");
    }
    r->row_shape_ = *shape;
    return std::unique_ptr<RowReader>(std::move(r));
  }

  Result<ReadBatch> Next(int64_t max_rows) override {
    max_rows = std::min(max_rows, lines_.MaxRowsLeft());
    ASSIGN_OR_RETURN(BatchBuilder b, BatchBuilder::Create(target_.dtype, row_shape_, max_rows, next_, pool_));
    int64_t n = 0;
    std::string_view line;
    while (n < max_rows) {
      ASSIGN_OR_RETURN(LineReader::Got got, lines_.Next(&line));
      if (got == LineReader::Got::kEnd) break;
      const int64_t row = next_ + n;
      const int64_t line_no = lines_.line_number();
      if (got == LineReader::Got::kTooLong) {
        b.Reject(row, line_no, "line is longer than " + std::to_string(LineReader::kMaxLineBytes) + " bytes");
        ++n;
        continue;
      }
      if (IsBlank(line)) continue;
      ++n;
      std::string why = ParseRow(line, b.slot());
      if (why.empty())
        b.Accept(row);
      else
        b.Reject(row, line_no, std::move(why));
    }
    next_ += n;
    return std::move(b).Finish(n, lines_.offset(), lines_.line_number());
  }

  Status Seek(int64_t row, uint64_t offset, int64_t line) override {
    if (offset < data_offset_) return InvalidArgument("cannot resume before the CSV header");
    RETURN_IF_ERROR(lines_.Seek(offset, line));
    next_ = row;
    return Status::Ok();
  }

  int64_t total_rows() const override { return -1; }
  double fraction_read() const override {
    return lines_.file_size() > 0 ? static_cast<double>(lines_.offset()) / static_cast<double>(lines_.file_size())
                                  : 1.0;
  }
  Shape row_shape() const override { return row_shape_; }

 private:
  explicit CsvReader(LineReader lines) : lines_(std::move(lines)) {}

  std::string ParseRow(std::string_view line, void* slot) {
    SplitFields(line, &fields_);
    if (fields_.size() != header_.size())
      return std::to_string(fields_.size()) + " fields, but the header has " + std::to_string(header_.size());
    values_.resize(selected_.size());
    for (size_t i = 0; i < selected_.size(); ++i) {
      const std::string_view f = fields_[selected_[i]];
      if (!ParseNumber(f, &values_[i])) {
        std::string shown(f.substr(0, 40));
        return "column '" + header_[selected_[i]] +
               "': " + (f.empty() ? std::string("empty") : "'" + shown + "' is not a number");
      }
    }
    std::string why = ConvertElements(DType::kFloat64, values_.data(), target_.dtype, slot,
                                      static_cast<int64_t>(values_.size()), target_.reject_nonfinite);
    if (!why.empty() && why.rfind("element ", 0) == 0) {
      // Name the column rather than the element.
      const size_t k = static_cast<size_t>(std::stoll(why.substr(8)));
      const size_t colon = why.find_first_of(":", 8);
      const size_t is = why.find(" is ", 8);
      const size_t cut = std::min(colon, is);
      if (k < selected_.size() && cut != std::string::npos)
        why = "column '" + header_[selected_[k]] + "'" + why.substr(cut);
    }
    return why;
  }

  LineReader lines_;
  RowTarget target_;
  std::string path_;
  std::vector<std::string> header_;
  std::vector<size_t> selected_;
  Shape row_shape_;
  uint64_t data_offset_ = 0;
  int64_t data_line_ = 0;
  int64_t next_ = 0;
  std::vector<std::string_view> fields_;
  std::vector<double> values_;
};

}  // namespace

Result<std::unique_ptr<RowReader>> OpenCsvReader(const std::string& path, const RowTarget& target) {
  return CsvReader::Open(path, target);
}

}  // namespace inferd::batch
