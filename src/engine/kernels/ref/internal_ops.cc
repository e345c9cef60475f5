// Reference kernels for the internal operators the optimizer creates
// (kernels/internal_ops.h): inferd.LayerNormalization, inferd.Gelu and
// inferd.FusedMatMul. FP32 only (the fusion passes only create them for
// FP32 graphs); computed in double, rounded once. They are the oracle for the
// fast kernels and the kernels of reference-only runs of optimized graphs.
#include <cmath>

#include "engine/kernels/internal_ops.h"
#include "engine/kernels/ref/common.h"
#include "engine/kernels/ref/fused_activation.h"
#include "engine/kernels/ref/gemm_core.h"

namespace inferd::ref {
namespace {

Status RequireFloat(const std::string& node, const Tensor& t, const char* what) {
  if (t.dtype() != DType::kFloat32)
    return InvalidArgument(node + ": input '" + what + "' must be FP32, got " + std::string(DTypeName(t.dtype())));
  return Status::Ok();
}

// `t` broadcast to `shape` (which it must broadcast to without growing).
Result<std::vector<double>> Expand(const std::string& node, const Tensor& t, const Shape& shape, const char* what) {
  auto b = BroadcastShapes({t.shape(), shape});
  if (!b.ok() || *b != shape)
    return InvalidArgument(node + ": input '" + what + "' " + ShapeToString(t.shape()) + " does not broadcast to " +
                           ShapeToString(shape));
  RETURN_IF_ERROR(RequireFloat(node, t, what));
  const int64_t n = ShapeNumel(shape);
  std::vector<double> out(static_cast<size_t>(n));
  BroadcastIndexer idx(shape, {t.shape()});
  for (int64_t i = 0; i < n; ++i, idx.Next()) out[static_cast<size_t>(i)] = t.data<float>()[idx.offset(0)];
  return out;
}

// ------------------------------------------------------ LayerNormalization

class LayerNormKernel final : public Kernel {
 public:
  LayerNormKernel(std::string node, int64_t axis, float eps) : node_(std::move(node)), axis_(axis), eps_(eps) {}

  Status Run(KernelContext& ctx) const override {
    const Tensor* x = ctx.input(0);
    const Tensor* scale = ctx.input(1);
    const Tensor* bias = ctx.input(2);
    if (x == nullptr || scale == nullptr) return InvalidArgument(node_ + ": needs inputs X and Scale");
    RETURN_IF_ERROR(RequireFloat(node_, *x, "X"));
    Tensor with_skip;
    if (const Tensor* skip = ctx.num_inputs() > 3 ? ctx.input(3) : nullptr) {
      RETURN_IF_ERROR(RequireFloat(node_, *skip, "Skip"));
      auto shape = BroadcastShapes({x->shape(), skip->shape()});
      if (!shape.ok())
        return InvalidArgument(node_ + ": X " + ShapeToString(x->shape()) + " and Skip " +
                               ShapeToString(skip->shape()) + " do not broadcast");
      ASSIGN_OR_RETURN(with_skip, Tensor::Create(DType::kFloat32, *shape));
      BroadcastIndexer idx(*shape, {x->shape(), skip->shape()});
      for (int64_t i = 0; i < with_skip.numel(); ++i, idx.Next())
        with_skip.data<float>()[i] = x->data<float>()[idx.offset(0)] + skip->data<float>()[idx.offset(1)];
      x = &with_skip;
    }
    if (x->rank() == 0) return InvalidArgument(node_ + ": X must have rank >= 1, got a scalar");
    ASSIGN_OR_RETURN(int64_t axis, NormalizeAxis(axis_, x->rank(), node_ + ": axis"));
    const Shape norm(x->shape().begin() + axis, x->shape().end());
    const int64_t cols = ShapeNumel(norm);
    const int64_t rows = cols == 0 ? 0 : x->numel() / cols;
    ASSIGN_OR_RETURN(auto s, Expand(node_, *scale, norm, "Scale"));
    std::vector<double> b(static_cast<size_t>(cols), 0.0);
    if (bias != nullptr) {
      ASSIGN_OR_RETURN(b, Expand(node_, *bias, norm, "B"));
    }
    ASSIGN_OR_RETURN(Tensor * out, ctx.Output(0, DType::kFloat32, x->shape()));
    const float* px = x->data<float>();
    float* py = out->data<float>();
    for (int64_t r = 0; r < rows; ++r) {
      const float* xr = px + r * cols;
      double sum = 0;
      for (int64_t j = 0; j < cols; ++j) sum += xr[j];
      const double mean = sum / static_cast<double>(cols);
      double sq = 0;
      for (int64_t j = 0; j < cols; ++j) sq += (xr[j] - mean) * (xr[j] - mean);
      const double inv = 1.0 / std::sqrt(sq / static_cast<double>(cols) + eps_);
      for (int64_t j = 0; j < cols; ++j)
        py[r * cols + j] =
            static_cast<float>((xr[j] - mean) * inv * s[static_cast<size_t>(j)] + b[static_cast<size_t>(j)]);
    }
    return Status::Ok();
  }

 private:
  std::string node_;
  int64_t axis_;
  float eps_;
};

Result<std::unique_ptr<Kernel>> CreateLayerNorm(const KernelInfo& info) {
  return std::unique_ptr<Kernel>(std::make_unique<LayerNormKernel>(info.node().Describe(), info.GetInt("axis", -1),
                                                                   info.GetFloat("epsilon", 1e-5f)));
}

// -------------------------------------------------------------------- Gelu

Result<bool> ParseGeluApproximation(const KernelInfo& info) {
  const std::string approx = info.GetString("approximate", "none");
  if (approx != "none" && approx != "tanh")
    return info.Error("approximate must be \"none\" or \"tanh\", got \"" + approx + "\"");
  return approx == "tanh";
}

Result<std::unique_ptr<Kernel>> CreateGelu(const KernelInfo& info) {
  ASSIGN_OR_RETURN(bool tanh_form, ParseGeluApproximation(info));
  const std::string node = info.node().Describe();
  return std::unique_ptr<Kernel>(std::make_unique<FunctionKernel>([node, tanh_form](KernelContext& ctx) -> Status {
    const Tensor* x = ctx.input(0);
    if (x == nullptr) return InvalidArgument(node + ": missing input X");
    RETURN_IF_ERROR(RequireFloat(node, *x, "X"));
    ASSIGN_OR_RETURN(Tensor * out, ctx.Output(0, DType::kFloat32, x->shape()));
    const float* px = x->data<float>();
    float* py = out->data<float>();
    for (int64_t i = 0; i < x->numel(); ++i) {
      const double v = px[i];
      const double g = tanh_form ? std::tanh(std::sqrt(2.0 / M_PI) * (v + 0.044715 * v * v * v))
                                 : std::erf(v / std::sqrt(2.0));
      py[i] = static_cast<float>(0.5 * v * (1.0 + g));
    }
    return Status::Ok();
  }));
}

// ------------------------------------------------------------- FusedMatMul

class FusedMatMulKernel final : public Kernel {
 public:
  FusedMatMulKernel(std::string node, FusedActivation act) : node_(std::move(node)), act_(std::move(act)) {}

  Status Run(KernelContext& ctx) const override {
    const Tensor* a = ctx.input(0);
    const Tensor* b = ctx.input(1);
    const Tensor* bias = ctx.input(2);
    if (a == nullptr || b == nullptr || bias == nullptr) return InvalidArgument(node_ + ": needs inputs A, B and Bias");
    RETURN_IF_ERROR(RequireFloat(node_, *a, "A"));
    RETURN_IF_ERROR(RequireFloat(node_, *b, "B"));
    if (a->rank() < 1 || b->rank() != 2)
      return InvalidArgument(node_ + ": A must have rank >= 1 and B rank 2, got " + ShapeToString(a->shape()) +
                             " and " + ShapeToString(b->shape()));
    const int64_t k = b->dim(0), n = b->dim(1);
    if (a->shape().back() != k)
      return InvalidArgument(node_ + ": inner dimensions differ: A " + ShapeToString(a->shape()) + ", B " +
                             ShapeToString(b->shape()));
    ASSIGN_OR_RETURN(auto bv, Expand(node_, *bias, {n}, "Bias"));
    Shape out_shape = a->shape();
    out_shape.back() = n;
    if (a->rank() == 1) out_shape = {n};
    const int64_t rows = k == 0 ? ShapeNumel(out_shape) / std::max<int64_t>(n, 1) : a->numel() / k;
    std::vector<double> da(a->data<float>(), a->data<float>() + a->numel());
    std::vector<double> db(b->data<float>(), b->data<float>() + b->numel());
    std::vector<double> acc(static_cast<size_t>(rows * n));
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t j = 0; j < n; ++j) acc[static_cast<size_t>(r * n + j)] = bv[static_cast<size_t>(j)];
    if (k > 0) GemmAccumulate<double>(rows, n, k, da.data(), k, db.data(), n, acc.data(), n);
    ApplyActivationInPlace(acc.data(), static_cast<int64_t>(acc.size()), act_);
    ASSIGN_OR_RETURN(Tensor * out, ctx.Output(0, DType::kFloat32, out_shape));
    float* py = out->data<float>();
    for (size_t i = 0; i < acc.size(); ++i) py[i] = static_cast<float>(acc[i]);
    return Status::Ok();
  }

 private:
  std::string node_;
  FusedActivation act_;
};

Result<std::unique_ptr<Kernel>> CreateFusedMatMul(const KernelInfo& info) {
  ASSIGN_OR_RETURN(FusedActivation act, ParseFusedActivation(info));
  return std::unique_ptr<Kernel>(std::make_unique<FusedMatMulKernel>(info.node().Describe(), std::move(act)));
}

}  // namespace

INFERD_REGISTER_KERNEL(InternalLayerNorm,
                       {std::string(kInternalDomain), "LayerNormalization", 0, 1000, 0, "ref", &CreateLayerNorm});
INFERD_REGISTER_KERNEL(InternalGelu, {std::string(kInternalDomain), "Gelu", 0, 1000, 0, "ref", &CreateGelu});
INFERD_REGISTER_KERNEL(InternalFusedMatMul,
                       {std::string(kInternalDomain), "FusedMatMul", 0, 1000, 0, "ref", &CreateFusedMatMul});

}  // namespace inferd::ref
