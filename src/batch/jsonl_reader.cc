// JSON Lines input: one JSON value per line, each one row. Accepted forms
// (docs/predict.md):
//   {"inputs":[{"name":"x","data":[...]}]}  a KServe v2 request with one row
//   {"x":[...]}                              the input's name as the key
//   [...]                                    the values alone
// "data" and the values may be nested arrays (flattened row-major); numbers
// and booleans are accepted. With one input entry or one key, its name need
// not match the model's. Blank lines are not rows.
#include <algorithm>
#include <nlohmann/json.hpp>
#include <vector>

#include "batch/batch_builder.h"
#include "batch/element_convert.h"
#include "batch/line_reader.h"

namespace inferd::batch {
namespace {

using nlohmann::json;

constexpr size_t kMaxValuesPerRow = size_t{1} << 26;

bool IsBlank(std::string_view line) {
  return std::all_of(line.begin(), line.end(), [](char c) { return c == ' ' || c == '\t'; });
}

// Appends the numbers of a (nested) array; "" or the reason it is not numeric.
std::string Flatten(const json& v, std::vector<double>* out, int depth = 0) {
  if (depth > 32) return "arrays nested more than 32 deep";
  if (v.is_array()) {
    for (const auto& e : v) {
      std::string why = Flatten(e, out, depth + 1);
      if (!why.empty()) return why;
      if (out->size() > kMaxValuesPerRow) return "more than " + std::to_string(kMaxValuesPerRow) + " values";
    }
    return "";
  }
  if (v.is_number()) {
    out->push_back(v.get<double>());
    return "";
  }
  if (v.is_boolean()) {
    out->push_back(v.get<bool>() ? 1.0 : 0.0);
    return "";
  }
  return std::string("a ") + v.type_name() + " where a number was expected";
}

class JsonlReader final : public RowReader {
 public:
  static Result<std::unique_ptr<RowReader>> Open(const std::string& path, const RowTarget& target) {
    ASSIGN_OR_RETURN(LineReader lines, LineReader::Open(path));
    std::unique_ptr<JsonlReader> r(new JsonlReader(std::move(lines)));
    r->target_ = target;
    // A fully fixed input says the width up front; an open one takes it from the first good row.
    bool fixed = target.rank_known;
    for (int64_t d : target.row_dims) fixed = fixed && d >= 0;
    if (fixed) {
      r->row_shape_ = target.row_dims;
      r->width_ = ShapeNumel(target.row_dims);
    }
    return std::unique_ptr<RowReader>(std::move(r));
  }

  Result<ReadBatch> Next(int64_t max_rows) override {
    max_rows = std::min(max_rows, lines_.MaxRowsLeft());
    std::optional<BatchBuilder> b;
    if (width_ >= 0) {
      ASSIGN_OR_RETURN(BatchBuilder built, BatchBuilder::Create(target_.dtype, row_shape_, max_rows, next_, pool_));
      b.emplace(std::move(built));
    }
    // Rows before the width is known wait here (only until the first good row).
    std::vector<std::pair<int64_t, std::vector<double>>> pending;
    std::vector<RowError> early_errors;
    int64_t n = 0;
    std::string_view line;
    while (n < max_rows) {
      ASSIGN_OR_RETURN(LineReader::Got got, lines_.Next(&line));
      if (got == LineReader::Got::kEnd) break;
      const int64_t row = next_ + n;
      const int64_t line_no = lines_.line_number();
      std::string why;
      if (got == LineReader::Got::kTooLong) {
        why = "line is longer than " + std::to_string(LineReader::kMaxLineBytes) + " bytes";
      } else if (IsBlank(line)) {
        continue;
      } else {
        why = ParseRow(line);
      }
      ++n;
      if (why.empty() && width_ < 0) {
        auto shape = ResolveRowShapeForWidth(target_, static_cast<int64_t>(values_.size()));
        if (!shape.ok()) {
          why = shape.status().message();
        } else {
          row_shape_ = *shape;
          width_ = static_cast<int64_t>(values_.size());
          ASSIGN_OR_RETURN(BatchBuilder built, BatchBuilder::Create(target_.dtype, row_shape_, max_rows, next_, pool_));
          b.emplace(std::move(built));
          for (auto& e : early_errors) b->Reject(e.row, e.line, std::move(e.reason));
          early_errors.clear();
        }
      }
      if (why.empty() && static_cast<int64_t>(values_.size()) != width_)
        why = std::to_string(values_.size()) + " values; rows of input \"" + target_.input_name + "\" have " +
              std::to_string(width_);
      if (why.empty()) {
        why = ConvertElements(DType::kFloat64, values_.data(), target_.dtype, b->slot(), width_,
                              target_.reject_nonfinite);
      }
      if (!b) {
        early_errors.push_back({row, line_no, std::move(why)});
      } else if (why.empty()) {
        b->Accept(row);
      } else {
        b->Reject(row, line_no, std::move(why));
      }
    }
    next_ += n;
    if (!b) {  // no good row yet: a batch of errors only
      ReadBatch only;
      only.first_row = next_ - n;
      only.num_rows = n;
      only.errors = std::move(early_errors);
      only.end_offset = lines_.offset();
      only.end_line = lines_.line_number();
      return only;
    }
    return std::move(*b).Finish(n, lines_.offset(), lines_.line_number());
  }

  Status Seek(int64_t row, uint64_t offset, int64_t line) override {
    RETURN_IF_ERROR(lines_.Seek(offset, line));
    next_ = row;
    return Status::Ok();
  }

  void RestoreRowShape(const Shape& shape) override {
    if (width_ >= 0 || shape.empty()) return;
    row_shape_ = shape;
    width_ = ShapeNumel(shape);
  }

  int64_t total_rows() const override { return -1; }
  double fraction_read() const override {
    return lines_.file_size() > 0 ? static_cast<double>(lines_.offset()) / static_cast<double>(lines_.file_size())
                                  : 1.0;
  }
  Shape row_shape() const override { return row_shape_; }

 private:
  explicit JsonlReader(LineReader lines) : lines_(std::move(lines)) {}

  // Fills values_ from one line; "" or the reason the line is not a row.
  std::string ParseRow(std::string_view line) {
    values_.clear();
    json doc = json::parse(line.begin(), line.end(), nullptr, /*allow_exceptions=*/false);
    if (doc.is_discarded()) return "not valid JSON";
    const json* data = nullptr;
    if (doc.is_array()) {
      data = &doc;
    } else if (doc.is_object()) {
      auto inputs = doc.find("inputs");
      if (inputs != doc.end()) {
        if (!inputs->is_array() || inputs->empty()) return "\"inputs\" must be a non-empty array";
        const json* entry = nullptr;
        for (const auto& e : *inputs) {
          if (e.is_object() && e.contains("name") && e["name"] == target_.input_name) entry = &e;
        }
        if (entry == nullptr && inputs->size() == 1) entry = &(*inputs)[0];
        if (entry == nullptr) return "no entry of \"inputs\" is named \"" + target_.input_name + "\"";
        if (!entry->is_object() || !entry->contains("data")) return "the input entry has no \"data\"";
        data = &(*entry)["data"];
      } else {
        auto it = doc.find(target_.input_name);
        if (it != doc.end()) {
          data = &*it;
        } else if (doc.size() == 1) {
          data = &doc.begin().value();
        } else {
          return "no key \"" + target_.input_name + "\" (and not a single-key object)";
        }
      }
    } else {
      return std::string("a JSON ") + doc.type_name() + ", not an object or array";
    }
    return Flatten(*data, &values_);
  }

  LineReader lines_;
  RowTarget target_;
  Shape row_shape_;
  int64_t width_ = -1;
  int64_t next_ = 0;
  std::vector<double> values_;
};

}  // namespace

Result<std::unique_ptr<RowReader>> OpenJsonlReader(const std::string& path, const RowTarget& target) {
  return JsonlReader::Open(path, target);
}

}  // namespace inferd::batch
