#include "common/idx.h"

#include <zlib.h>

#include <cstdio>
#include <cstring>
#include <memory>

namespace inferd {
namespace {

struct GzCloser {
  void operator()(gzFile f) const { gzclose(f); }
};

void SwapBytes(void* data, size_t elem, int64_t count) {
  auto* p = static_cast<unsigned char*>(data);
  for (int64_t i = 0; i < count; ++i, p += elem)
    for (size_t a = 0, b = elem - 1; a < b; ++a, --b) std::swap(p[a], p[b]);
}

}  // namespace

bool GzReadExact(gzFile f, void* dst, size_t n) {
  auto* p = static_cast<char*>(dst);
  while (n > 0) {
    const unsigned chunk = static_cast<unsigned>(std::min<size_t>(n, 1u << 30));
    const int got = gzread(f, p, chunk);
    if (got <= 0) return false;
    p += got;
    n -= static_cast<size_t>(got);
  }
  return true;
}

Result<IdxHeader> ReadIdxHeader(gzFile f, const std::string& what) {
  unsigned char magic[4];
  if (!GzReadExact(f, magic, 4)) return InvalidArgument(what + " is too short to be an IDX file");
  if (magic[0] != 0 || magic[1] != 0) return InvalidArgument(what + " is not an IDX file (bad magic)");
  IdxHeader h;
  switch (magic[2]) {
    case 0x08: h.dtype = DType::kUint8; break;
    case 0x09: h.dtype = DType::kInt8; break;
    case 0x0B: h.dtype = DType::kInt16; break;
    case 0x0C: h.dtype = DType::kInt32; break;
    case 0x0D: h.dtype = DType::kFloat32; break;
    case 0x0E: h.dtype = DType::kFloat64; break;
    default: {
      char hex[8];
      std::snprintf(hex, sizeof hex, "0x%02X", magic[2]);
      return InvalidArgument(what + ": unknown IDX element type " + hex);
    }
  }
  const int rank = magic[3];
  if (rank == 0 || rank > 8) return InvalidArgument(what + ": IDX rank " + std::to_string(rank) + " is not supported");
  for (int i = 0; i < rank; ++i) {
    unsigned char d[4];
    if (!GzReadExact(f, d, 4)) return InvalidArgument(what + ": truncated IDX header");
    h.shape.push_back((int64_t{d[0]} << 24) | (int64_t{d[1]} << 16) | (int64_t{d[2]} << 8) | int64_t{d[3]});
  }
  h.data_offset = 4 + 4 * static_cast<uint64_t>(rank);
  return h;
}

Result<Tensor> ReadIdxFile(const std::string& path) {
  // gzopen reads uncompressed files transparently too.
  std::unique_ptr<gzFile_s, GzCloser> f(gzopen(path.c_str(), "rb"));
  if (!f) return NotFound("cannot open IDX file '" + path + "'");
  ASSIGN_OR_RETURN(IdxHeader h, ReadIdxHeader(f.get(), "'" + path + "'"));
  const DType dtype = h.dtype;
  const Shape& shape = h.shape;
  // Tensor::Create refuses sizes past the tensor limit; a lying header then
  // fails on the short read below, having allocated at most that limit once.
  const int64_t numel = ShapeNumel(shape);
  constexpr int64_t kMaxIdxBytes = int64_t{4} << 30;
  if (numel < 0 || numel * static_cast<int64_t>(DTypeSize(dtype)) > kMaxIdxBytes)
    return ResourceExhausted("'" + path + "': IDX shape " + ShapeToString(shape) + " exceeds the 4 GiB limit");
  ASSIGN_OR_RETURN(Tensor t, Tensor::Create(dtype, shape));
  if (!GzReadExact(f.get(), t.raw(), t.nbytes()))
    return InvalidArgument("'" + path + "': IDX data is shorter than its shape " + ShapeToString(shape) + " needs");
  if (DTypeSize(dtype) > 1) SwapBytes(t.raw(), DTypeSize(dtype), t.numel());
  return t;
}

}  // namespace inferd
