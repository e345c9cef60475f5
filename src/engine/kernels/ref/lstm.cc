// Reference LSTM (gates i, o, f, c; peepholes P = [Pi, Po, Pf]):
//   it = f(Xt*Wi^T + Ht-1*Ri^T + Pi . Ct-1 + Wbi + Rbi)
//   ft = f(Xt*Wf^T + Ht-1*Rf^T + Pf . Ct-1 + Wbf + Rbf)   (1 - it with input_forget)
//   ct = g(Xt*Wc^T + Ht-1*Rc^T + Wbc + Rbc)
//   Ct = ft . Ct-1 + it . ct
//   ot = f(Xt*Wo^T + Ht-1*Ro^T + Po . Ct + Wbo + Rbo)
//   Ht = ot . h(Ct)
#include <vector>

#include "engine/kernels/ref/rnn_common.h"

namespace inferd::ref {
namespace {

class LstmKernel final : public Kernel {
 public:
  LstmKernel(RnnAttrs attrs, bool input_forget, std::string where)
      : attrs_(std::move(attrs)), input_forget_(input_forget), where_(std::move(where)) {}

  Status Run(KernelContext& ctx) const override {
    ASSIGN_OR_RETURN(RnnProblem p, ReadRnnInputs(ctx, attrs_, 4, true, where_));
    const int64_t H = p.hidden, I = p.input;
    std::vector<double> gate(static_cast<size_t>(4 * H));
    auto cell = [&](int64_t d, const double* x, double* h, double* c) {
      const double* wb = p.b.data() + d * 8 * H;
      const double* rb = wb + 4 * H;
      const double* peep = p.p.data() + d * 3 * H;
      const RnnActivation& f = attrs_.activations[static_cast<size_t>(d * 3)];
      const RnnActivation& g = attrs_.activations[static_cast<size_t>(d * 3 + 1)];
      const RnnActivation& hf = attrs_.activations[static_cast<size_t>(d * 3 + 2)];
      for (int64_t j = 0; j < 4 * H; ++j) gate[static_cast<size_t>(j)] = wb[j] + rb[j];
      MatVecAccumulate(p.w.data() + d * 4 * H * I, x, 4 * H, I, gate.data());
      MatVecAccumulate(p.r.data() + d * 4 * H * H, h, 4 * H, H, gate.data());
      const double* gi = gate.data();
      const double* go = gi + H;
      const double* gf = gi + 2 * H;
      const double* gc = gi + 3 * H;
      for (int64_t j = 0; j < H; ++j) {
        const double i_t = f(attrs_.Clip(gi[j] + peep[j] * c[j]));
        const double f_t = input_forget_ ? 1.0 - i_t : f(attrs_.Clip(gf[j] + peep[2 * H + j] * c[j]));
        const double c_t = g(attrs_.Clip(gc[j]));
        c[j] = f_t * c[j] + i_t * c_t;
        const double o_t = f(attrs_.Clip(go[j] + peep[H + j] * c[j]));
        h[j] = o_t * hf(c[j]);
      }
    };
    return RunRecurrence(ctx, attrs_, p, true, cell);
  }

 private:
  RnnAttrs attrs_;
  bool input_forget_;
  std::string where_;
};

Result<std::unique_ptr<Kernel>> CreateLstm(const KernelInfo& info) {
  ASSIGN_OR_RETURN(RnnAttrs attrs, ParseRnnAttrs(info, {"Sigmoid", "Tanh", "Tanh"}));
  const bool input_forget = info.GetInt("input_forget", 0) != 0;
  return std::unique_ptr<Kernel>(std::make_unique<LstmKernel>(std::move(attrs), input_forget, info.node().Describe()));
}

}  // namespace

// Opset 1-6 had an 'output_sequence' attribute; 7+ is the current form (14 adds 'layout').
INFERD_REGISTER_KERNEL(LSTM, {"", "LSTM", 7, 1000, 0, "ref", &CreateLstm});

}  // namespace inferd::ref
