#include "batch/element_convert.h"

#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <type_traits>

namespace inferd::batch {
namespace {

template <class T>
double ToDouble(T v) {
  if constexpr (std::is_same_v<T, Float16> || std::is_same_v<T, BFloat16>) {
    return static_cast<double>(v.ToFloat());
  } else {
    return static_cast<double>(v);
  }
}

template <class T>
constexpr bool kIsFloat = std::is_floating_point_v<T> || std::is_same_v<T, Float16> || std::is_same_v<T, BFloat16>;

std::string Describe(double v) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

// Stores `v` as D; false when D cannot represent it.
template <class D>
bool Store(double v, D* out) {
  if constexpr (std::is_same_v<D, bool>) {
    if (std::isnan(v)) return false;
    *out = v != 0;
    return true;
  } else if constexpr (std::is_same_v<D, Float16> || std::is_same_v<D, BFloat16>) {
    *out = D::FromFloat(static_cast<float>(v));
    return true;
  } else if constexpr (std::is_floating_point_v<D>) {
    *out = static_cast<D>(v);
    return true;
  } else {
    // Integers: whole numbers in range only (2^63 is not an int64).
    if (!std::isfinite(v) || v != std::trunc(v)) return false;
    constexpr double lo = static_cast<double>(std::numeric_limits<D>::min());
    constexpr double hi_excl = 2.0 * static_cast<double>(std::numeric_limits<D>::max() / 2 + 1);
    if (v < lo || v >= hi_excl) return false;
    *out = static_cast<D>(v);
    return true;
  }
}

template <class S, class D>
std::string ConvertSpan(const S* src, D* dst, int64_t n, bool reject_nonfinite) {
  for (int64_t i = 0; i < n; ++i) {
    if constexpr (std::is_same_v<S, D> && !kIsFloat<S>) {
      dst[i] = src[i];
    } else if constexpr (std::is_same_v<S, D> && std::is_floating_point_v<S>) {
      if (reject_nonfinite && !std::isfinite(src[i]))
        return "element " + std::to_string(i) + " is " + Describe(static_cast<double>(src[i]));
      dst[i] = src[i];
    } else {
      const double v = ToDouble(src[i]);
      if (reject_nonfinite && !std::isfinite(v)) return "element " + std::to_string(i) + " is " + Describe(v);
      if (!Store(v, &dst[i])) {
        return "element " + std::to_string(i) + ": value " + Describe(v) + " does not fit " +
               std::string(DTypeName(DTypeOf<D>::value));
      }
    }
  }
  return "";
}

}  // namespace

bool IsConvertible(DType t) {
  return DispatchAll(
      t, [](auto) { return true; }, [] { return false; });
}

std::string ConvertElements(DType from, const void* src, DType to, void* dst, int64_t n, bool reject_nonfinite) {
  if (from == to && !reject_nonfinite && IsConvertible(from)) {
    std::memcpy(dst, src, static_cast<size_t>(n) * DTypeSize(from));
    return "";
  }
  if (from == to && (from == DType::kFloat32 || from == DType::kFloat64)) {
    if (from == DType::kFloat32) return ConvertSpan(static_cast<const float*>(src), static_cast<float*>(dst), n, true);
    return ConvertSpan(static_cast<const double*>(src), static_cast<double*>(dst), n, true);
  }
  return DispatchAll(
      from,
      [&](auto s_tag) -> std::string {
        using S = decltype(s_tag);
        return DispatchAll(
            to,
            [&](auto d_tag) -> std::string {
              using D = decltype(d_tag);
              return ConvertSpan(static_cast<const S*>(src), static_cast<D*>(dst), n, reject_nonfinite);
            },
            [&] { return "cannot convert to " + std::string(DTypeName(to)); });
      },
      [&] { return "cannot convert from " + std::string(DTypeName(from)); });
}

}  // namespace inferd::batch
