// Validation of a decoded infer request against the served model's
// signature, before it is queued. Every error is INVALID_ARGUMENT (HTTP 400)
// and names the input, what was expected and what came:
//   input "x": expected FP32 [-1,784], got INT64 [1,784]
//   missing input "x" (the model takes "x", "mask")
//   unknown input "y" (the model takes "x")
//   input "x" sent twice
//   input "x": batch of 64 rows exceeds the model's max_batch_size 32
// Stateless; safe from any thread.
#pragma once

#include <cstdint>
#include <vector>

#include "common/status.h"
#include "engine/ir/graph.h"
#include "serving/infer_codec.h"

namespace inferd::serving {

struct ModelSignature {
  std::vector<ValueInfo> inputs;
  std::vector<ValueInfo> outputs;
  // 0: no limit on dimension 0 beyond the model's own declaration.
  int64_t max_batch_size = 0;
};

// Checks names (missing, unknown, duplicated), datatypes, rank, every fixed
// dimension, and dimension 0 against max_batch_size. On success returns the
// tensors reordered into signature.inputs' order (moved out of `request`).
Result<std::vector<Tensor>> ValidateInputs(const ModelSignature& signature, InferRequest& request);

// Checks requested output names exist (INVALID_ARGUMENT naming the unknown one).
Status ValidateRequestedOutputs(const ModelSignature& signature, const InferRequest& request);

}  // namespace inferd::serving
