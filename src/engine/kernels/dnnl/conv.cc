// oneDNN Conv: FP32, 1-3 spatial dims, groups (depthwise included), dilations,
// explicit pads or auto_pad, optional bias; the fusion pass's activation and
// residual sum ("_sum_input") become oneDNN post-ops.
//
// Constant weights are reordered once at load into the layout the primitive
// picks for a representative shape (batch 1). Activations cross the kernel
// boundary in plain NCHW; inside, the primitive may pick a blocked layout
// (nChw8c...) and the kernel reorders in and out, because plain-layout
// convolutions fall back to im2col+gemm, which is much slower here.
#include <algorithm>
#include <cstring>
#include <unordered_map>

#include "engine/kernels/dnnl/dnnl_common.h"

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
};

struct Geometry {
  Shape out_shape;
  Dims strides, dilates, pad_l, pad_r;  // dilates 0-based, as oneDNN wants
};

struct ConvConfig {
  int64_t group = 1;
  Shape w_shape;  // [M, C/group, k...]
  std::vector<int64_t> strides, dilations, pads;
  AutoPad auto_pad = AutoPad::kNotSet;
  bool has_bias = false;
  Tensor weights;      // the constant W, plain
  Tensor const_bias;   // the constant B, or undefined when B is dynamic/absent
  Activation act;
  int sum_input = -1;
  std::string node;
};

class ConvKernel final : public Kernel {
 public:
  ConvKernel(ConvConfig c, PackedWeights packed, RefFallback fallback)
      : c_(std::move(c)), packed_(std::move(packed)), fallback_(std::move(fallback)) {}

  std::string_view name() const override { return "dnnl.conv"; }

  // Output shape and oneDNN geometry for input shape `x`.
  Result<Geometry> Compute(const Shape& x) const {
    const size_t nsp = c_.w_shape.size() - 2;
    if (x.size() != c_.w_shape.size())
      return InvalidArgument(c_.node + ": X must have rank " + std::to_string(c_.w_shape.size()) + " like W " +
                             ShapeToString(c_.w_shape) + ", got " + ShapeToString(x));
    if (x[1] != c_.w_shape[1] * c_.group)
      return InvalidArgument(c_.node + ": X " + ShapeToString(x) + " has " + std::to_string(x[1]) +
                             " channels, W " + ShapeToString(c_.w_shape) + " with group " + std::to_string(c_.group) +
                             " needs " + std::to_string(c_.w_shape[1] * c_.group));
    Geometry g;
    g.out_shape = {x[0], c_.w_shape[0]};
    for (size_t i = 0; i < nsp; ++i) {
      const int64_t in = x[i + 2], s = c_.strides[i], d = c_.dilations[i];
      const int64_t eff = (c_.w_shape[i + 2] - 1) * d + 1;
      int64_t pb = c_.pads[i], pe = c_.pads[i + nsp], out = 0;
      switch (c_.auto_pad) {
        case AutoPad::kNotSet: out = (in + pb + pe - eff) / s + 1; break;
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
      if (in + pb + pe < eff || out <= 0)
        return InvalidArgument(c_.node + ": input " + ShapeToString(x) + " is smaller than the kernel " +
                               ShapeToString(c_.w_shape) + " (with pads and dilations)");
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
    const memory::desc src(ToDims(x), memory::data_type::f32, memory::format_tag::any);
    const memory::desc dst(ToDims(g.out_shape), memory::data_type::f32, memory::format_tag::any);
    const memory::desc w(WeightDims(), memory::data_type::f32, memory::format_tag::any);
    const memory::desc b = c_.has_bias ? PlainDesc({c_.w_shape[0]}) : memory::desc();
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
  Dims WeightDims() const {
    Dims d = ToDims(c_.w_shape);
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
    memory src_user, dst_user, sum_user;  // plain, over the tensors of this run
    memory src, dst;                      // what the primitive reads/writes
    dnnl::reorder src_in, dst_out, sum_in;  // empty when layouts are plain
    memory weights, bias;
    Shape out_shape;
  };
  struct State : DnnlState {
    PlanCache<Plan> plans;
  };

  Result<Plan> MakePlan(const Shape& x, const Geometry& g, Finish finish) const;
  Status RunFallback(KernelContext& ctx, State& st, const Status& why) const;

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
    p.out_shape = g.out_shape;
    const memory::desc src_plain = PlainDesc(ToDims(x));
    const memory::desc dst_plain = PlainDesc(ToDims(g.out_shape));
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
    ASSIGN_OR_RETURN(p.weights, WeightsFor(pd.weights_desc(), packed_, PlainDesc(WeightDims()), c_.weights.raw()));
    if (c_.has_bias) {
      p.bias = c_.const_bias.defined() ? WrapMemory(pd.bias_desc(), c_.const_bias.raw())
                                       : memory(pd.bias_desc(), CpuEngine(), nullptr);
    }
    return Status::Ok();
  });
  if (!st.ok()) return st;
  return p;
}

Status ConvKernel::RunFallback(KernelContext& ctx, State& st, const Status& why) const {
  LogFallback(name(), c_.node, why);
  Tensor* out = nullptr;
  RETURN_IF_ERROR(fallback_.Run(ctx, st.fallback_state(), why, &out));
  const Tensor* sum = c_.sum_input >= 0 ? ctx.input(c_.sum_input) : nullptr;
  if (sum == nullptr && c_.act.none()) return Status::Ok();
  if (out == nullptr) return Internal(c_.node + ": reference fallback gave no output to finish");
  return FinishFused(c_.node, *out, sum, c_.act);
}

Status ConvKernel::Run(KernelContext& ctx) const {
  State& st = StateOf<State>(ctx);
  const Tensor* x = ctx.input(0);
  if (x == nullptr) return InvalidArgument(c_.node + ": missing input X");
  if (x->dtype() != DType::kFloat32)
    return RunFallback(ctx, st, Unimplemented(c_.node + ": dnnl.conv takes FP32, X is " +
                                              std::string(DTypeName(x->dtype()))));
  ASSIGN_OR_RETURN(Geometry g, Compute(x->shape()));
  const Tensor* b = c_.has_bias ? ctx.input(2) : nullptr;
  if (b != nullptr && (b->dtype() != DType::kFloat32 || b->shape() != Shape{c_.w_shape[0]}))
    return InvalidArgument(c_.node + ": B must be FP32 [" + std::to_string(c_.w_shape[0]) + "], got " +
                           std::string(DTypeName(b->dtype())) + " " + ShapeToString(b->shape()));
  const Tensor* sum = c_.sum_input >= 0 ? ctx.input(c_.sum_input) : nullptr;
  Finish finish = Finish::kPostOps;
  if (sum != nullptr)
    finish = sum->dtype() == DType::kFloat32 && sum->shape() == g.out_shape ? Finish::kFusedSum : Finish::kByHand;

  PlanCache<Plan>::Key key = x->shape();
  key.push_back(static_cast<int64_t>(finish));
  Plan* plan = st.plans.Find(key);
  if (plan == nullptr) {
    auto made = MakePlan(x->shape(), g, finish);
    if (!made.ok()) return RunFallback(ctx, st, made.status());
    plan = &st.plans.Insert(std::move(key), std::move(made).value());
  }
  ASSIGN_OR_RETURN(Tensor * out, ctx.Output(0, DType::kFloat32, g.out_shape));
  if (out->numel() == 0) return Status::Ok();

  RETURN_IF_ERROR(Guard(c_.node, [&]() -> Status {
    dnnl::stream& s = st.stream();
    plan->src_user.set_data_handle(x->raw());
    plan->dst_user.set_data_handle(out->raw());
    if (plan->src_in) plan->src_in.execute(s, plan->src_user, plan->src);
    if (finish == Finish::kFusedSum) {
      if (plan->sum_in) {
        plan->sum_user.set_data_handle(sum->raw());
        plan->sum_in.execute(s, plan->sum_user, plan->dst);
      } else {
        std::memcpy(out->raw(), sum->raw(), out->nbytes());
      }
    }
    std::unordered_map<int, memory> args{
        {DNNL_ARG_SRC, plan->src}, {DNNL_ARG_WEIGHTS, plan->weights}, {DNNL_ARG_DST, plan->dst}};
    if (c_.has_bias) {
      if (b != nullptr && !c_.const_bias.defined()) plan->bias.set_data_handle(b->raw());
      args.emplace(DNNL_ARG_BIAS, plan->bias);
    }
    plan->conv.execute(s, args);
    if (plan->dst_out) plan->dst_out.execute(s, plan->dst, plan->dst_user);
    s.wait();
    return Status::Ok();
  }));
  if (finish == Finish::kByHand) return FinishFused(c_.node, *out, sum, c_.act);
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

Result<std::unique_ptr<Kernel>> CreateConv(const KernelInfo& info) {
  RETURN_IF_ERROR(AcceptFloatInputs(info, {0, 1, 2}));
  ConvConfig c;
  c.node = info.node().Describe();
  const Tensor* w = info.constant_input(1);
  if (w == nullptr) return Unimplemented(c.node + ": dnnl.conv needs constant weights");
  if (w->dtype() != DType::kFloat32) return Unimplemented(c.node + ": dnnl.conv takes FP32 weights");
  if (w->rank() < 3 || w->rank() > 5)
    return Unimplemented(c.node + ": dnnl.conv handles 1-3 spatial dims, W is " + ShapeToString(w->shape()));
  c.w_shape = w->shape();
  c.weights = *w;
  const size_t nsp = c.w_shape.size() - 2;
  for (int64_t d : c.w_shape)
    if (d <= 0) return Unimplemented(c.node + ": empty weights " + ShapeToString(c.w_shape));
  c.group = info.GetInt("group", 1);
  if (c.group < 1 || c.w_shape[0] % c.group != 0)
    return info.Error("group " + std::to_string(c.group) + " must be >= 1 and divide the " +
                      std::to_string(c.w_shape[0]) + " output channels of W");
  const Shape kernel(c.w_shape.begin() + 2, c.w_shape.end());
  if (info.HasAttribute("kernel_shape") && info.GetInts("kernel_shape") != kernel)
    return info.Error("kernel_shape " + ShapeToString(info.GetInts("kernel_shape")) + " does not match W " +
                      ShapeToString(c.w_shape));
  c.strides = info.GetInts("strides", std::vector<int64_t>(nsp, 1));
  c.dilations = info.GetInts("dilations", std::vector<int64_t>(nsp, 1));
  c.pads = info.GetInts("pads", std::vector<int64_t>(2 * nsp, 0));
  if (c.strides.size() != nsp || c.dilations.size() != nsp || c.pads.size() != 2 * nsp)
    return info.Error("strides, dilations and pads must have " + std::to_string(nsp) + ", " + std::to_string(nsp) +
                      " and " + std::to_string(2 * nsp) + " values for W " + ShapeToString(c.w_shape));
  for (size_t i = 0; i < nsp; ++i)
    if (c.strides[i] < 1 || c.dilations[i] < 1) return info.Error("strides and dilations must be >= 1");
  for (int64_t p : c.pads)
    if (p < 0) return info.Error("pads must be >= 0");
  ASSIGN_OR_RETURN(c.auto_pad, ParseAutoPad(info));
  c.has_bias = info.has_input(2);
  if (const Tensor* b = info.constant_input(2)) {
    if (b->dtype() != DType::kFloat32 || b->shape() != Shape{c.w_shape[0]})
      return info.Error("B must be FP32 [" + std::to_string(c.w_shape[0]) + "], got " + ShapeToString(b->shape()));
    c.const_bias = *b;
  }
  ASSIGN_OR_RETURN(c.act, ParseFusedActivation(info));
  ASSIGN_OR_RETURN(c.sum_input, ParseSumInput(info));
  if (c.sum_input >= 0) RETURN_IF_ERROR(AcceptFloatInputs(info, {c.sum_input}));

  // Pack W for a representative input: batch 1, 16 outputs per spatial dim.
  RefFallback fallback = RefFallback::Create(info);
  Shape rep = {1, c.w_shape[1] * c.group};
  for (size_t i = 0; i < nsp; ++i) rep.push_back((kernel[i] - 1) * c.dilations[i] + 1 + 15 * c.strides[i]);
  ConvConfig probe_config = c;
  probe_config.auto_pad = AutoPad::kValid;
  ConvKernel probe(probe_config, PackedWeights{}, RefFallback{});
  ASSIGN_OR_RETURN(Geometry g, probe.Compute(rep));
  memory::desc want;
  Status st = Guard(c.node, [&]() -> Status {
    want = probe.MakePd(rep, g, Finish::kPostOps).weights_desc();
    return Status::Ok();
  });
  if (!st.ok()) return Unimplemented(st.message());
  ASSIGN_OR_RETURN(PackedWeights packed, PackedWeights::Pack(PlainDesc(probe.WeightDims()), w->raw(), want));
  return std::unique_ptr<Kernel>(std::make_unique<ConvKernel>(std::move(c), std::move(packed), std::move(fallback)));
}

}  // namespace

INFERD_REGISTER_KERNEL(DnnlConv, {"", "Conv", 1, 1000, 10, "dnnl", &CreateConv});

}  // namespace inferd::onednn
