#include "common/idx.h"

#include <zlib.h>

#include <cstring>
#include <memory>

namespace inferd {
namespace {

struct GzCloser {
  void operator()(gzFile f) const { gzclose(f); }
};

// Reads exactly n bytes; false on a short read.
bool ReadExact(gzFile f, void* dst, size_t n) {
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

void SwapBytes(void* data, size_t elem, int64_t count) {
  auto* p = static_cast<unsigned char*>(data);
  for (int64_t i = 0; i < count; ++i, p += elem)
    for (size_t a = 0, b = elem - 1; a < b; ++a, --b) std::swap(p[a], p[b]);
}

}  // namespace

Result<Tensor> ReadIdxFile(const std::string& path) {
  // gzopen reads uncompressed files transparently too.
  std::unique_ptr<gzFile_s, GzCloser> f(gzopen(path.c_str(), "rb"));
  if (!f) return NotFound("cannot open IDX file '" + path + "'");
  unsigned char magic[4];
  if (!ReadExact(f.get(), magic, 4)) return InvalidArgument("'" + path + "' is too short to be an IDX file");
  if (magic[0] != 0 || magic[1] != 0) return InvalidArgument("'" + path + "' is not an IDX file (bad magic)");
  DType dtype;
  switch (magic[2]) {
    case 0x08: dtype = DType::kUint8; break;
    case 0x09: dtype = DType::kInt8; break;
    case 0x0B: dtype = DType::kInt16; break;
    case 0x0C: dtype = DType::kInt32; break;
    case 0x0D: dtype = DType::kFloat32; break;
    case 0x0E: dtype = DType::kFloat64; break;
    default: return InvalidArgument("'" + path + "': unknown IDX element type 0x" + std::to_string(magic[2]));
  }
  const int rank = magic[3];
  if (rank == 0 || rank > 8) return InvalidArgument("'" + path + "': IDX rank " + std::to_string(rank) + " is not supported");
  Shape shape;
  for (int i = 0; i < rank; ++i) {
    unsigned char d[4];
    if (!ReadExact(f.get(), d, 4)) return InvalidArgument("'" + path + "': truncated IDX header");
    shape.push_back((int64_t{d[0]} << 24) | (int64_t{d[1]} << 16) | (int64_t{d[2]} << 8) | int64_t{d[3]});
  }
  // Tensor::Create refuses sizes past the tensor limit; a lying header then
  // fails on the short read below, having allocated at most that limit once.
  const int64_t numel = ShapeNumel(shape);
  constexpr int64_t kMaxIdxBytes = int64_t{4} << 30;
  if (numel < 0 || numel * static_cast<int64_t>(DTypeSize(dtype)) > kMaxIdxBytes)
    return ResourceExhausted("'" + path + "': IDX shape " + ShapeToString(shape) + " exceeds the 4 GiB limit");
  ASSIGN_OR_RETURN(Tensor t, Tensor::Create(dtype, shape));
  if (!ReadExact(f.get(), t.raw(), t.nbytes()))
    return InvalidArgument("'" + path + "': IDX data is shorter than its shape " + ShapeToString(shape) + " needs");
  if (DTypeSize(dtype) > 1) SwapBytes(t.raw(), DTypeSize(dtype), t.numel());
  return t;
}

}  // namespace inferd
