#include "engine/onnx/initializer_split.h"

#include <algorithm>
#include <limits>

namespace inferd {
namespace {

// Field numbers from onnx.proto (ONNX 1.12).
constexpr uint32_t kModelGraph = 7;        // ModelProto.graph
constexpr uint32_t kGraphInitializer = 5;  // GraphProto.initializer
constexpr uint32_t kTensorRawData = 9;     // TensorProto.raw_data

constexpr uint32_t kWireVarint = 0, kWireFixed64 = 1, kWireLength = 2, kWireFixed32 = 5;

// Sequential reads through a small window; skipping a payload costs nothing.
// Every read is bounded by a caller-given limit; running past it (or a
// malformed varint) returns false. A failed source read also returns false
// and is kept in io_status().
class WireReader {
 public:
  explicit WireReader(const ByteSource& source) : source_(source) {}

  uint64_t pos() const { return pos_; }
  const Status& io_status() const { return io_; }

  bool ReadByte(uint64_t limit, uint8_t* b) {
    if (pos_ >= limit) return false;
    if (pos_ < buf_start_ || pos_ >= buf_start_ + buf_.size()) {
      if (!Fill()) return false;
    }
    *b = static_cast<uint8_t>(buf_[static_cast<size_t>(pos_ - buf_start_)]);
    ++pos_;
    return true;
  }

  // A varint of at most `max_bytes`; its encoded bytes are appended to `raw`.
  bool ReadVarint(uint64_t limit, int max_bytes, uint64_t* value, std::string* raw) {
    uint64_t v = 0;
    for (int i = 0; i < max_bytes; ++i) {
      uint8_t b;
      if (!ReadByte(limit, &b)) return false;
      raw->push_back(static_cast<char>(b));
      v |= static_cast<uint64_t>(b & 0x7f) << (7 * i);
      if ((b & 0x80) == 0) {
        *value = v;
        return true;
      }
    }
    return false;
  }

  bool Copy(uint64_t n, uint64_t limit, std::string* out) {
    if (pos_ > limit || n > limit - pos_) return false;
    while (n > 0) {
      if (pos_ >= buf_start_ && pos_ < buf_start_ + buf_.size()) {
        const size_t at = static_cast<size_t>(pos_ - buf_start_);
        const size_t take = static_cast<size_t>(std::min<uint64_t>(n, buf_.size() - at));
        out->append(buf_, at, take);
        pos_ += take;
        n -= take;
      } else if (n >= kMaxWindow) {  // large fields go straight to `out`
        const size_t old = out->size();
        out->resize(old + static_cast<size_t>(n));
        io_ = source_.Read(pos_, static_cast<size_t>(n), out->data() + old);
        if (!io_.ok()) return false;
        pos_ += n;
        n = 0;
      } else if (!Fill()) {
        return false;
      }
    }
    return true;
  }

  bool Skip(uint64_t n, uint64_t limit) {
    if (pos_ > limit || n > limit - pos_) return false;
    pos_ += n;
    return true;
  }

 private:
  static constexpr size_t kMinWindow = 4096;
  static constexpr size_t kMaxWindow = size_t{1} << 20;

  // Buffers bytes from pos_. Windows grow while reading runs on and shrink
  // after a skip, so skipping a weight does not read into the next one.
  bool Fill() {
    const bool sequential = pos_ == buf_start_ + buf_.size();
    window_ = sequential ? std::min(window_ * 2, kMaxWindow) : kMinWindow;
    const uint64_t n = std::min<uint64_t>(window_, source_.size() - pos_);
    buf_.resize(static_cast<size_t>(n));
    buf_start_ = pos_;
    io_ = source_.Read(pos_, buf_.size(), buf_.data());
    if (!io_.ok()) {
      buf_.clear();
      return false;
    }
    return n > 0;
  }

  const ByteSource& source_;
  uint64_t pos_ = 0;
  std::string buf_;
  uint64_t buf_start_ = 0;
  size_t window_ = kMinWindow / 2;
  Status io_;
};

void AppendVarint(uint64_t v, std::string* out) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

// A tag as protobuf accepts it: a 32-bit varint with a field number >= 1.
bool ReadTag(WireReader& r, uint64_t end, uint32_t* field, uint32_t* wire, std::string* raw) {
  uint64_t tag = 0;
  if (!r.ReadVarint(end, 5, &tag, raw) || tag > std::numeric_limits<uint32_t>::max()) return false;
  *field = static_cast<uint32_t>(tag >> 3);
  *wire = static_cast<uint32_t>(tag & 7);
  return *field != 0;
}

// A length prefix protobuf accepts (fits int32) that stays inside `end`.
bool ReadLength(WireReader& r, uint64_t end, uint64_t* len, std::string* raw) {
  if (!r.ReadVarint(end, 5, len, raw) || *len > static_cast<uint64_t>(std::numeric_limits<int32_t>::max()))
    return false;
  return *len <= end - r.pos();
}

// Copies the body of a field whose tag was just read.
bool CopyFieldBody(WireReader& r, uint64_t end, uint32_t wire, std::string* out) {
  uint64_t v = 0;
  switch (wire) {
    case kWireVarint:
      return r.ReadVarint(end, 10, &v, out);
    case kWireFixed64:
      return r.Copy(8, end, out);
    case kWireFixed32:
      return r.Copy(4, end, out);
    case kWireLength:
      return ReadLength(r, end, &v, out) && r.Copy(v, end, out);
    default:
      return false;  // groups (deprecated) and invalid wire types: let protobuf judge
  }
}

// Walks the fields in [r.pos(), end). `child` handles the one length-delimited
// field number `descend` (its body is re-encoded); everything else is copied.
template <class Child>
bool ScanMessage(WireReader& r, uint64_t end, uint32_t descend, std::string* out, Child&& child) {
  std::string tag;
  while (r.pos() < end) {
    tag.clear();
    uint32_t field = 0, wire = 0;
    if (!ReadTag(r, end, &field, &wire, &tag)) return false;
    if (field == descend && wire == kWireLength) {
      std::string len_raw;
      uint64_t len = 0;
      if (!ReadLength(r, end, &len, &len_raw)) return false;
      const uint64_t child_end = r.pos() + len;
      std::string body;
      bool keep = true;  // false: the child consumed the field (raw_data)
      if (!child(r, child_end, &body, &keep) || r.pos() != child_end) return false;
      if (keep) {
        out->append(tag);
        AppendVarint(body.size(), out);
        out->append(body);
      }
    } else {
      out->append(tag);
      if (!CopyFieldBody(r, end, wire, out)) return false;
    }
  }
  return r.pos() == end;
}

bool ScanTensor(WireReader& r, uint64_t end, std::string* out, std::optional<RawDataSpan>* raw_data) {
  return ScanMessage(r, end, kTensorRawData, out, [&](WireReader& rr, uint64_t field_end, std::string*, bool* keep) {
    *keep = false;
    *raw_data = RawDataSpan{rr.pos(), field_end - rr.pos()};  // the last one wins, as in protobuf
    return rr.Skip(field_end - rr.pos(), field_end);
  });
}

bool ScanGraph(WireReader& r, uint64_t end, std::string* out, SplitModel* split) {
  return ScanMessage(r, end, kGraphInitializer, out, [&](WireReader& rr, uint64_t field_end, std::string* body, bool*) {
    std::optional<RawDataSpan> raw_data;
    if (!ScanTensor(rr, field_end, body, &raw_data)) return false;
    split->initializer_raw_data.push_back(raw_data);
    return true;
  });
}

}  // namespace

Result<std::optional<SplitModel>> SplitInitializerRawData(const ByteSource& source) {
  SplitModel split;
  WireReader r(source);
  bool seen_graph = false;
  const bool ok = ScanMessage(r, source.size(), kModelGraph, &split.skeleton,
                              [&](WireReader& rr, uint64_t field_end, std::string* body, bool*) {
                                // A repeated `graph` field merges in protobuf; leave that to it.
                                if (seen_graph) return false;
                                seen_graph = true;
                                return ScanGraph(rr, field_end, body, &split);
                              });
  if (!r.io_status().ok()) return r.io_status();
  if (!ok) return std::optional<SplitModel>();
  return std::optional<SplitModel>(std::move(split));
}

}  // namespace inferd
