// Small real ONNX models for the registry's tests, benchmark and demos:
// Y = X + W with W an initializer of `num_elements` floats (so the file size
// is about 4 * num_elements bytes). `seed` fills W and goes into the
// doc_string, so different seeds give different bytes and checksums.
#pragma once

#include <cstdint>
#include <string>

#include "common/status.h"

namespace inferd::registry {

Status WriteSampleModel(const std::string& path, int64_t num_elements, uint64_t seed);
// The same with a batch dimension: X and Y are FP32 ["batch", num_elements]
// (a symbolic first dimension, so the model can be batched), W broadcasts.
Status WriteBatchedSampleModel(const std::string& path, int64_t num_elements, uint64_t seed);

}  // namespace inferd::registry
