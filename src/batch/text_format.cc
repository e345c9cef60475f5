// Number and string formatting shared by the CSV and JSON Lines writers.
#include <charconv>
#include <cmath>
#include <cstdio>

#include "batch/row_writer.h"

namespace inferd::batch {
namespace {

template <class F>
void AppendFloat(F v, std::string* out) {
  if (std::isnan(v)) {
    *out += "nan";
    return;
  }
  if (std::isinf(v)) {
    *out += v < 0 ? "-inf" : "inf";
    return;
  }
  char buf[64];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  out->append(buf, r.ptr);
}

}  // namespace

void AppendNumber(double v, std::string* out) { AppendFloat(v, out); }
void AppendNumber(float v, std::string* out) { AppendFloat(v, out); }

void AppendJsonString(std::string_view s, std::string* out) {
  *out += '"';
  for (char c : s) {
    switch (c) {
      case '"':
        *out += "\\\"";
        break;
      case '\\':
        *out += "\\\\";
        break;
      case '\n':
        *out += "\\n";
        break;
      case '\r':
        *out += "\\r";
        break;
      case '\t':
        *out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(static_cast<unsigned char>(c)));
          *out += buf;
        } else {
          *out += c;
        }
    }
  }
  *out += '"';
}

void AppendElement(const Tensor& t, int64_t i, bool json, std::string* out) {
  auto append_float = [&](double v, bool is_float32) {
    if (json && !std::isfinite(v)) {
      *out += "null";
    } else if (is_float32) {
      AppendNumber(static_cast<float>(v), out);
    } else {
      AppendNumber(v, out);
    }
  };
  char buf[32];
  switch (t.dtype()) {
    case DType::kFloat32:
      append_float(t.data<float>()[i], true);
      return;
    case DType::kFloat64:
      append_float(t.data<double>()[i], false);
      return;
    case DType::kFloat16:
      append_float(t.data<Float16>()[i].ToFloat(), true);
      return;
    case DType::kBFloat16:
      append_float(t.data<BFloat16>()[i].ToFloat(), true);
      return;
    case DType::kBool:
      *out += t.data<bool>()[i] ? '1' : '0';
      return;
    case DType::kInt64: {
      const auto r = std::to_chars(buf, buf + sizeof buf, t.data<int64_t>()[i]);
      out->append(buf, r.ptr);
      return;
    }
    case DType::kUint64: {
      const auto r = std::to_chars(buf, buf + sizeof buf, t.data<uint64_t>()[i]);
      out->append(buf, r.ptr);
      return;
    }
    case DType::kString:
      if (json) {
        AppendJsonString(t.data<std::string>()[i], out);
      } else {
        *out += t.data<std::string>()[i];
      }
      return;
    default: {
      // The remaining integer types fit a double exactly.
      const auto r = std::to_chars(buf, buf + sizeof buf, static_cast<int64_t>(t.GetAsDouble(i)));
      out->append(buf, r.ptr);
      return;
    }
  }
}

int64_t ArgMax(const Tensor& t, int64_t begin, int64_t n) {
  if (t.dtype() == DType::kFloat32) {
    const float* p = t.data<float>() + begin;
    int64_t best = 0;
    for (int64_t c = 1; c < n; ++c)
      if (p[c] > p[best] || (std::isnan(p[best]) && !std::isnan(p[c]))) best = c;
    return best;
  }
  int64_t best = 0;
  double best_v = n > 0 ? t.GetAsDouble(begin) : 0;
  for (int64_t c = 1; c < n; ++c) {
    const double v = t.GetAsDouble(begin + c);
    if (v > best_v || (std::isnan(best_v) && !std::isnan(v))) {
      best = c;
      best_v = v;
    }
  }
  return best;
}

}  // namespace inferd::batch
