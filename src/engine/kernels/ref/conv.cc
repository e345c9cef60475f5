// Reference Conv (1-D/2-D/3-D, groups, dilations, strides, pads, auto_pad,
// optional bias, and an activation fused in by the optimizer through the
// internal "_activation" attributes). im2col + a blocked GEMM: plain enough
// to be the oracle, fast enough to run real CNNs as the fallback.
#include <vector>

#include "engine/kernels/ref/common.h"
#include "engine/kernels/ref/conv_util.h"
#include "engine/kernels/ref/fused_activation.h"

namespace inferd::ref {
namespace {

class ConvKernel final : public Kernel {
 public:
  ConvKernel(WindowAttrs attrs, int64_t group, FusedActivation act, std::string where)
      : attrs_(std::move(attrs)), group_(group), act_(std::move(act)), where_(std::move(where)) {}

  Status Run(KernelContext& ctx) const override {
    const Tensor* x = ctx.input(0);
    const Tensor* w = ctx.input(1);
    const Tensor* b = ctx.num_inputs() > 2 ? ctx.input(2) : nullptr;
    if (x == nullptr || w == nullptr) return InvalidArgument(where_ + ": needs inputs X and W");
    if (w->dtype() != x->dtype() || (b != nullptr && b->dtype() != x->dtype()))
      return InvalidArgument(where_ + ": X, W and B must have the same type; got " +
                             std::string(DTypeOnnxName(x->dtype())) + ", " + std::string(DTypeOnnxName(w->dtype())) +
                             (b ? ", " + std::string(DTypeOnnxName(b->dtype())) : ""));
    std::vector<int64_t> kernel;
    RETURN_IF_ERROR(CheckConvShapes(x->shape(), w->shape(), group_, attrs_, where_, &kernel));
    const int64_t batch = x->dim(0), channels = x->dim(1), maps = w->dim(0);
    if (w->dim(1) != channels / group_)
      return InvalidArgument(where_ + ": weight W has shape " + ShapeToString(w->shape()) +
                             "; dim 1 must be C/group = " + std::to_string(channels / group_) + " for X " +
                             ShapeToString(x->shape()));
    if (b != nullptr && (b->rank() != 1 || b->dim(0) != maps))
      return InvalidArgument(where_ + ": bias B has shape " + ShapeToString(b->shape()) + "; expected [" +
                             std::to_string(maps) + "] (one per output channel)");
    ASSIGN_OR_RETURN(WindowGeometry g, ForwardGeometry(attrs_, SpatialDims(x->shape()), kernel, where_));
    RETURN_IF_ERROR(CheckColumnBuffer(g, channels / group_, sizeof(double), where_));
    Shape out_shape{batch, maps};
    out_shape.insert(out_shape.end(), g.out.begin(), g.out.end());
    ASSIGN_OR_RETURN(Tensor * y, ctx.Output(0, x->dtype(), out_shape));
    if (y->numel() == 0) return Status::Ok();
    const int threads = ctx.num_threads();
    switch (x->dtype()) {
      case DType::kFloat32: {
        std::vector<float> scratch;
        ConvForward(x->data<float>(), w->data<float>(), b ? b->data<float>() : nullptr, y->data<float>(), batch,
                    channels, maps, group_, g, threads, scratch);
        ApplyActivationInPlace(y->data<float>(), y->numel(), act_);
        return Status::Ok();
      }
      case DType::kFloat64: {
        std::vector<double> scratch;
        ConvForward(x->data<double>(), w->data<double>(), b ? b->data<double>() : nullptr, y->data<double>(), batch,
                    channels, maps, group_, g, threads, scratch);
        ApplyActivationInPlace(y->data<double>(), y->numel(), act_);
        return Status::Ok();
      }
      case DType::kFloat16:
      case DType::kBFloat16: {
        // Half types: widen to float, convolve, narrow.
        auto widen = [](const Tensor& t) {
          std::vector<float> v(static_cast<size_t>(t.numel()));
          for (int64_t i = 0; i < t.numel(); ++i) v[static_cast<size_t>(i)] = static_cast<float>(t.GetAsDouble(i));
          return v;
        };
        std::vector<float> xf = widen(*x), wf = widen(*w), bf = b ? widen(*b) : std::vector<float>{};
        std::vector<float> yf(static_cast<size_t>(y->numel())), scratch;
        ConvForward(xf.data(), wf.data(), b ? bf.data() : nullptr, yf.data(), batch, channels, maps, group_, g, threads,
                    scratch);
        ApplyActivationInPlace(yf.data(), y->numel(), act_);
        for (int64_t i = 0; i < y->numel(); ++i) {
          const float v = yf[static_cast<size_t>(i)];
          if (y->dtype() == DType::kFloat16) {
            y->data<Float16>()[i] = Float16::FromFloat(v);
          } else {
            y->data<BFloat16>()[i] = BFloat16::FromFloat(v);
          }
        }
        return Status::Ok();
      }
      default:
        return UnsupportedType("Conv", x->dtype(), "X");
    }
  }

 private:
  WindowAttrs attrs_;
  int64_t group_;
  FusedActivation act_;
  std::string where_;
};

Result<std::unique_ptr<Kernel>> CreateConv(const KernelInfo& info) {
  ASSIGN_OR_RETURN(WindowAttrs attrs, ParseWindowAttrs(info));
  if (attrs.ceil_mode) return info.Error("Conv has no attribute 'ceil_mode'");
  const int64_t group = info.GetInt("group", 1);
  if (group <= 0) return info.Error("attribute 'group' must be positive, got " + std::to_string(group));
  ASSIGN_OR_RETURN(FusedActivation act, ParseFusedActivation(info));
  return std::unique_ptr<Kernel>(
      std::make_unique<ConvKernel>(std::move(attrs), group, std::move(act), info.node().Describe()));
}

}  // namespace

INFERD_REGISTER_KERNEL(Conv, {"", "Conv", 1, 1000, 0, "ref", &CreateConv});

}  // namespace inferd::ref
