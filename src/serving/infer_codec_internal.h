// Internal to the infer codec (infer_codec*.cc); not part of its contract.
//
// ParseRequestJson reads the JSON part of an infer request in one pass with
// nlohmann's SAX interface (no DOM: the request is small and hot), checking
// each field's type as it streams and each input's data against its shape and
// datatype when the input's object closes. Inputs that travel as binary
// (parameters.binary_data_size) come back with an undefined tensor and their
// size; the caller slices the bytes after the JSON.
// Stateless functions; safe from any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "serving/infer_codec.h"

namespace inferd::serving::codec_internal {

struct ParsedRequest {
  InferRequest request;
  // Per input, in request.inputs' order: the binary_data_size when given.
  std::vector<std::optional<uint64_t>> binary_sizes;
};

Result<ParsedRequest> ParseRequestJson(std::string_view json, const DecodeOptions& options);

// `input "x"`, the label errors use for an input or output.
std::string Quoted(std::string_view name);

// Shortest text that reads back as the same value; "NaN", "Infinity",
// "-Infinity" for non-finite values (as Triton writes them), "-0.0" for
// negative zero (a bare "-0" would read back as the integer 0).
void AppendFloat(std::string& out, float v);
void AppendDouble(std::string& out, double v);

// Refuses NaN and +-Inf in a floating tensor (FP16, BF16, FP32, FP64); others pass.
Status CheckFinite(const Tensor& t, std::string_view label);

}  // namespace inferd::serving::codec_internal
