// Converting `data` values to tensor elements; see infer_codec_internal.h.
#include <cmath>
#include <limits>
#include <string>
#include <type_traits>

#include "serving/infer_codec_internal.h"

namespace inferd::serving::codec_internal {

std::string DescribeScalar(const JsonScalar& s) {
  std::string out;
  switch (s.kind) {
    case JsonScalar::Kind::kBool:
      return s.b ? "true" : "false";
    case JsonScalar::Kind::kInt:
      return std::to_string(s.i);
    case JsonScalar::Kind::kUint:
      return std::to_string(s.u);
    case JsonScalar::Kind::kFloat:
      AppendDouble(out, s.f);
      return out;
    case JsonScalar::Kind::kString:
      return "a string";
    case JsonScalar::Kind::kOpen:
    case JsonScalar::Kind::kClose:
      return "an array";
  }
  return out;
}

namespace {

// Converts one JSON scalar to T, or returns false with `why` set.
template <class T>
bool ConvertScalar(const JsonScalar& s, T* out, std::string* why) {
  using K = JsonScalar::Kind;
  if (s.kind == K::kString) {
    *why = "expected a number, got a string";
    return false;
  }
  if constexpr (std::is_same_v<T, bool>) {
    if (s.kind == K::kBool) return *out = s.b, true;
    if ((s.kind == K::kInt && (s.i == 0 || s.i == 1)) || (s.kind == K::kUint && s.u <= 1)) {
      return *out = s.kind == K::kInt ? s.i != 0 : s.u != 0, true;
    }
    *why = "expected true or false, got " + DescribeScalar(s);
    return false;
  } else {
    if (s.kind == K::kBool) {
      *why = "expected a number, got a boolean";
      return false;
    }
    const auto out_of_range = [&] {
      *why = DescribeScalar(s) + " is out of range for " + std::string(DTypeName(DTypeOf<T>::value));
      return false;
    };
    if constexpr (std::is_integral_v<T>) {
      using L = std::numeric_limits<T>;
      if (s.kind == K::kInt) {
        if constexpr (std::is_signed_v<T>) {
          if (s.i < L::min() || s.i > L::max()) return out_of_range();
        } else {
          if (s.i < 0 || static_cast<uint64_t>(s.i) > L::max()) return out_of_range();
        }
        return *out = static_cast<T>(s.i), true;
      }
      if (s.kind == K::kUint) {
        if (s.u > static_cast<uint64_t>(L::max())) return out_of_range();
        return *out = static_cast<T>(s.u), true;
      }
      // A float token: accepted when it holds an integer in range ("3.0", "1e3").
      if (!std::isfinite(s.f) || std::trunc(s.f) != s.f) {
        *why = DescribeScalar(s) + " is not an integer, as " + std::string(DTypeName(DTypeOf<T>::value)) + " needs";
        return false;
      }
      // Bounds are powers of two, exact in double: [lo, hi).
      const double lo = std::is_signed_v<T> ? -std::ldexp(1.0, L::digits) : 0.0;
      const double hi = std::ldexp(1.0, L::digits);
      if (s.f < lo || s.f >= hi) return out_of_range();
      return *out = static_cast<T>(s.f), true;
    } else {
      double v = s.kind == K::kInt ? static_cast<double>(s.i) : s.kind == K::kUint ? static_cast<double>(s.u) : s.f;
      if (!std::isfinite(v)) return out_of_range();  // "1e999" reads as inf
      if constexpr (std::is_same_v<T, double>) {
        return *out = v, true;
      } else {
        // Below 2^128 - 2^103 (half an ulp past FLT_MAX) a double rounds to a finite float.
        if (!(std::fabs(v) < std::ldexp(1.0, 128) - std::ldexp(1.0, 103))) return out_of_range();
        const float f = static_cast<float>(v);
        if constexpr (std::is_same_v<T, float>) {
          return *out = f, true;
        } else {
          const T h = T::FromFloat(f);
          if (std::isinf(h.ToFloat())) return out_of_range();
          return *out = h, true;
        }
      }
    }
  }
}

}  // namespace

bool ConvertJsonValues(const std::vector<JsonScalar>& values, std::vector<std::string>& strings, Tensor& t,
                       std::string* why) {
  if (t.dtype() == DType::kString) {
    auto* out = t.data<std::string>();
    for (size_t i = 0; i < values.size(); ++i) {
      if (values[i].kind != JsonScalar::Kind::kString) {
        *why = "element " + std::to_string(i) + ": expected a string for BYTES, got " + DescribeScalar(values[i]);
        return false;
      }
      out[i] = std::move(strings[values[i].str]);
    }
    return true;
  }
  return DispatchAll(
      t.dtype(),
      [&](auto tag) {
        using T = decltype(tag);
        T* out = t.data<T>();
        for (size_t i = 0; i < values.size(); ++i) {
          if (!ConvertScalar<T>(values[i], &out[i], why)) {
            *why = "element " + std::to_string(i) + ": " + *why;
            return false;
          }
        }
        return true;
      },
      [] { return false; });
}

}  // namespace inferd::serving::codec_internal
