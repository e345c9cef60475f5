// Reference kernels: LayerNormalization, LRN, MeanVarianceNormalization.
// Computed in double (float_io.h), rounded once to the output type.
#include <algorithm>
#include <cmath>

#include "engine/kernels/ref/common.h"
#include "engine/kernels/ref/float_io.h"
#include "engine/kernels/ref/reduce_util.h"

namespace inferd::ref {
namespace {

// ------------------------------------------------------ LayerNormalization
//
// Normalises over the dims [axis, rank). Scale and B broadcast to those
// dims. Optional outputs Mean and InvStdDev have shape X.shape[:axis] + ones,
// in the stash type (float by default).

class LayerNormKernel final : public Kernel {
 public:
  LayerNormKernel(std::string describe, int64_t axis, float epsilon, DType stash)
      : describe_(std::move(describe)), axis_(axis), epsilon_(epsilon), stash_(stash) {}

  Status Run(KernelContext& ctx) const override {
    const Tensor* x = ctx.input(0);
    const Tensor* scale = ctx.input(1);
    const Tensor* bias = ctx.input(2);
    if (x == nullptr || scale == nullptr) return InvalidArgument(describe_ + ": needs inputs X and Scale");
    if (x->rank() == 0) return InvalidArgument(describe_ + ": X must have rank >= 1, got a scalar");
    ASSIGN_OR_RETURN(int64_t axis, NormalizeAxis(axis_, x->rank(), describe_ + ": axis"));
    const Shape norm_shape(x->shape().begin() + axis, x->shape().end());
    int64_t rows = 1;
    for (int64_t d = 0; d < axis; ++d) rows *= x->dim(d);
    const int64_t cols = ShapeNumel(norm_shape);
    auto params = [&](const Tensor* t, const char* name) -> Result<std::vector<double>> {
      auto b = BroadcastShapes({t->shape(), norm_shape});
      if (!b.ok() || *b != norm_shape)
        return InvalidArgument(describe_ + ": input '" + name + "' " + ShapeToString(t->shape()) +
                               " does not broadcast to the normalized shape " + ShapeToString(norm_shape));
      ASSIGN_OR_RETURN(auto v, ReadDoubles(*t, describe_ + ": input '" + name + "'"));
      // Expand to one value per normalized element.
      std::vector<double> full(static_cast<size_t>(cols));
      BroadcastIndexer idx(norm_shape, {t->shape()});
      for (int64_t i = 0; i < cols; ++i, idx.Next())
        full[static_cast<size_t>(i)] = v[static_cast<size_t>(idx.offset(0))];
      return full;
    };
    ASSIGN_OR_RETURN(auto s, params(scale, "Scale"));
    std::vector<double> b(static_cast<size_t>(cols), 0.0);
    if (bias != nullptr) {
      ASSIGN_OR_RETURN(b, params(bias, "B"));
    }
    ASSIGN_OR_RETURN(auto xs, ReadDoubles(*x, describe_ + ": input 'X'"));
    std::vector<double> y(xs.size()), means(static_cast<size_t>(rows)), invs(static_cast<size_t>(rows));
    for (int64_t r = 0; r < rows; ++r) {
      const double* xr = xs.data() + r * cols;
      double sum = 0;
      for (int64_t j = 0; j < cols; ++j) sum += xr[j];
      const double mean = cols > 0 ? sum / static_cast<double>(cols) : 0.0;
      double sq = 0;
      for (int64_t j = 0; j < cols; ++j) sq += (xr[j] - mean) * (xr[j] - mean);
      const double inv = 1.0 / std::sqrt((cols > 0 ? sq / static_cast<double>(cols) : 0.0) + epsilon_);
      for (int64_t j = 0; j < cols; ++j)
        y[static_cast<size_t>(r * cols + j)] =
            (xr[j] - mean) * inv * s[static_cast<size_t>(j)] + b[static_cast<size_t>(j)];
      means[static_cast<size_t>(r)] = mean;
      invs[static_cast<size_t>(r)] = inv;
    }
    ASSIGN_OR_RETURN(Tensor * out, ctx.Output(0, x->dtype(), x->shape()));
    WriteDoubles(y, *out);
    Shape stat_shape(x->shape().begin(), x->shape().begin() + axis);
    stat_shape.resize(static_cast<size_t>(x->rank()), 1);
    for (int i = 1; i < ctx.num_outputs() && i <= 2; ++i) {
      ASSIGN_OR_RETURN(Tensor * o, ctx.Output(i, stash_, stat_shape));
      WriteDoubles(i == 1 ? means : invs, *o);
    }
    return Status::Ok();
  }

 private:
  std::string describe_;
  int64_t axis_;
  double epsilon_;
  DType stash_;
};

Result<std::unique_ptr<Kernel>> CreateLayerNorm(const KernelInfo& info) {
  const int64_t stash = info.GetInt("stash_type", 1);
  if (!DTypeIsValid(static_cast<int32_t>(stash)) || !IsFloatingType(static_cast<DType>(stash)))
    return info.Error("stash_type " + std::to_string(stash) + " is not a floating type");
  if (info.num_outputs() > 3) return info.Error("at most 3 outputs (Y, Mean, InvStdDev)");
  return std::unique_ptr<Kernel>(std::make_unique<LayerNormKernel>(
      info.node().Describe(), info.GetInt("axis", -1), info.GetFloat("epsilon", 1e-5f), static_cast<DType>(stash)));
}

// --------------------------------------------------------------------- LRN

class LrnKernel final : public Kernel {
 public:
  LrnKernel(std::string describe, int64_t size, float alpha, float beta, float bias)
      : describe_(std::move(describe)), size_(size), alpha_(alpha), beta_(beta), bias_(bias) {}

  Status Run(KernelContext& ctx) const override {
    const Tensor* x = ctx.input(0);
    if (x == nullptr) return InvalidArgument(describe_ + ": missing input 'X'");
    if (x->rank() < 2)
      return InvalidArgument(describe_ + ": X must be [N, C, ...] with rank >= 2, got " + ShapeToString(x->shape()));
    const int64_t N = x->dim(0), C = x->dim(1), S = x->numel() / std::max<int64_t>(1, N * C);
    ASSIGN_OR_RETURN(auto xs, ReadDoubles(*x, describe_ + ": input 'X'"));
    std::vector<double> y(xs.size());
    const int64_t before = (size_ - 1) / 2, after = size_ / 2;  // floor and ceil of (size-1)/2
    for (int64_t n = 0; n < N; ++n)
      for (int64_t c = 0; c < C; ++c)
        for (int64_t s = 0; s < S; ++s) {
          double sq = 0;
          for (int64_t k = std::max<int64_t>(0, c - before); k <= std::min(C - 1, c + after); ++k) {
            const double v = xs[static_cast<size_t>((n * C + k) * S + s)];
            sq += v * v;
          }
          const size_t i = static_cast<size_t>((n * C + c) * S + s);
          y[i] = xs[i] / std::pow(bias_ + alpha_ / static_cast<double>(size_) * sq, beta_);
        }
    ASSIGN_OR_RETURN(Tensor * out, ctx.Output(0, x->dtype(), x->shape()));
    WriteDoubles(y, *out);
    return Status::Ok();
  }

 private:
  std::string describe_;
  int64_t size_;
  double alpha_, beta_, bias_;
};

Result<std::unique_ptr<Kernel>> CreateLrn(const KernelInfo& info) {
  ASSIGN_OR_RETURN(int64_t size, info.RequireInt("size"));
  if (size <= 0) return info.Error("size must be positive, got " + std::to_string(size));
  return std::unique_ptr<Kernel>(
      std::make_unique<LrnKernel>(info.node().Describe(), size, info.GetFloat("alpha", 1e-4f),
                                  info.GetFloat("beta", 0.75f), info.GetFloat("bias", 1.0f)));
}

// ----------------------------------------------- MeanVarianceNormalization
//
// (X - mean) / (sqrt(var) + 1e-9) over `axes` (default [0, 2, 3]), as the
// ONNX function body defines it.

class MvnKernel final : public Kernel {
 public:
  MvnKernel(std::string describe, std::vector<int64_t> axes) : describe_(std::move(describe)), axes_(std::move(axes)) {}

  Status Run(KernelContext& ctx) const override {
    const Tensor* x = ctx.input(0);
    if (x == nullptr) return InvalidArgument(describe_ + ": missing input 'X'");
    ASSIGN_OR_RETURN(auto mask, AxesMask(axes_, x->rank(), describe_ + ": axes"));
    ASSIGN_OR_RETURN(auto xs, ReadDoubles(*x, describe_ + ": input 'X'"));
    const ReductionPlan plan = PlanReduction(x->shape(), mask);
    std::vector<double> y(xs.size());
    const double n = static_cast<double>(plan.reduce_count);
    for (int64_t o = 0; o < plan.num_outputs; ++o) {
      const int64_t base = plan.Base(o);
      double sum = 0;
      for (int64_t j = 0; j < plan.reduce_count; ++j) sum += xs[static_cast<size_t>(base + plan.Offset(j))];
      const double mean = sum / n;
      double sq = 0;
      for (int64_t j = 0; j < plan.reduce_count; ++j) {
        const double d = xs[static_cast<size_t>(base + plan.Offset(j))] - mean;
        sq += d * d;
      }
      const double denom = std::sqrt(sq / n) + 1e-9;
      for (int64_t j = 0; j < plan.reduce_count; ++j) {
        const size_t i = static_cast<size_t>(base + plan.Offset(j));
        y[i] = (xs[i] - mean) / denom;
      }
    }
    ASSIGN_OR_RETURN(Tensor * out, ctx.Output(0, x->dtype(), x->shape()));
    WriteDoubles(y, *out);
    return Status::Ok();
  }

 private:
  std::string describe_;
  std::vector<int64_t> axes_;
};

Result<std::unique_ptr<Kernel>> CreateMvn(const KernelInfo& info) {
  return std::unique_ptr<Kernel>(std::make_unique<MvnKernel>(info.node().Describe(), info.GetInts("axes", {0, 2, 3})));
}

}  // namespace

// LayerNormalization joined ai.onnx at opset 17; registering from 1 lets a
// fusion pass turn the decomposed form (ReduceMean, Sub, Pow, ...) of an
// older model into this op, as ONNX Runtime does.
INFERD_REGISTER_KERNEL(LayerNormalization, {"", "LayerNormalization", 1, 1000, 0, "ref", &CreateLayerNorm});
INFERD_REGISTER_KERNEL(LRN, {"", "LRN", 1, 1000, 0, "ref", &CreateLrn});
INFERD_REGISTER_KERNEL(MeanVarianceNormalization, {"", "MeanVarianceNormalization", 9, 1000, 0, "ref", &CreateMvn});

}  // namespace inferd::ref
