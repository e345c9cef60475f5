// oneDNN BatchNormalization, inference form only (FP32): constant scale, B,
// mean and var, one output. Training mode, training outputs, the legacy
// spatial=0 form and non-constant statistics stay with the reference kernel.
#include "engine/kernels/dnnl/dnnl_common.h"

namespace inferd::onednn {
namespace {

using dnnl::memory;

class BatchNormKernel final : public Kernel {
 public:
  // params: scale, B, mean, var, each FP32 [C].
  BatchNormKernel(std::vector<Tensor> params, float epsilon, std::string node, RefFallback fallback)
      : params_(std::move(params)), epsilon_(epsilon), node_(std::move(node)), fallback_(std::move(fallback)) {}

  std::string_view name() const override { return "dnnl.batchnorm"; }

  Status Run(KernelContext& ctx) const override {
    State& st = StateOf<State>(ctx);
    const Tensor* x = ctx.input(0);
    if (x == nullptr) return InvalidArgument(node_ + ": missing input X");
    if (x->dtype() != DType::kFloat32 || x->rank() > 5) {
      const Status why = Unimplemented(node_ + ": dnnl.batchnorm takes FP32 with rank <= 5");
      LogFallback(name(), node_, why);
      return fallback_.Run(ctx, st.fallback_state(), why);
    }
    const int64_t channels = params_[0].numel();
    if (x->rank() < 2 || x->dim(1) != channels)
      return InvalidArgument(node_ + ": X " + ShapeToString(x->shape()) + " must be [N, " + std::to_string(channels) +
                             ", ...] to match scale, B, mean and var");
    ASSIGN_OR_RETURN(Tensor * out, ctx.Output(0, DType::kFloat32, x->shape()));
    if (out->numel() == 0) return Status::Ok();

    const PlanCache<Plan>::Key key = x->shape();
    Plan* plan = st.plans.Find(key);
    if (plan == nullptr) {
      Plan p;
      RETURN_IF_ERROR(Guard(node_, [&]() -> Status {
        const memory::desc md = PlainDesc(ToDims(x->shape()));
        const auto flags = dnnl::normalization_flags::use_global_stats | dnnl::normalization_flags::use_scale |
                           dnnl::normalization_flags::use_shift;
        dnnl::batch_normalization_forward::primitive_desc pd(
            dnnl::batch_normalization_forward::desc(dnnl::prop_kind::forward_inference, md, epsilon_, flags),
            CpuEngine());
        LogPrimitive(name(), node_, x->shape(), pd);
        p.prim = dnnl::batch_normalization_forward(pd);
        p.src = memory(md, CpuEngine(), nullptr);
        p.dst = memory(md, CpuEngine(), nullptr);
        const memory::desc cd = PlainDesc({channels});
        for (size_t i = 0; i < 4; ++i) p.params.push_back(WrapMemory(cd, params_[i].raw()));
        return Status::Ok();
      }));
      plan = &st.plans.Insert(key, std::move(p));
    }
    return Guard(node_, [&]() -> Status {
      plan->src.set_data_handle(x->raw());
      plan->dst.set_data_handle(out->raw());
      plan->prim.execute(st.stream(), {{DNNL_ARG_SRC, plan->src},
                                       {DNNL_ARG_SCALE, plan->params[0]},
                                       {DNNL_ARG_SHIFT, plan->params[1]},
                                       {DNNL_ARG_MEAN, plan->params[2]},
                                       {DNNL_ARG_VARIANCE, plan->params[3]},
                                       {DNNL_ARG_DST, plan->dst}});
      st.stream().wait();
      return Status::Ok();
    });
  }

 private:
  struct Plan {
    dnnl::batch_normalization_forward prim;
    memory src, dst;
    std::vector<memory> params;  // scale, shift, mean, variance
  };
  struct State : DnnlState {
    PlanCache<Plan> plans;
  };

  std::vector<Tensor> params_;
  float epsilon_;
  std::string node_;
  RefFallback fallback_;
};

Result<std::unique_ptr<Kernel>> CreateBatchNorm(const KernelInfo& info) {
  const std::string node = info.node().Describe();
  RETURN_IF_ERROR(AcceptFloatInputs(info, {0}));
  if (info.opset() < 9 && info.GetInt("spatial", 1) == 0) return Unimplemented(node + ": spatial=0");
  if (info.opset() >= 14 && info.GetInt("training_mode", 0) != 0) return Unimplemented(node + ": training_mode");
  for (int i = 1; i < info.num_outputs(); ++i)
    if (info.has_output(i)) return Unimplemented(node + ": training outputs");
  std::vector<Tensor> params;
  for (int i = 1; i <= 4; ++i) {
    const Tensor* t = info.constant_input(i);
    if (t == nullptr || t->dtype() != DType::kFloat32 || t->rank() != 1)
      return Unimplemented(node + ": dnnl.batchnorm needs constant FP32 [C] scale, B, mean and var");
    params.push_back(*t);
  }
  for (const Tensor& t : params)
    if (t.numel() != params[0].numel())
      return info.Error("scale, B, mean and var must have the same length, got " +
                        ShapeToString(params[0].shape()) + " and " + ShapeToString(t.shape()));
  return std::unique_ptr<Kernel>(std::make_unique<BatchNormKernel>(
      std::move(params), info.GetFloat("epsilon", 1e-5f), node, RefFallback::Create(info)));
}

}  // namespace

// Opsets 1-5 carried consumed_inputs / is_test semantics; left to ref.
INFERD_REGISTER_KERNEL(DnnlBatchNorm, {"", "BatchNormalization", 6, 1000, 10, "dnnl", &CreateBatchNorm});

}  // namespace inferd::onednn
