// Reference QuantizeLinear, DequantizeLinear (per tensor, and per axis from
// opset 13) and DynamicQuantizeLinear.
//   quantize:   y = saturate(round_half_even(x / scale) + zero_point)
//   dequantize: y = (x - zero_point) * scale
#include <algorithm>
#include <cmath>

#include "engine/kernels/ref/common.h"
#include "engine/kernels/ref/quant_util.h"

namespace inferd::ref {
namespace {

class QuantizeKernel final : public Kernel {
 public:
  QuantizeKernel(int64_t axis, bool allow_axis, std::string where)
      : axis_(axis), allow_axis_(allow_axis), where_(std::move(where)) {}

  Status Run(KernelContext& ctx) const override {
    const Tensor* x = ctx.input(0);
    const Tensor* scale = ctx.input(1);
    const Tensor* zp = ctx.num_inputs() > 2 ? ctx.input(2) : nullptr;
    if (x == nullptr || scale == nullptr) return InvalidArgument(where_ + ": needs inputs x and y_scale");
    const DType out_type = zp != nullptr ? zp->dtype() : DType::kUint8;
    if (out_type != DType::kUint8 && out_type != DType::kInt8)
      return InvalidArgument(where_ + ": y_zero_point must be uint8 or int8, got " +
                             std::string(DTypeOnnxName(out_type)));
    ASSIGN_OR_RETURN(QuantParams q,
                     ReadQuantParams(*scale, zp, x->shape(), axis_, allow_axis_, where_, "y_scale", "y_zero_point"));
    for (float s : q.scale)
      if (!(s != 0.0f) || std::isnan(s)) return InvalidArgument(where_ + ": y_scale must be non-zero");
    ASSIGN_OR_RETURN(Tensor * y, ctx.Output(0, out_type, x->shape()));
    auto quantize = [&](auto qtag, auto read) {
      using Q = decltype(qtag);
      Q* py = y->data<Q>();
      for (int64_t i = 0; i < x->numel(); ++i) {
        const size_t c = static_cast<size_t>(q.channel(i));
        // Divide in float, as ONNX's reference and ORT do, so ties round the same way.
        const float v = read(i) / q.scale[c];
        py[i] = RoundSaturate<Q>(static_cast<double>(std::nearbyint(v)) + q.zero_point[c]);
      }
    };
    auto with_reader = [&](auto read) -> Status {
      if (out_type == DType::kUint8) {
        quantize(uint8_t{}, read);
      } else {
        quantize(int8_t{}, read);
      }
      return Status::Ok();
    };
    switch (x->dtype()) {
      case DType::kFloat32:
        return with_reader([&](int64_t i) { return x->data<float>()[i]; });
      case DType::kInt32:
        return with_reader([&](int64_t i) { return static_cast<float>(x->data<int32_t>()[i]); });
      case DType::kFloat16:
        return with_reader([&](int64_t i) { return x->data<Float16>()[i].ToFloat(); });
      default:
        return UnsupportedType("QuantizeLinear", x->dtype(), "x");
    }
  }

 private:
  int64_t axis_;
  bool allow_axis_;
  std::string where_;
};

class DequantizeKernel final : public Kernel {
 public:
  DequantizeKernel(int64_t axis, bool allow_axis, std::string where)
      : axis_(axis), allow_axis_(allow_axis), where_(std::move(where)) {}

  Status Run(KernelContext& ctx) const override {
    const Tensor* x = ctx.input(0);
    const Tensor* scale = ctx.input(1);
    const Tensor* zp = ctx.num_inputs() > 2 ? ctx.input(2) : nullptr;
    if (x == nullptr || scale == nullptr) return InvalidArgument(where_ + ": needs inputs x and x_scale");
    if (x->dtype() != DType::kUint8 && x->dtype() != DType::kInt8 && x->dtype() != DType::kInt32)
      return UnsupportedType("DequantizeLinear", x->dtype(), "x");
    if (zp != nullptr && zp->dtype() != x->dtype())
      return InvalidArgument(where_ + ": x_zero_point type " + std::string(DTypeOnnxName(zp->dtype())) +
                             " differs from x type " + std::string(DTypeOnnxName(x->dtype())));
    ASSIGN_OR_RETURN(QuantParams q,
                     ReadQuantParams(*scale, zp, x->shape(), axis_, allow_axis_, where_, "x_scale", "x_zero_point"));
    ASSIGN_OR_RETURN(Tensor * y, ctx.Output(0, DType::kFloat32, x->shape()));
    float* py = y->data<float>();
    for (int64_t i = 0; i < x->numel(); ++i) {
      const size_t c = static_cast<size_t>(q.channel(i));
      const int64_t diff = static_cast<int64_t>(ReadQuantElement(*x, i)) - q.zero_point[c];
      py[i] = static_cast<float>(diff) * q.scale[c];
    }
    return Status::Ok();
  }

 private:
  int64_t axis_;
  bool allow_axis_;
  std::string where_;
};

// y = quantize(x) with scale and zero point chosen from x's range (widened
// to include 0) so that [min, max] maps onto uint8 [0, 255].
class DynamicQuantizeKernel final : public Kernel {
 public:
  explicit DynamicQuantizeKernel(std::string where) : where_(std::move(where)) {}

  Status Run(KernelContext& ctx) const override {
    const Tensor* x = ctx.input(0);
    if (x == nullptr) return InvalidArgument(where_ + ": needs input x");
    if (x->dtype() != DType::kFloat32) return UnsupportedType("DynamicQuantizeLinear", x->dtype(), "x");
    const float* px = x->data<float>();
    float lo = 0.0f, hi = 0.0f;
    for (int64_t i = 0; i < x->numel(); ++i) {
      if (std::isnan(px[i])) return InvalidArgument(where_ + ": input x contains NaN at position " + std::to_string(i));
      lo = std::min(lo, px[i]);
      hi = std::max(hi, px[i]);
    }
    const float scale = (hi - lo) / 255.0f;
    uint8_t zero_point = 0;
    if (scale > 0.0f && std::isfinite(scale)) zero_point = RoundSaturate<uint8_t>(std::nearbyint((0.0f - lo) / scale));
    ASSIGN_OR_RETURN(Tensor * y, ctx.Output(0, DType::kUint8, x->shape()));
    ASSIGN_OR_RETURN(Tensor * ys, ctx.Output(1, DType::kFloat32, {}));
    ASSIGN_OR_RETURN(Tensor * yz, ctx.Output(2, DType::kUint8, {}));
    ys->data<float>()[0] = scale;
    yz->data<uint8_t>()[0] = zero_point;
    uint8_t* py = y->data<uint8_t>();
    for (int64_t i = 0; i < x->numel(); ++i)
      py[i] = scale > 0.0f ? RoundSaturate<uint8_t>(static_cast<double>(std::nearbyint(px[i] / scale)) + zero_point)
                           : uint8_t{0};
    return Status::Ok();
  }

 private:
  std::string where_;
};

Result<std::unique_ptr<Kernel>> CreateQuantize(const KernelInfo& info) {
  const bool allow_axis = info.opset() >= 13;
  return std::unique_ptr<Kernel>(
      std::make_unique<QuantizeKernel>(info.GetInt("axis", 1), allow_axis, info.node().Describe()));
}

Result<std::unique_ptr<Kernel>> CreateDequantize(const KernelInfo& info) {
  const bool allow_axis = info.opset() >= 13;
  return std::unique_ptr<Kernel>(
      std::make_unique<DequantizeKernel>(info.GetInt("axis", 1), allow_axis, info.node().Describe()));
}

Result<std::unique_ptr<Kernel>> CreateDynamicQuantize(const KernelInfo& info) {
  return std::unique_ptr<Kernel>(std::make_unique<DynamicQuantizeKernel>(info.node().Describe()));
}

}  // namespace

INFERD_REGISTER_KERNEL(QuantizeLinear, {"", "QuantizeLinear", 10, 1000, 0, "ref", &CreateQuantize});
INFERD_REGISTER_KERNEL(DequantizeLinear, {"", "DequantizeLinear", 10, 1000, 0, "ref", &CreateDequantize});
INFERD_REGISTER_KERNEL(DynamicQuantizeLinear,
                       {"", "DynamicQuantizeLinear", 11, 1000, 0, "ref", &CreateDynamicQuantize});

}  // namespace inferd::ref
