// Seeded random tensors for `inferd run --random`, `inferd bench` and
// warm-up: uniform floats in [-1, 1), integers in [0, 10), bools 0/1. The
// same seed gives the same tensor. STRING (and other types with no numeric
// meaning) is refused.
#pragma once

#include <cstdint>

#include "common/status.h"
#include "common/tensor.h"

namespace inferd {

Result<Tensor> RandomTensor(DType dtype, const Shape& shape, uint64_t seed);

}  // namespace inferd
