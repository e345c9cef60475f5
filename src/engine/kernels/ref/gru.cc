// Reference GRU (gates z, r, h), with linear_before_reset:
//   zt = f(Xt*Wz^T + Ht-1*Rz^T + Wbz + Rbz)
//   rt = f(Xt*Wr^T + Ht-1*Rr^T + Wbr + Rbr)
//   ht = g(Xt*Wh^T + (rt . Ht-1)*Rh^T + Rbh + Wbh)       linear_before_reset = 0
//   ht = g(Xt*Wh^T + rt . (Ht-1*Rh^T + Rbh) + Wbh)       linear_before_reset = 1
//   Ht = (1 - zt) . ht + zt . Ht-1
#include <vector>

#include "engine/kernels/ref/rnn_common.h"

namespace inferd::ref {
namespace {

class GruKernel final : public Kernel {
 public:
  GruKernel(RnnAttrs attrs, bool linear_before_reset, std::string where)
      : attrs_(std::move(attrs)), linear_before_reset_(linear_before_reset), where_(std::move(where)) {}

  Status Run(KernelContext& ctx) const override {
    ASSIGN_OR_RETURN(RnnProblem p, ReadRnnInputs(ctx, attrs_, 3, false, where_));
    const int64_t H = p.hidden, I = p.input;
    std::vector<double> gx(static_cast<size_t>(3 * H)), gh(static_cast<size_t>(3 * H)), rh(static_cast<size_t>(H));
    std::vector<double> z(static_cast<size_t>(H)), reset(static_cast<size_t>(H));
    auto cell = [&](int64_t d, const double* x, double* h, double*) {
      const double* wb = p.b.data() + d * 6 * H;
      const double* rb = wb + 3 * H;
      const double* r = p.r.data() + d * 3 * H * H;
      const RnnActivation& f = attrs_.activations[static_cast<size_t>(d * 2)];
      const RnnActivation& g = attrs_.activations[static_cast<size_t>(d * 2 + 1)];
      std::copy(wb, wb + 3 * H, gx.begin());
      MatVecAccumulate(p.w.data() + d * 3 * H * I, x, 3 * H, I, gx.data());
      // z and r see Ht-1*R^T + Rb; h's recurrent part depends on linear_before_reset.
      std::copy(rb, rb + 3 * H, gh.begin());
      MatVecAccumulate(r, h, 2 * H, H, gh.data());
      for (int64_t j = 0; j < H; ++j) {
        const size_t u = static_cast<size_t>(j);
        z[u] = f(attrs_.Clip(gx[u] + gh[u]));
        reset[u] = f(attrs_.Clip(gx[static_cast<size_t>(H + j)] + gh[static_cast<size_t>(H + j)]));
      }
      double* gh_h = gh.data() + 2 * H;  // holds Rbh
      if (linear_before_reset_) {
        MatVecAccumulate(r + 2 * H * H, h, H, H, gh_h);  // Ht-1*Rh^T + Rbh
        for (int64_t j = 0; j < H; ++j) gh_h[j] *= reset[static_cast<size_t>(j)];
      } else {
        for (int64_t j = 0; j < H; ++j) rh[static_cast<size_t>(j)] = reset[static_cast<size_t>(j)] * h[j];
        MatVecAccumulate(r + 2 * H * H, rh.data(), H, H, gh_h);  // (rt . Ht-1)*Rh^T + Rbh
      }
      for (int64_t j = 0; j < H; ++j) {
        const size_t u = static_cast<size_t>(j);
        const double ht = g(attrs_.Clip(gx[static_cast<size_t>(2 * H + j)] + gh_h[j]));
        h[j] = (1.0 - z[u]) * ht + z[u] * h[j];
      }
    };
    return RunRecurrence(ctx, attrs_, p, false, cell);
  }

 private:
  RnnAttrs attrs_;
  bool linear_before_reset_;
  std::string where_;
};

Result<std::unique_ptr<Kernel>> CreateGru(const KernelInfo& info) {
  ASSIGN_OR_RETURN(RnnAttrs attrs, ParseRnnAttrs(info, {"Sigmoid", "Tanh"}));
  const bool lbr = info.GetInt("linear_before_reset", 0) != 0;
  return std::unique_ptr<Kernel>(std::make_unique<GruKernel>(std::move(attrs), lbr, info.node().Describe()));
}

}  // namespace

// Opset 1-6 had an 'output_sequence' attribute; 7+ is the current form (14 adds 'layout').
INFERD_REGISTER_KERNEL(GRU, {"", "GRU", 7, 1000, 0, "ref", &CreateGru});

}  // namespace inferd::ref
