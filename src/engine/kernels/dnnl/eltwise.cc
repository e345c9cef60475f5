// oneDNN elementwise activations (FP32): Relu, Sigmoid, Tanh, Clip (constant
// bounds), LeakyRelu, Elu, HardSigmoid, HardSwish.
//
// The tensor is seen as one flat vector, so a primitive is cached per element
// count, whatever the shape. HardSigmoid is two steps (linear, then clip to
// [0, 1]; oneDNN 2.6 has no hardsigmoid), the second in place on the output.
#include <limits>

#include "engine/kernels/dnnl/dnnl_common.h"

namespace inferd::onednn {
namespace {

using dnnl::memory;

class EltwiseKernel final : public Kernel {
 public:
  EltwiseKernel(Activation act, std::string name, std::string node, RefFallback fallback)
      : act_(act), name_(std::move(name)), node_(std::move(node)), fallback_(std::move(fallback)) {}

  std::string_view name() const override { return name_; }

  Status Run(KernelContext& ctx) const override {
    State& st = StateOf<State>(ctx);
    const Tensor* x = ctx.input(0);
    if (x == nullptr) return InvalidArgument(node_ + ": missing input");
    if (x->dtype() != DType::kFloat32) {
      const Status why = Unimplemented(node_ + ": " + name_ + " takes FP32, got " + std::string(DTypeName(x->dtype())));
      LogFallback(name_, node_, why);
      return fallback_.Run(ctx, st.fallback_state(), why);
    }
    ASSIGN_OR_RETURN(Tensor * out, ctx.Output(0, DType::kFloat32, x->shape()));
    const int64_t n = x->numel();
    if (n == 0) return Status::Ok();
    const PlanCache<Plan>::Key key{n};
    Plan* plan = st.plans.Find(key);
    if (plan == nullptr) {
      Plan p;
      RETURN_IF_ERROR(Guard(node_, [&]() -> Status {
        const memory::desc md = PlainDesc({n});
        for (const EltwiseStep& s : EltwiseSteps(act_)) {
          dnnl::eltwise_forward::primitive_desc pd(
              dnnl::eltwise_forward::desc(dnnl::prop_kind::forward_inference, s.alg, md, s.alpha, s.beta),
              CpuEngine());
          LogPrimitive(name_, node_, x->shape(), pd);
          p.steps.emplace_back(pd);
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
      for (size_t i = 0; i < plan->steps.size(); ++i)
        plan->steps[i].execute(st.stream(), {{DNNL_ARG_SRC, i == 0 ? plan->src : plan->dst}, {DNNL_ARG_DST, plan->dst}});
      st.stream().wait();
      return Status::Ok();
    });
  }

 private:
  struct Plan {
    std::vector<dnnl::eltwise_forward> steps;
    memory src, dst;
  };
  struct State : DnnlState {
    PlanCache<Plan> plans;
  };

  Activation act_;
  std::string name_;
  std::string node_;
  RefFallback fallback_;
};

// Clip's bounds: attributes before opset 11, optional constant inputs after.
Result<std::pair<float, float>> ClipBounds(const KernelInfo& info) {
  if (info.opset() < 11)
    return std::pair{info.GetFloat("min", std::numeric_limits<float>::lowest()),
                     info.GetFloat("max", std::numeric_limits<float>::max())};
  float bounds[2] = {-std::numeric_limits<float>::infinity(), std::numeric_limits<float>::infinity()};
  for (int i = 1; i <= 2; ++i) {
    if (!info.has_input(i)) continue;
    const Tensor* t = info.constant_input(i);
    if (t == nullptr) return Unimplemented(info.node().Describe() + ": dnnl Clip needs constant min/max");
    if (t->dtype() != DType::kFloat32 || t->numel() != 1)
      return Unimplemented(info.node().Describe() + ": dnnl Clip needs FP32 scalar min/max");
    bounds[i - 1] = t->data<float>()[0];
  }
  return std::pair{bounds[0], bounds[1]};
}

KernelFactory Factory(const char* op, const char* kernel_name) {
  return [op, kernel_name](const KernelInfo& info) -> Result<std::unique_ptr<Kernel>> {
    RETURN_IF_ERROR(AcceptFloatInputs(info, {0}));
    const std::string_view name(op);
    float alpha = 0, beta = 0;
    if (name == "LeakyRelu") alpha = info.GetFloat("alpha", 0.01f);
    if (name == "Elu") alpha = info.GetFloat("alpha", 1.0f);
    if (name == "HardSigmoid") alpha = info.GetFloat("alpha", 0.2f), beta = info.GetFloat("beta", 0.5f);
    if (name == "Clip") {
      ASSIGN_OR_RETURN(auto bounds, ClipBounds(info));
      alpha = bounds.first;
      beta = bounds.second;
      // oneDNN's clip and ONNX's min(max(x, lo), hi) differ when lo > hi.
      if (!(alpha <= beta)) return Unimplemented(info.node().Describe() + ": dnnl Clip needs min <= max");
    }
    ASSIGN_OR_RETURN(Activation act, MakeActivation(name, alpha, beta));
    return std::unique_ptr<Kernel>(
        std::make_unique<EltwiseKernel>(act, kernel_name, info.node().Describe(), RefFallback::Create(info)));
  };
}

}  // namespace

// Opsets before 6 carried the legacy consumed_inputs attribute: left to ref.
INFERD_REGISTER_KERNEL(DnnlRelu, {"", "Relu", 6, 1000, 10, "dnnl", Factory("Relu", "dnnl.relu")});
INFERD_REGISTER_KERNEL(DnnlSigmoid, {"", "Sigmoid", 6, 1000, 10, "dnnl", Factory("Sigmoid", "dnnl.sigmoid")});
INFERD_REGISTER_KERNEL(DnnlTanh, {"", "Tanh", 6, 1000, 10, "dnnl", Factory("Tanh", "dnnl.tanh")});
INFERD_REGISTER_KERNEL(DnnlClip, {"", "Clip", 6, 1000, 10, "dnnl", Factory("Clip", "dnnl.clip")});
INFERD_REGISTER_KERNEL(DnnlLeakyRelu, {"", "LeakyRelu", 6, 1000, 10, "dnnl", Factory("LeakyRelu", "dnnl.leakyrelu")});
INFERD_REGISTER_KERNEL(DnnlElu, {"", "Elu", 6, 1000, 10, "dnnl", Factory("Elu", "dnnl.elu")});
INFERD_REGISTER_KERNEL(DnnlHardSigmoid,
                       {"", "HardSigmoid", 6, 1000, 10, "dnnl", Factory("HardSigmoid", "dnnl.hardsigmoid")});
INFERD_REGISTER_KERNEL(DnnlHardSwish, {"", "HardSwish", 14, 1000, 10, "dnnl", Factory("HardSwish", "dnnl.hardswish")});

}  // namespace inferd::onednn
