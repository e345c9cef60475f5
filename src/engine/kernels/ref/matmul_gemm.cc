// Reference kernels: MatMul (numpy semantics: batched, broadcast batch dims,
// 1-D operands promoted and their dim removed) and Gemm (transA/transB,
// alpha/beta, optional unidirectionally broadcast C). Both honour a fused
// activation ("_activation" attributes, see fused_activation.h).
//
// Arithmetic goes through GemmAccumulate (gemm_core.h): float and halves in
// float, double in double, every integer type in wrapping 64-bit unsigned
// arithmetic (so integer overflow wraps like numpy instead of being UB).
// Gemm transposes a constant B once at load.
#include <algorithm>

#include "engine/kernels/ref/common.h"
#include "engine/kernels/ref/fused_activation.h"
#include "engine/kernels/ref/gemm_core.h"

namespace inferd::ref {
namespace {

template <class T>
constexpr bool kIsHalf = std::is_same_v<T, Float16> || std::is_same_v<T, BFloat16>;

// The type T is multiplied in.
template <class T>
using ComputeOf = std::conditional_t<std::is_same_v<T, double>, double,
                                     std::conditional_t<std::is_same_v<T, float> || kIsHalf<T>, float, uint64_t>>;

template <class C, class T>
C ToCompute(T v) {
  if constexpr (kIsHalf<T>)
    return v.ToFloat();
  else
    return static_cast<C>(v);  // integers: modular conversion to uint64
}

template <class T, class C>
T FromCompute(C v) {
  if constexpr (kIsHalf<T>)
    return T::FromFloat(v);
  else
    return static_cast<T>(v);  // integers: modular (C++20), i.e. wrapped
}

// The compute-type view of a tensor: its own data when T == C, else a copy.
template <class C, class T>
const C* ComputeView(const Tensor& t, std::vector<C>& buf) {
  if constexpr (std::is_same_v<C, T>) {
    return t.data<T>();
  } else {
    buf.resize(static_cast<size_t>(t.numel()));
    const T* p = t.data<T>();
    for (size_t i = 0; i < buf.size(); ++i) buf[i] = ToCompute<C>(p[i]);
    return buf.data();
  }
}

std::string TypeName(DType t) { return std::string(DTypeOnnxName(t)); }

template <class T>
constexpr bool kMatMulType = !std::is_same_v<T, bool> && !std::is_same_v<T, std::string>;

// ----------------------------------------------------------------- MatMul

class MatMulKernel final : public Kernel {
 public:
  MatMulKernel(std::string describe, FusedActivation act) : describe_(std::move(describe)), act_(std::move(act)) {}

  Status Run(KernelContext& ctx) const override {
    const Tensor* a = ctx.input(0);
    const Tensor* b = ctx.input(1);
    if (a == nullptr || b == nullptr) return InvalidArgument(describe_ + ": needs inputs A and B");
    if (a->dtype() != b->dtype())
      return InvalidArgument(describe_ + ": A is " + TypeName(a->dtype()) + " but B is " + TypeName(b->dtype()));
    if (a->rank() < 1 || b->rank() < 1)
      return InvalidArgument(describe_ + ": inputs must have rank >= 1, got " + ShapeToString(a->shape()) + " and " +
                             ShapeToString(b->shape()));
    Shape as = a->shape(), bs = b->shape();
    if (as.size() == 1) as.insert(as.begin(), 1);
    if (bs.size() == 1) bs.push_back(1);
    const int64_t M = as[as.size() - 2], K = as.back(), N = bs.back();
    if (bs[bs.size() - 2] != K)
      return InvalidArgument(describe_ + ": inner dimensions differ: A " + ShapeToString(a->shape()) + ", B " +
                             ShapeToString(b->shape()));
    const Shape batch_a(as.begin(), as.end() - 2), batch_b(bs.begin(), bs.end() - 2);
    ASSIGN_OR_RETURN(Shape batch, BroadcastShapes({batch_a, batch_b}));
    Shape out_shape = batch;
    if (a->rank() > 1) out_shape.push_back(M);
    if (b->rank() > 1) out_shape.push_back(N);
    ASSIGN_OR_RETURN(Tensor * out, ctx.Output(0, a->dtype(), out_shape));
    return DispatchAll(
        a->dtype(),
        [&](auto tag) -> Status {
          using T = decltype(tag);
          if constexpr (std::is_same_v<T, bool>) {
            return UnsupportedType(describe_, DType::kBool);
          } else {
            return Compute<T>(*a, *b, batch, batch_a, batch_b, M, N, K, *out, ctx.num_threads());
          }
        },
        [&] { return UnsupportedType(describe_, a->dtype()); });
  }

 private:
  template <class T>
  Status Compute(const Tensor& a, const Tensor& b, const Shape& batch, const Shape& batch_a, const Shape& batch_b,
                 int64_t M, int64_t N, int64_t K, Tensor& out, int threads) const {
    using C = ComputeOf<T>;
    if (act_.active() && std::is_same_v<C, uint64_t>)
      return Unimplemented(describe_ + ": fused activation on integer MatMul is not supported");
    std::vector<C> abuf, bbuf, obuf;
    const C* pa = ComputeView<C, T>(a, abuf);
    const C* pb = ComputeView<C, T>(b, bbuf);
    C* po;
    if constexpr (std::is_same_v<C, T>) {
      po = out.data<T>();
    } else {
      obuf.resize(static_cast<size_t>(out.numel()));
      po = obuf.data();
    }
    std::fill(po, po + out.numel(), C{0});
    const int64_t nbatch = ShapeNumel(batch);
    if (ShapeNumel(batch_b) == 1) {
      // B is shared by every batch: one tall product over all rows of A.
      GemmAccumulate<C>(nbatch * M, N, K, pa, K, pb, N, po, N, threads);
    } else {
      BroadcastIndexer idx(batch, {batch_a, batch_b});
      for (int64_t i = 0; i < nbatch; ++i, idx.Next())
        GemmAccumulate<C>(M, N, K, pa + idx.offset(0) * M * K, K, pb + idx.offset(1) * K * N, N, po + i * M * N, N,
                          threads);
    }
    if constexpr (!std::is_same_v<C, uint64_t>) ApplyActivationInPlace(po, out.numel(), act_);
    if constexpr (!std::is_same_v<C, T>) {
      T* dst = out.data<T>();
      for (int64_t i = 0; i < out.numel(); ++i) dst[i] = FromCompute<T>(po[i]);
    }
    return Status::Ok();
  }

  std::string describe_;
  FusedActivation act_;
};

Result<std::unique_ptr<Kernel>> CreateMatMul(const KernelInfo& info) {
  ASSIGN_OR_RETURN(FusedActivation act, ParseFusedActivation(info));
  return std::unique_ptr<Kernel>(std::make_unique<MatMulKernel>(info.node().Describe(), std::move(act)));
}

// ------------------------------------------------------------------- Gemm

class GemmKernel final : public Kernel {
 public:
  GemmKernel(std::string describe, bool trans_a, bool trans_b, float alpha, float beta, bool c_broadcasts,
             FusedActivation act, std::vector<float> packed_b, Shape packed_b_shape)
      : describe_(std::move(describe)),
        trans_a_(trans_a),
        trans_b_(trans_b),
        alpha_(alpha),
        beta_(beta),
        c_broadcasts_(c_broadcasts),
        act_(std::move(act)),
        packed_b_(std::move(packed_b)),
        packed_b_shape_(std::move(packed_b_shape)) {}

  Status Run(KernelContext& ctx) const override {
    const Tensor* a = ctx.input(0);
    const Tensor* b = ctx.input(1);
    const Tensor* c = ctx.input(2);
    if (a == nullptr || b == nullptr) return InvalidArgument(describe_ + ": needs inputs A and B");
    if (a->rank() != 2 || b->rank() != 2)
      return InvalidArgument(describe_ + ": A and B must be 2-D, got " + ShapeToString(a->shape()) + " and " +
                             ShapeToString(b->shape()));
    if (a->dtype() != b->dtype() || (c != nullptr && c->dtype() != a->dtype()))
      return InvalidArgument(describe_ + ": A, B and C must have one type, got " + TypeName(a->dtype()) + ", " +
                             TypeName(b->dtype()) + (c != nullptr ? ", " + TypeName(c->dtype()) : ""));
    const int64_t M = trans_a_ ? a->dim(1) : a->dim(0);
    const int64_t K = trans_a_ ? a->dim(0) : a->dim(1);
    const int64_t Kb = trans_b_ ? b->dim(1) : b->dim(0);
    const int64_t N = trans_b_ ? b->dim(0) : b->dim(1);
    if (K != Kb)
      return InvalidArgument(describe_ + ": inner dimensions differ: A " + ShapeToString(a->shape()) +
                             (trans_a_ ? " (transposed)" : "") + ", B " + ShapeToString(b->shape()) +
                             (trans_b_ ? " (transposed)" : ""));
    const Shape out_shape{M, N};
    if (c != nullptr) {
      auto bc = BroadcastShapes({c->shape(), out_shape});
      if (c->rank() > 2 || !bc.ok() || *bc != out_shape || (!c_broadcasts_ && c->shape() != out_shape))
        return InvalidArgument(describe_ + ": C " + ShapeToString(c->shape()) + " does not broadcast to " +
                               ShapeToString(out_shape));
    }
    ASSIGN_OR_RETURN(Tensor * out, ctx.Output(0, a->dtype(), out_shape));
    return DispatchAll(
        a->dtype(),
        [&](auto tag) -> Status {
          using T = decltype(tag);
          if constexpr (std::is_same_v<T, bool>) {
            return UnsupportedType(describe_, DType::kBool);
          } else {
            return Compute<T>(*a, *b, c, M, N, K, *out, ctx.num_threads());
          }
        },
        [&] { return UnsupportedType(describe_, a->dtype()); });
  }

 private:
  template <class T>
  Status Compute(const Tensor& a, const Tensor& b, const Tensor* c, int64_t M, int64_t N, int64_t K, Tensor& out,
                 int threads) const {
    using C = ComputeOf<T>;
    if (act_.active() && std::is_same_v<C, uint64_t>)
      return Unimplemented(describe_ + ": fused activation on integer Gemm is not supported");
    std::vector<C> abuf, bbuf, at, bt, obuf;
    const C* pa = ComputeView<C, T>(a, abuf);
    if (trans_a_) {
      at.resize(static_cast<size_t>(M * K));
      TransposeMatrix(pa, K, M, at.data());
      pa = at.data();
    }
    const C* pb = nullptr;
    if constexpr (std::is_same_v<C, float>) {
      if (!packed_b_.empty() && b.shape() == packed_b_shape_) pb = packed_b_.data();
    }
    if (pb == nullptr) {
      pb = ComputeView<C, T>(b, bbuf);
      if (trans_b_) {
        bt.resize(static_cast<size_t>(K * N));
        TransposeMatrix(pb, N, K, bt.data());
        pb = bt.data();
      }
    }
    C* po;
    if constexpr (std::is_same_v<C, T>) {
      po = out.data<T>();
    } else {
      obuf.resize(static_cast<size_t>(M * N));
      po = obuf.data();
    }
    std::fill(po, po + M * N, C{0});
    GemmAccumulate<C>(M, N, K, pa, K, pb, N, po, N, threads);

    // Epilogue: y = alpha * AB + beta * C (C broadcast), then the activation.
    T* dst = out.data<T>();
    const T* pc = c != nullptr && beta_ != 0.0f ? c->data<T>() : nullptr;
    std::vector<int64_t> cst = pc != nullptr ? BroadcastStrides(c->shape(), {M, N}) : std::vector<int64_t>{0, 0};
    for (int64_t i = 0; i < M; ++i) {
      for (int64_t j = 0; j < N; ++j) {
        const int64_t o = i * N + j;
        if constexpr (std::is_same_v<C, uint64_t>) {
          // Integers: exact when alpha = beta = 1 (wrapping), else through double.
          if (alpha_ == 1.0f && (pc == nullptr || beta_ == 1.0f)) {
            const uint64_t cv = pc != nullptr ? static_cast<uint64_t>(pc[i * cst[0] + j * cst[1]]) : 0;
            dst[o] = FromCompute<T>(po[o] + cv);
          } else {
            double v = alpha_ * static_cast<double>(FromCompute<T>(po[o]));
            if (pc != nullptr) v += beta_ * static_cast<double>(pc[i * cst[0] + j * cst[1]]);
            dst[o] = static_cast<T>(v);
          }
        } else {
          C v = static_cast<C>(alpha_) * po[o];
          if (pc != nullptr) v += static_cast<C>(beta_) * ToCompute<C>(pc[i * cst[0] + j * cst[1]]);
          po[o] = v;
        }
      }
    }
    if constexpr (!std::is_same_v<C, uint64_t>) {
      ApplyActivationInPlace(po, M * N, act_);
      if constexpr (!std::is_same_v<C, T>)
        for (int64_t o = 0; o < M * N; ++o) dst[o] = FromCompute<T>(po[o]);
    }
    return Status::Ok();
  }

  std::string describe_;
  bool trans_a_, trans_b_;
  float alpha_, beta_;
  bool c_broadcasts_;  // false only for opset < 7 without broadcast=1
  FusedActivation act_;
  std::vector<float> packed_b_;  // constant float B^T as [K, N] (transB=1), done at load
  Shape packed_b_shape_;         // B's shape as given (before transposing)
};

Result<std::unique_ptr<Kernel>> CreateGemm(const KernelInfo& info) {
  ASSIGN_OR_RETURN(FusedActivation act, ParseFusedActivation(info));
  const int64_t trans_a = info.GetInt("transA", 0), trans_b = info.GetInt("transB", 0);
  if ((trans_a != 0 && trans_a != 1) || (trans_b != 0 && trans_b != 1))
    return info.Error("transA/transB must be 0 or 1");
  // Before opset 7, C broadcasts only with broadcast=1; otherwise it must be [M, N].
  const bool c_broadcasts = info.opset() >= 7 || info.GetInt("broadcast", 0) == 1;
  std::vector<float> packed;
  Shape packed_shape;
  const Tensor* b = info.constant_input(1);
  if (trans_b == 1 && b != nullptr && b->dtype() == DType::kFloat32 && b->rank() == 2) {
    packed_shape = b->shape();
    packed.resize(static_cast<size_t>(b->numel()));
    TransposeMatrix(b->data<float>(), b->dim(0), b->dim(1), packed.data());
  }
  return std::unique_ptr<Kernel>(std::make_unique<GemmKernel>(
      info.node().Describe(), trans_a == 1, trans_b == 1, info.GetFloat("alpha", 1.0f), info.GetFloat("beta", 1.0f),
      c_broadcasts, std::move(act), std::move(packed), std::move(packed_shape)));
}

}  // namespace

INFERD_REGISTER_KERNEL(MatMul, {"", "MatMul", 1, 1000, 0, "ref", &CreateMatMul});
INFERD_REGISTER_KERNEL(Gemm, {"", "Gemm", 1, 1000, 0, "ref", &CreateGemm});

}  // namespace inferd::ref
