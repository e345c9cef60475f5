// Reader for the IDX format (MNIST, Fashion-MNIST), plain or gzip-compressed.
//
// IDX: 2 zero bytes, a type byte (0x08 uint8, 0x09 int8, 0x0B int16,
// 0x0C int32, 0x0D float32, 0x0E float64), a rank byte, then rank big-endian
// uint32 dims and the big-endian data. Hostile headers (huge dims, short
// data) are refused before allocating more than the file can hold.
#pragma once

#include <string>

#include "common/status.h"
#include "common/tensor.h"

namespace inferd {

// Reads the whole file as a tensor of the stored type and shape. Files
// ending in .gz are decompressed on the fly.
Result<Tensor> ReadIdxFile(const std::string& path);

}  // namespace inferd
