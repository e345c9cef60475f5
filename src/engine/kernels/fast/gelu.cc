// Fast inferd.Gelu (FP32), vectorised erf or tanh form (fast/vec_math.h).
// Stateless: safe to run from many threads.
#include "engine/kernels/fast/vec_math.h"
#include "engine/kernels/internal_ops.h"
#include "engine/kernels/kernel.h"

namespace inferd::fast {
namespace {

Result<std::unique_ptr<Kernel>> CreateGelu(const KernelInfo& info) {
  const std::string approx = info.GetString("approximate", "none");
  if (approx != "none" && approx != "tanh")
    return info.Error("approximate must be \"none\" or \"tanh\", got \"" + approx + "\"");
  const DType t = info.input_dtype(0);
  if (t != DType::kUndefined && t != DType::kFloat32) return Unimplemented(info.node().Describe() + ": fast.gelu takes FP32");
  const bool tanh_form = approx == "tanh";
  const std::string node = info.node().Describe();
  return std::unique_ptr<Kernel>(std::make_unique<FunctionKernel>(
      [node, tanh_form](KernelContext& ctx) -> Status {
        const Tensor* x = ctx.input(0);
        if (x == nullptr) return InvalidArgument(node + ": missing input X");
        if (x->dtype() != DType::kFloat32)
          return InvalidArgument(node + ": takes FP32, got " + std::string(DTypeName(x->dtype())));
        ASSIGN_OR_RETURN(Tensor * out, ctx.Output(0, DType::kFloat32, x->shape()));
        Gelu(x->data<float>(), out->data<float>(), x->numel(), tanh_form, ctx.num_threads());
        return Status::Ok();
      },
      "fast.gelu"));
}

}  // namespace

INFERD_REGISTER_KERNEL(FastGelu, {std::string(kInternalDomain), "Gelu", 0, 1000, 10, "fast", &CreateGelu});

}  // namespace inferd::fast
