// oneDNN Gemm (FP32): Y = alpha * op(A) @ op(B) + beta * C, through the
// matmul primitive.
//
// A constant B is transposed if needed, scaled by alpha and reordered once at
// load into the primitive's preferred layout. A constant C that broadcasts
// along rows ([N], [1,N] or a scalar) becomes the primitive's bias (beta
// folded in); any other C is broadcast into the output first and added by a
// `sum` post-op scaled by beta. A fused activation is the last post-op; a
// fused sum input is added by hand before it.
//
// On AVX2 machines a constant B with C absent or folded into the bias, no
// transA, no activation or Relu, and no fused sum skips oneDNN: B is packed
// once for fast::PackedGemm (oneDNN 2.6's gemm:jit re-packs it every call).
#include <cstring>
#include <unordered_map>
#include <vector>

#include "engine/kernels/dnnl/dnnl_common.h"
#include "engine/kernels/fast/packed_gemm.h"
#include "engine/kernels/ref/common.h"

namespace inferd::onednn {
namespace {

using dnnl::memory;
using Dims = memory::dims;

constexpr int64_t kPackRows = 64;  // representative M for packing B at load

struct GemmConfig {
  bool trans_a = false, trans_b = false;
  float alpha = 1, beta = 1;
  bool has_c = false;
  // Constant B, packed as alpha * op(B) [K,N]; `k`, `n` known only then.
  PackedWeights packed;
  fast::PackedMatrix fast_b;  // alpha * op(B) for PackedGemm, when it applies
  int64_t k = -1, n = -1;
  // beta * C expanded to [1,N] when C is a constant that broadcasts along rows.
  Tensor bias;
  Activation act;
  int sum_input = -1;
  std::string node;
};

class GemmKernel final : public Kernel {
 public:
  GemmKernel(GemmConfig c, RefFallback fallback) : c_(std::move(c)), fallback_(std::move(fallback)) {}
  // With fast_b every run takes fast::PackedGemm.
  std::string_view name() const override { return c_.fast_b.defined() ? "fast.gemm" : "dnnl.gemm"; }
  Status Run(KernelContext& ctx) const override;

 private:
  struct Plan {
    dnnl::matmul prim;
    memory src, wei, dst, bias;
  };
  struct State : DnnlState {
    PlanCache<Plan> plans;
  };

  Status Fallback(KernelContext& ctx, State& st, const Status& why) const;

  GemmConfig c_;
  RefFallback fallback_;
};

Status GemmKernel::Fallback(KernelContext& ctx, State& st, const Status& why) const {
  LogFallback(name(), c_.node, why);
  Tensor* out = nullptr;
  RETURN_IF_ERROR(fallback_.Run(ctx, st.fallback_state(), why, &out));
  const Tensor* sum = c_.sum_input >= 0 ? ctx.input(c_.sum_input) : nullptr;
  if (sum == nullptr && c_.act.none()) return Status::Ok();
  if (out == nullptr) return Internal(c_.node + ": reference fallback gave no output to finish");
  return FinishFused(c_.node, *out, sum, c_.act);
}

Status GemmKernel::Run(KernelContext& ctx) const {
  State& st = StateOf<State>(ctx);
  const Tensor* a = ctx.input(0);
  const Tensor* b = ctx.input(1);
  const Tensor* c = c_.has_c ? ctx.input(2) : nullptr;
  if (a == nullptr || b == nullptr) return InvalidArgument(c_.node + ": Gemm needs inputs A and B");
  if (a->dtype() != DType::kFloat32 || b->dtype() != DType::kFloat32 || (c != nullptr && c->dtype() != DType::kFloat32))
    return Fallback(ctx, st, Unimplemented(c_.node + ": dnnl.gemm takes FP32 only"));
  if (a->rank() != 2 || b->rank() != 2)
    return InvalidArgument(c_.node + ": A and B must be 2-D, got " + ShapeToString(a->shape()) + " and " +
                           ShapeToString(b->shape()));
  const int64_t m = c_.trans_a ? a->dim(1) : a->dim(0), k = c_.trans_a ? a->dim(0) : a->dim(1);
  const int64_t kb = c_.trans_b ? b->dim(1) : b->dim(0), n = c_.trans_b ? b->dim(0) : b->dim(1);
  if (k != kb)
    return InvalidArgument(c_.node + ": op(A) is [" + std::to_string(m) + "," + std::to_string(k) + "] but op(B) is [" +
                           std::to_string(kb) + "," + std::to_string(n) + "]");
  const Shape out_shape{m, n};
  // C goes through the output (sum post-op) unless it became the bias.
  const bool c_in_dst = c != nullptr && !c_.bias.defined() && c_.beta != 0;
  if (c_in_dst) {
    auto bc = ref::BroadcastShapes({out_shape, c->shape()});
    if (!bc.ok() || *bc != out_shape)
      return InvalidArgument(c_.node + ": C " + ShapeToString(c->shape()) + " does not broadcast to [" +
                             std::to_string(m) + "," + std::to_string(n) + "]");
  }
  const Tensor* sum = c_.sum_input >= 0 ? ctx.input(c_.sum_input) : nullptr;
  ASSIGN_OR_RETURN(Tensor * out, ctx.Output(0, DType::kFloat32, out_shape));
  if (out->numel() == 0) return Status::Ok();
  float* y = out->data<float>();
  if (c_.fast_b.defined() && !c_in_dst && k > 0) {
    fast::PackedGemm(a->data<float>(), m, k, c_.fast_b, c_.bias.defined() ? c_.bias.data<float>() : nullptr,
                     c_.act.kind == Activation::Kind::kRelu, y, n, ctx.num_threads());
    return Status::Ok();
  }
  if (c_in_dst) {
    const float* pc = c->data<float>();
    if (c->shape() == out_shape) {
      std::memcpy(y, pc, out->nbytes());
    } else {
      ref::BroadcastIndexer idx(out_shape, {c->shape()});
      for (int64_t i = 0; i < out->numel(); ++i, idx.Next()) y[i] = pc[idx.offset(0)];
    }
  }
  if (k == 0) {
    // An empty sum: Y = beta * C (+ bias).
    for (int64_t i = 0; i < out->numel(); ++i) {
      y[i] = c_in_dst ? c_.beta * y[i] : 0.f;
      if (c_.bias.defined()) y[i] += c_.bias.data<float>()[i % n];
    }
    return FinishFused(c_.node, *out, sum, c_.act);
  }

  const bool packed = c_.packed.defined();
  const PlanCache<Plan>::Key key{m, k, n, c_in_dst ? 1 : 0};
  Plan* plan = st.plans.Find(key);
  if (plan == nullptr) {
    Plan p;
    Status made = Guard(c_.node, [&]() -> Status {
      const memory::desc src_md(Dims{m, k}, memory::data_type::f32, c_.trans_a ? Dims{1, m} : Dims{k, 1});
      const memory::desc wei_md =
          packed ? memory::desc(Dims{k, n}, memory::data_type::f32, memory::format_tag::any)
                 : memory::desc(Dims{k, n}, memory::data_type::f32, c_.trans_b ? Dims{1, k} : Dims{n, 1});
      const memory::desc dst_md = PlainDesc({m, n});
      dnnl::primitive_attr attr;
      if (!packed && c_.alpha != 1.f) attr.set_output_scales(0, {c_.alpha});
      dnnl::post_ops ops;
      if (c_in_dst) ops.append_sum(c_.beta);
      if (c_.sum_input < 0) AppendActivation(ops, c_.act);
      attr.set_post_ops(ops);
      const dnnl::matmul::desc desc = c_.bias.defined() ? dnnl::matmul::desc(src_md, wei_md, PlainDesc({1, n}), dst_md)
                                                        : dnnl::matmul::desc(src_md, wei_md, dst_md);
      dnnl::matmul::primitive_desc pd(desc, attr, CpuEngine());
      LogPrimitive(name(), c_.node, {m, k, n}, pd);
      p.prim = dnnl::matmul(pd);
      p.src = memory(pd.src_desc(), CpuEngine(), nullptr);
      p.dst = memory(pd.dst_desc(), CpuEngine(), nullptr);
      if (packed) {
        ASSIGN_OR_RETURN(p.wei, WeightsFor(pd.weights_desc(), c_.packed));
      } else {
        p.wei = memory(pd.weights_desc(), CpuEngine(), nullptr);
      }
      if (c_.bias.defined()) p.bias = WrapMemory(pd.bias_desc(), c_.bias.raw());
      return Status::Ok();
    });
    if (!made.ok()) return Fallback(ctx, st, made);
    plan = &st.plans.Insert(key, std::move(p));
  }
  RETURN_IF_ERROR(Guard(c_.node, [&]() -> Status {
    plan->src.set_data_handle(a->raw());
    if (!packed) plan->wei.set_data_handle(b->raw());
    plan->dst.set_data_handle(out->raw());
    std::unordered_map<int, memory> args{
        {DNNL_ARG_SRC, plan->src}, {DNNL_ARG_WEIGHTS, plan->wei}, {DNNL_ARG_DST, plan->dst}};
    if (c_.bias.defined()) args.emplace(DNNL_ARG_BIAS, plan->bias);
    plan->prim.execute(st.stream(), args);
    st.stream().wait();
    return Status::Ok();
  }));
  if (c_.sum_input >= 0) return FinishFused(c_.node, *out, sum, c_.act);
  return Status::Ok();
}

Result<std::unique_ptr<Kernel>> CreateGemm(const KernelInfo& info) {
  RETURN_IF_ERROR(AcceptFloatInputs(info, {0, 1, 2}));
  GemmConfig c;
  c.node = info.node().Describe();
  c.trans_a = info.GetInt("transA", 0) != 0;
  c.trans_b = info.GetInt("transB", 0) != 0;
  c.alpha = info.GetFloat("alpha", 1.0f);
  c.beta = info.GetFloat("beta", 1.0f);
  c.has_c = info.has_input(2);
  ASSIGN_OR_RETURN(c.act, ParseFusedActivation(info));
  ASSIGN_OR_RETURN(c.sum_input, ParseSumInput(info));

  const Tensor* b = info.constant_input(1);
  if (b != nullptr) {
    if (b->dtype() != DType::kFloat32 || b->rank() != 2) return Unimplemented(c.node + ": dnnl.gemm needs FP32 2-D B");
    c.k = c.trans_b ? b->dim(1) : b->dim(0);
    c.n = c.trans_b ? b->dim(0) : b->dim(1);
  }
  const bool const_b = b != nullptr && b->numel() > 0;

  // A constant C that broadcasts along rows becomes the bias (needs N, known
  // from a constant B, which carries alpha). With a dynamic B, alpha is an
  // output scale applied after the bias, so the bias is divided by it.
  const Tensor* cc = info.constant_input(2);
  const float bias_scale = const_b ? 1.f : c.alpha;
  if (cc != nullptr && c.n > 0 && c.beta != 0 && bias_scale != 0 && cc->dtype() == DType::kFloat32) {
    const Shape& cs = cc->shape();
    const bool row = (cs.size() == 1 && (cs[0] == c.n || cs[0] == 1)) ||
                     (cs.size() == 2 && cs[0] == 1 && (cs[1] == c.n || cs[1] == 1)) || cs.empty();
    if (row) {
      c.bias = Tensor::Create(DType::kFloat32, {1, c.n}).value();
      for (int64_t j = 0; j < c.n; ++j)
        c.bias.data<float>()[j] = c.beta * cc->data<float>()[cc->numel() == 1 ? 0 : j] / bias_scale;
    }
  }
  // Every run takes PackedGemm when it applies (C is then the bias or
  // absent): no oneDNN copy of B is made.
  if (const_b && fast::PackedGemmIsFast() && !c.trans_a && c.sum_input < 0 &&
      (c.act.none() || c.act.kind == Activation::Kind::kRelu) && (!c.has_c || c.bias.defined() || c.beta == 0)) {
    c.fast_b = fast::PackedMatrix::Pack(b->data<float>(), c.k, c.n, c.trans_b, c.alpha);
  } else if (const_b) {
    // alpha * op(B) as [K,N], then packed. With alpha 1 the reorder reads B
    // in place (a transposed B as layout `ba`): no scaled copy, no strided loop.
    std::vector<float> scaled;
    const void* b_data = b->raw();
    memory::desc b_desc = c.trans_b ? memory::desc({c.k, c.n}, memory::data_type::f32, memory::format_tag::ba)
                                    : PlainDesc({c.k, c.n});
    if (c.alpha != 1.0f) {
      scaled.resize(static_cast<size_t>(b->numel()));
      const float* pb = b->data<float>();
      for (int64_t i = 0; i < c.k; ++i)
        for (int64_t j = 0; j < c.n; ++j)
          scaled[static_cast<size_t>(i * c.n + j)] = c.alpha * (c.trans_b ? pb[j * c.k + i] : pb[i * c.n + j]);
      b_data = scaled.data();
      b_desc = PlainDesc({c.k, c.n});
    }
    memory::desc want;
    Status st = Guard(c.node, [&]() -> Status {
      dnnl::matmul::desc desc(PlainDesc({kPackRows, c.k}),
                              memory::desc({c.k, c.n}, memory::data_type::f32, memory::format_tag::any),
                              PlainDesc({kPackRows, c.n}));
      want = dnnl::matmul::primitive_desc(desc, CpuEngine()).weights_desc();
      return Status::Ok();
    });
    if (!st.ok()) return Unimplemented(st.message());
    ASSIGN_OR_RETURN(c.packed, PackedWeights::Pack(b_desc, b_data, want));
  }
  return std::unique_ptr<Kernel>(std::make_unique<GemmKernel>(std::move(c), RefFallback::Create(info)));
}

}  // namespace

// Before opset 7 Gemm had the legacy `broadcast` attribute: left to ref.
INFERD_REGISTER_KERNEL(DnnlGemm, {"", "Gemm", 7, 1000, 10, "dnnl", &CreateGemm});

}  // namespace inferd::onednn
