// CSV and JSON Lines output: one line per good row, built for a whole batch
// in memory and written with one call.
#include <charconv>

#include "batch/row_writer.h"

namespace inferd::batch {
namespace {

void AppendInt(int64_t v, std::string* out) {
  char buf[24];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  out->append(buf, r.ptr);
}

// What the two text formats share: the file, the labels, per-row sizes.
class TextWriter : public RowWriter {
 public:
  TextWriter(std::string path, OutputSpec spec) : path_(std::move(path)), spec_(std::move(spec)) {}

  Status Open(uint64_t resume_bytes, int64_t) override {
    ASSIGN_OR_RETURN(file_, OutputFile::Open(path_, resume_bytes));
    header_done_ = resume_bytes > 0;
    return Status::Ok();
  }

  Status Append(const std::vector<int64_t>& row_ids, const std::vector<Tensor>& outputs) override {
    const int64_t n = static_cast<int64_t>(row_ids.size());
    per_row_.resize(outputs.size());
    for (size_t k = 0; k < outputs.size(); ++k) {
      const Tensor& t = outputs[k];
      if (t.rank() < 1 || t.dim(0) != n)
        return Internal("output \"" + spec_.names[k] + "\" has shape " + ShapeToString(t.shape()) + " for " +
                        std::to_string(n) + " rows");
      per_row_[k] = n > 0 ? t.numel() / n : 0;
    }
    buf_.clear();
    if (!header_done_) {
      AppendHeader(outputs);
      header_done_ = true;
    }
    for (int64_t i = 0; i < n; ++i) AppendRow(row_ids[static_cast<size_t>(i)], i, outputs);
    return file_.Write(buf_);
  }

  uint64_t bytes() const override { return file_.size(); }
  Status Finish() override { return file_.Close(); }

 protected:
  virtual void AppendHeader(const std::vector<Tensor>& outputs) = 0;
  virtual void AppendRow(int64_t row_id, int64_t i, const std::vector<Tensor>& outputs) = 0;

  // The label of row i, from the first output's argmax.
  std::string_view Label(int64_t i, const std::vector<Tensor>& outputs) {
    const int64_t best = ArgMax(outputs[0], i * per_row_[0], per_row_[0]);
    if (best < static_cast<int64_t>(spec_.labels.size())) return spec_.labels[static_cast<size_t>(best)];
    index_text_ = std::to_string(best);
    return index_text_;
  }
  bool has_labels() const { return !spec_.labels.empty(); }

  std::string path_;
  OutputSpec spec_;
  OutputFile file_;
  bool header_done_ = false;
  std::vector<int64_t> per_row_;
  std::string buf_;
  std::string index_text_;
};

class CsvWriter final : public TextWriter {
 public:
  using TextWriter::TextWriter;

 private:
  void AppendHeader(const std::vector<Tensor>& outputs) override {
    buf_ += "row";
    for (size_t k = 0; k < outputs.size(); ++k) {
      if (per_row_[k] == 1 && outputs[k].rank() == 1) {
        buf_ += "," + spec_.names[k];
        continue;
      }
      for (int64_t j = 0; j < per_row_[k]; ++j) buf_ += "," + spec_.names[k] + "_" + std::to_string(j);
    }
    if (has_labels()) buf_ += ",label";
    buf_ += '\n';
  }

  void AppendRow(int64_t row_id, int64_t i, const std::vector<Tensor>& outputs) override {
    AppendInt(row_id, &buf_);
    for (size_t k = 0; k < outputs.size(); ++k) {
      const int64_t base = i * per_row_[k];
      for (int64_t j = 0; j < per_row_[k]; ++j) {
        buf_ += ',';
        AppendElement(outputs[k], base + j, /*json=*/false, &buf_);
      }
    }
    if (has_labels()) {
      buf_ += ',';
      const std::string_view label = Label(i, outputs);
      if (label.find_first_of(",\"\n\r") == std::string_view::npos) {
        buf_ += label;
      } else {  // RFC 4180 quoting
        buf_ += '"';
        for (char c : label) buf_ += c == '"' ? std::string("\"\"") : std::string(1, c);
        buf_ += '"';
      }
    }
    buf_ += '\n';
  }
};

class JsonlWriter final : public TextWriter {
 public:
  using TextWriter::TextWriter;

 private:
  void AppendHeader(const std::vector<Tensor>&) override {}

  void AppendRow(int64_t row_id, int64_t i, const std::vector<Tensor>& outputs) override {
    buf_ += "{\"row\":";
    AppendInt(row_id, &buf_);
    for (size_t k = 0; k < outputs.size(); ++k) {
      buf_ += ',';
      AppendJsonString(spec_.names[k], &buf_);
      buf_ += ':';
      const int64_t base = i * per_row_[k];
      const bool scalar = outputs[k].rank() == 1;
      if (!scalar) buf_ += '[';
      for (int64_t j = 0; j < per_row_[k]; ++j) {
        if (j) buf_ += ',';
        AppendElement(outputs[k], base + j, /*json=*/true, &buf_);
      }
      if (!scalar) buf_ += ']';
    }
    if (has_labels()) {
      buf_ += ",\"label\":";
      AppendJsonString(Label(i, outputs), &buf_);
    }
    buf_ += "}\n";
  }
};

}  // namespace

Result<std::unique_ptr<RowWriter>> CreateCsvWriter(const std::string& path, OutputSpec spec) {
  return std::unique_ptr<RowWriter>(new CsvWriter(path, std::move(spec)));
}
Result<std::unique_ptr<RowWriter>> CreateJsonlWriter(const std::string& path, OutputSpec spec) {
  return std::unique_ptr<RowWriter>(new JsonlWriter(path, std::move(spec)));
}

}  // namespace inferd::batch
