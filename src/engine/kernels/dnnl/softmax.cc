// oneDNN Softmax and LogSoftmax (FP32).
//
// Both ONNX forms reduce to a softmax over the middle dimension of an
// [outer, n, inner] view: before opset 13 the input is coerced to 2-D at
// `axis` (inner = 1), from opset 13 the op works along the single `axis`.
//
// oneDNN 2.6 has a fast (jit) softmax only along the innermost dimension; for
// inner > 1 it picks its slow reference implementation, so those shapes run
// a hand-vectorised loop instead (fast/vec_math.h). On AVX2 machines the
// loop also beat oneDNN's jit:avx2 on the last axis (attention scores
// [512,128]: 0.038 vs 0.048 ms) and needs no primitive, so it takes every
// FP32 shape there; oneDNN keeps the last axis elsewhere.
#include "engine/kernels/dnnl/dnnl_common.h"
#include "engine/kernels/fast/vec_math.h"
#include "engine/kernels/ref/common.h"

namespace inferd::onednn {
namespace {

using dnnl::memory;

class SoftmaxKernel final : public Kernel {
 public:
  SoftmaxKernel(bool log, int64_t axis, bool legacy, std::string node, RefFallback fallback)
      : log_(log), axis_(axis), legacy_(legacy), node_(std::move(node)), fallback_(std::move(fallback)) {}

  // With AVX2 every run takes fast::Softmax.
  std::string_view name() const override {
    if (fast::UsingAvx2()) return log_ ? "fast.logsoftmax" : "fast.softmax";
    return log_ ? "dnnl.logsoftmax" : "dnnl.softmax";
  }

  Status Run(KernelContext& ctx) const override {
    State& st = StateOf<State>(ctx);
    const Tensor* x = ctx.input(0);
    if (x == nullptr) return InvalidArgument(node_ + ": missing input");
    if (x->dtype() != DType::kFloat32) {
      const Status why =
          Unimplemented(node_ + ": " + std::string(name()) + " takes FP32, got " + std::string(DTypeName(x->dtype())));
      LogFallback(name(), node_, why);
      return fallback_.Run(ctx, st.fallback_state(), why);
    }
    if (x->rank() == 0) return InvalidArgument(node_ + ": input must have rank >= 1, got a scalar");
    ASSIGN_OR_RETURN(int64_t axis, ref::NormalizeAxis(axis_, x->rank(), node_ + ": axis"));
    int64_t outer = 1, n = 1, inner = 1;
    for (int64_t d = 0; d < axis; ++d) outer *= x->dim(d);
    if (legacy_) {
      for (int64_t d = axis; d < x->rank(); ++d) n *= x->dim(d);
    } else {
      n = x->dim(axis);
      for (int64_t d = axis + 1; d < x->rank(); ++d) inner *= x->dim(d);
    }
    ASSIGN_OR_RETURN(Tensor * out, ctx.Output(0, DType::kFloat32, x->shape()));
    if (out->numel() == 0) return Status::Ok();
    if (n == 1) {
      // One element per row: exactly 1 (log: 0), NaN for non-finite inputs.
      // oneDNN's approximate log would leave ~1e-6 here.
      const float* px = x->data<float>();
      float* py = out->data<float>();
      for (int64_t i = 0; i < out->numel(); ++i) py[i] = (px[i] - px[i]) + (log_ ? 0.f : 1.f);
      return Status::Ok();
    }

    if (inner > 1 || fast::UsingAvx2()) {
      fast::Softmax(x->data<float>(), out->data<float>(), outer, n, inner, log_, ctx.num_threads());
      return Status::Ok();
    }

    const PlanCache<Plan>::Key key{outer, n, inner};
    Plan* plan = st.plans.Find(key);
    if (plan == nullptr) {
      Plan p;
      RETURN_IF_ERROR(Guard(node_, [&]() -> Status {
        const memory::desc md = PlainDesc({outer, n, inner});
        if (log_) {
          dnnl::logsoftmax_forward::primitive_desc pd(
              dnnl::logsoftmax_forward::desc(dnnl::prop_kind::forward_inference, md, 1), CpuEngine());
          LogPrimitive(name(), node_, x->shape(), pd);
          p.prim = dnnl::logsoftmax_forward(pd);
        } else {
          dnnl::softmax_forward::primitive_desc pd(
              dnnl::softmax_forward::desc(dnnl::prop_kind::forward_inference, md, 1), CpuEngine());
          LogPrimitive(name(), node_, x->shape(), pd);
          p.prim = dnnl::softmax_forward(pd);
        }
        p.src = memory(md, CpuEngine(), nullptr);
        p.dst = memory(md, CpuEngine(), nullptr);
        return Status::Ok();
      }));
      plan = &st.plans.Insert(key, std::move(p));
    }
    return Guard(node_, [&]() -> Status {
      plan->src.set_data_handle(x->raw());
      plan->dst.set_data_handle(out->raw());
      plan->prim.execute(st.stream(), {{DNNL_ARG_SRC, plan->src}, {DNNL_ARG_DST, plan->dst}});
      st.stream().wait();
      return Status::Ok();
    });
  }

 private:
  struct Plan {
    dnnl::primitive prim;
    memory src, dst;
  };
  struct State : DnnlState {
    PlanCache<Plan> plans;
  };

  bool log_;
  int64_t axis_;
  bool legacy_;
  std::string node_;
  RefFallback fallback_;
};

KernelFactory Factory(bool log) {
  return [log](const KernelInfo& info) -> Result<std::unique_ptr<Kernel>> {
    RETURN_IF_ERROR(AcceptFloatInputs(info, {0}));
    const bool legacy = info.opset() < 13;
    const int64_t axis = info.GetInt("axis", legacy ? 1 : -1);
    return std::unique_ptr<Kernel>(
        std::make_unique<SoftmaxKernel>(log, axis, legacy, info.node().Describe(), RefFallback::Create(info)));
  };
}

}  // namespace

INFERD_REGISTER_KERNEL(DnnlSoftmax, {"", "Softmax", 1, 1000, 10, "dnnl", Factory(false)});
INFERD_REGISTER_KERNEL(DnnlLogSoftmax, {"", "LogSoftmax", 1, 1000, 10, "dnnl", Factory(true)});

}  // namespace inferd::onednn
