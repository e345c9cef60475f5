// Infer response encoding: JSON written directly into one string (no DOM),
// binary outputs appended after it. Non-finite floats are written as the bare
// tokens NaN, Infinity and -Infinity, as Triton does (its JSON writer enables
// rapidjson's kWriteNanAndInfFlag); Python's json module and Triton's
// clients read them; strict JSON parsers do not, so clients that care ask for
// binary_data outputs.
#include <charconv>
#include <cstring>
#include <limits>

#include "serving/infer_codec.h"
#include "serving/infer_codec_internal.h"

namespace inferd::serving {
namespace {

using codec_internal::Quoted;

// Appends `s` as a JSON string. Returns false (appending nothing useful) if
// `s` is not valid UTF-8, which JSON text cannot carry.
bool AppendJsonString(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      if (c == '"' || c == '\\') {
        out += '\\';
        out += static_cast<char>(c);
      } else if (c < 0x20) {
        const char* esc = c == '\n'   ? "\\n"
                          : c == '\r' ? "\\r"
                          : c == '\t' ? "\\t"
                          : c == '\b' ? "\\b"
                          : c == '\f' ? "\\f"
                                      : nullptr;
        if (esc != nullptr) {
          out += esc;
        } else {
          out += "\\u00";
          out += kHex[c >> 4];
          out += kHex[c & 15];
        }
      } else {
        out += static_cast<char>(c);
      }
      ++i;
      continue;
    }
    // Multi-byte sequence: check lead byte, continuation bytes, overlongs and surrogates.
    size_t len;
    uint32_t cp;
    if (c >= 0xc2 && c <= 0xdf) {
      len = 2, cp = c & 0x1fu;
    } else if (c >= 0xe0 && c <= 0xef) {
      len = 3, cp = c & 0x0fu;
    } else if (c >= 0xf0 && c <= 0xf4) {
      len = 4, cp = c & 0x07u;
    } else {
      return false;
    }
    if (s.size() - i < len) return false;
    for (size_t k = 1; k < len; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xc0u) != 0x80u) return false;
      cp = (cp << 6) | (cc & 0x3fu);
    }
    if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
      return false;
    out.append(s.data() + i, len);
    i += len;
  }
  out += '"';
  return true;
}

template <class T>
void AppendInt(std::string& out, T v) {
  char buf[24];
  const auto r = std::to_chars(buf, buf + sizeof(buf), v);
  out.append(buf, r.ptr);
}

Status AppendJsonData(std::string& out, const std::string& name, const Tensor& t) {
  const int64_t n = t.numel();
  out += '[';
  if (t.dtype() == DType::kString) {
    const auto* v = t.data<std::string>();
    for (int64_t i = 0; i < n; ++i) {
      if (i) out += ',';
      if (!AppendJsonString(out, v[i]))
        return InvalidArgument("output " + Quoted(name) + ": element " + std::to_string(i) +
                               " is not valid UTF-8, so it cannot travel in JSON; request the output with "
                               "parameters.binary_data true");
    }
  } else {
    const bool ok = DispatchAll(
        t.dtype(),
        [&](auto tag) {
          using T = decltype(tag);
          const T* v = t.data<T>();
          for (int64_t i = 0; i < n; ++i) {
            if (i) out += ',';
            if constexpr (std::is_same_v<T, bool>) {
              out += v[i] ? "true" : "false";
            } else if constexpr (std::is_same_v<T, float>) {
              codec_internal::AppendFloat(out, v[i]);
            } else if constexpr (std::is_same_v<T, double>) {
              codec_internal::AppendDouble(out, v[i]);
            } else if constexpr (std::is_same_v<T, Float16> || std::is_same_v<T, BFloat16>) {
              codec_internal::AppendFloat(out, v[i].ToFloat());
            } else {
              AppendInt(out, v[i]);
            }
          }
          return true;
        },
        [] { return false; });
    if (!ok)
      return Internal("output " + Quoted(name) + " has element type " + std::string(DTypeName(t.dtype())) +
                      ", which the inference protocol cannot carry");
  }
  out += ']';
  return Status::Ok();
}

// Bytes of an output sent as binary: raw little-endian elements, or per
// BYTES element a 4-byte little-endian length and the bytes.
Status AppendBinary(std::string& out, const std::string& name, const Tensor& t) {
  if (t.dtype() != DType::kString) {
    if (t.nbytes() > 0) out.append(static_cast<const char*>(t.raw()), t.nbytes());
    return Status::Ok();
  }
  const auto* v = t.data<std::string>();
  for (int64_t i = 0; i < t.numel(); ++i) {
    if (v[i].size() > std::numeric_limits<uint32_t>::max())
      return InvalidArgument("output " + Quoted(name) + ": element " + std::to_string(i) +
                             " is longer than the 4 GiB a BYTES element can carry");
    const auto len = static_cast<uint32_t>(v[i].size());
    char le[4];
    std::memcpy(le, &len, 4);
    out.append(le, 4);
    out += v[i];
  }
  return Status::Ok();
}

uint64_t BinarySize(const Tensor& t) {
  if (t.dtype() != DType::kString) return t.nbytes();
  uint64_t n = 0;
  for (int64_t i = 0; i < t.numel(); ++i) n += 4 + t.data<std::string>()[i].size();
  return n;
}

std::string ModelOutputList(const std::vector<NamedTensor>& outputs) {
  std::string s;
  for (const auto& o : outputs) s += (s.empty() ? "" : ", ") + Quoted(o.name);
  return s.empty() ? "none" : s;
}

}  // namespace

Result<EncodedResponse> EncodeInferResponse(std::string_view model_name, std::string_view model_version,
                                            const InferRequest& request, const std::vector<NamedTensor>& outputs) {
  struct Chosen {
    const NamedTensor* out;
    bool binary;
  };
  std::vector<Chosen> chosen;
  size_t estimate = 128;
  if (request.outputs.empty()) {
    for (const auto& o : outputs) chosen.push_back({&o, request.binary_output_all});
  } else {
    for (const auto& r : request.outputs) {
      const NamedTensor* found = nullptr;
      for (const auto& o : outputs)
        if (o.name == r.name) found = &o;
      if (found == nullptr)
        return InvalidArgument("unknown output " + Quoted(r.name) + " (the model produces " + ModelOutputList(outputs) +
                               ")");
      chosen.push_back({found, r.binary});
    }
  }
  for (const auto& c : chosen) {
    if (WireDatatype(c.out->tensor.dtype()).empty() || (c.out->tensor.numel() > 0 && c.out->tensor.raw() == nullptr))
      return Internal("output " + Quoted(c.out->name) + " has no data of a type the inference protocol can carry (" +
                      std::string(DTypeName(c.out->tensor.dtype())) + ")");
    estimate += 64 + static_cast<size_t>(c.out->tensor.numel()) * (c.binary ? 0 : 16);
  }

  EncodedResponse response;
  std::string& out = response.body;
  out.reserve(estimate);
  const auto bad_text = [](const char* what) {
    return Internal(std::string(what) + " is not valid UTF-8 and cannot be written in a JSON response");
  };
  out += "{\"model_name\":";
  if (!AppendJsonString(out, model_name)) return bad_text("the model name");
  if (!model_version.empty()) {
    out += ",\"model_version\":";
    if (!AppendJsonString(out, model_version)) return bad_text("the model version");
  }
  if (!request.id.empty()) {
    out += ",\"id\":";
    if (!AppendJsonString(out, request.id)) return bad_text("the request id");
  }
  out += ",\"outputs\":[";
  bool any_binary = false;
  for (size_t k = 0; k < chosen.size(); ++k) {
    const NamedTensor& o = *chosen[k].out;
    if (k) out += ',';
    out += "{\"name\":";
    if (!AppendJsonString(out, o.name)) return bad_text("an output name");
    out += ",\"datatype\":\"";
    out += WireDatatype(o.tensor.dtype());
    out += "\",\"shape\":[";
    for (size_t d = 0; d < o.tensor.shape().size(); ++d) {
      if (d) out += ',';
      AppendInt(out, o.tensor.shape()[d]);
    }
    out += ']';
    if (chosen[k].binary) {
      any_binary = true;
      out += ",\"parameters\":{\"binary_data_size\":";
      AppendInt(out, BinarySize(o.tensor));
      out += '}';
    } else {
      out += ",\"data\":";
      RETURN_IF_ERROR(AppendJsonData(out, o.name, o.tensor));
    }
    out += '}';
  }
  out += "]}";
  if (any_binary) {
    response.json_length = out.size();
    for (const auto& c : chosen)
      if (c.binary) RETURN_IF_ERROR(AppendBinary(out, c.out->name, c.out->tensor));
  }
  return response;
}

}  // namespace inferd::serving
