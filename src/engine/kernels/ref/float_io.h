// Reading and writing floating tensors as double, for reference kernels that
// compute in double whatever the element type (float, double, float16,
// bfloat16). Plain loops; not for hot paths of fast kernels.
#pragma once

#include <string>
#include <vector>

#include "common/status.h"
#include "common/tensor.h"

namespace inferd::ref {

// True for float, double, float16, bfloat16.
bool IsFloatingType(DType t);

// All elements of a floating tensor as double; error naming `what` otherwise.
Result<std::vector<double>> ReadDoubles(const Tensor& t, const std::string& what);

// Writes `values` (t.numel() of them) into a floating tensor, rounding to its type.
void WriteDoubles(const std::vector<double>& values, Tensor& t);

}  // namespace inferd::ref
