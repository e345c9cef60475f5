#include "batch/row_writer.h"

#include <algorithm>

namespace inferd::batch {

Result<std::unique_ptr<RowWriter>> CreateNpyWriter(const std::string& path, OutputSpec spec);
Result<std::unique_ptr<RowWriter>> CreateCsvWriter(const std::string& path, OutputSpec spec);
Result<std::unique_ptr<RowWriter>> CreateJsonlWriter(const std::string& path, OutputSpec spec);

namespace {

bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

Result<OutputFormat> OutputFormatFor(const std::string& path, const std::string& flag) {
  std::string f = flag;
  std::transform(f.begin(), f.end(), f.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (f == "npy") return OutputFormat::kNpy;
  if (f == "csv") return OutputFormat::kCsv;
  if (f == "jsonl" || f == "ndjson") return OutputFormat::kJsonl;
  if (!f.empty()) return InvalidArgument("--format '" + flag + "' is not one of npy, csv, jsonl");
  std::string p = path;
  std::transform(p.begin(), p.end(), p.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (EndsWith(p, ".npy")) return OutputFormat::kNpy;
  if (EndsWith(p, ".csv")) return OutputFormat::kCsv;
  if (EndsWith(p, ".jsonl") || EndsWith(p, ".ndjson")) return OutputFormat::kJsonl;
  return InvalidArgument("cannot tell the format of output '" + path +
                         "' from its name (.npy, .csv, .jsonl); pass --format");
}

Result<std::unique_ptr<RowWriter>> CreateRowWriter(OutputFormat format, const std::string& path, OutputSpec spec) {
  switch (format) {
    case OutputFormat::kNpy:
      return CreateNpyWriter(path, std::move(spec));
    case OutputFormat::kCsv:
      return CreateCsvWriter(path, std::move(spec));
    case OutputFormat::kJsonl:
      return CreateJsonlWriter(path, std::move(spec));
  }
  return Internal("unknown output format");
}

}  // namespace inferd::batch
