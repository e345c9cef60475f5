// oneDNN Conv: FP32, 1-3 spatial dims, groups (depthwise included), dilations,
// explicit pads or auto_pad, optional bias; the fusion pass's activation and
// residual sum ("_sum_input") become oneDNN post-ops.
//
// Constant weights are reordered once at load into the layout the primitive
// picks for a representative shape (batch 1); dynamic weights (rare outside
// tests) are reordered every run. Inside a blocked region (layout.h) the
// input and/or output arrive channel-blocked and the primitive uses them as
// they are; plain ones are reordered in and out here when the primitive
// picks a blocked layout, because plain-layout convolutions fall back to
// im2col+gemm, which is much slower here.
#include <algorithm>
#include <cstring>
#include <unordered_map>

#include "engine/kernels/dnnl/conv.h"
#include "engine/kernels/dnnl/dnnl_common.h"
#include "engine/kernels/dnnl/layout.h"
#include "engine/kernels/ref/common.h"

namespace inferd::onednn {
namespace {

using dnnl::memory;
using Dims = memory::dims;

enum class AutoPad { kNotSet, kSameUpper, kSameLower, kValid };

// How a cached primitive finishes the output.
enum class Finish : int64_t {
  kPostOps = 0,   // activation as post-op; no residual input configured
  kFusedSum = 1,  // residual sum then activation as post-ops
  kByHand = 2,    // no post-ops; residual (broadcast) and activation by FinishFused
  kWiderSum = 3,  // the residual is larger than the output (broadcast up): by hand into a new output
};

struct Geometry {
  Shape w;  // [M, C/group, k...]
  Shape out_shape;
  Dims strides, dilates, pad_l, pad_r;  // dilates 0-based, as oneDNN wants
};

struct ConvConfig {
  int64_t group = 1;
  std::vector<int64_t> kernel_shape, strides, dilations, pads;  // empty: default
  AutoPad auto_pad = AutoPad::kNotSet;
  bool has_bias = false;
  Tensor const_w;     // the constant W, or undefined when W is dynamic
  Tensor const_bias;  // the constant B, or undefined when B is dynamic/absent
  Activation act;
  int sum_input = -1;
  NodeLayout layout;  // blocked input / output (and sum) inside a blocked region
  std::string node;
};

class ConvKernel final : public Kernel {
 public:
  ConvKernel(ConvConfig c, PackedWeights packed, RefFallback fallback)
      : c_(std::move(c)), packed_(std::move(packed)), fallback_(std::move(fallback)) {}

  std::string_view name() const override { return "dnnl.conv"; }

  // Checks X against W and the attributes; output shape and oneDNN geometry.
  Result<Geometry> Compute(const Shape& x, const Shape& w) const {
    if (w.size() < 3 || w.size() > 5)
      return InvalidArgument(c_.node + ": W must be [M, C/group, k1, ...] with 1-3 spatial dims, got " +
                             ShapeToString(w));
    const size_t nsp = w.size() - 2;
    if (x.size() != w.size())
      return InvalidArgument(c_.node + ": X must have rank " + std::to_string(w.size()) + " like W " +
                             ShapeToString(w) + ", got " + ShapeToString(x));
    if (w[0] % c_.group != 0)
      return InvalidArgument(c_.node + ": group " + std::to_string(c_.group) + " does not divide the " +
                             std::to_string(w[0]) + " output channels of W " + ShapeToString(w));
    if (x[1] != w[1] * c_.group)
      return InvalidArgument(c_.node + ": X " + ShapeToString(x) + " has " + std::to_string(x[1]) + " channels, W " +
                             ShapeToString(w) + " with group " + std::to_string(c_.group) + " needs " +
                             std::to_string(w[1] * c_.group));
    if (!c_.kernel_shape.empty() && c_.kernel_shape != Shape(w.begin() + 2, w.end()))
      return InvalidArgument(c_.node + ": kernel_shape " + ShapeToString(c_.kernel_shape) + " does not match W " +
                             ShapeToString(w));
    if ((!c_.strides.empty() && c_.strides.size() != nsp) || (!c_.dilations.empty() && c_.dilations.size() != nsp) ||
        (!c_.pads.empty() && c_.pads.size() != 2 * nsp))
      return InvalidArgument(c_.node + ": strides, dilations and pads must have " + std::to_string(nsp) + ", " +
                             std::to_string(nsp) + " and " + std::to_string(2 * nsp) + " values for W " +
                             ShapeToString(w));
    Geometry g;
    g.w = w;
    g.out_shape = {x[0], w[0]};
    for (size_t i = 0; i < nsp; ++i) {
      const int64_t in = x[i + 2];
      const int64_t s = c_.strides.empty() ? 1 : c_.strides[i];
      const int64_t d = c_.dilations.empty() ? 1 : c_.dilations[i];
      const int64_t eff = (w[i + 2] - 1) * d + 1;
      int64_t pb = c_.pads.empty() ? 0 : c_.pads[i], pe = c_.pads.empty() ? 0 : c_.pads[i + nsp], out = 0;
      switch (c_.auto_pad) {
        case AutoPad::kNotSet:
          out = (in + pb + pe - eff) / s + 1;
          break;
        case AutoPad::kValid:
          pb = pe = 0;
          out = in >= eff ? (in - eff) / s + 1 : 0;
          break;
        case AutoPad::kSameUpper:
        case AutoPad::kSameLower: {
          out = (in + s - 1) / s;
          const int64_t total = std::max<int64_t>(0, (out - 1) * s + eff - in);
          pb = c_.auto_pad == AutoPad::kSameUpper ? total / 2 : total - total / 2;
          pe = total - pb;
          break;
        }
      }
      if (w[i + 2] <= 0 || in + pb + pe < eff || out <= 0)
        return InvalidArgument(c_.node + ": input " + ShapeToString(x) + " is smaller than the kernel " +
                               ShapeToString(w) + " (with pads and dilations)");
      g.out_shape.push_back(out);
      g.strides.push_back(s);
      g.dilates.push_back(d - 1);
      g.pad_l.push_back(pb);
      g.pad_r.push_back(pe);
    }
    return g;
  }

  // A primitive descriptor for input `x` with geometry `g`.
  dnnl::convolution_forward::primitive_desc MakePd(const Shape& x, const Geometry& g, Finish finish) const {
    const memory::desc src = c_.layout.src ? BlockedDesc(x, c_.layout.block)
                                           : memory::desc(ToDims(x), memory::data_type::f32, memory::format_tag::any);
    const memory::desc dst = c_.layout.dst
                                 ? BlockedDesc(g.out_shape, c_.layout.block)
                                 : memory::desc(ToDims(g.out_shape), memory::data_type::f32, memory::format_tag::any);
    const memory::desc w(WeightDims(g.w), memory::data_type::f32, memory::format_tag::any);
    const memory::desc b = c_.has_bias ? PlainDesc({g.w[0]}) : memory::desc();
    const dnnl::convolution_forward::desc desc(dnnl::prop_kind::forward_inference, dnnl::algorithm::convolution_direct,
                                               src, w, b, dst, g.strides, g.dilates, g.pad_l, g.pad_r);
    dnnl::post_ops ops;
    if (finish == Finish::kFusedSum) ops.append_sum(1.0f);
    if (finish != Finish::kByHand) AppendActivation(ops, c_.act);
    dnnl::primitive_attr attr;
    attr.set_post_ops(ops);
    return dnnl::convolution_forward::primitive_desc(desc, attr, CpuEngine());
  }

  // W's dims as oneDNN wants them: [G, M/G, C/G, k...] when grouped.
  Dims WeightDims(const Shape& w) const {
    Dims d = ToDims(w);
    if (c_.group > 1) {
      d[0] /= c_.group;
      d.insert(d.begin(), c_.group);
    }
    return d;
  }

  Status Run(KernelContext& ctx) const override;

 private:
  struct Plan {
    dnnl::convolution_forward conv;
    memory src_user, dst_user, sum_user;    // plain, over the tensors of this run
    memory src, dst;                        // what the primitive reads/writes
    dnnl::reorder src_in, dst_out, sum_in;  // empty when layouts are plain
    memory weights, bias;
    memory w_user;       // dynamic W: plain, over this run's tensor
    dnnl::reorder w_in;  // dynamic W in another layout: reordered every run
    std::unordered_map<int, memory> args;  // the primitive's arguments (built once: no per-run allocation)
  };
  struct State : DnnlState {
    PlanCache<Plan> plans;
  };

  Result<Plan> MakePlan(const Shape& x, const Geometry& g, Finish finish) const;
  Status RunFallback(KernelContext& ctx, State& st, const Status& why) const;
  // act(y + sum) into a new output of the broadcast shape (kWiderSum). Blocked
  // y and sum (same channels, as the layout pass ensures) broadcast as the
  // plain ones would: the block dims match and only N, H, W broadcast.
  Status FinishWider(KernelContext& ctx, const Tensor& y, const Tensor& sum) const;

  ConvConfig c_;
  PackedWeights packed_;
  RefFallback fallback_;
};

Result<ConvKernel::Plan> ConvKernel::MakePlan(const Shape& x, const Geometry& g, Finish finish) const {
  Plan p;
  Status st = Guard(c_.node, [&]() -> Status {
    auto pd = MakePd(x, g, finish);
    LogPrimitive(name(), c_.node, x, pd);
    p.conv = dnnl::convolution_forward(pd);
    // The caller's tensors: plain, or blocked inside a region.
    const memory::desc src_plain = c_.layout.src ? BlockedDesc(x, c_.layout.block) : PlainDesc(ToDims(x));
    const memory::desc dst_plain =
        c_.layout.dst ? BlockedDesc(g.out_shape, c_.layout.block) : PlainDesc(ToDims(g.out_shape));
    p.src_user = memory(src_plain, CpuEngine(), nullptr);
    p.dst_user = memory(dst_plain, CpuEngine(), nullptr);
    if (pd.src_desc() == src_plain) {
      p.src = p.src_user;
    } else {
      p.src = memory(pd.src_desc(), CpuEngine());
      p.src_in = dnnl::reorder(p.src_user, p.src);
    }
    if (pd.dst_desc() == dst_plain) {
      p.dst = p.dst_user;
    } else {
      p.dst = memory(pd.dst_desc(), CpuEngine());
      p.dst_out = dnnl::reorder(p.dst, p.dst_user);
      if (finish == Finish::kFusedSum) {
        p.sum_user = memory(dst_plain, CpuEngine(), nullptr);
        p.sum_in = dnnl::reorder(p.sum_user, p.dst);
      }
    }
    if (c_.const_w.defined() && packed_.defined()) {
      ASSIGN_OR_RETURN(p.weights, WeightsFor(pd.weights_desc(), packed_));
    } else {
      p.w_user = memory(PlainDesc(WeightDims(g.w)), CpuEngine(), nullptr);
      if (pd.weights_desc() == p.w_user.get_desc()) {
        p.weights = p.w_user;
      } else {
        p.weights = memory(pd.weights_desc(), CpuEngine());
        p.w_in = dnnl::reorder(p.w_user, p.weights);
      }
    }
    if (c_.has_bias) {
      p.bias = c_.const_bias.defined() ? WrapMemory(pd.bias_desc(), c_.const_bias.raw())
                                       : memory(pd.bias_desc(), CpuEngine(), nullptr);
    }
    p.args = {{DNNL_ARG_SRC, p.src}, {DNNL_ARG_WEIGHTS, p.weights}, {DNNL_ARG_DST, p.dst}};
    if (c_.has_bias) p.args.emplace(DNNL_ARG_BIAS, p.bias);
    return Status::Ok();
  });
  if (!st.ok()) return st;
  return p;
}

Status ConvKernel::RunFallback(KernelContext& ctx, State& st, const Status& why) const {
  LogFallback(name(), c_.node, why);
  // Inside a blocked region the reference kernel sees plain copies.
  std::vector<bool> blocked(static_cast<size_t>(ctx.num_inputs()), false);
  if (!blocked.empty()) blocked[0] = c_.layout.src;
  if (c_.sum_input >= 0) blocked[static_cast<size_t>(c_.sum_input)] = c_.layout.dst;
  PlainLayoutContext plain(ctx, std::move(blocked), c_.layout.dst, c_.layout.block);
  KernelContext& run_ctx = c_.layout.any() ? static_cast<KernelContext&>(plain) : ctx;
  Tensor* out = nullptr;
  const Status ran = fallback_.Run(run_ctx, st.fallback_state(), why, &out);
  RETURN_IF_ERROR(plain.status());
  RETURN_IF_ERROR(ran);
  const Tensor* sum = c_.sum_input >= 0 ? run_ctx.input(c_.sum_input) : nullptr;
  RETURN_IF_ERROR(plain.status());
  if (sum != nullptr || !c_.act.none()) {
    if (out == nullptr) return Internal(c_.node + ": reference fallback gave no output to finish");
    auto shape = sum != nullptr ? ref::BroadcastShapes({out->shape(), sum->shape()}) : Result<Shape>(out->shape());
    if (shape.ok() && *shape != out->shape()) {
      RETURN_IF_ERROR(FinishWider(run_ctx, Tensor(*out), *sum));
    } else {
      RETURN_IF_ERROR(FinishFused(c_.node, *out, sum, c_.act));
    }
  }
  return c_.layout.any() ? plain.Commit() : Status::Ok();
}

Status ConvKernel::FinishWider(KernelContext& ctx, const Tensor& y, const Tensor& sum) const {
  if (sum.dtype() != DType::kFloat32)
    return InvalidArgument(c_.node + ": fused sum input must be FP32, got " + std::string(DTypeName(sum.dtype())));
  auto shape = ref::BroadcastShapes({y.shape(), sum.shape()});
  if (!shape.ok())
    return InvalidArgument(c_.node + ": fused sum input " + ShapeToString(sum.shape()) +
                           " does not broadcast with the output " + ShapeToString(y.shape()));
  ASSIGN_OR_RETURN(Tensor * out, ctx.Output(0, DType::kFloat32, *shape));
  const float* a = y.data<float>();
  const float* b = sum.data<float>();
  float* o = out->data<float>();
  ref::BroadcastIndexer idx(*shape, {y.shape(), sum.shape()});
  for (int64_t i = 0, n = out->numel(); i < n; ++i, idx.Next())
    o[i] = ApplyActivation(c_.act, a[idx.offset(0)] + b[idx.offset(1)]);
  return Status::Ok();
}

Status ConvKernel::Run(KernelContext& ctx) const {
  State& st = StateOf<State>(ctx);
  const Tensor* x = ctx.input(0);
  if (x == nullptr) return InvalidArgument(c_.node + ": missing input X");
  if (x->dtype() != DType::kFloat32)
    return RunFallback(ctx, st,
                       Unimplemented(c_.node + ": dnnl.conv takes FP32, X is " + std::string(DTypeName(x->dtype()))));
  const Tensor* w = ctx.input(1);
  if (w == nullptr) return InvalidArgument(c_.node + ": missing input W");
  if (w->dtype() != DType::kFloat32)
    return RunFallback(ctx, st,
                       Unimplemented(c_.node + ": dnnl.conv takes FP32, W is " + std::string(DTypeName(w->dtype()))));
  Shape x_shape = x->shape();
  if (c_.layout.src) {
    auto logical = LogicalShape(x_shape, c_.layout.block);
    if (!logical.ok()) return logical.status().WithContext(c_.node);
    x_shape = *logical;
  }
  ASSIGN_OR_RETURN(Geometry g, Compute(x_shape, w->shape()));
  Shape out_shape = g.out_shape;  // as the output tensor holds it
  if (c_.layout.dst) {
    auto blocked = BlockedShape(g.out_shape, c_.layout.block);
    if (!blocked.ok()) return blocked.status().WithContext(c_.node);
    out_shape = *blocked;
  }
  const Tensor* b = c_.has_bias ? ctx.input(2) : nullptr;
  if (b != nullptr && (b->dtype() != DType::kFloat32 || b->shape() != Shape{g.w[0]}))
    return InvalidArgument(c_.node + ": B must be FP32 [" + std::to_string(g.w[0]) + "], got " +
                           std::string(DTypeName(b->dtype())) + " " + ShapeToString(b->shape()));
  const Tensor* sum = c_.sum_input >= 0 ? ctx.input(c_.sum_input) : nullptr;
  Finish finish = Finish::kPostOps;
  if (sum != nullptr) {
    finish = sum->dtype() == DType::kFloat32 && sum->shape() == out_shape ? Finish::kFusedSum : Finish::kByHand;
    auto wide = ref::BroadcastShapes({out_shape, sum->shape()});
    if (wide.ok() && *wide != out_shape) finish = Finish::kWiderSum;
  }

  if (ShapeNumel(g.out_shape) == 0) return ctx.Output(0, DType::kFloat32, out_shape).status();

  PlanCache<Plan>::Key key = x_shape;
  key.insert(key.end(), g.w.begin(), g.w.end());
  key.push_back(static_cast<int64_t>(finish));
  Plan* plan = st.plans.Find(key);
  if (plan == nullptr) {
    auto made = MakePlan(x_shape, g, finish == Finish::kWiderSum ? Finish::kByHand : finish);
    if (!made.ok()) return RunFallback(ctx, st, made.status());
    plan = &st.plans.Insert(std::move(key), std::move(made).value());
  }
  Tensor wider_y;  // kWiderSum: the convolution's own result, before the sum
  Tensor* out = nullptr;
  bool sum_in_place = false;  // the output is the residual's own buffer: no copy
  if (finish == Finish::kWiderSum) {
    ASSIGN_OR_RETURN(wider_y, Tensor::Create(DType::kFloat32, out_shape));
    out = &wider_y;
  } else {
    if (finish == Finish::kFusedSum && !plan->sum_in) {
      out = ctx.OutputInPlace(0, c_.sum_input, DType::kFloat32, out_shape);
      sum_in_place = out != nullptr;
    }
    if (out == nullptr) {
      ASSIGN_OR_RETURN(out, ctx.Output(0, DType::kFloat32, out_shape));
    }
  }

  RETURN_IF_ERROR(Guard(c_.node, [&]() -> Status {
    dnnl::stream& s = st.stream();
    plan->src_user.set_data_handle(x->raw());
    plan->dst_user.set_data_handle(out->raw());
    if (plan->src_in) plan->src_in.execute(s, plan->src_user, plan->src);
    if (plan->w_user) {
      plan->w_user.set_data_handle(w->raw());
      if (plan->w_in) plan->w_in.execute(s, plan->w_user, plan->weights);
    }
    if (finish == Finish::kFusedSum) {
      if (plan->sum_in) {
        plan->sum_user.set_data_handle(sum->raw());
        plan->sum_in.execute(s, plan->sum_user, plan->dst);
      } else if (!sum_in_place) {
        std::memcpy(out->raw(), sum->raw(), out->nbytes());
      }
    }
    if (c_.has_bias && b != nullptr && !c_.const_bias.defined()) plan->bias.set_data_handle(b->raw());
    plan->conv.execute(s, plan->args);
    if (plan->dst_out) plan->dst_out.execute(s, plan->dst, plan->dst_user);
    s.wait();
    return Status::Ok();
  }));
  if (finish == Finish::kByHand) return FinishFused(c_.node, *out, sum, c_.act);
  if (finish == Finish::kWiderSum) return FinishWider(ctx, wider_y, *sum);
  return Status::Ok();
}

Result<AutoPad> ParseAutoPad(const KernelInfo& info) {
  const std::string s = info.GetString("auto_pad", "NOTSET");
  if (s == "NOTSET" || s.empty()) return AutoPad::kNotSet;
  if (s == "SAME_UPPER") return AutoPad::kSameUpper;
  if (s == "SAME_LOWER") return AutoPad::kSameLower;
  if (s == "VALID") return AutoPad::kValid;
  return info.Error("auto_pad must be NOTSET, SAME_UPPER, SAME_LOWER or VALID, got \"" + s + "\"");
}

}  // namespace

Result<std::unique_ptr<Kernel>> CreateConvKernel(const KernelInfo& info, bool pack_weights) {
  RETURN_IF_ERROR(AcceptFloatInputs(info, {0, 1, 2}));
  ConvConfig c;
  c.node = info.node().Describe();
  c.group = info.GetInt("group", 1);
  if (c.group < 1) return info.Error("group must be >= 1, got " + std::to_string(c.group));
  c.kernel_shape = info.GetInts("kernel_shape");
  c.strides = info.GetInts("strides");
  c.dilations = info.GetInts("dilations");
  c.pads = info.GetInts("pads");
  for (int64_t v : c.strides)
    if (v < 1) return info.Error("strides must be >= 1, got " + ShapeToString(c.strides));
  for (int64_t v : c.dilations)
    if (v < 1) return info.Error("dilations must be >= 1, got " + ShapeToString(c.dilations));
  for (int64_t p : c.pads)
    if (p < 0) return info.Error("pads must be >= 0, got " + ShapeToString(c.pads));
  ASSIGN_OR_RETURN(c.auto_pad, ParseAutoPad(info));
  c.has_bias = info.has_input(2);
  ASSIGN_OR_RETURN(c.act, ParseFusedActivation(info));
  ASSIGN_OR_RETURN(c.sum_input, ParseSumInput(info));
  ASSIGN_OR_RETURN(c.layout, ParseNodeLayout(info));
  if (c.sum_input >= 0) RETURN_IF_ERROR(AcceptFloatInputs(info, {c.sum_input}));
  RefFallback fallback = RefFallback::Create(info);

  const Tensor* w = info.constant_input(1);
  if (w == nullptr)  // dynamic W: plain weights, reordered per run if needed
    return std::unique_ptr<Kernel>(std::make_unique<ConvKernel>(std::move(c), PackedWeights{}, std::move(fallback)));
  if (w->dtype() != DType::kFloat32) return Unimplemented(c.node + ": dnnl.conv takes FP32 weights");
  if (w->rank() < 3 || w->rank() > 5)
    return Unimplemented(c.node + ": dnnl.conv handles 1-3 spatial dims, W is " + ShapeToString(w->shape()));
  if (w->numel() == 0) return Unimplemented(c.node + ": empty weights " + ShapeToString(w->shape()));
  if (const Tensor* b = info.constant_input(2)) {
    if (b->dtype() != DType::kFloat32 || b->shape() != Shape{w->dim(0)})
      return info.Error("B must be FP32 [" + std::to_string(w->dim(0)) + "], got " + ShapeToString(b->shape()));
    c.const_bias = *b;
  }
  c.const_w = *w;
  if (!pack_weights)  // the constant W goes through the dynamic-W path, reordered per run
    return std::unique_ptr<Kernel>(std::make_unique<ConvKernel>(std::move(c), PackedWeights{}, std::move(fallback)));

  // Pack W for a representative input: batch 1, 16 outputs per spatial dim.
  ConvConfig probe_config = c;
  probe_config.auto_pad = AutoPad::kValid;
  ConvKernel probe(probe_config, PackedWeights{}, RefFallback{});
  Shape rep = {1, w->dim(1) * c.group};
  for (int64_t i = 2; i < w->rank(); ++i) {
    const size_t d = static_cast<size_t>(i - 2);
    const int64_t stride = d < c.strides.size() ? c.strides[d] : 1;
    const int64_t dilation = d < c.dilations.size() ? c.dilations[d] : 1;
    rep.push_back((w->dim(i) - 1) * dilation + 1 + 15 * stride);
  }
  auto g = probe.Compute(rep, w->shape());
  if (!g.ok()) return g.status();
  memory::desc want;
  Status st = Guard(c.node, [&]() -> Status {
    want = probe.MakePd(rep, *g, Finish::kPostOps).weights_desc();
    return Status::Ok();
  });
  if (!st.ok()) return Unimplemented(st.message());
  ASSIGN_OR_RETURN(PackedWeights packed, PackedWeights::Pack(PlainDesc(probe.WeightDims(w->shape())), w->raw(), want));
  return std::unique_ptr<Kernel>(std::make_unique<ConvKernel>(std::move(c), std::move(packed), std::move(fallback)));
}

namespace {
Result<std::unique_ptr<Kernel>> CreateConv(const KernelInfo& info) { return CreateConvKernel(info, true); }
}  // namespace

INFERD_REGISTER_KERNEL(DnnlConv, {"", "Conv", 1, 1000, 10, "dnnl", LayoutAware(&CreateConv)});

}  // namespace inferd::onednn
