// libFuzzer target: arbitrary bytes through the infer request decoder, and
// every request it accepts back out through the response encoder.
//
// Input layout: byte 0 holds flags (bit 0: an Inference-Header-Content-Length
// is given, in bytes 1-2 little-endian; bit 1: reject non-finite inputs;
// bit 2: the rest is an HTTP request target, parsed and split into path
// segments that must percent-encode and decode back unchanged); the rest is
// the body. Beyond "no crash, no sanitizer report, no huge
// allocation", it checks that a decoded request re-encodes (its inputs as
// outputs) into a response that decodes back to the same tensors, bit for
// bit, whenever the encoder could write it (NaN and non-UTF-8 BYTES aside).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <nlohmann/json.hpp>
#include <string_view>

#include "http/message.h"
#include "serving/infer_codec.h"
#include "serving/infer_codec_internal.h"

namespace {

using inferd::serving::DecodeInferRequest;
using inferd::serving::EncodeInferResponse;

void Check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "infer_request_fuzz: %s\n", what);
    std::abort();
  }
}

bool SameTensor(const inferd::Tensor& a, const inferd::Tensor& b) {
  if (a.dtype() != b.dtype() || a.shape() != b.shape()) return false;
  if (a.dtype() == inferd::DType::kString) {
    for (int64_t i = 0; i < a.numel(); ++i)
      if (a.data<std::string>()[i] != b.data<std::string>()[i]) return false;
    return true;
  }
  return a.nbytes() == 0 || std::memcmp(a.raw(), b.raw(), a.nbytes()) == 0;
}

void RoundTrip(const inferd::serving::InferRequest& req, bool binary) {
  inferd::serving::InferRequest asked;
  asked.binary_output_all = binary;
  auto enc = EncodeInferResponse("m", "1", asked, req.inputs);
  if (!enc.ok()) return;  // non-UTF-8 BYTES cannot be JSON: an error, not a bug
  const size_t json_len = enc->json_length ? *enc->json_length : enc->body.size();
  auto doc = nlohmann::json::parse(enc->body.begin(), enc->body.begin() + static_cast<std::ptrdiff_t>(json_len),
                                   nullptr, false);
  if (doc.is_discarded()) {
    // Only the bare NaN/Infinity tokens may make the response non-strict JSON.
    Check(!binary && (enc->body.find("NaN") != std::string::npos || enc->body.find("Infinity") != std::string::npos),
          "encoder wrote JSON that does not parse");
    return;
  }
  nlohmann::json back;
  back["inputs"] = std::move(doc["outputs"]);
  std::string body = back.dump();
  std::optional<uint64_t> len;
  if (enc->json_length) {
    len = body.size();
    body.append(enc->body, json_len);
  }
  auto dec = DecodeInferRequest(body, len);
  Check(dec.ok(), "re-encoded request does not decode");
  Check(dec->inputs.size() == req.inputs.size(), "re-encoded request lost inputs");
  for (size_t i = 0; i < req.inputs.size(); ++i) {
    Check(dec->inputs[i].name == req.inputs[i].name, "round trip changed a name");
    Check(SameTensor(dec->inputs[i].tensor, req.inputs[i].tensor), "round trip changed a tensor");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const uint8_t flags = data[0];
  std::optional<uint64_t> json_length;
  size_t skip = 1;
  if (flags & 1) {
    if (size < 3) return 0;
    json_length = static_cast<uint64_t>(data[1]) | static_cast<uint64_t>(data[2]) << 8;
    skip = 3;
  }
  const std::string_view body(reinterpret_cast<const char*>(data) + skip, size - skip);
  if (flags & 4) {
    // URL paths: the request target as a client sent it.
    inferd::http::Request request;
    request.target = std::string(body);
    if (inferd::http::ParseTarget(request)) {
      for (const std::string& segment : request.Segments()) {
        std::string back;
        if (!inferd::http::PercentDecode(inferd::http::PercentEncode(segment), back, false) || back != segment) {
          std::fprintf(stderr, "percent encoding does not round-trip\n");
          std::abort();
        }
      }
    }
    return 0;
  }
  inferd::serving::DecodeOptions options;
  options.reject_nonfinite = (flags & 2) != 0;
  auto req = DecodeInferRequest(body, json_length, options);
  // The fast path for data arrays must agree with nlohmann reading every byte.
  if (!json_length || *json_length <= body.size()) {
    const std::string_view json = json_length ? body.substr(0, *json_length) : body;
    auto fast = inferd::serving::codec_internal::ParseRequestJson(json, options, true);
    auto plain = inferd::serving::codec_internal::ParseRequestJson(json, options, false);
    Check(fast.ok() == plain.ok(), "prescan path and plain path disagree on success");
    if (!fast.ok()) {
      Check(fast.status().message() == plain.status().message(), "prescan path and plain path give different errors");
    } else {
      const auto& a = fast->request.inputs;
      const auto& b = plain->request.inputs;
      Check(a.size() == b.size(), "prescan path and plain path give different input counts");
      for (size_t i = 0; i < a.size(); ++i) {
        Check(a[i].name == b[i].name, "prescan path and plain path give different names");
        if (a[i].tensor.storage() != nullptr || b[i].tensor.storage() != nullptr)
          Check(SameTensor(a[i].tensor, b[i].tensor), "prescan path and plain path give different tensors");
      }
    }
  }
  if (!req.ok()) {
    Check(req.status().code() == inferd::StatusCode::kInvalidArgument ||
              req.status().code() == inferd::StatusCode::kResourceExhausted,
          "decoder failed with an unexpected status code");
    Check(!req.status().message().empty(), "decoder error without a message");
    return 0;
  }
  RoundTrip(*req, false);
  RoundTrip(*req, true);
  return 0;
}
