// NumPy .npy files <-> Tensor.
//
// Reads format versions 1.0, 2.0 and 3.0 (little-endian, C order) with the
// dtypes f2 f4 f8 i1 i2 i4 i8 u1 u2 u4 u8 b1 (at most 64 dimensions); writes
// version 1.0 exactly as np.save does. Everything a hostile file could get wrong (magic,
// truncation, a header that lies about the shape, Fortran order, big-endian
// data, shapes that overflow) is rejected with an error naming the problem,
// and nothing is allocated before the file is known to hold the bytes the
// header promises. Functions are free of shared state: call from any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"
#include "common/tensor.h"

namespace inferd {

// What an .npy header says, after validation.
struct NpyHeader {
  DType dtype = DType::kUndefined;
  Shape shape;
  int major_version = 1;
  // Bytes before the element data (magic + length field + header text).
  size_t data_offset = 0;
  // Bytes of element data the shape needs.
  uint64_t data_bytes = 0;
};

// Parses and validates the header at the start of `bytes`; `bytes` must hold
// at least the whole header (the data need not be present).
// `file_size` is the total size of the file, used to check the promised data.
Result<NpyHeader> ParseNpyHeader(std::string_view bytes, uint64_t file_size);

// Decodes a whole .npy image held in memory.
Result<Tensor> ParseNpy(std::string_view bytes);
// Reads an .npy file; errors name the file.
Result<Tensor> LoadNpyFile(const std::string& path);

// The .npy dtype string of an element type ("<f4", "|b1"); nullptr when .npy
// cannot hold it (STRING, BF16).
const char* NpyDescr(DType t);

// Encodes a tensor as an .npy image (fails for STRING and BF16, which .npy
// cannot hold as plain little-endian numbers).
Result<std::string> SerializeNpy(const Tensor& t);
Status SaveNpyFile(const Tensor& t, const std::string& path);

}  // namespace inferd
