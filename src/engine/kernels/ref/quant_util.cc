#include "engine/kernels/ref/quant_util.h"

#include "engine/kernels/ref/common.h"

namespace inferd::ref {

int32_t ReadQuantElement(const Tensor& t, int64_t i) {
  switch (t.dtype()) {
    case DType::kUint8:
      return t.data<uint8_t>()[i];
    case DType::kInt8:
      return t.data<int8_t>()[i];
    case DType::kInt32:
      return t.data<int32_t>()[i];
    default:
      return 0;
  }
}

Result<QuantParams> ReadQuantParams(const Tensor& scale, const Tensor* zero_point, const Shape& x, int64_t axis,
                                    bool allow_axis, const std::string& where, const std::string& scale_name,
                                    const std::string& zp_name) {
  if (scale.dtype() != DType::kFloat32)
    return InvalidArgument(where + ": " + scale_name + " must be float, got " +
                           std::string(DTypeOnnxName(scale.dtype())));
  QuantParams q;
  if (scale.numel() != 1) {
    if (!allow_axis || scale.rank() != 1)
      return InvalidArgument(where + ": " + scale_name + " has shape " + ShapeToString(scale.shape()) +
                             "; expected a scalar" + (allow_axis ? " or a 1-D tensor along 'axis'" : ""));
    ASSIGN_OR_RETURN(int64_t ax, NormalizeAxis(axis, static_cast<int64_t>(x.size()), "axis"));
    if (scale.dim(0) != x[static_cast<size_t>(ax)])
      return InvalidArgument(where + ": " + scale_name + " has " + std::to_string(scale.dim(0)) +
                             " values but the input " + ShapeToString(x) + " has " +
                             std::to_string(x[static_cast<size_t>(ax)]) + " along axis " + std::to_string(ax));
    q.channels = scale.dim(0);
    for (size_t d = static_cast<size_t>(ax) + 1; d < x.size(); ++d) q.inner *= x[d];
  }
  q.scale.assign(scale.data<float>(), scale.data<float>() + scale.numel());
  q.zero_point.assign(q.scale.size(), 0);
  if (zero_point != nullptr) {
    if (zero_point->dtype() != DType::kUint8 && zero_point->dtype() != DType::kInt8 &&
        zero_point->dtype() != DType::kInt32)
      return InvalidArgument(where + ": " + zp_name + " must be uint8, int8 or int32, got " +
                             std::string(DTypeOnnxName(zero_point->dtype())));
    if (zero_point->numel() != scale.numel())
      return InvalidArgument(where + ": " + zp_name + " has shape " + ShapeToString(zero_point->shape()) + " but " +
                             scale_name + " has shape " + ShapeToString(scale.shape()));
    for (int64_t i = 0; i < zero_point->numel(); ++i)
      q.zero_point[static_cast<size_t>(i)] = ReadQuantElement(*zero_point, i);
  }
  return q;
}

}  // namespace inferd::ref
