// Element conversion for `inferd predict`'s readers: file values (any .npy
// or IDX type, or numbers parsed from text as double) into the model
// input's type, refusing what the target cannot hold instead of invoking
// undefined behaviour (NaN into an integer, 300 into UINT8).
//
// Free functions without shared state: call from any thread.
#pragma once

#include <cstdint>
#include <string>

#include "common/dtype.h"

namespace inferd::batch {

// Converts `n` elements from `src` (type `from`) to `dst` (type `to`).
// Returns "" on success, else the reason naming the first bad element,
// e.g. "element 3: value 300 does not fit UINT8". With `reject_nonfinite`,
// NaN and infinities are refused even for floating-point targets.
// Same-type copies are a memcpy (plus the finite check when asked).
std::string ConvertElements(DType from, const void* src, DType to, void* dst, int64_t n, bool reject_nonfinite);

// True for the types a row can be converted to or from (numbers and bool).
bool IsConvertible(DType t);

}  // namespace inferd::batch
