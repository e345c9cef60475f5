// Writers of `inferd predict`'s output: the model's outputs for each good
// row, appended batch by batch, in .npy, CSV or JSON Lines.
//
//   .npy   one output (the first chosen), rows stacked; the header is written
//          with room for any row count and rewritten after every batch, so
//          the file is a valid .npy of the rows so far at each batch boundary.
//   .csv   header "row,NAME_0,NAME_1,...[,label]"; one line per good row.
//   .jsonl {"row":N,"NAME":[...],...,"label":"..."} per good row.
// Rows that failed are not written (their numbers are in the errors file);
// CSV and JSON Lines carry each row's input row number so outputs can be
// joined back. Numbers are printed in their shortest exact form, so equal
// values always give equal bytes (resume compares bytes).
//
// A RowWriter is used by one thread at a time (the pipeline's writer).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/status.h"
#include "common/tensor.h"

namespace inferd::batch {

enum class OutputFormat { kNpy, kCsv, kJsonl };

// From --format or, when `flag` is empty, the file's extension.
Result<OutputFormat> OutputFormatFor(const std::string& path, const std::string& flag);

struct OutputSpec {
  std::vector<std::string> names;  // the outputs written, in this order
  std::vector<DType> dtypes;       // their declared types (kUndefined when not declared)
  // With labels, each row gets "label": labels[argmax of the first output's row]
  // (the index itself when past the end of the list).
  std::vector<std::string> labels;
};

class RowWriter {
 public:
  virtual ~RowWriter() = default;
  // Starts the file; with `resume_bytes` > 0 the file is cut to that length
  // (what a previous run committed, holding `resume_rows` rows) and appended to.
  virtual Status Open(uint64_t resume_bytes, int64_t resume_rows) = 0;
  // Appends the rows of one batch: outputs[k] is [n, ...] for names[k];
  // row_ids[i] is the input row number of row i.
  virtual Status Append(const std::vector<int64_t>& row_ids, const std::vector<Tensor>& outputs) = 0;
  // Bytes in the file after the last Append (what a resume cuts back to).
  virtual uint64_t bytes() const = 0;
  // Completes the file (the final .npy header).
  virtual Status Finish() = 0;
};

Result<std::unique_ptr<RowWriter>> CreateRowWriter(OutputFormat format, const std::string& path, OutputSpec spec);

// Shortest text that reads back as exactly `v` ("0.1", "1e-07", "nan", "inf").
void AppendNumber(double v, std::string* out);
void AppendNumber(float v, std::string* out);
// A JSON string literal, quotes included.
void AppendJsonString(std::string_view s, std::string* out);
// Appends element `i` of `t` as text (floats shortest, integers exact, bools 0/1);
// `json` writes non-finite floats as null.
void AppendElement(const Tensor& t, int64_t i, bool json, std::string* out);
// argmax of elements [begin, begin + n) of `t` (NaN never wins over a number).
int64_t ArgMax(const Tensor& t, int64_t begin, int64_t n);

// Blocking file output with the byte count kept (POSIX; not thread-safe).
class OutputFile {
 public:
  OutputFile() = default;
  OutputFile(OutputFile&&) noexcept;
  OutputFile& operator=(OutputFile&&) noexcept;
  ~OutputFile();
  // Creates or truncates `path`; with keep_bytes > 0, keeps that many bytes
  // (failing if the file is shorter) and appends after them.
  static Result<OutputFile> Open(const std::string& path, uint64_t keep_bytes);
  Status Write(std::string_view data);
  Status WriteAt(uint64_t offset, std::string_view data);
  uint64_t size() const { return size_; }
  const std::string& path() const { return path_; }
  Status Close();

 private:
  int fd_ = -1;
  uint64_t size_ = 0;
  std::string path_;
};

}  // namespace inferd::batch
