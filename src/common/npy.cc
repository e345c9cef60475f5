#include "common/npy.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <optional>

namespace inferd {
namespace {

static_assert(std::endian::native == std::endian::little, ".npy support assumes a little-endian host");

constexpr char kMagic[] = "\x93NUMPY";
constexpr size_t kMagicSize = 6;
// numpy itself refuses headers over 10000 bytes unless told otherwise; allow
// more for high-rank shapes but keep hostile length fields from costing memory.
constexpr size_t kMaxHeaderBytes = size_t{1} << 20;
constexpr size_t kMaxRank = 64;

struct DescrEntry {
  const char* code;  // type code + item size, without the byte-order mark
  DType dtype;
};
constexpr DescrEntry kDescrs[] = {
    {"f2", DType::kFloat16}, {"f4", DType::kFloat32}, {"f8", DType::kFloat64}, {"i1", DType::kInt8},
    {"i2", DType::kInt16},   {"i4", DType::kInt32},   {"i8", DType::kInt64},   {"u1", DType::kUint8},
    {"u2", DType::kUint16},  {"u4", DType::kUint32},  {"u8", DType::kUint64},  {"b1", DType::kBool},
};

// A cursor over the header text, a Python dict literal such as
//   {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }
class HeaderReader {
 public:
  explicit HeaderReader(std::string_view text) : text_(text) {}

  void SkipSpace() {
    while (pos_ < text_.size() &&
           (text_[pos_] == ' ' || text_[pos_] == '\t' || text_[pos_] == '\n' || text_[pos_] == '\r'))
      ++pos_;
  }
  bool Peek(char c) {
    SkipSpace();
    return pos_ < text_.size() && text_[pos_] == c;
  }
  bool Consume(char c) {
    if (!Peek(c)) return false;
    ++pos_;
    return true;
  }
  Status Expect(char c) {
    if (Consume(c)) return Status::Ok();
    return Error(std::string("expected '") + c + "'");
  }
  Result<std::string> String() {
    SkipSpace();
    if (pos_ >= text_.size() || (text_[pos_] != '\'' && text_[pos_] != '"')) return Error("expected a quoted string");
    const char quote = text_[pos_++];
    const size_t end = text_.find(quote, pos_);
    if (end == std::string_view::npos) return Error("unterminated string");
    std::string s(text_.substr(pos_, end - pos_));
    pos_ = end + 1;
    return s;
  }
  Result<bool> Bool() {
    SkipSpace();
    for (const auto& [word, value] : {std::pair{"True", true}, std::pair{"False", false}}) {
      const size_t n = std::strlen(word);
      if (text_.substr(pos_, n) == word) {
        pos_ += n;
        return value;
      }
    }
    return Error("expected True or False");
  }
  // A tuple of non-negative integers: "()", "(3,)", "(2, 3)", Python 2's "(2L, 3L)".
  Result<Shape> Tuple() {
    RETURN_IF_ERROR(Expect('('));
    Shape shape;
    while (!Consume(')')) {
      if (!shape.empty()) RETURN_IF_ERROR(Expect(','));
      if (Consume(')')) break;  // trailing comma
      SkipSpace();
      if (pos_ < text_.size() && text_[pos_] == '-') return Error("negative dimension in 'shape'");
      if (pos_ >= text_.size() || text_[pos_] < '0' || text_[pos_] > '9')
        return Error("expected a dimension in 'shape'");
      int64_t d = 0;
      while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9') {
        const int digit = text_[pos_++] - '0';
        if (d > (std::numeric_limits<int64_t>::max() - digit) / 10) return Error("dimension in 'shape' is too large");
        d = d * 10 + digit;
      }
      if (pos_ < text_.size() && text_[pos_] == 'L') ++pos_;
      if (shape.size() == kMaxRank) return Error("'shape' has more than " + std::to_string(kMaxRank) + " dimensions");
      shape.push_back(d);
    }
    return shape;
  }
  bool AtEnd() {
    SkipSpace();
    return pos_ == text_.size();
  }
  Status Error(const std::string& what) const {
    return InvalidArgument("bad .npy header: " + what + " at offset " + std::to_string(pos_) + " of \"" +
                           std::string(text_.substr(0, 200)) + "\"");
  }

 private:
  std::string_view text_;
  size_t pos_ = 0;
};

Result<DType> ParseDescr(const std::string& descr) {
  if (descr.size() < 2) return InvalidArgument(".npy dtype '" + descr + "' is not supported");
  char order = '|';
  std::string code = descr;
  if (descr[0] == '<' || descr[0] == '>' || descr[0] == '|' || descr[0] == '=') {
    order = descr[0];
    code = descr.substr(1);
  }
  if (code == "?") code = "b1";
  for (const auto& e : kDescrs) {
    if (code != e.code) continue;
    if (order == '>' && DTypeSize(e.dtype) > 1)
      return InvalidArgument(".npy dtype '" + descr +
                             "' is big-endian; only little-endian data is supported (save it with arr.astype('<" +
                             code + "'))");
    return e.dtype;
  }
  return InvalidArgument(".npy dtype '" + descr +
                         "' is not supported (supported: f2 f4 f8 i1 i2 i4 i8 u1 u2 u4 u8 b1)");
}


// bool bytes other than 0/1 would be undefined behaviour once read as bool.
void NormalizeBools(Tensor& t) {
  if (t.dtype() != DType::kBool) return;
  auto* p = static_cast<uint8_t*>(t.raw());
  for (int64_t i = 0; i < t.numel(); ++i) p[i] = p[i] != 0 ? 1 : 0;
}

// Size of the fixed prefix (magic, version, length field) for a version.
size_t PrefixSize(int major) { return major == 1 ? 10 : 12; }

}  // namespace

const char* NpyDescr(DType t) {
  switch (t) {
    case DType::kFloat16:
      return "<f2";
    case DType::kFloat32:
      return "<f4";
    case DType::kFloat64:
      return "<f8";
    case DType::kInt8:
      return "|i1";
    case DType::kInt16:
      return "<i2";
    case DType::kInt32:
      return "<i4";
    case DType::kInt64:
      return "<i8";
    case DType::kUint8:
      return "|u1";
    case DType::kUint16:
      return "<u2";
    case DType::kUint32:
      return "<u4";
    case DType::kUint64:
      return "<u8";
    case DType::kBool:
      return "|b1";
    default:
      return nullptr;
  }
}

Result<NpyHeader> ParseNpyHeader(std::string_view bytes, uint64_t file_size) {
  if (bytes.size() < kMagicSize + 2 || std::memcmp(bytes.data(), kMagic, kMagicSize) != 0)
    return InvalidArgument("not an .npy file (it does not start with the \\x93NUMPY magic)");
  NpyHeader h;
  h.major_version = static_cast<uint8_t>(bytes[6]);
  if (h.major_version < 1 || h.major_version > 3)
    return InvalidArgument(".npy format version " + std::to_string(h.major_version) + "." +
                           std::to_string(static_cast<uint8_t>(bytes[7])) + " is not supported (1.0, 2.0 and 3.0 are)");
  const size_t prefix = PrefixSize(h.major_version);
  if (bytes.size() < prefix) return InvalidArgument(".npy file is truncated inside its header length field");
  uint64_t header_len = 0;
  for (size_t i = prefix; i-- > 8;) header_len = header_len << 8 | static_cast<uint8_t>(bytes[i]);
  if (header_len > kMaxHeaderBytes)
    return InvalidArgument(".npy header length " + std::to_string(header_len) + " is over the " +
                           std::to_string(kMaxHeaderBytes) + "-byte limit");
  if (prefix + header_len > file_size || prefix + header_len > bytes.size())
    return InvalidArgument(".npy file is truncated: its header says " + std::to_string(header_len) +
                           " bytes but the file ends first");
  h.data_offset = prefix + static_cast<size_t>(header_len);

  HeaderReader r(bytes.substr(prefix, static_cast<size_t>(header_len)));
  std::string descr;
  std::optional<bool> fortran;
  std::optional<Shape> shape;
  RETURN_IF_ERROR(r.Expect('{'));
  while (!r.Consume('}')) {
    ASSIGN_OR_RETURN(std::string key, r.String());
    RETURN_IF_ERROR(r.Expect(':'));
    if (key == "descr") {
      if (r.Peek('['))
        return InvalidArgument(".npy file holds a structured array; only plain numeric arrays are supported");
      ASSIGN_OR_RETURN(descr, r.String());
    } else if (key == "fortran_order") {
      ASSIGN_OR_RETURN(fortran, r.Bool());
    } else if (key == "shape") {
      ASSIGN_OR_RETURN(shape, r.Tuple());
    } else {
      return r.Error("unexpected key '" + key + "'");
    }
    if (!r.Consume(',')) {
      RETURN_IF_ERROR(r.Expect('}'));
      break;
    }
  }
  if (!r.AtEnd()) return r.Error("text after the dictionary");
  if (descr.empty() || !fortran || !shape) return r.Error("'descr', 'fortran_order' and 'shape' are all required");
  if (*fortran)
    return InvalidArgument(".npy file is in Fortran (column-major) order; save it C-ordered (np.ascontiguousarray)");
  ASSIGN_OR_RETURN(h.dtype, ParseDescr(descr));
  h.shape = std::move(*shape);

  const int64_t numel = ShapeNumel(h.shape);
  if (numel < 0) return InvalidArgument(".npy shape " + ShapeToString(h.shape) + " overflows");
  const uint64_t elem = DTypeSize(h.dtype);
  const uint64_t available = file_size - h.data_offset;
  // Compare in element units first so a huge shape cannot overflow the product.
  if (static_cast<uint64_t>(numel) > available / elem || static_cast<uint64_t>(numel) * elem != available) {
    const std::string need = static_cast<uint64_t>(numel) > std::numeric_limits<uint64_t>::max() / elem
                                 ? std::string("more")
                                 : std::to_string(static_cast<uint64_t>(numel) * elem);
    return InvalidArgument(".npy header says shape " + ShapeToString(h.shape) + " of " + descr + " (" + need +
                           " bytes of data) but the file has " + std::to_string(available) + " bytes after the header");
  }
  h.data_bytes = static_cast<uint64_t>(numel) * elem;
  return h;
}

Result<Tensor> ParseNpy(std::string_view bytes) {
  ASSIGN_OR_RETURN(NpyHeader h, ParseNpyHeader(bytes, bytes.size()));
  ASSIGN_OR_RETURN(Tensor t, Tensor::Create(h.dtype, h.shape));
  if (h.data_bytes > 0) std::memcpy(t.raw(), bytes.data() + h.data_offset, static_cast<size_t>(h.data_bytes));
  NormalizeBools(t);
  return t;
}

Result<Tensor> LoadNpyFile(const std::string& path) {
  auto with_path = [&](const Status& s) { return s.WithContext("'" + path + "'"); };
  std::error_code ec;
  const uint64_t size = std::filesystem::file_size(path, ec);
  if (ec) return NotFound("cannot read '" + path + "': " + ec.message());
  std::ifstream f(path, std::ios::binary);
  if (!f) return NotFound("cannot open '" + path + "'");
  // Read the fixed prefix, then exactly the header the length field names.
  std::string head(static_cast<size_t>(std::min<uint64_t>(size, 12)), '\0');
  f.read(head.data(), static_cast<std::streamsize>(head.size()));
  if (static_cast<size_t>(f.gcount()) != head.size()) return DataLoss("short read from '" + path + "'");
  if (head.size() >= 8 && std::memcmp(head.data(), kMagic, kMagicSize) == 0) {
    const int major = static_cast<uint8_t>(head[6]);
    const size_t prefix = PrefixSize(major);
    if (major >= 1 && major <= 3 && head.size() >= prefix) {
      uint64_t header_len = 0;
      for (size_t i = prefix; i-- > 8;) header_len = header_len << 8 | static_cast<uint8_t>(head[i]);
      if (header_len <= kMaxHeaderBytes && prefix + header_len <= size) {
        head.resize(prefix + static_cast<size_t>(header_len));
        f.seekg(0);
        f.read(head.data(), static_cast<std::streamsize>(head.size()));
        if (static_cast<size_t>(f.gcount()) != head.size()) return DataLoss("short read from '" + path + "'");
      }
    }
  }
  auto h = ParseNpyHeader(head, size);
  if (!h.ok()) return with_path(h.status());
  // The header was checked against the file size, so this allocation is backed by data.
  auto t = Tensor::Create(h->dtype, h->shape);
  if (!t.ok()) return with_path(t.status());
  f.seekg(static_cast<std::streamoff>(h->data_offset));
  f.read(static_cast<char*>(t->raw()), static_cast<std::streamsize>(h->data_bytes));
  if (static_cast<uint64_t>(f.gcount()) != h->data_bytes) return DataLoss("short read from '" + path + "'");
  NormalizeBools(*t);
  return t;
}

Result<std::string> SerializeNpy(const Tensor& t) {
  const char* descr = NpyDescr(t.dtype());
  if (descr == nullptr)
    return InvalidArgument("cannot write a " + std::string(DTypeName(t.dtype())) +
                           " tensor as .npy (supported: float16/32/64, int8-64, uint8-64, bool)");
  if (t.shape().size() > kMaxRank)
    return InvalidArgument("cannot write a tensor of rank " + std::to_string(t.shape().size()) + " as .npy (at most " +
                           std::to_string(kMaxRank) + " dimensions)");
  std::string dict = std::string("{'descr': '") + descr + "', 'fortran_order': False, 'shape': (";
  for (size_t i = 0; i < t.shape().size(); ++i) dict += (i ? ", " : "") + std::to_string(t.shape()[i]);
  if (t.shape().size() == 1) dict += ",";
  dict += "), }";
  // Pad with spaces so the data starts on a 64-byte boundary; end with '\n'.
  // With at most kMaxRank dims the header always fits version 1.0's 16-bit length.
  const size_t prefix = PrefixSize(1);
  const size_t header_len = (prefix + dict.size() + 1 + 63) / 64 * 64 - prefix;
  dict.append(header_len - dict.size() - 1, ' ');
  dict += '\n';

  std::string out(kMagic, kMagicSize);
  out += '\x01';
  out += '\0';
  out += static_cast<char>(header_len & 0xff);
  out += static_cast<char>(header_len >> 8);
  out += dict;
  out.append(static_cast<const char*>(t.raw()) ? static_cast<const char*>(t.raw()) : "", t.nbytes());
  return out;
}

Status SaveNpyFile(const Tensor& t, const std::string& path) {
  ASSIGN_OR_RETURN(std::string bytes, SerializeNpy(t));
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  if (!f) return NotFound("cannot create '" + path + "'");
  f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  f.close();
  if (!f) return DataLoss("cannot write '" + path + "'");
  return Status::Ok();
}

}  // namespace inferd
