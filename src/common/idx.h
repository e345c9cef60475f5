// Reader for the IDX format (MNIST, Fashion-MNIST), plain or gzip-compressed.
//
// IDX: 2 zero bytes, a type byte (0x08 uint8, 0x09 int8, 0x0B int16,
// 0x0C int32, 0x0D float32, 0x0E float64), a rank byte, then rank big-endian
// uint32 dims and the big-endian data. Hostile headers (huge dims, short
// data) are refused before allocating more than the file can hold.
#pragma once

#include <zlib.h>

#include <cstdint>
#include <string>

#include "common/status.h"
#include "common/tensor.h"

namespace inferd {

// Reads the whole file as a tensor of the stored type and shape. Files
// ending in .gz are decompressed on the fly.
Result<Tensor> ReadIdxFile(const std::string& path);

// For streaming readers: the header of an IDX file opened with gzopen, read
// from its start. `what` names the file in errors ("'t10k.idx'").
struct IdxHeader {
  DType dtype = DType::kUndefined;
  Shape shape;
  uint64_t data_offset = 0;  // bytes before the data
};
Result<IdxHeader> ReadIdxHeader(gzFile f, const std::string& what);
// Reads exactly n bytes; false on a short read.
bool GzReadExact(gzFile f, void* dst, size_t n);

}  // namespace inferd
