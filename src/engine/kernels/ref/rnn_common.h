// Shared parts of the reference RNN, GRU and LSTM kernels: attributes
// (direction, hidden_size, clip, layout, activations with their
// alpha/beta), reading and checking the inputs, the time loop over
// directions and sequence_lens, and writing Y / Y_h / Y_c in either layout.
//
// Values are computed in double whatever the element type (float, double,
// float16), which keeps the kernels short and makes them a good oracle.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "common/status.h"
#include "engine/kernels/kernel.h"

namespace inferd::ref {

// One of the activation functions the recurrent ops accept.
struct RnnActivation {
  enum class Kind {
    kRelu,
    kTanh,
    kSigmoid,
    kAffine,
    kLeakyRelu,
    kThresholdedRelu,
    kScaledTanh,
    kHardSigmoid,
    kElu,
    kSoftsign,
    kSoftplus
  };
  Kind kind = Kind::kTanh;
  double alpha = 0;
  double beta = 0;
  double operator()(double x) const;
};

struct RnnAttrs {
  enum class Direction { kForward, kReverse, kBidirectional };
  Direction direction = Direction::kForward;
  int64_t hidden_size = 0;  // 0: taken from R's shape
  double clip = 0;          // 0: no clipping
  int64_t layout = 0;       // 0: [seq, batch, ...], 1: [batch, seq, ...]
  // `per_direction` functions for each direction, forward first.
  std::vector<RnnActivation> activations;
  int64_t num_directions() const { return direction == Direction::kBidirectional ? 2 : 1; }
  // Clips a gate pre-activation when 'clip' is set.
  double Clip(double v) const { return clip > 0 ? (v < -clip ? -clip : (v > clip ? clip : v)) : v; }
};

// Parses the common attributes. `defaults` are the activation names for one
// direction (RNN: Tanh; GRU: Sigmoid, Tanh; LSTM: Sigmoid, Tanh, Tanh).
Result<RnnAttrs> ParseRnnAttrs(const KernelInfo& info, const std::vector<std::string>& defaults);

// The inputs in canonical form: sequence-major, doubles, optional ones filled
// with their defaults (zeros, full lengths).
struct RnnProblem {
  int64_t seq = 0, batch = 0, input = 0, hidden = 0, dirs = 1, gates = 1;
  DType dtype = DType::kFloat32;
  std::vector<double> x;      // [seq, batch, input]
  std::vector<double> w;      // [dirs, gates * hidden, input]
  std::vector<double> r;      // [dirs, gates * hidden, hidden]
  std::vector<double> b;      // [dirs, 2 * gates * hidden]
  std::vector<int64_t> lens;  // [batch]
  std::vector<double> h0;     // [dirs, batch, hidden]
  std::vector<double> c0;     // [dirs, batch, hidden] (LSTM)
  std::vector<double> p;      // [dirs, 3 * hidden] (LSTM peepholes)
};

// Reads X, W, R, B, sequence_lens, initial_h (inputs 0-5) and for LSTM
// initial_c and P (6, 7), checking every shape against the others.
Result<RnnProblem> ReadRnnInputs(const KernelContext& ctx, const RnnAttrs& attrs, int64_t gates, bool lstm,
                                 const std::string& where);

// One time step of one batch row of one direction: reads x_t [input] and the
// state h [hidden] (and c for LSTM), writes the new state in place.
using RnnCell = std::function<void(int64_t dir, const double* x_t, double* h, double* c)>;

// Runs every direction over the sequence (reverse directions walk each row's
// valid prefix backwards) and writes the outputs the node declares.
Status RunRecurrence(KernelContext& ctx, const RnnAttrs& attrs, const RnnProblem& p, bool lstm, const RnnCell& cell);

// y[j] = sum_i m[j * cols + i] * v[i] for j in [0, rows).
void MatVecAccumulate(const double* m, const double* v, int64_t rows, int64_t cols, double* y);

}  // namespace inferd::ref
