#include "common/dtype.h"

#include <cmath>

namespace inferd {

Float16 Float16::FromFloat(float f) {
  uint32_t x;
  std::memcpy(&x, &f, 4);
  const uint32_t sign = (x >> 16) & 0x8000u;
  const uint32_t exp = (x >> 23) & 0xffu;
  uint32_t mant = x & 0x7fffffu;
  Float16 h;
  if (exp == 0xff) {  // inf or nan
    h.bits = static_cast<uint16_t>(sign | 0x7c00u | (mant ? 0x200u : 0u));
    return h;
  }
  int e = static_cast<int>(exp) - 127 + 15;
  if (e >= 31) {  // overflow -> inf
    h.bits = static_cast<uint16_t>(sign | 0x7c00u);
    return h;
  }
  if (e <= 0) {  // subnormal or zero
    if (e < -10) {
      h.bits = static_cast<uint16_t>(sign);
      return h;
    }
    mant |= 0x800000u;
    const int shift = 14 - e;
    uint32_t half_mant = mant >> shift;
    const uint32_t rem = mant & ((1u << shift) - 1);
    const uint32_t halfway = 1u << (shift - 1);
    if (rem > halfway || (rem == halfway && (half_mant & 1u))) ++half_mant;
    h.bits = static_cast<uint16_t>(sign | half_mant);
    return h;
  }
  uint32_t half = sign | (static_cast<uint32_t>(e) << 10) | (mant >> 13);
  const uint32_t rem = mant & 0x1fffu;
  if (rem > 0x1000u || (rem == 0x1000u && (half & 1u))) ++half;  // may carry into exponent: correct
  h.bits = static_cast<uint16_t>(half);
  return h;
}

float Float16::ToFloat() const {
  const uint32_t sign = (bits & 0x8000u) << 16;
  const uint32_t exp = (bits >> 10) & 0x1fu;
  const uint32_t mant = bits & 0x3ffu;
  uint32_t x;
  if (exp == 0) {
    if (mant == 0) {
      x = sign;
    } else {
      float f = std::ldexp(static_cast<float>(mant), -24);
      return sign ? -f : f;
    }
  } else if (exp == 31) {
    x = sign | 0x7f800000u | (mant << 13);
  } else {
    x = sign | ((exp - 15 + 127) << 23) | (mant << 13);
  }
  float f;
  std::memcpy(&f, &x, 4);
  return f;
}

BFloat16 BFloat16::FromFloat(float f) {
  uint32_t x;
  std::memcpy(&x, &f, 4);
  BFloat16 b;
  if (std::isnan(f)) {
    b.bits = static_cast<uint16_t>((x >> 16) | 0x40u);
    return b;
  }
  const uint32_t rounding = 0x7fffu + ((x >> 16) & 1u);  // round to nearest even
  b.bits = static_cast<uint16_t>((x + rounding) >> 16);
  return b;
}

float BFloat16::ToFloat() const {
  const uint32_t x = static_cast<uint32_t>(bits) << 16;
  float f;
  std::memcpy(&f, &x, 4);
  return f;
}

size_t DTypeSize(DType t) {
  switch (t) {
    case DType::kFloat32: return 4;
    case DType::kFloat64: return 8;
    case DType::kInt8: return 1;
    case DType::kInt16: return 2;
    case DType::kInt32: return 4;
    case DType::kInt64: return 8;
    case DType::kUint8: return 1;
    case DType::kUint16: return 2;
    case DType::kUint32: return 4;
    case DType::kUint64: return 8;
    case DType::kBool: return 1;
    case DType::kFloat16: return 2;
    case DType::kBFloat16: return 2;
    case DType::kString: return sizeof(std::string);
    case DType::kUndefined: return 0;
  }
  return 0;
}

namespace {
struct NameRow {
  DType type;
  std::string_view kserve;
  std::string_view onnx;
};
constexpr NameRow kNames[] = {
    {DType::kFloat32, "FP32", "float"},   {DType::kFloat64, "FP64", "double"},
    {DType::kInt8, "INT8", "int8"},       {DType::kInt16, "INT16", "int16"},
    {DType::kInt32, "INT32", "int32"},    {DType::kInt64, "INT64", "int64"},
    {DType::kUint8, "UINT8", "uint8"},    {DType::kUint16, "UINT16", "uint16"},
    {DType::kUint32, "UINT32", "uint32"}, {DType::kUint64, "UINT64", "uint64"},
    {DType::kBool, "BOOL", "bool"},       {DType::kFloat16, "FP16", "float16"},
    {DType::kBFloat16, "BF16", "bfloat16"}, {DType::kString, "BYTES", "string"},
};
}  // namespace

std::string_view DTypeName(DType t) {
  for (const auto& row : kNames)
    if (row.type == t) return row.kserve;
  return "UNDEFINED";
}

std::string_view DTypeOnnxName(DType t) {
  for (const auto& row : kNames)
    if (row.type == t) return row.onnx;
  return "undefined";
}

DType DTypeFromName(std::string_view name) {
  for (const auto& row : kNames)
    if (row.kserve == name || row.onnx == name) return row.type;
  return DType::kUndefined;
}

bool DTypeIsValid(int32_t v) {
  return (v >= 1 && v <= 13) || v == 16;
}

}  // namespace inferd
