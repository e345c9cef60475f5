// Infer request decoding: the JSON part (infer_codec_json.cc), then the
// binary tensors that follow it. Response encoding: infer_codec_encode.cc.
#include "serving/infer_codec.h"

#include <bit>
#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>

#include "serving/infer_codec_internal.h"

namespace inferd::serving {

static_assert(std::endian::native == std::endian::little,
              "binary tensor data is little-endian on the wire and copied as is");

namespace {

struct WireName {
  DType dtype;
  std::string_view name;
};
constexpr WireName kWireNames[] = {
    {DType::kBool, "BOOL"},     {DType::kUint8, "UINT8"},   {DType::kUint16, "UINT16"}, {DType::kUint32, "UINT32"},
    {DType::kUint64, "UINT64"}, {DType::kInt8, "INT8"},     {DType::kInt16, "INT16"},   {DType::kInt32, "INT32"},
    {DType::kInt64, "INT64"},   {DType::kFloat16, "FP16"},  {DType::kFloat32, "FP32"},  {DType::kFloat64, "FP64"},
    {DType::kString, "BYTES"},  {DType::kBFloat16, "BF16"},
};

uint32_t ReadLe32(const char* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

// Fills a binary input's tensor from `bytes` (exactly its binary_data_size).
Result<Tensor> DecodeBinaryTensor(const std::string& label, DType dtype, const Shape& shape, std::string_view bytes) {
  const int64_t numel = ShapeNumel(shape);  // checked non-negative by the JSON pass
  if (dtype == DType::kString) {
    // Each element takes at least its 4-byte length: bound the count before allocating.
    if (static_cast<uint64_t>(numel) > bytes.size() / 4)
      return InvalidArgument(label + ": binary_data_size " + std::to_string(bytes.size()) + " cannot hold the " +
                             std::to_string(numel) + " BYTES elements of shape " + ShapeToString(shape) +
                             " (each needs a 4-byte length)");
    ASSIGN_OR_RETURN(Tensor t, Tensor::Create(dtype, shape));
    auto* out = t.data<std::string>();
    size_t pos = 0;
    for (int64_t i = 0; i < numel; ++i) {
      if (bytes.size() - pos < 4)
        return InvalidArgument(label + ": BYTES element " + std::to_string(i) +
                               " is cut off: its 4-byte length is missing");
      const uint32_t len = ReadLe32(bytes.data() + pos);
      pos += 4;
      if (len > bytes.size() - pos)
        return InvalidArgument(label + ": BYTES element " + std::to_string(i) + " declares " + std::to_string(len) +
                               " bytes but only " + std::to_string(bytes.size() - pos) +
                               " remain in its binary_data_size");
      out[i].assign(bytes.data() + pos, len);
      pos += len;
    }
    if (pos != bytes.size())
      return InvalidArgument(label + ": binary_data_size " + std::to_string(bytes.size()) + " leaves " +
                             std::to_string(bytes.size() - pos) + " bytes after the " + std::to_string(numel) +
                             " BYTES elements of shape " + ShapeToString(shape));
    return t;
  }
  const uint64_t elem = DTypeSize(dtype);
  const auto n = static_cast<uint64_t>(numel);
  const bool overflow = n > std::numeric_limits<uint64_t>::max() / elem;
  if (overflow || n * elem != bytes.size())
    return InvalidArgument(label + ": binary_data_size " + std::to_string(bytes.size()) + " does not match shape " +
                           ShapeToString(shape) + " of " + std::string(WireDatatype(dtype)) + ", which needs " +
                           (overflow ? "over 2^64" : std::to_string(n * elem)) + " bytes");
  if (dtype == DType::kBool) {
    for (size_t i = 0; i < bytes.size(); ++i)
      if (static_cast<unsigned char>(bytes[i]) > 1)
        return InvalidArgument(label + ": BOOL element " + std::to_string(i) + " is byte " +
                               std::to_string(static_cast<unsigned char>(bytes[i])) + ", expected 0 or 1");
  }
  ASSIGN_OR_RETURN(Tensor t, Tensor::Create(dtype, shape));
  if (!bytes.empty()) std::memcpy(t.raw(), bytes.data(), bytes.size());
  return t;
}

}  // namespace

std::string_view WireDatatype(DType dtype) {
  for (const auto& w : kWireNames)
    if (w.dtype == dtype) return w.name;
  return {};
}

DType DTypeFromWire(std::string_view name) {
  for (const auto& w : kWireNames)
    if (w.name == name) return w.dtype;
  return DType::kUndefined;
}

Result<uint64_t> ParseInferenceHeaderContentLength(std::string_view value) {
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
  uint64_t n = 0;
  const auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
  if (value.empty() || ec != std::errc() || ptr != value.data() + value.size()) {
    std::string shown(value.substr(0, 40));
    return InvalidArgument("Inference-Header-Content-Length \"" + shown +
                           "\" is not a non-negative decimal byte count");
  }
  return n;
}

Result<InferRequest> DecodeInferRequest(std::string_view body, std::optional<uint64_t> json_length,
                                        const DecodeOptions& options) {
  if (json_length && *json_length > body.size())
    return InvalidArgument("Inference-Header-Content-Length " + std::to_string(*json_length) + " exceeds the body's " +
                           std::to_string(body.size()) + " bytes");
  const std::string_view json = json_length ? body.substr(0, *json_length) : body;
  ASSIGN_OR_RETURN(codec_internal::ParsedRequest parsed, codec_internal::ParseRequestJson(json, options));
  InferRequest& request = parsed.request;

  std::string_view binary = body.substr(json.size());
  uint64_t declared = 0;
  for (size_t i = 0; i < request.inputs.size(); ++i) {
    const auto& size = parsed.binary_sizes[i];
    if (!size) continue;
    NamedTensor& in = request.inputs[i];
    const std::string label = "input " + codec_internal::Quoted(in.name);
    if (!json_length)
      return InvalidArgument(label +
                             ": has parameters.binary_data_size but the request has no "
                             "Inference-Header-Content-Length header to say where the JSON ends");
    if (*size > binary.size())
      return InvalidArgument(label + ": binary_data_size " + std::to_string(*size) + " but only " +
                             std::to_string(binary.size()) + " bytes of binary data remain");
    ASSIGN_OR_RETURN(in.tensor,
                     DecodeBinaryTensor(label, in.tensor.dtype(), in.tensor.shape(), binary.substr(0, *size)));
    if (options.reject_nonfinite) RETURN_IF_ERROR(codec_internal::CheckFinite(in.tensor, label));
    binary.remove_prefix(*size);
    declared += *size;
  }
  if (!binary.empty())
    return InvalidArgument("request has " + std::to_string(binary.size()) +
                           " bytes after the JSON that no input claims" + " (binary_data_size values add up to " +
                           std::to_string(declared) + ")");
  return std::move(request);
}

namespace codec_internal {

namespace {
template <class T>
void AppendShortest(std::string& out, T v) {
  if (std::isnan(v)) {
    out += "NaN";
  } else if (std::isinf(v)) {
    out += v < 0 ? "-Infinity" : "Infinity";
  } else if (v == 0 && std::signbit(v)) {
    out += "-0.0";
  } else {
    char buf[40];
    const auto r = std::to_chars(buf, buf + sizeof(buf), v);
    out.append(buf, r.ptr);
  }
}
}  // namespace

void AppendFloat(std::string& out, float v) { AppendShortest(out, v); }
void AppendDouble(std::string& out, double v) { AppendShortest(out, v); }

Status CheckFinite(const Tensor& t, std::string_view label) {
  const auto scan = [&](auto get) -> Status {
    for (int64_t i = 0; i < t.numel(); ++i) {
      const double v = get(i);
      if (!std::isfinite(v))
        return InvalidArgument(std::string(label) + ": element " + std::to_string(i) + " is " +
                               (std::isnan(v) ? "NaN" : "infinite") + "; this server accepts only finite values");
    }
    return Status::Ok();
  };
  switch (t.dtype()) {
    case DType::kFloat32:
      return scan([&](int64_t i) { return static_cast<double>(t.data<float>()[i]); });
    case DType::kFloat64:
      return scan([&](int64_t i) { return t.data<double>()[i]; });
    case DType::kFloat16:
      return scan([&](int64_t i) { return static_cast<double>(t.data<Float16>()[i].ToFloat()); });
    case DType::kBFloat16:
      return scan([&](int64_t i) { return static_cast<double>(t.data<BFloat16>()[i].ToFloat()); });
    default:
      return Status::Ok();
  }
}

}  // namespace codec_internal
}  // namespace inferd::serving
