// Reference kernels: Identity (a view of its input, no copy) and Dropout in
// inference form (a view of its input, plus an all-keep mask when asked for).
// Dropout in training mode with a nonzero ratio draws random masks, which
// inference does not do: that case is UNIMPLEMENTED.
#include "engine/kernels/ref/elementwise_util.h"

namespace inferd::ref {
namespace {

Status RunIdentity(KernelContext& ctx) {
  const Tensor* x = ctx.input(0);
  if (x == nullptr) return InvalidArgument("Identity needs one input");
  ctx.SetOutput(0, *x);
  return Status::Ok();
}

Result<std::unique_ptr<Kernel>> CreateIdentity(const KernelInfo&) {
  return std::unique_ptr<Kernel>(std::make_unique<FunctionKernel>(&RunIdentity));
}

class DropoutKernel final : public Kernel {
 public:
  // opset >= 10: the mask is bool; before, it has the input's type.
  // opset >= 12: ratio and training_mode are inputs.
  explicit DropoutKernel(int64_t opset) : opset_(opset) {}

  Status Run(KernelContext& ctx) const override {
    const Tensor* x = ctx.input(0);
    if (x == nullptr) return InvalidArgument("Dropout needs input data");
    if (opset_ >= 12) RETURN_IF_ERROR(CheckInferenceOnly(ctx));
    ctx.SetOutput(0, *x);
    if (ctx.num_outputs() < 2) return Status::Ok();
    const DType mask_type = opset_ >= 10 ? DType::kBool : x->dtype();
    ASSIGN_OR_RETURN(Tensor * mask, ctx.Output(1, mask_type, x->shape()));
    return DispatchAll(
        mask_type,
        [&](auto tag) -> Status {
          using T = decltype(tag);
          const T one = Narrow<T>(ComputeType<T>{1});
          T* m = mask->data<T>();
          for (int64_t i = 0; i < mask->numel(); ++i) m[i] = one;
          return Status::Ok();
        },
        [&] { return UnsupportedType("Dropout", x->dtype()); });
  }

 private:
  // Opset 12+: training_mode=true with ratio > 0 would drop values at random.
  static Status CheckInferenceOnly(KernelContext& ctx) {
    double ratio = 0.5;
    if (const Tensor* r = ctx.input(1)) {
      ASSIGN_OR_RETURN(ratio, ReadScalar(*r, "Dropout ratio"));
      if (!(ratio >= 0 && ratio < 1))
        return InvalidArgument("Dropout: ratio must be in [0, 1), got " + std::to_string(ratio));
    }
    const Tensor* training = ctx.input(2);
    if (training == nullptr) return Status::Ok();
    if (training->dtype() != DType::kBool || training->numel() != 1)
      return InvalidArgument("Dropout: training_mode must be a bool scalar, got " +
                             std::string(DTypeOnnxName(training->dtype())) + " " + ShapeToString(training->shape()));
    if (training->data<bool>()[0] && ratio > 0)
      return Unimplemented("Dropout: training mode with ratio " + std::to_string(ratio) +
                           " (random dropping) is not supported for inference");
    return Status::Ok();
  }

  int64_t opset_;
};

Result<std::unique_ptr<Kernel>> CreateDropout(const KernelInfo& info) {
  return std::unique_ptr<Kernel>(std::make_unique<DropoutKernel>(info.opset()));
}

}  // namespace

INFERD_REGISTER_KERNEL(Identity, {"", "Identity", 1, 1000, 0, "ref", &CreateIdentity});
// Dropout-1..6's is_test attribute is ignored: inference always keeps everything.
INFERD_REGISTER_KERNEL(Dropout, {"", "Dropout", 1, 1000, 0, "ref", &CreateDropout});

}  // namespace inferd::ref
