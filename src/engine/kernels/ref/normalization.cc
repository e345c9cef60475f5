// Reference kernels: BatchNormalization, InstanceNormalization,
// GroupNormalization, LayerNormalization, LRN, MeanVarianceNormalization.
//
// All compute in double (float_io.h) and round once to the output type.
// Variances are population variances computed in two passes. Inputs of the
// form X [N, C, D1, ...] must have rank >= 2 and per-channel parameters must
// hold exactly C values; anything else is an INVALID_ARGUMENT naming the input.
#include <algorithm>
#include <cmath>

#include "engine/kernels/ref/common.h"
#include "engine/kernels/ref/float_io.h"
#include "engine/kernels/ref/reduce_util.h"

namespace inferd::ref {
namespace {

// Mean and population variance of n values at x[0], x[stride], ...
std::pair<double, double> MeanVar(const double* x, int64_t n, int64_t stride = 1) {
  if (n == 0) return {0.0, 0.0};
  double sum = 0;
  for (int64_t i = 0; i < n; ++i) sum += x[i * stride];
  const double mean = sum / static_cast<double>(n);
  double sq = 0;
  for (int64_t i = 0; i < n; ++i) sq += (x[i * stride] - mean) * (x[i * stride] - mean);
  return {mean, sq / static_cast<double>(n)};
}

Status CheckChannelRank(const std::string& describe, const Tensor& x) {
  if (x.rank() < 2)
    return InvalidArgument(describe + ": input X must be [N, C, ...] with rank >= 2, got " + ShapeToString(x.shape()));
  return Status::Ok();
}

// Reads a parameter input that must hold exactly `count` values.
Result<std::vector<double>> ReadParam(const std::string& describe, const Tensor* t, const char* name, int64_t count) {
  if (t == nullptr) return InvalidArgument(describe + ": missing input '" + name + "'");
  if (t->numel() != count)
    return InvalidArgument(describe + ": input '" + std::string(name) + "' must hold " + std::to_string(count) +
                           " values, got shape " + ShapeToString(t->shape()));
  return ReadDoubles(*t, describe + ": input '" + name + "'");
}

// ------------------------------------------------------ BatchNormalization

class BatchNormKernel final : public Kernel {
 public:
  BatchNormKernel(std::string describe, float epsilon, float momentum, bool training)
      : describe_(std::move(describe)), epsilon_(epsilon), momentum_(momentum), training_(training) {}

  Status Run(KernelContext& ctx) const override {
    const Tensor* x = ctx.input(0);
    if (x == nullptr) return InvalidArgument(describe_ + ": missing input 'X'");
    RETURN_IF_ERROR(CheckChannelRank(describe_, *x));
    const int64_t N = x->dim(0), C = x->dim(1), S = x->numel() / std::max<int64_t>(1, N * C);
    ASSIGN_OR_RETURN(auto xs, ReadDoubles(*x, describe_ + ": input 'X'"));
    ASSIGN_OR_RETURN(auto scale, ReadParam(describe_, ctx.input(1), "scale", C));
    ASSIGN_OR_RETURN(auto bias, ReadParam(describe_, ctx.input(2), "B", C));
    ASSIGN_OR_RETURN(auto mean, ReadParam(describe_, ctx.input(3), "input_mean", C));
    ASSIGN_OR_RETURN(auto var, ReadParam(describe_, ctx.input(4), "input_var", C));
    std::vector<double> use_mean = mean, use_var = var;
    if (training_) {
      // Batch statistics over N and the spatial dims of each channel.
      for (int64_t c = 0; c < C; ++c) {
        double sum = 0, sq = 0;
        for (int64_t n = 0; n < N; ++n)
          for (int64_t s = 0; s < S; ++s) sum += xs[static_cast<size_t>((n * C + c) * S + s)];
        const double m = N * S > 0 ? sum / static_cast<double>(N * S) : 0.0;
        for (int64_t n = 0; n < N; ++n)
          for (int64_t s = 0; s < S; ++s) {
            const double d = xs[static_cast<size_t>((n * C + c) * S + s)] - m;
            sq += d * d;
          }
        use_mean[static_cast<size_t>(c)] = m;
        use_var[static_cast<size_t>(c)] = N * S > 0 ? sq / static_cast<double>(N * S) : 0.0;
      }
    }
    std::vector<double> y(xs.size());
    for (int64_t n = 0; n < N; ++n)
      for (int64_t c = 0; c < C; ++c) {
        const size_t ci = static_cast<size_t>(c);
        const double k = scale[ci] / std::sqrt(use_var[ci] + epsilon_);
        const double b = bias[ci] - use_mean[ci] * k;
        const size_t base = static_cast<size_t>((n * C + c) * S);
        for (int64_t s = 0; s < S; ++s) y[base + static_cast<size_t>(s)] = xs[base + static_cast<size_t>(s)] * k + b;
      }
    ASSIGN_OR_RETURN(Tensor * out, ctx.Output(0, x->dtype(), x->shape()));
    WriteDoubles(y, *out);
    if (training_) {
      // running_mean / running_var: the inputs moved towards the batch statistics.
      for (int i = 1; i <= 2 && i < ctx.num_outputs(); ++i) {
        const Tensor* src = ctx.input(i + 2);
        const auto& stat = i == 1 ? use_mean : use_var;
        const auto& prev = i == 1 ? mean : var;
        std::vector<double> r(static_cast<size_t>(C));
        for (size_t c = 0; c < r.size(); ++c) r[c] = prev[c] * momentum_ + stat[c] * (1.0 - momentum_);
        ASSIGN_OR_RETURN(Tensor * o, ctx.Output(i, src->dtype(), src->shape()));
        WriteDoubles(r, *o);
      }
    }
    return Status::Ok();
  }

 private:
  std::string describe_;
  double epsilon_, momentum_;
  bool training_;
};

Result<std::unique_ptr<Kernel>> CreateBatchNorm(const KernelInfo& info) {
  if (info.opset() < 9 && info.GetInt("spatial", 1) == 0)
    return Unimplemented(info.node().Describe() + ": spatial=0 (per-activation statistics) is not supported");
  const bool training = info.opset() >= 14 && info.GetInt("training_mode", 0) == 1;
  if (!training && info.num_outputs() > 1) {
    // Before opset 14, extra outputs meant training statistics (saved mean/var).
    return Unimplemented(info.node().Describe() +
                         ": training outputs are only supported with training_mode=1 (opset 14+)");
  }
  if (training && info.num_outputs() > 3) return info.Error("at most 3 outputs in training mode");
  return std::unique_ptr<Kernel>(std::make_unique<BatchNormKernel>(
      info.node().Describe(), info.GetFloat("epsilon", 1e-5f), info.GetFloat("momentum", 0.9f), training));
}

// ---------------------------------------- Instance and Group normalization

// Normalises contiguous groups of `group_size` values; the affine parameters
// are per channel of `channel_size` values (groups hold whole channels).
void NormalizeGroups(const std::vector<double>& x, int64_t group_size, int64_t channel_size, int64_t channels,
                     const std::vector<double>& scale, const std::vector<double>& bias, double epsilon,
                     std::vector<double>& y) {
  const int64_t groups = group_size > 0 ? static_cast<int64_t>(x.size()) / group_size : 0;
  for (int64_t g = 0; g < groups; ++g) {
    const double* xg = x.data() + g * group_size;
    auto [mean, var] = MeanVar(xg, group_size);
    const double inv = 1.0 / std::sqrt(var + epsilon);
    for (int64_t i = 0; i < group_size; ++i) {
      const int64_t flat = g * group_size + i;
      const size_t c = static_cast<size_t>((flat / channel_size) % channels);
      y[static_cast<size_t>(flat)] = (xg[i] - mean) * inv * scale[c] + bias[c];
    }
  }
}

class InstanceNormKernel final : public Kernel {
 public:
  // num_groups 0: InstanceNormalization (one group per channel).
  // per_group_params: GroupNormalization before opset 21 (scale/bias per group).
  InstanceNormKernel(std::string describe, float epsilon, int64_t num_groups, bool per_group_params)
      : describe_(std::move(describe)),
        epsilon_(epsilon),
        num_groups_(num_groups),
        per_group_params_(per_group_params) {}

  Status Run(KernelContext& ctx) const override {
    const Tensor* x = ctx.input(0);
    if (x == nullptr) return InvalidArgument(describe_ + ": missing input 'X'");
    RETURN_IF_ERROR(CheckChannelRank(describe_, *x));
    const int64_t N = x->dim(0), C = x->dim(1), S = x->numel() / std::max<int64_t>(1, N * C);
    const int64_t G = num_groups_ == 0 ? C : num_groups_;
    if (C % G != 0)
      return InvalidArgument(describe_ + ": " + std::to_string(C) + " channels do not split into " + std::to_string(G) +
                             " groups");
    const int64_t params = per_group_params_ ? G : C;
    ASSIGN_OR_RETURN(auto xs, ReadDoubles(*x, describe_ + ": input 'X'"));
    ASSIGN_OR_RETURN(auto scale, ReadParam(describe_, ctx.input(1), "scale", params));
    ASSIGN_OR_RETURN(auto bias, ReadParam(describe_, ctx.input(2), "B", params));
    if (per_group_params_) {
      // Expand per-group parameters to per-channel.
      std::vector<double> s(static_cast<size_t>(C)), b(static_cast<size_t>(C));
      for (int64_t c = 0; c < C; ++c) {
        s[static_cast<size_t>(c)] = scale[static_cast<size_t>(c / (C / G))];
        b[static_cast<size_t>(c)] = bias[static_cast<size_t>(c / (C / G))];
      }
      scale = std::move(s);
      bias = std::move(b);
    }
    std::vector<double> y(xs.size());
    NormalizeGroups(xs, (C / G) * S, S, C, scale, bias, epsilon_, y);
    ASSIGN_OR_RETURN(Tensor * out, ctx.Output(0, x->dtype(), x->shape()));
    WriteDoubles(y, *out);
    return Status::Ok();
  }

 private:
  std::string describe_;
  double epsilon_;
  int64_t num_groups_;
  bool per_group_params_;
};

Result<std::unique_ptr<Kernel>> CreateInstanceNorm(const KernelInfo& info) {
  return std::unique_ptr<Kernel>(
      std::make_unique<InstanceNormKernel>(info.node().Describe(), info.GetFloat("epsilon", 1e-5f), 0, false));
}

Result<std::unique_ptr<Kernel>> CreateGroupNorm(const KernelInfo& info) {
  ASSIGN_OR_RETURN(int64_t groups, info.RequireInt("num_groups"));
  if (groups <= 0) return info.Error("num_groups must be positive, got " + std::to_string(groups));
  if (info.GetInt("stash_type", 1) != 1) return Unimplemented(info.node().Describe() + ": stash_type other than float");
  return std::unique_ptr<Kernel>(std::make_unique<InstanceNormKernel>(
      info.node().Describe(), info.GetFloat("epsilon", 1e-5f), groups, info.opset() < 21));
}

}  // namespace

// Opset 1-5 BatchNormalization carried consumed_inputs / is_test semantics.
INFERD_REGISTER_KERNEL(BatchNormalization, {"", "BatchNormalization", 6, 1000, 0, "ref", &CreateBatchNorm});
INFERD_REGISTER_KERNEL(InstanceNormalization, {"", "InstanceNormalization", 6, 1000, 0, "ref", &CreateInstanceNorm});
INFERD_REGISTER_KERNEL(GroupNormalization, {"", "GroupNormalization", 18, 1000, 0, "ref", &CreateGroupNorm});

}  // namespace inferd::ref
