// oneDNN BatchNormalization, inference form only (FP32): scale, B, mean and
// var (constant in real models; read per run, so inputs work too), one
// output. Training mode, training outputs and the legacy spatial=0 form stay
// with the reference kernel. Inside a blocked region (layout.h) X and Y are
// channel-blocked.
#include "engine/kernels/dnnl/dnnl_common.h"
#include "engine/kernels/dnnl/layout.h"

namespace inferd::onednn {
namespace {

using dnnl::memory;

class BatchNormKernel final : public Kernel {
 public:
  BatchNormKernel(float epsilon, NodeLayout layout, std::string node, RefFallback fallback)
      : epsilon_(epsilon), layout_(layout), node_(std::move(node)), fallback_(std::move(fallback)) {}

  std::string_view name() const override { return "dnnl.batchnorm"; }

  Status Run(KernelContext& ctx) const override {
    State& st = StateOf<State>(ctx);
    const Tensor* x = ctx.input(0);
    if (x == nullptr) return InvalidArgument(node_ + ": missing input X");
    const Tensor* params[4] = {ctx.input(1), ctx.input(2), ctx.input(3), ctx.input(4)};
    bool all_float = x->dtype() == DType::kFloat32;
    for (const Tensor* p : params) {
      if (p == nullptr) return InvalidArgument(node_ + ": needs inputs X, scale, B, input_mean and input_var");
      all_float = all_float && p->dtype() == DType::kFloat32;
    }
    if (!all_float || x->rank() > 5)
      return Fallback(ctx, st, Unimplemented(node_ + ": dnnl.batchnorm takes FP32 with rank <= 5"));
    Shape x_shape = x->shape();  // logical
    if (layout_.src) {
      auto logical = LogicalShape(x_shape, layout_.block);
      if (!logical.ok()) return logical.status().WithContext(node_);
      x_shape = *logical;
    }
    if (x_shape.size() < 2) return InvalidArgument(node_ + ": X must be [N, C, ...], got " + ShapeToString(x->shape()));
    const int64_t channels = x_shape[1];
    for (const Tensor* p : params)
      if (p->shape() != Shape{channels})
        return InvalidArgument(node_ + ": scale, B, mean and var must be [" + std::to_string(channels) + "] for X " +
                               ShapeToString(x_shape) + ", got " + ShapeToString(p->shape()));
    ASSIGN_OR_RETURN(Tensor * out, ctx.Output(0, DType::kFloat32, x->shape()));
    if (out->numel() == 0) return Status::Ok();

    const PlanCache<Plan>::Key key = x->shape();
    Plan* plan = st.plans.Find(key);
    if (plan == nullptr) {
      Plan p;
      RETURN_IF_ERROR(Guard(node_, [&]() -> Status {
        const memory::desc md = layout_.src ? BlockedDesc(x_shape, layout_.block) : PlainDesc(ToDims(x_shape));
        const auto flags = dnnl::normalization_flags::use_global_stats | dnnl::normalization_flags::use_scale |
                           dnnl::normalization_flags::use_shift;
        dnnl::batch_normalization_forward::primitive_desc pd(
            dnnl::batch_normalization_forward::desc(dnnl::prop_kind::forward_inference, md, epsilon_, flags),
            CpuEngine());
        LogPrimitive(name(), node_, x_shape, pd);
        p.prim = dnnl::batch_normalization_forward(pd);
        p.src = memory(md, CpuEngine(), nullptr);
        p.dst = memory(md, CpuEngine(), nullptr);
        const memory::desc cd = PlainDesc({channels});
        for (size_t i = 0; i < 4; ++i) p.params.push_back(memory(cd, CpuEngine(), nullptr));
        return Status::Ok();
      }));
      plan = &st.plans.Insert(key, std::move(p));
    }
    return Guard(node_, [&]() -> Status {
      plan->src.set_data_handle(x->raw());
      plan->dst.set_data_handle(out->raw());
      for (size_t i = 0; i < 4; ++i) plan->params[i].set_data_handle(params[i]->raw());
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

  Status Fallback(KernelContext& ctx, State& st, const Status& why) const {
    LogFallback(name(), node_, why);
    if (!layout_.any()) return fallback_.Run(ctx, st.fallback_state(), why);
    // Inside a blocked region the reference kernel sees plain copies.
    PlainLayoutContext plain(ctx, {layout_.src}, layout_.dst, layout_.block);
    const Status ran = fallback_.Run(plain, st.fallback_state(), why);
    RETURN_IF_ERROR(plain.status());
    RETURN_IF_ERROR(ran);
    return plain.Commit();
  }

  float epsilon_;
  NodeLayout layout_;
  std::string node_;
  RefFallback fallback_;
};

Result<std::unique_ptr<Kernel>> CreateBatchNorm(const KernelInfo& info) {
  const std::string node = info.node().Describe();
  RETURN_IF_ERROR(AcceptFloatInputs(info, {0, 1, 2, 3, 4}));
  if (info.opset() < 9 && info.GetInt("spatial", 1) == 0) return Unimplemented(node + ": spatial=0");
  if (info.opset() >= 14 && info.GetInt("training_mode", 0) != 0) return Unimplemented(node + ": training_mode");
  for (int i = 1; i < info.num_outputs(); ++i)
    if (info.has_output(i)) return Unimplemented(node + ": training outputs");
  ASSIGN_OR_RETURN(NodeLayout layout, ParseNodeLayout(info));
  if (layout.src != layout.dst) return info.Error("BatchNormalization's X and Y must share one layout");
  return std::unique_ptr<Kernel>(
      std::make_unique<BatchNormKernel>(info.GetFloat("epsilon", 1e-5f), layout, node, RefFallback::Create(info)));
}

}  // namespace

// Opsets 1-5 carried consumed_inputs / is_test semantics; left to ref.
INFERD_REGISTER_KERNEL(DnnlBatchNorm, {"", "BatchNormalization", 6, 1000, 10, "dnnl", LayoutAware(&CreateBatchNorm)});

}  // namespace inferd::onednn
