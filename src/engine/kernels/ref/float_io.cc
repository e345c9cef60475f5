#include "engine/kernels/ref/float_io.h"

#include "engine/kernels/ref/common.h"

namespace inferd::ref {

bool IsFloatingType(DType t) {
  return t == DType::kFloat32 || t == DType::kFloat64 || t == DType::kFloat16 || t == DType::kBFloat16;
}

Result<std::vector<double>> ReadDoubles(const Tensor& t, const std::string& what) {
  std::vector<double> v(static_cast<size_t>(t.numel()));
  switch (t.dtype()) {
    case DType::kFloat32: {
      const float* p = t.data<float>();
      for (size_t i = 0; i < v.size(); ++i) v[i] = p[i];
      return v;
    }
    case DType::kFloat64: {
      const double* p = t.data<double>();
      for (size_t i = 0; i < v.size(); ++i) v[i] = p[i];
      return v;
    }
    case DType::kFloat16: {
      const Float16* p = t.data<Float16>();
      for (size_t i = 0; i < v.size(); ++i) v[i] = p[i].ToFloat();
      return v;
    }
    case DType::kBFloat16: {
      const BFloat16* p = t.data<BFloat16>();
      for (size_t i = 0; i < v.size(); ++i) v[i] = p[i].ToFloat();
      return v;
    }
    default:
      return Unimplemented(what + ": type " + std::string(DTypeOnnxName(t.dtype())) +
                           " is not supported (float, double, float16, bfloat16)");
  }
}

void WriteDoubles(const std::vector<double>& values, Tensor& t) {
  const size_t n = std::min(values.size(), static_cast<size_t>(t.numel()));
  switch (t.dtype()) {
    case DType::kFloat32:
      for (size_t i = 0; i < n; ++i) t.data<float>()[i] = static_cast<float>(values[i]);
      break;
    case DType::kFloat64:
      for (size_t i = 0; i < n; ++i) t.data<double>()[i] = values[i];
      break;
    case DType::kFloat16:
      for (size_t i = 0; i < n; ++i) t.data<Float16>()[i] = Float16::FromFloat(static_cast<float>(values[i]));
      break;
    case DType::kBFloat16:
      for (size_t i = 0; i < n; ++i) t.data<BFloat16>()[i] = BFloat16::FromFloat(static_cast<float>(values[i]));
      break;
    default:
      break;
  }
}

}  // namespace inferd::ref
