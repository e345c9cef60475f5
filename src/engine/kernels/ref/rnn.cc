// Reference RNN (simple recurrent layer): Ht = f(Xt*W^T + Ht-1*R^T + Wb + Rb).
#include <vector>

#include "engine/kernels/ref/rnn_common.h"

namespace inferd::ref {
namespace {

class RnnKernel final : public Kernel {
 public:
  RnnKernel(RnnAttrs attrs, std::string where) : attrs_(std::move(attrs)), where_(std::move(where)) {}

  Status Run(KernelContext& ctx) const override {
    ASSIGN_OR_RETURN(RnnProblem p, ReadRnnInputs(ctx, attrs_, 1, false, where_));
    const int64_t H = p.hidden, I = p.input;
    std::vector<double> gate(static_cast<size_t>(H));
    auto cell = [&](int64_t d, const double* x, double* h, double*) {
      const double* wb = p.b.data() + d * 2 * H;
      for (int64_t j = 0; j < H; ++j) gate[static_cast<size_t>(j)] = wb[j] + wb[H + j];
      MatVecAccumulate(p.w.data() + d * H * I, x, H, I, gate.data());
      MatVecAccumulate(p.r.data() + d * H * H, h, H, H, gate.data());
      const RnnActivation& f = attrs_.activations[static_cast<size_t>(d)];
      for (int64_t j = 0; j < H; ++j) h[j] = f(attrs_.Clip(gate[static_cast<size_t>(j)]));
    };
    return RunRecurrence(ctx, attrs_, p, false, cell);
  }

 private:
  RnnAttrs attrs_;
  std::string where_;
};

Result<std::unique_ptr<Kernel>> CreateRnn(const KernelInfo& info) {
  ASSIGN_OR_RETURN(RnnAttrs attrs, ParseRnnAttrs(info, {"Tanh"}));
  return std::unique_ptr<Kernel>(std::make_unique<RnnKernel>(std::move(attrs), info.node().Describe()));
}

}  // namespace

// Opset 1-6 had an 'output_sequence' attribute; 7+ is the current form (14 adds 'layout').
INFERD_REGISTER_KERNEL(RNN, {"", "RNN", 7, 1000, 0, "ref", &CreateRnn});

}  // namespace inferd::ref
