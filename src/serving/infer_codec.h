// The Open Inference Protocol's infer messages (KServe v2 REST): decoding a
// request body (JSON, or JSON followed by binary tensors: Triton's
// binary_tensor_data extension) into tensors, and encoding the response.
// Wire facts: ../shared/PROTOCOL.md.
//
// Decoding is total: any byte string either decodes or yields
// INVALID_ARGUMENT whose message names the field or input at fault
// ("input \"x\": data has 5 elements, shape [2,3] needs 6"). Nothing a
// client sends can make it allocate more than the body's size allows for
// (element counts are checked against the bytes present before allocating).
// Stateless; safe from any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "common/tensor.h"

namespace inferd::serving {

struct NamedTensor {
  std::string name;
  Tensor tensor;
};

struct RequestedOutput {
  std::string name;
  bool binary = false;  // parameters.binary_data
};

struct InferRequest {
  std::string id;                       // echoed in the response; may be empty
  std::vector<NamedTensor> inputs;      // in the order sent; dtype and shape as declared by the client
  std::vector<RequestedOutput> outputs;  // empty: every output, encoded per binary_output_all
  bool binary_output_all = false;       // parameters.binary_data_output
  std::optional<int64_t> timeout_us;    // parameters.timeout (microseconds)
  bool trace = false;                   // parameters.trace (per-request opt-in to a timeline)
};

struct DecodeOptions {
  // Refuse FP16/FP32/FP64 inputs holding NaN or +-Inf.
  bool reject_nonfinite = false;
};

// JSON `data` values must suit the datatype: integers in range for integer
// types (integral floats such as 3.0 count), true/false (or 0/1) for BOOL,
// strings for BYTES, numbers in range for FP16/BF16/FP32/FP64.
// `json_length`: the Inference-Header-Content-Length header when present
// (the JSON part is body[0, json_length), binary tensors follow in the
// order their inputs appear); absent means the whole body is JSON.
Result<InferRequest> DecodeInferRequest(std::string_view body, std::optional<uint64_t> json_length,
                                        const DecodeOptions& options = {});

// Parses the Inference-Header-Content-Length header's value: decimal digits
// only; a negative, empty, non-numeric or overflowing value is
// INVALID_ARGUMENT naming the header. (Whether it fits the body is checked
// by DecodeInferRequest.)
Result<uint64_t> ParseInferenceHeaderContentLength(std::string_view value);

struct EncodedResponse {
  std::string body;
  // Set when binary tensors follow the JSON: the value of the
  // Inference-Header-Content-Length response header.
  std::optional<uint64_t> json_length;
};

// `outputs`: every output the model produced, by name. Encodes those the
// request asked for (all when it named none), in the request's order, JSON
// or binary as asked. An unknown requested output is INVALID_ARGUMENT
// naming it and listing the model's outputs. Floats are written shortest
// round-trip; NaN and +-Inf as the bare tokens NaN, Infinity, -Infinity, as
// Triton writes them (not strict JSON: strict clients ask for binary). A
// BYTES element that is not UTF-8 cannot be JSON: INVALID_ARGUMENT saying to
// request that output as binary.
Result<EncodedResponse> EncodeInferResponse(std::string_view model_name, std::string_view model_version,
                                            const InferRequest& request, const std::vector<NamedTensor>& outputs);

// KServe datatype name of a tensor element type ("FP32"); empty if none.
std::string_view WireDatatype(DType dtype);
// Inverse; kUndefined for an unknown name.
DType DTypeFromWire(std::string_view name);

}  // namespace inferd::serving
