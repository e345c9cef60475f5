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

// One JSON value inside `data`, kept until the input's datatype and shape
// are known (they may come after `data` in the object). kOpen and kClose
// only appear in prescanned event lists: an array's start and end.
struct JsonScalar {
  enum class Kind : uint8_t { kBool, kInt, kUint, kFloat, kString, kOpen, kClose };
  Kind kind;
  union {
    bool b;
    int64_t i;
    uint64_t u;
    double f;
    size_t str;  // index into the parser's strings
  };
};

// The fast path for the bulk of a request: each input's `data` array that
// holds only numbers, booleans and arrays is parsed here (std::from_chars),
// and nlohmann sees `[]` in its place. Arrays with anything else (strings,
// null, bad syntax) are left in the text for nlohmann, so errors and results
// are those of the plain path.
struct Prescan {
  std::string json;  // the request with claimed arrays replaced by []
  // Per input `data` array in document order: its events (kOpen ... kClose)
  // when claimed, empty when left in the text.
  std::vector<std::vector<JsonScalar>> arrays;
};
// nullopt: nothing claimed (or keys with escapes): parse the text as is.
std::optional<Prescan> PrescanDataArrays(std::string_view json);

struct ParsedRequest {
  InferRequest request;
  // Per input, in request.inputs' order: the binary_data_size when given.
  std::vector<std::optional<uint64_t>> binary_sizes;
};

// `use_prescan` false: nlohmann reads every byte (tests and the fuzzer
// compare the two paths).
Result<ParsedRequest> ParseRequestJson(std::string_view json, const DecodeOptions& options, bool use_prescan = true);

// "3", "1.5", "true", "a string": a data value in an error message.
std::string DescribeScalar(const JsonScalar& s);
// Converts an input's `data` values (as many as `t` has elements) into `t`,
// checking each against t's datatype (range, integrality, kind); strings are
// moved out of `strings`. False with `why` = "element 3: ..." on the first bad one.
bool ConvertJsonValues(const std::vector<JsonScalar>& values, std::vector<std::string>& strings, Tensor& t,
                       std::string* why);

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
