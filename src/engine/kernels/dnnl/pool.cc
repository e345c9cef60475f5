// oneDNN MaxPool (no Indices output), AveragePool and GlobalAveragePool
// (FP32, 1-3 spatial dims), through pooling_v2 (dilations).
//
// Window geometry comes from the reference kernels' helpers (ParseWindowAttrs,
// ForwardGeometry), so both agree on output sizes, ceil_mode and auto_pad.
// oneDNN wants the right padding that yields exactly the output size, which
// ceil_mode may push past the pads attribute; for average pooling that counts
// padding such a window would divide differently from ONNX, so those shapes
// (and windows lying wholly in padding) go to the reference kernel.
//
// Inside a blocked region (layout.h) input and output are channel-blocked
// and used as they are (2-D max pooling in nChw8c runs fast/pool.h, several
// times faster than oneDNN's here); outside, 2-D pools run on a blocked copy.
#include <algorithm>

#include "engine/kernels/dnnl/dnnl_common.h"
#include "engine/kernels/dnnl/layout.h"
#include "engine/kernels/fast/pool.h"
#include "engine/kernels/ref/conv_util.h"

namespace inferd::onednn {
namespace {

using dnnl::memory;
using Dims = memory::dims;

// oneDNN's jit pooling blocks: nChw16c where AVX-512 is available, else nChw8c.
memory::format_tag BlockedTag() {
  return PreferredChannelBlock() == 16 ? memory::format_tag::nChw16c : memory::format_tag::nChw8c;
}

enum class PoolKind { kMax, kAverage, kGlobalAverage };

class PoolKernel final : public Kernel {
 public:
  PoolKernel(PoolKind kind, ref::WindowAttrs attrs, bool count_include_pad, Activation act, NodeLayout layout,
             std::string node, RefFallback fallback)
      : kind_(kind),
        attrs_(std::move(attrs)),
        count_include_pad_(count_include_pad),
        act_(act),
        layout_(layout),
        node_(std::move(node)),
        fallback_(std::move(fallback)) {}

  std::string_view name() const override {
    if (FastMax()) return "fast.maxpool";
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
    Shape x_shape = x->shape();  // logical [N, C, spatial...]
    if (layout_.src) {
      auto logical = LogicalShape(x_shape, layout_.block);
      if (!logical.ok()) return logical.status().WithContext(node_);
      x_shape = *logical;
    }
    const std::vector<int64_t> spatial = ref::SpatialDims(x_shape);
    ref::WindowGeometry g;
    if (kind_ == PoolKind::kGlobalAverage) {
      for (int64_t d : spatial)
        if (d <= 0) return Fallback(ctx, st, Unimplemented(node_ + ": empty spatial dims"));
      ref::WindowAttrs global;
      ASSIGN_OR_RETURN(g, ref::ForwardGeometry(global, spatial, spatial, node_));
    } else {
      ASSIGN_OR_RETURN(g, ref::ForwardGeometry(attrs_, spatial, attrs_.kernel_shape, node_));
    }
    Shape out_shape{x_shape[0], x_shape[1]};
    out_shape.insert(out_shape.end(), g.out.begin(), g.out.end());
    Shape out_tensor_shape = out_shape;  // as the output tensor holds it
    if (layout_.dst) {
      auto blocked = BlockedShape(out_shape, layout_.block);
      if (!blocked.ok()) return blocked.status().WithContext(node_);
      out_tensor_shape = *blocked;
    }
    if (ShapeNumel(out_shape) == 0) return ctx.Output(0, DType::kFloat32, out_tensor_shape).status();

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

    if (FastMax() && g.rank() == 2) {
      ASSIGN_OR_RETURN(Tensor * out, ctx.Output(0, DType::kFloat32, out_tensor_shape));
      const fast::PoolWindow win{g.kernel[0],    g.kernel[1],    g.strides[0],   g.strides[1],
                                 g.dilations[0], g.dilations[1], g.pad_begin[0], g.pad_begin[1]};
      fast::MaxPoolBlocked8(x->data<float>(), x_shape[0] * x_shape[1] / 8, g.in[0], g.in[1], out->data<float>(),
                            g.out[0], g.out[1], win, ctx.num_threads());
      return Status::Ok();
    }

    const PlanCache<Plan>::Key key = x->shape();
    Plan* plan = st.plans.Find(key);
    if (plan == nullptr) {
      Plan p;
      Status made = Guard(node_, [&]() -> Status {
        // 2-D pools run on a channel-blocked copy: oneDNN's plain-layout
        // pooling is a slow reference loop (25 ms vs ~1 ms for resnet18's
        // first MaxPool here); the reorders in and out cost far less.
        const memory::desc user_src = layout_.src ? BlockedDesc(x_shape, layout_.block) : PlainDesc(ToDims(x_shape));
        const memory::desc user_dst =
            layout_.dst ? BlockedDesc(out_shape, layout_.block) : PlainDesc(ToDims(out_shape));
        const bool blocked = x->rank() == 4 && !layout_.any();
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
        LogPrimitive(name(), node_, x_shape, pd);
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
    ASSIGN_OR_RETURN(Tensor * out, ctx.Output(0, DType::kFloat32, out_tensor_shape));
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
  // Max pooling inside an nChw8c region runs fast::MaxPoolBlocked8.
  bool FastMax() const {
    return kind_ == PoolKind::kMax && layout_.src && layout_.dst && layout_.block == 8 && act_.none() &&
           fast::MaxPoolBlocked8IsFast();
  }

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
    // Inside a blocked region the reference kernel sees plain copies.
    PlainLayoutContext plain(ctx, {layout_.src}, layout_.dst, layout_.block);
    KernelContext& run_ctx = layout_.any() ? static_cast<KernelContext&>(plain) : ctx;
    Tensor* out = nullptr;
    const Status ran = fallback_.Run(run_ctx, st.fallback_state(), why, &out);
    RETURN_IF_ERROR(plain.status());
    RETURN_IF_ERROR(ran);
    if (!act_.none()) {
      if (out == nullptr) return Internal(node_ + ": reference fallback gave no output to finish");
      RETURN_IF_ERROR(FinishFused(node_, *out, nullptr, act_));
    }
    return layout_.any() ? plain.Commit() : Status::Ok();
  }

  PoolKind kind_;
  ref::WindowAttrs attrs_;
  bool count_include_pad_;
  Activation act_;
  NodeLayout layout_;
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
    ASSIGN_OR_RETURN(NodeLayout layout, ParseNodeLayout(info));
    if (layout.src != layout.dst) return info.Error("a pool's input and output must share one layout");
    return std::unique_ptr<Kernel>(std::make_unique<PoolKernel>(kind, std::move(attrs), include_pad, act, layout,
                                                                info.node().Describe(), RefFallback::Create(info)));
  };
}

}  // namespace

INFERD_REGISTER_KERNEL(DnnlMaxPool, {"", "MaxPool", 1, 1000, 10, "dnnl", LayoutAware(Factory(PoolKind::kMax))});
INFERD_REGISTER_KERNEL(DnnlAveragePool, {"", "AveragePool", 1, 1000, 10, "dnnl", LayoutAware(Factory(PoolKind::kAverage))});
INFERD_REGISTER_KERNEL(DnnlGlobalAveragePool,
                       {"", "GlobalAveragePool", 1, 1000, 10, "dnnl", LayoutAware(Factory(PoolKind::kGlobalAverage))});

}  // namespace inferd::onednn
