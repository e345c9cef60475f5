// Reference kernels: NegativeLogLikelihoodLoss, SoftmaxCrossEntropyLoss.
//
// Input [N, C] or [N, C, d1, ..., dk]; target [N] or [N, d1, ..., dk] of
// int32/int64 class indices; optional weight [C]. The per-element loss is
// -weight[t] * input[n, t, d]; targets equal to ignore_index count zero and
// weigh nothing. reduction "mean" divides by the summed weights of the
// counted elements (their count without weights), "sum" sums, "none" keeps
// the [N, d1, ..., dk] shape. SoftmaxCrossEntropyLoss applies log-softmax
// over C first and can also return it (output "log_prob"). Computed in double.
#include <cmath>
#include <limits>
#include <optional>

#include "engine/kernels/ref/common.h"
#include "engine/kernels/ref/float_io.h"

namespace inferd::ref {
namespace {

enum class Reduction { kNone, kSum, kMean };

class LossKernel final : public Kernel {
 public:
  LossKernel(std::string describe, bool softmax, Reduction reduction, std::optional<int64_t> ignore_index)
      : describe_(std::move(describe)), softmax_(softmax), reduction_(reduction), ignore_index_(ignore_index) {}

  Status Run(KernelContext& ctx) const override {
    const Tensor* x = ctx.input(0);
    const Tensor* target = ctx.input(1);
    const Tensor* weight = ctx.input(2);
    if (x == nullptr || target == nullptr) return InvalidArgument(describe_ + ": needs the input scores and target");
    if (x->rank() < 2)
      return InvalidArgument(describe_ + ": input must be [N, C, ...], got " + ShapeToString(x->shape()));
    Shape want_target = x->shape();
    want_target.erase(want_target.begin() + 1);
    if (target->shape() != want_target)
      return InvalidArgument(describe_ + ": target " + ShapeToString(target->shape()) + " does not match input " +
                             ShapeToString(x->shape()) + " (expected " + ShapeToString(want_target) + ")");
    const int64_t N = x->dim(0), C = x->dim(1), D = N * C > 0 ? x->numel() / (N * C) : 0;
    ASSIGN_OR_RETURN(auto xs, ReadDoubles(*x, describe_ + ": input scores"));
    ASSIGN_OR_RETURN(auto ts, ReadInts(*target, describe_ + ": target"));
    std::vector<double> w;
    if (weight != nullptr) {
      if (weight->rank() != 1 || weight->dim(0) != C)
        return InvalidArgument(describe_ + ": weight must be [" + std::to_string(C) + "], got " +
                               ShapeToString(weight->shape()));
      ASSIGN_OR_RETURN(w, ReadDoubles(*weight, describe_ + ": weight"));
    }
    if (softmax_) LogSoftmaxOverC(xs, N, C, D);

    std::vector<double> loss(static_cast<size_t>(N * D));
    double weight_sum = 0;
    for (int64_t n = 0; n < N; ++n)
      for (int64_t d = 0; d < D; ++d) {
        const int64_t t = ts[static_cast<size_t>(n * D + d)];
        if (ignore_index_ && t == *ignore_index_) continue;  // loss 0, weight 0
        if (t < 0 || t >= C)
          return InvalidArgument(describe_ + ": target value " + std::to_string(t) + " is outside [0, " +
                                 std::to_string(C) + ")" + (ignore_index_ ? " and is not ignore_index" : ""));
        const double wt = w.empty() ? 1.0 : w[static_cast<size_t>(t)];
        loss[static_cast<size_t>(n * D + d)] = -xs[static_cast<size_t>((n * C + t) * D + d)] * wt;
        weight_sum += wt;
      }

    if (reduction_ == Reduction::kNone) {
      ASSIGN_OR_RETURN(Tensor * out, ctx.Output(0, x->dtype(), want_target));
      WriteDoubles(loss, *out);
    } else {
      double total = 0;
      for (double v : loss) total += v;
      if (reduction_ == Reduction::kMean) {
        // Without weights or ignore_index numpy's mean divides by N*D, which
        // equals weight_sum here; everything ignored gives 0/0 = NaN.
        total = weight_sum != 0 ? total / weight_sum : std::numeric_limits<double>::quiet_NaN();
      }
      ASSIGN_OR_RETURN(Tensor * out, ctx.Output(0, x->dtype(), {}));
      WriteDoubles({total}, *out);
    }
    if (softmax_ && ctx.num_outputs() > 1) {
      ASSIGN_OR_RETURN(Tensor * lp, ctx.Output(1, x->dtype(), x->shape()));
      WriteDoubles(xs, *lp);
    }
    return Status::Ok();
  }

 private:
  static void LogSoftmaxOverC(std::vector<double>& xs, int64_t N, int64_t C, int64_t D) {
    for (int64_t n = 0; n < N; ++n)
      for (int64_t d = 0; d < D; ++d) {
        double* p = xs.data() + n * C * D + d;
        double m = -std::numeric_limits<double>::infinity();
        for (int64_t c = 0; c < C; ++c) m = std::max(m, p[c * D]);
        double s = 0;
        for (int64_t c = 0; c < C; ++c) s += std::exp(p[c * D] - m);
        const double shift = m + std::log(s);
        for (int64_t c = 0; c < C; ++c) p[c * D] -= shift;
      }
  }

  std::string describe_;
  bool softmax_;
  Reduction reduction_;
  std::optional<int64_t> ignore_index_;
};

KernelFactory Factory(bool softmax) {
  return [softmax](const KernelInfo& info) -> Result<std::unique_ptr<Kernel>> {
    const std::string r = info.GetString("reduction", "mean");
    Reduction reduction;
    if (r == "none")
      reduction = Reduction::kNone;
    else if (r == "sum")
      reduction = Reduction::kSum;
    else if (r == "mean")
      reduction = Reduction::kMean;
    else
      return info.Error("reduction must be none, sum or mean, got '" + r + "'");
    std::optional<int64_t> ignore;
    if (info.HasAttribute("ignore_index")) ignore = info.GetInt("ignore_index", 0);
    if (info.num_outputs() > (softmax ? 2 : 1)) return info.Error("too many outputs");
    return std::unique_ptr<Kernel>(std::make_unique<LossKernel>(info.node().Describe(), softmax, reduction, ignore));
  };
}

}  // namespace

INFERD_REGISTER_KERNEL(NegativeLogLikelihoodLoss,
                       {"", "NegativeLogLikelihoodLoss", 12, 1000, 0, "ref", Factory(false)});
INFERD_REGISTER_KERNEL(SoftmaxCrossEntropyLoss, {"", "SoftmaxCrossEntropyLoss", 12, 1000, 0, "ref", Factory(true)});

}  // namespace inferd::ref
