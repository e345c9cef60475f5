// oneDNN MatMul (FP32) with numpy semantics: 1-D operands, batch dims
// broadcast. A fused activation becomes a post-op; a fused sum input is added
// by hand before the activation.
//
// When B is 2-D (the common "x @ W" of dense layers), A's leading dims are
// folded into M and the product is one 2-D matmul; a constant 2-D B is then
// reordered once at load into the layout the primitive asks for. Otherwise
// the operands go to a batched matmul with plain layouts (oneDNN broadcasts
// batch dims of size 1); what oneDNN rejects runs on the reference kernel.
//
// The same kernel runs inferd.FusedMatMul(A, W, bias) (internal_ops.h): a
// constant 2-D W and a constant [N] bias that becomes the primitive's bias.
//
// A constant 2-D B with no activation or Relu (and no fused sum) skips oneDNN
// on AVX2 machines: it is packed once at load for fast::PackedGemm, which
// oneDNN 2.6's gemm:jit matmul would otherwise re-pack on every call.
#include <algorithm>
#include <cstring>
#include <unordered_map>

#include "engine/kernels/dnnl/dnnl_common.h"
#include "engine/kernels/fast/packed_gemm.h"
#include "engine/kernels/internal_ops.h"
#include "engine/kernels/ref/common.h"

namespace inferd::onednn {
namespace {

using dnnl::memory;
using Dims = memory::dims;

// Representative M for packing a constant B at load.
constexpr int64_t kPackRows = 64;

class MatMulKernel final : public Kernel {
 public:
  MatMulKernel(Tensor const_b, PackedWeights packed, fast::PackedMatrix fast_b, Tensor bias, Activation act,
               int sum_input, std::string node, RefFallback fallback)
      : const_b_(std::move(const_b)),
        packed_(std::move(packed)),
        fast_b_(std::move(fast_b)),
        bias_(std::move(bias)),
        act_(act),
        sum_input_(sum_input),
        node_(std::move(node)),
        fallback_(std::move(fallback)) {}

  // Runs with a constant 2-D B take fast::PackedGemm; only they exist then.
  std::string_view name() const override { return fast_b_.defined() ? "fast.gemm" : "dnnl.matmul"; }

  Status Run(KernelContext& ctx) const override;

 private:
  struct Plan {
    dnnl::matmul prim;
    memory src, wei, dst, bias;
  };
  struct State : DnnlState {
    PlanCache<Plan> plans;
  };
  // The operands as oneDNN sees them.
  struct Problem {
    Dims src, wei, dst;
    bool packed = false;  // weights from packed_ (2-D constant B)
  };

  Status Fallback(KernelContext& ctx, State& st, const Status& why) const;
  bool post_op_activation() const { return sum_input_ < 0; }

  Tensor const_b_;  // undefined when B is dynamic
  PackedWeights packed_;  // B in oneDNN's layout; undefined when fast_b_ serves every run
  fast::PackedMatrix fast_b_;  // defined when runs with a 2-D B take PackedGemm
  Tensor bias_;  // FusedMatMul's [N] bias; undefined for MatMul
  Activation act_;
  int sum_input_;
  std::string node_;
  RefFallback fallback_;
};

Status MatMulKernel::Fallback(KernelContext& ctx, State& st, const Status& why) const {
  LogFallback(name(), node_, why);
  Tensor* out = nullptr;
  RETURN_IF_ERROR(fallback_.Run(ctx, st.fallback_state(), why, &out));
  const Tensor* sum = sum_input_ >= 0 ? ctx.input(sum_input_) : nullptr;
  if (sum == nullptr && act_.none()) return Status::Ok();
  if (out == nullptr) return Internal(node_ + ": reference fallback gave no output to finish");
  return FinishFused(node_, *out, sum, act_);
}

Status MatMulKernel::Run(KernelContext& ctx) const {
  State& st = StateOf<State>(ctx);
  const Tensor* a = ctx.input(0);
  const Tensor* b = ctx.input(1);
  if (a == nullptr || b == nullptr) return InvalidArgument(node_ + ": MatMul needs inputs A and B");
  if (a->dtype() != DType::kFloat32 || b->dtype() != DType::kFloat32)
    return Fallback(ctx, st,
                    Unimplemented(node_ + ": dnnl.matmul takes FP32, got " + std::string(DTypeName(a->dtype())) +
                                  " and " + std::string(DTypeName(b->dtype()))));
  if (a->rank() == 0 || b->rank() == 0) return InvalidArgument(node_ + ": MatMul inputs must have rank >= 1");
  // numpy: a 1-D A is a row [1,K], a 1-D B a column [K,1]; the added dim is
  // dropped from the output.
  Shape as = a->shape(), bs = b->shape();
  if (a->rank() == 1) as.insert(as.begin(), 1);
  if (b->rank() == 1) bs.push_back(1);
  const int64_t m = as[as.size() - 2], k = as.back(), n = bs.back();
  if (bs[bs.size() - 2] != k)
    return InvalidArgument(node_ + ": A " + ShapeToString(a->shape()) + " and B " + ShapeToString(b->shape()) +
                           " have mismatched inner dimensions");
  Shape a_batch(as.begin(), as.end() - 2), b_batch(bs.begin(), bs.end() - 2);
  auto batch = ref::BroadcastShapes({a_batch, b_batch});
  if (!batch.ok())
    return InvalidArgument(node_ + ": batch dims of A " + ShapeToString(a->shape()) + " and B " +
                           ShapeToString(b->shape()) + " do not broadcast");
  Shape out_shape = *batch;
  if (a->rank() > 1) out_shape.push_back(m);
  if (b->rank() > 1) out_shape.push_back(n);

  Problem pr;
  if (bs.size() == 2) {
    const int64_t rows = k == 0 ? 0 : a->numel() / k;
    pr = {{rows, k}, {k, n}, {rows, n}, const_b_.defined()};
  } else {
    const size_t rank = std::max(as.size(), bs.size());
    as.insert(as.begin(), rank - as.size(), 1);
    bs.insert(bs.begin(), rank - bs.size(), 1);
    Dims dst(batch->begin(), batch->end());
    dst.insert(dst.begin(), rank - 2 - dst.size(), 1);
    dst.push_back(m);
    dst.push_back(n);
    pr = {ToDims(as), ToDims(bs), dst, false};
    if (rank > DNNL_MAX_NDIMS) return Fallback(ctx, st, Unimplemented(node_ + ": too many dims for oneDNN"));
    if (bias_.defined()) return Fallback(ctx, st, Unimplemented(node_ + ": bias needs a 2-D weight"));
  }
  const Tensor* sum = sum_input_ >= 0 ? ctx.input(sum_input_) : nullptr;

  // Empty products: nothing to compute, or a sum over nothing (zeros).
  if (ShapeNumel(out_shape) == 0 || k == 0) {
    ASSIGN_OR_RETURN(Tensor * out, ctx.Output(0, DType::kFloat32, out_shape));
    float* y = out->data<float>();
    for (int64_t i = 0; i < out->numel(); ++i) y[i] = bias_.defined() ? bias_.data<float>()[i % n] : 0.f;
    return FinishFused(node_, *out, sum, act_);
  }

  if (pr.packed && fast_b_.defined()) {
    ASSIGN_OR_RETURN(Tensor * out, ctx.Output(0, DType::kFloat32, out_shape));
    fast::PackedGemm(a->data<float>(), pr.src[0], k, fast_b_, bias_.defined() ? bias_.data<float>() : nullptr,
                     act_.kind == Activation::Kind::kRelu, out->data<float>(), n, ctx.num_threads());
    return Status::Ok();
  }

  PlanCache<Plan>::Key key = pr.src;
  key.insert(key.end(), pr.wei.begin(), pr.wei.end());
  Plan* plan = st.plans.Find(key);
  if (plan == nullptr) {
    Plan p;
    Status made = Guard(node_, [&]() -> Status {
      const memory::desc wei_md =
          pr.packed ? memory::desc(pr.wei, memory::data_type::f32, memory::format_tag::any) : PlainDesc(pr.wei);
      dnnl::primitive_attr attr;
      if (post_op_activation() && !act_.none()) {
        dnnl::post_ops ops;
        AppendActivation(ops, act_);
        attr.set_post_ops(ops);
      }
      const dnnl::matmul::desc desc = bias_.defined()
                                          ? dnnl::matmul::desc(PlainDesc(pr.src), wei_md, PlainDesc({1, n}), PlainDesc(pr.dst))
                                          : dnnl::matmul::desc(PlainDesc(pr.src), wei_md, PlainDesc(pr.dst));
      dnnl::matmul::primitive_desc pd(desc, attr, CpuEngine());
      LogPrimitive(name(), node_, a->shape(), pd);
      p.prim = dnnl::matmul(pd);
      p.src = memory(pd.src_desc(), CpuEngine(), nullptr);
      p.dst = memory(pd.dst_desc(), CpuEngine(), nullptr);
      if (bias_.defined()) p.bias = WrapMemory(PlainDesc({1, n}), bias_.raw());
      if (pr.packed) {
        ASSIGN_OR_RETURN(p.wei, WeightsFor(pd.weights_desc(), packed_));
      } else {
        p.wei = memory(pd.weights_desc(), CpuEngine(), nullptr);
      }
      return Status::Ok();
    });
    if (!made.ok()) return Fallback(ctx, st, made);
    plan = &st.plans.Insert(std::move(key), std::move(p));
  }
  ASSIGN_OR_RETURN(Tensor * out, ctx.Output(0, DType::kFloat32, out_shape));
  RETURN_IF_ERROR(Guard(node_, [&]() -> Status {
    plan->src.set_data_handle(a->raw());
    if (!pr.packed) plan->wei.set_data_handle(b->raw());
    plan->dst.set_data_handle(out->raw());
    std::unordered_map<int, memory> args = {
        {DNNL_ARG_SRC, plan->src}, {DNNL_ARG_WEIGHTS, plan->wei}, {DNNL_ARG_DST, plan->dst}};
    if (bias_.defined()) args.emplace(DNNL_ARG_BIAS, plan->bias);
    plan->prim.execute(st.stream(), args);
    st.stream().wait();
    return Status::Ok();
  }));
  if (sum_input_ >= 0) return FinishFused(node_, *out, sum, act_);
  return Status::Ok();
}

Result<std::unique_ptr<Kernel>> CreateMatMul(const KernelInfo& info) {
  RETURN_IF_ERROR(AcceptFloatInputs(info, {0, 1}));
  const std::string node = info.node().Describe();
  ASSIGN_OR_RETURN(Activation act, ParseFusedActivation(info));
  ASSIGN_OR_RETURN(int sum_input, ParseSumInput(info));
  Tensor const_b;
  PackedWeights packed;
  fast::PackedMatrix fast_b;
  const Tensor* b = info.constant_input(1);
  if (b != nullptr && b->dtype() != DType::kFloat32) return Unimplemented(node + ": dnnl.matmul takes FP32 B");
  if (b != nullptr && b->rank() == 2 && b->numel() > 0) {
    const_b = *b;
    const int64_t k = b->dim(0), n = b->dim(1);
    if (fast::PackedGemmIsFast() && sum_input < 0 && (act.none() || act.kind == Activation::Kind::kRelu)) {
      // Every run with this B takes PackedGemm: no oneDNN copy needed.
      fast_b = fast::PackedMatrix::Pack(b->data<float>(), k, n, /*transposed=*/false);
    } else {
      memory::desc want;
      Status st = Guard(node, [&]() -> Status {
        dnnl::matmul::desc desc(PlainDesc({kPackRows, k}),
                                memory::desc({k, n}, memory::data_type::f32, memory::format_tag::any),
                                PlainDesc({kPackRows, n}));
        want = dnnl::matmul::primitive_desc(desc, CpuEngine()).weights_desc();
        return Status::Ok();
      });
      if (!st.ok()) return Unimplemented(st.message());
      ASSIGN_OR_RETURN(packed, PackedWeights::Pack(PlainDesc({k, n}), b->raw(), want));
    }
  }
  Tensor bias;
  if (info.node().domain == kInternalDomain) {
    // FusedMatMul: the fast path needs W packed and the bias constant.
    const Tensor* c = info.constant_input(2);
    if ((!packed.defined() && !fast_b.defined()) || c == nullptr || c->dtype() != DType::kFloat32 || c->numel() != b->dim(1))
      return Unimplemented(node + ": dnnl.matmul takes FusedMatMul with a constant 2-D W and [N] bias only");
    bias = *c;
  }
  return std::unique_ptr<Kernel>(std::make_unique<MatMulKernel>(std::move(const_b), std::move(packed), std::move(fast_b), std::move(bias),
                                                                act, sum_input, node, RefFallback::Create(info)));
}

}  // namespace

INFERD_REGISTER_KERNEL(DnnlMatMul, {"", "MatMul", 1, 1000, 10, "dnnl", &CreateMatMul});
INFERD_REGISTER_KERNEL(DnnlFusedMatMul, {std::string(kInternalDomain), "FusedMatMul", 0, 1000, 10, "dnnl", &CreateMatMul});

}  // namespace inferd::onednn
