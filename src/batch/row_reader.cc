#include "batch/row_reader.h"

#include <algorithm>

namespace inferd::batch {
namespace {

bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

std::string DimsString(const Shape& dims) {
  std::string s = "[batch";
  for (int64_t d : dims) s += "," + (d < 0 ? std::string("?") : std::to_string(d));
  return s + "]";
}

}  // namespace

Result<InputFormat> InputFormatFor(const std::string& path, const std::string& flag) {
  const std::string f = Lower(flag);
  if (f == "npy") return InputFormat::kNpy;
  if (f == "csv") return InputFormat::kCsv;
  if (f == "jsonl" || f == "ndjson") return InputFormat::kJsonl;
  if (f == "idx") return InputFormat::kIdx;
  if (!f.empty()) return InvalidArgument("--input-format '" + flag + "' is not one of npy, csv, jsonl, idx");
  const std::string p = Lower(path);
  if (EndsWith(p, ".npy")) return InputFormat::kNpy;
  if (EndsWith(p, ".csv")) return InputFormat::kCsv;
  if (EndsWith(p, ".jsonl") || EndsWith(p, ".ndjson")) return InputFormat::kJsonl;
  if (EndsWith(p, ".idx") || EndsWith(p, "-ubyte") || EndsWith(p, "-ubyte.gz") || EndsWith(p, ".idx.gz"))
    return InputFormat::kIdx;
  return InvalidArgument("cannot tell the format of input '" + path +
                         "' from its name (.npy, .csv, .jsonl, IDX *-ubyte[.gz]); pass --input-format");
}

Result<std::unique_ptr<RowReader>> OpenRowReader(InputFormat format, const std::string& path, const RowTarget& target) {
  switch (format) {
    case InputFormat::kNpy:
      return OpenNpyReader(path, target);
    case InputFormat::kCsv:
      return OpenCsvReader(path, target);
    case InputFormat::kJsonl:
      return OpenJsonlReader(path, target);
    case InputFormat::kIdx:
      return OpenIdxReader(path, target);
  }
  return Internal("unknown input format");
}

Result<Shape> ResolveRowShape(const RowTarget& target, const Shape& data_row) {
  if (!target.rank_known) return data_row;
  const Shape& want = target.row_dims;
  if (want.size() == data_row.size()) {
    bool fits = true;
    for (size_t i = 0; i < want.size(); ++i) fits = fits && (want[i] < 0 || want[i] == data_row[i]);
    if (fits) return data_row;
  }
  const bool fixed = std::all_of(want.begin(), want.end(), [](int64_t d) { return d >= 0; });
  if (fixed && ShapeNumel(want) == ShapeNumel(data_row)) return want;
  return InvalidArgument("rows of shape " + ShapeToString(data_row) + " do not fit input \"" + target.input_name +
                         "\" " + DimsString(want));
}

Result<Shape> ResolveRowShapeForWidth(const RowTarget& target, int64_t width) {
  if (!target.rank_known) return Shape{width};
  Shape shape = target.row_dims;
  int open = -1;
  int64_t fixed_numel = 1;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] >= 0) {
      fixed_numel *= shape[i];
    } else if (open >= 0) {
      return InvalidArgument("input \"" + target.input_name + "\" " + DimsString(shape) +
                             " has more than one open dimension besides the batch; text rows cannot say its shape");
    } else {
      open = static_cast<int>(i);
    }
  }
  if (open < 0) {
    if (fixed_numel != width)
      return InvalidArgument("rows have " + std::to_string(width) + " values but input \"" + target.input_name + "\" " +
                             DimsString(shape) + " needs " + std::to_string(fixed_numel));
    return shape;
  }
  if (fixed_numel == 0 || width % fixed_numel != 0)
    return InvalidArgument("rows have " + std::to_string(width) + " values, which do not fill input \"" +
                           target.input_name + "\" " + DimsString(shape));
  shape[static_cast<size_t>(open)] = width / fixed_numel;
  return shape;
}

}  // namespace inferd::batch
