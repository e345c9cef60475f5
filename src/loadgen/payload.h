// What the load generator sends and expects: the model's metadata as the
// server describes it (GET /v2/models/M), one inference request body built
// from it (random seeded data, or .npy files), in JSON or with the binary
// tensor extension, and the check of the server's first answer.
//
// Pure functions over values; call from any thread.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace inferd::loadgen {

struct TensorSpec {
  std::string name;
  std::string datatype;        // "FP32", "BYTES", ...
  std::vector<int64_t> shape;  // -1 for a variable dimension
};

struct ModelMetadata {
  std::string name;
  std::vector<std::string> versions;
  std::string platform;
  std::vector<TensorSpec> inputs;
  std::vector<TensorSpec> outputs;
};

// Parses the metadata document; errors name what is missing or mistyped.
Result<ModelMetadata> ParseModelMetadata(std::string_view json);

struct PayloadOptions {
  // Inferences per request: the size given to a variable first dimension.
  // 0: from the first --input file that covers such an input, else 1.
  int64_t batch = 0;
  std::map<std::string, std::string> input_files;  // input name -> .npy path
  bool binary = false;                             // binary tensor extension for inputs and outputs
  uint64_t seed = 1;
};

struct InferPayload {
  std::string body;
  size_t json_bytes = 0;                      // binary: length of the JSON part (Inference-Header-Content-Length)
  int64_t batch = 1;                          // inferences per request
  std::vector<std::string> inputs_described;  // "x: FP32 [4,3] (random)"
  // Headers to send with the body (Content-Type, Inference-Header-Content-Length).
  std::vector<std::pair<std::string, std::string>> Headers() const;
};

// Builds the request body for `model`. Fails when an input cannot be
// generated (a datatype this tool does not know), a file does not match the
// declared datatype/shape, a file names an unknown input, or the body would
// exceed `max_body_bytes`.
Result<InferPayload> BuildInferPayload(const ModelMetadata& model, const PayloadOptions& options,
                                       uint64_t max_body_bytes = uint64_t{1} << 30);

// Checks a response to the request: status 200, a JSON document (the leading
// Inference-Header-Content-Length bytes when that header is present) with a
// non-empty "outputs" array whose entries have name, datatype and shape and
// carry data (inline "data", or binary_data_size bytes that together fill
// the rest of the body). The error quotes the server's body.
Status CheckInferResponse(int status, std::string_view body, const std::string* inference_header_length);

}  // namespace inferd::loadgen
