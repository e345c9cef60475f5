// Element types. Values equal ONNX TensorProto::DataType so conversion from
// the file format is a cast, and names follow the KServe v2 protocol.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace inferd {

enum class DType : int32_t {
  kUndefined = 0,
  kFloat32 = 1,
  kUint8 = 2,
  kInt8 = 3,
  kUint16 = 4,
  kInt16 = 5,
  kInt32 = 6,
  kInt64 = 7,
  kString = 8,
  kBool = 9,
  kFloat16 = 10,
  kFloat64 = 11,
  kUint32 = 12,
  kUint64 = 13,
  kBFloat16 = 16,
};

// IEEE half and bfloat16 stored as bits; arithmetic goes through float.
struct Float16 {
  uint16_t bits = 0;
  static Float16 FromFloat(float f);
  float ToFloat() const;
};
struct BFloat16 {
  uint16_t bits = 0;
  static BFloat16 FromFloat(float f);
  float ToFloat() const;
};

// Size of one element in bytes (sizeof(std::string) for kString, 0 if undefined).
size_t DTypeSize(DType t);
// "FP32", "INT64", ... (KServe names); "UNDEFINED" for unknown values.
std::string_view DTypeName(DType t);
// ONNX-style lower-case name: "float", "int64", ...
std::string_view DTypeOnnxName(DType t);
// Parses a KServe name ("FP32") or ONNX name ("float"); kUndefined if unknown.
DType DTypeFromName(std::string_view name);
// True for values this build knows (any enumerator above).
bool DTypeIsValid(int32_t value);

template <class T> struct DTypeOf;
template <> struct DTypeOf<float> { static constexpr DType value = DType::kFloat32; };
template <> struct DTypeOf<double> { static constexpr DType value = DType::kFloat64; };
template <> struct DTypeOf<int8_t> { static constexpr DType value = DType::kInt8; };
template <> struct DTypeOf<int16_t> { static constexpr DType value = DType::kInt16; };
template <> struct DTypeOf<int32_t> { static constexpr DType value = DType::kInt32; };
template <> struct DTypeOf<int64_t> { static constexpr DType value = DType::kInt64; };
template <> struct DTypeOf<uint8_t> { static constexpr DType value = DType::kUint8; };
template <> struct DTypeOf<uint16_t> { static constexpr DType value = DType::kUint16; };
template <> struct DTypeOf<uint32_t> { static constexpr DType value = DType::kUint32; };
template <> struct DTypeOf<uint64_t> { static constexpr DType value = DType::kUint64; };
template <> struct DTypeOf<bool> { static constexpr DType value = DType::kBool; };
template <> struct DTypeOf<Float16> { static constexpr DType value = DType::kFloat16; };
template <> struct DTypeOf<BFloat16> { static constexpr DType value = DType::kBFloat16; };
template <> struct DTypeOf<std::string> { static constexpr DType value = DType::kString; };

}  // namespace inferd

// Type dispatch: calls `fn` (a generic lambda taking a T* tag) with the C++
// type for `dtype`. Usage:
//   return DispatchNumeric(t.dtype(), [&](auto tag) { using T = decltype(tag); ... });
// Each returns the lambda's result; for an unsupported dtype it calls
// `unsupported()` instead. The return type is spelled out (not deduced) so
// clang does not instantiate `fn` early: with a deduced type, clang 14 leaves
// member templates that a kernel defines after its Run() undefined at link.
namespace inferd {

template <class Fn, class Unsupported>
auto DispatchAll(DType t, Fn&& fn, Unsupported&& unsupported) -> decltype(unsupported()) {
  switch (t) {
    case DType::kFloat32: return fn(float{});
    case DType::kFloat64: return fn(double{});
    case DType::kInt8: return fn(int8_t{});
    case DType::kInt16: return fn(int16_t{});
    case DType::kInt32: return fn(int32_t{});
    case DType::kInt64: return fn(int64_t{});
    case DType::kUint8: return fn(uint8_t{});
    case DType::kUint16: return fn(uint16_t{});
    case DType::kUint32: return fn(uint32_t{});
    case DType::kUint64: return fn(uint64_t{});
    case DType::kBool: return fn(bool{});
    case DType::kFloat16: return fn(Float16{});
    case DType::kBFloat16: return fn(BFloat16{});
    default: return unsupported();
  }
}

// Real-number types on which arithmetic is done directly (no half types, no bool).
template <class Fn, class Unsupported>
auto DispatchArith(DType t, Fn&& fn, Unsupported&& unsupported) -> decltype(unsupported()) {
  switch (t) {
    case DType::kFloat32: return fn(float{});
    case DType::kFloat64: return fn(double{});
    case DType::kInt8: return fn(int8_t{});
    case DType::kInt16: return fn(int16_t{});
    case DType::kInt32: return fn(int32_t{});
    case DType::kInt64: return fn(int64_t{});
    case DType::kUint8: return fn(uint8_t{});
    case DType::kUint16: return fn(uint16_t{});
    case DType::kUint32: return fn(uint32_t{});
    case DType::kUint64: return fn(uint64_t{});
    default: return unsupported();
  }
}

template <class Fn, class Unsupported>
auto DispatchFloat(DType t, Fn&& fn, Unsupported&& unsupported) -> decltype(unsupported()) {
  switch (t) {
    case DType::kFloat32: return fn(float{});
    case DType::kFloat64: return fn(double{});
    default: return unsupported();
  }
}

}  // namespace inferd
