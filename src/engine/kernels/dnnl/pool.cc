// oneDNN MaxPool (no Indices output), AveragePool and GlobalAveragePool
// (FP32, 1-3 spatial dims), through pooling_v2 (dilations).
//
// Window geometry comes from the reference kernels' helpers (ParseWindowAttrs,
// ForwardGeometry), so both agree on output sizes, ceil_mode and auto_pad.
// oneDNN wants the right padding that yields exactly the output size, which
// ceil_mode may push past the pads attribute; for average pooling that counts
// padding such a window would divide differently from ONNX, so those shapes
// (and windows lying wholly in padding) go to the reference kernel.
#include <algorithm>

#include "engine/kernels/dnnl/dnnl_common.h"
#include "engine/kernels/ref/conv_util.h"

namespace inferd::onednn {
namespace {

using dnnl::memory;
using Dims = memory::dims;

// nChw16c where AVX-512 is available, nChw8c otherwise (oneDNN's jit pooling blocks).
memory::format_tag BlockedTag() {
  static const memory::format_tag tag = [] {
    const auto isa = static_cast<unsigned>(dnnl::get_effective_cpu_isa());
    const auto avx512 = static_cast<unsigned>(dnnl::cpu_isa::avx512_core);
    return (isa & avx512) == avx512 ? memory::format_tag::nChw16c : memory::format_tag::nChw8c;
  }();
  return tag;
}


enum class PoolKind { kMax, kAverage, kGlobalAverage };

class PoolKernel final : public Kernel {
 public:
  PoolKernel(PoolKind kind, ref::WindowAttrs attrs, bool count_include_pad, Activation act, std::string node,
             RefFallback fallback)
      : kind_(kind),
        attrs_(std::move(attrs)),
        count_include_pad_(count_include_pad),
        act_(act),
        node_(std::move(node)),
        fallback_(std::move(fallback)) {}

  std::string_view name() const override {
    return kind_ == PoolKind::kMax       ? "dnnl.maxpool"
           : kind_ == PoolKind::kAverage ? "dnnl.avgpool"
                                         : "dnnl.globalavgpool";
  }

  Status Run(KernelContext& ctx) const override {
    State& st = StateOf<State>(ctx);
    const Tensor* x = ctx.input(0);
    if (x == nullptr) return InvalidArgument(node_ + ": missing input X");
    if (x->dtype() != DType::kFloat32 || x->rank() < 3 || x->rank() > 5)
      return Fallback(ctx, st, Unimplemented(node_ + ": " + std::string(name()) + " takes FP32 with 1-3 spatial dims"));
    const std::vector<int64_t> spatial = ref::SpatialDims(x->shape());
    ref::WindowGeometry g;
    if (kind_ == PoolKind::kGlobalAverage) {
      for (int64_t d : spatial)
        if (d <= 0) return Fallback(ctx, st, Unimplemented(node_ + ": empty spatial dims"));
      ref::WindowAttrs global;
      ASSIGN_OR_RETURN(g, ref::ForwardGeometry(global, spatial, spatial, node_));
    } else {
      ASSIGN_OR_RETURN(g, ref::ForwardGeometry(attrs_, spatial, attrs_.kernel_shape, node_));
    }
    Shape out_shape{x->dim(0), x->dim(1)};
    out_shape.insert(out_shape.end(), g.out.begin(), g.out.end());
    if (ShapeNumel(out_shape) == 0) return ctx.Output(0, DType::kFloat32, out_shape).status();

    Dims strides, kernel, dilation, pad_l, pad_r;
    for (size_t d = 0; d < g.rank(); ++d) {
      const int64_t span = (g.kernel[d] - 1) * g.dilations[d] + 1;
      // The right padding that gives exactly g.out windows.
      const int64_t pr = std::max<int64_t>(0, (g.out[d] - 1) * g.strides[d] + span - g.in[d] - g.pad_begin[d]);
      if (g.pad_begin[d] >= span || pr >= span)
        return Fallback(ctx, st, Unimplemented(node_ + ": windows wholly in padding"));
      if (kind_ == PoolKind::kAverage && count_include_pad_ && pr > g.pad_end[d])
        return Fallback(ctx, st, Unimplemented(node_ + ": ceil_mode window past the pads with count_include_pad"));
      strides.push_back(g.strides[d]);
      kernel.push_back(g.kernel[d]);
      dilation.push_back(g.dilations[d] - 1);
      pad_l.push_back(g.pad_begin[d]);
      pad_r.push_back(pr);
    }

    const PlanCache<Plan>::Key key = x->shape();
    Plan* plan = st.plans.Find(key);
    if (plan == nullptr) {
      Plan p;
      Status made = Guard(node_, [&]() -> Status {
        // 2-D pools run on a channel-blocked copy: oneDNN's plain-layout
        // pooling is a slow reference loop (25 ms vs ~1 ms for resnet18's
        // first MaxPool here); the reorders in and out cost far less.
        const memory::desc user_src = PlainDesc(ToDims(x->shape())), user_dst = PlainDesc(ToDims(out_shape));
        const bool blocked = x->rank() == 4;
        const memory::desc src = blocked ? memory::desc(ToDims(x->shape()), memory::data_type::f32, BlockedTag())
                                         : user_src;
        const memory::desc dst =
            blocked ? memory::desc(ToDims(out_shape), memory::data_type::f32, memory::format_tag::any) : user_dst;
        const dnnl::algorithm alg = kind_ == PoolKind::kMax ? dnnl::algorithm::pooling_max
                                    : count_include_pad_    ? dnnl::algorithm::pooling_avg_include_padding
                                                            : dnnl::algorithm::pooling_avg_exclude_padding;
        dnnl::primitive_attr attr;
        if (!act_.none()) {
          dnnl::post_ops ops;
          AppendActivation(ops, act_);
          attr.set_post_ops(ops);
        }
        dnnl::pooling_v2_forward::primitive_desc pd(
            dnnl::pooling_v2_forward::desc(dnnl::prop_kind::forward_inference, alg, src, dst, strides, kernel, dilation,
                                           pad_l, pad_r),
            attr, CpuEngine());
        LogPrimitive(name(), node_, x->shape(), pd);
        p.prim = dnnl::pooling_v2_forward(pd);
        p.src = memory(user_src, CpuEngine(), nullptr);
        p.dst = memory(user_dst, CpuEngine(), nullptr);
        if (blocked) {
          p.src_blocked = memory(pd.src_desc(), CpuEngine());
          p.dst_blocked = memory(pd.dst_desc(), CpuEngine());
          p.to_blocked = dnnl::reorder(p.src, p.src_blocked);
          p.from_blocked = dnnl::reorder(p.dst_blocked, p.dst);
          p.blocked = true;
        }
        return Status::Ok();
      });
      if (!made.ok()) return Fallback(ctx, st, made);
      plan = &st.plans.Insert(key, std::move(p));
    }
    ASSIGN_OR_RETURN(Tensor * out, ctx.Output(0, DType::kFloat32, out_shape));
    return Guard(node_, [&]() -> Status {
      plan->src.set_data_handle(x->raw());
      plan->dst.set_data_handle(out->raw());
      if (plan->blocked) {
        plan->to_blocked.execute(st.stream(), plan->src, plan->src_blocked);
        plan->prim.execute(st.stream(), {{DNNL_ARG_SRC, plan->src_blocked}, {DNNL_ARG_DST, plan->dst_blocked}});
        plan->from_blocked.execute(st.stream(), plan->dst_blocked, plan->dst);
      } else {
        plan->prim.execute(st.stream(), {{DNNL_ARG_SRC, plan->src}, {DNNL_ARG_DST, plan->dst}});
      }
      st.stream().wait();
      return Status::Ok();
    });
  }

 private:
  struct Plan {
    dnnl::pooling_v2_forward prim;
    memory src, dst;  // the caller's plain tensors
    bool blocked = false;
    memory src_blocked, dst_blocked;  // owned, channel-blocked copies
    dnnl::reorder to_blocked, from_blocked;
  };
  struct State : DnnlState {
    PlanCache<Plan> plans;
  };

  Status Fallback(KernelContext& ctx, State& st, const Status& why) const {
    LogFallback(name(), node_, why);
    Tensor* out = nullptr;
    RETURN_IF_ERROR(fallback_.Run(ctx, st.fallback_state(), why, &out));
    if (act_.none()) return Status::Ok();
    if (out == nullptr) return Internal(node_ + ": reference fallback gave no output to finish");
    return FinishFused(node_, *out, nullptr, act_);
  }

  PoolKind kind_;
  ref::WindowAttrs attrs_;
  bool count_include_pad_;
  Activation act_;
  std::string node_;
  RefFallback fallback_;
};

KernelFactory Factory(PoolKind kind) {
  return [kind](const KernelInfo& info) -> Result<std::unique_ptr<Kernel>> {
    RETURN_IF_ERROR(AcceptFloatInputs(info, {0}));
    if (info.has_output(1)) return Unimplemented(info.node().Describe() + ": dnnl pooling has no Indices output");
    ref::WindowAttrs attrs;
    if (kind != PoolKind::kGlobalAverage) {
      ASSIGN_OR_RETURN(attrs, ref::ParseWindowAttrs(info));
      if (attrs.kernel_shape.empty()) return info.Error("attribute 'kernel_shape' is required");
    }
    const bool include_pad = kind == PoolKind::kAverage && info.GetInt("count_include_pad", 0) != 0;
    ASSIGN_OR_RETURN(Activation act, ParseFusedActivation(info));
    return std::unique_ptr<Kernel>(std::make_unique<PoolKernel>(kind, std::move(attrs), include_pad, act,
                                                                info.node().Describe(), RefFallback::Create(info)));
  };
}

}  // namespace

INFERD_REGISTER_KERNEL(DnnlMaxPool, {"", "MaxPool", 1, 1000, 10, "dnnl", Factory(PoolKind::kMax)});
INFERD_REGISTER_KERNEL(DnnlAveragePool, {"", "AveragePool", 1, 1000, 10, "dnnl", Factory(PoolKind::kAverage)});
INFERD_REGISTER_KERNEL(DnnlGlobalAveragePool,
                       {"", "GlobalAveragePool", 1, 1000, 10, "dnnl", Factory(PoolKind::kGlobalAverage)});

}  // namespace inferd::onednn
