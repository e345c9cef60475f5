#include "engine/kernels/ref/rnn_common.h"

#include <cmath>

#include "engine/kernels/ref/common.h"

namespace inferd::ref {
namespace {

struct ActivationSpec {
  const char* name;
  RnnActivation::Kind kind;
  bool uses_alpha, uses_beta;
  double alpha, beta;  // defaults
};

constexpr ActivationSpec kActivations[] = {
    {"Relu", RnnActivation::Kind::kRelu, false, false, 0, 0},
    {"Tanh", RnnActivation::Kind::kTanh, false, false, 0, 0},
    {"Sigmoid", RnnActivation::Kind::kSigmoid, false, false, 0, 0},
    {"Affine", RnnActivation::Kind::kAffine, true, true, 1.0, 0.0},
    {"LeakyRelu", RnnActivation::Kind::kLeakyRelu, true, false, 0.01, 0},
    {"ThresholdedRelu", RnnActivation::Kind::kThresholdedRelu, true, false, 1.0, 0},
    {"ScaledTanh", RnnActivation::Kind::kScaledTanh, true, true, 1.0, 1.0},
    {"HardSigmoid", RnnActivation::Kind::kHardSigmoid, true, true, 0.2, 0.5},
    {"Elu", RnnActivation::Kind::kElu, true, false, 1.0, 0},
    {"Softsign", RnnActivation::Kind::kSoftsign, false, false, 0, 0},
    {"Softplus", RnnActivation::Kind::kSoftplus, false, false, 0, 0},
};

std::vector<double> ToDoubles(const Tensor& t) {
  std::vector<double> v(static_cast<size_t>(t.numel()));
  for (int64_t i = 0; i < t.numel(); ++i) v[static_cast<size_t>(i)] = t.GetAsDouble(i);
  return v;
}

Status CheckShape(const Tensor& t, const Shape& want, const std::string& where, const char* name) {
  if (t.shape() == want) return Status::Ok();
  return InvalidArgument(where + ": input " + name + " has shape " + ShapeToString(t.shape()) + ", expected " +
                         ShapeToString(want));
}

// Swaps the first two axes of a [a, b, rest] array.
std::vector<double> SwapLeading(const std::vector<double>& v, int64_t a, int64_t b, int64_t rest) {
  std::vector<double> out(v.size());
  for (int64_t i = 0; i < a; ++i)
    for (int64_t j = 0; j < b; ++j)
      for (int64_t k = 0; k < rest; ++k)
        out[static_cast<size_t>((j * a + i) * rest + k)] = v[static_cast<size_t>((i * b + j) * rest + k)];
  return out;
}

Status WriteOutput(KernelContext& ctx, int index, DType dtype, const Shape& shape, const std::vector<double>& v) {
  if (index >= ctx.num_outputs()) return Status::Ok();
  ASSIGN_OR_RETURN(Tensor * t, ctx.Output(index, dtype, shape));
  for (int64_t i = 0; i < t->numel(); ++i) {
    const double x = v[static_cast<size_t>(i)];
    switch (dtype) {
      case DType::kFloat32:
        t->data<float>()[i] = static_cast<float>(x);
        break;
      case DType::kFloat64:
        t->data<double>()[i] = x;
        break;
      case DType::kFloat16:
        t->data<Float16>()[i] = Float16::FromFloat(static_cast<float>(x));
        break;
      default:
        return UnsupportedType("RNN output", dtype);
    }
  }
  return Status::Ok();
}

}  // namespace

double RnnActivation::operator()(double x) const {
  switch (kind) {
    case Kind::kRelu:
      return x > 0 ? x : 0;
    case Kind::kTanh:
      return std::tanh(x);
    case Kind::kSigmoid:
      return 1.0 / (1.0 + std::exp(-x));
    case Kind::kAffine:
      return alpha * x + beta;
    case Kind::kLeakyRelu:
      return x >= 0 ? x : alpha * x;
    case Kind::kThresholdedRelu:
      return x > alpha ? x : 0;
    case Kind::kScaledTanh:
      return alpha * std::tanh(beta * x);
    case Kind::kHardSigmoid:
      return std::fmax(0.0, std::fmin(1.0, alpha * x + beta));
    case Kind::kElu:
      return x >= 0 ? x : alpha * (std::exp(x) - 1.0);
    case Kind::kSoftsign:
      return x / (1.0 + std::abs(x));
    case Kind::kSoftplus:
      return std::log1p(std::exp(x));
  }
  return x;
}

void MatVecAccumulate(const double* m, const double* v, int64_t rows, int64_t cols, double* y) {
  for (int64_t j = 0; j < rows; ++j) {
    double acc = 0;
    const double* row = m + j * cols;
    for (int64_t i = 0; i < cols; ++i) acc += row[i] * v[i];
    y[j] += acc;
  }
}

Result<RnnAttrs> ParseRnnAttrs(const KernelInfo& info, const std::vector<std::string>& defaults) {
  RnnAttrs a;
  const std::string dir = info.GetString("direction", "forward");
  if (dir == "forward") {
    a.direction = RnnAttrs::Direction::kForward;
  } else if (dir == "reverse") {
    a.direction = RnnAttrs::Direction::kReverse;
  } else if (dir == "bidirectional") {
    a.direction = RnnAttrs::Direction::kBidirectional;
  } else {
    return info.Error("attribute 'direction' is '" + dir + "'; expected forward, reverse or bidirectional");
  }
  a.hidden_size = info.GetInt("hidden_size", 0);
  if (a.hidden_size < 0) return info.Error("attribute 'hidden_size' must be positive");
  if (info.HasAttribute("clip")) {
    a.clip = info.GetFloat("clip", 0);
    if (!(a.clip > 0)) return info.Error("attribute 'clip' must be positive");
  }
  a.layout = info.opset() >= 14 ? info.GetInt("layout", 0) : 0;
  if (a.layout != 0 && a.layout != 1) return info.Error("attribute 'layout' must be 0 or 1");

  const size_t per_dir = defaults.size();
  const size_t dirs = static_cast<size_t>(a.num_directions());
  std::vector<std::string> names = info.GetStrings("activations");
  if (names.empty()) {
    for (size_t d = 0; d < dirs; ++d) names.insert(names.end(), defaults.begin(), defaults.end());
  } else if (names.size() == per_dir && dirs == 2) {
    const std::vector<std::string> one_set = names;  // one set given: use it for both directions
    names.insert(names.end(), one_set.begin(), one_set.end());
  }
  if (names.size() != per_dir * dirs)
    return info.Error("attribute 'activations' has " + std::to_string(names.size()) + " names, expected " +
                      std::to_string(per_dir * dirs) + " (" + std::to_string(per_dir) + " per direction)");
  const std::vector<float> alphas = info.GetFloats("activation_alpha");
  const std::vector<float> betas = info.GetFloats("activation_beta");
  size_t next_alpha = 0, next_beta = 0;
  for (const std::string& name : names) {
    const ActivationSpec* spec = nullptr;
    for (const auto& s : kActivations)
      if (name == s.name) spec = &s;
    if (spec == nullptr) return info.Error("unknown activation '" + name + "'");
    RnnActivation act{spec->kind, spec->alpha, spec->beta};
    if (spec->uses_alpha && next_alpha < alphas.size()) act.alpha = alphas[next_alpha++];
    if (spec->uses_beta && next_beta < betas.size()) act.beta = betas[next_beta++];
    a.activations.push_back(act);
  }
  return a;
}

Result<RnnProblem> ReadRnnInputs(const KernelContext& ctx, const RnnAttrs& attrs, int64_t gates, bool lstm,
                                 const std::string& where) {
  auto in = [&](int i) { return ctx.num_inputs() > i ? ctx.input(i) : nullptr; };
  const Tensor* x = in(0);
  const Tensor* w = in(1);
  const Tensor* r = in(2);
  if (x == nullptr || w == nullptr || r == nullptr) return InvalidArgument(where + ": needs inputs X, W and R");
  RnnProblem p;
  p.dtype = x->dtype();
  if (p.dtype != DType::kFloat32 && p.dtype != DType::kFloat64 && p.dtype != DType::kFloat16)
    return UnsupportedType(where, p.dtype, "X");
  for (int i = 1; i < ctx.num_inputs(); ++i)
    if (i != 4 && in(i) != nullptr && in(i)->dtype() != p.dtype)
      return InvalidArgument(where + ": input " + std::to_string(i) + " has type " +
                             std::string(DTypeOnnxName(in(i)->dtype())) + " but X is " +
                             std::string(DTypeOnnxName(p.dtype)));
  if (x->rank() != 3)
    return InvalidArgument(where + ": input X has shape " + ShapeToString(x->shape()) + "; expected rank 3");
  if (w->rank() != 3 || r->rank() != 3)
    return InvalidArgument(where + ": W " + ShapeToString(w->shape()) + " and R " + ShapeToString(r->shape()) +
                           " must have rank 3");
  p.dirs = attrs.num_directions();
  p.gates = gates;
  p.seq = attrs.layout == 0 ? x->dim(0) : x->dim(1);
  p.batch = attrs.layout == 0 ? x->dim(1) : x->dim(0);
  p.input = x->dim(2);
  p.hidden = attrs.hidden_size > 0 ? attrs.hidden_size : r->dim(2);
  if (p.hidden <= 0) return InvalidArgument(where + ": hidden size must be positive");
  const int64_t gh = gates * p.hidden;
  RETURN_IF_ERROR(CheckShape(*w, {p.dirs, gh, p.input}, where, "W"));
  RETURN_IF_ERROR(CheckShape(*r, {p.dirs, gh, p.hidden}, where, "R"));
  p.x = ToDoubles(*x);
  if (attrs.layout == 1) p.x = SwapLeading(p.x, p.batch, p.seq, p.input);
  p.w = ToDoubles(*w);
  p.r = ToDoubles(*r);
  if (const Tensor* b = in(3)) {
    RETURN_IF_ERROR(CheckShape(*b, {p.dirs, 2 * gh}, where, "B"));
    p.b = ToDoubles(*b);
  } else {
    p.b.assign(static_cast<size_t>(p.dirs * 2 * gh), 0.0);
  }
  p.lens.assign(static_cast<size_t>(p.batch), p.seq);
  if (const Tensor* lens = in(4)) {
    if (lens->rank() != 1 || lens->dim(0) != p.batch)
      return InvalidArgument(where + ": sequence_lens has shape " + ShapeToString(lens->shape()) + ", expected [" +
                             std::to_string(p.batch) + "]");
    ASSIGN_OR_RETURN(p.lens, ReadInts(*lens, where + " sequence_lens"));
    for (int64_t v : p.lens)
      if (v < 0 || v > p.seq)
        return InvalidArgument(where + ": sequence_lens value " + std::to_string(v) + " is outside [0, " +
                               std::to_string(p.seq) + "]");
  }
  const Shape state_shape = attrs.layout == 0 ? Shape{p.dirs, p.batch, p.hidden} : Shape{p.batch, p.dirs, p.hidden};
  auto read_state = [&](int i, const char* name, std::vector<double>* out) -> Status {
    if (const Tensor* t = in(i)) {
      RETURN_IF_ERROR(CheckShape(*t, state_shape, where, name));
      *out = ToDoubles(*t);
      if (attrs.layout == 1) *out = SwapLeading(*out, p.batch, p.dirs, p.hidden);
    } else {
      out->assign(static_cast<size_t>(p.dirs * p.batch * p.hidden), 0.0);
    }
    return Status::Ok();
  };
  RETURN_IF_ERROR(read_state(5, "initial_h", &p.h0));
  if (lstm) {
    RETURN_IF_ERROR(read_state(6, "initial_c", &p.c0));
    if (const Tensor* peep = in(7)) {
      RETURN_IF_ERROR(CheckShape(*peep, {p.dirs, 3 * p.hidden}, where, "P"));
      p.p = ToDoubles(*peep);
    } else {
      p.p.assign(static_cast<size_t>(p.dirs * 3 * p.hidden), 0.0);
    }
  }
  return p;
}

Status RunRecurrence(KernelContext& ctx, const RnnAttrs& attrs, const RnnProblem& p, bool lstm, const RnnCell& cell) {
  const int64_t H = p.hidden;
  std::vector<double> y(static_cast<size_t>(p.seq * p.dirs * p.batch * H), 0.0);  // [seq, dirs, batch, H]
  std::vector<double> h = p.h0, c = p.c0;                                         // [dirs, batch, H]
  for (int64_t d = 0; d < p.dirs; ++d) {
    const bool reverse = attrs.direction == RnnAttrs::Direction::kReverse || d == 1;
    for (int64_t b = 0; b < p.batch; ++b) {
      const int64_t len = p.lens[static_cast<size_t>(b)];
      double* hb = h.data() + (d * p.batch + b) * H;
      double* cb = lstm ? c.data() + (d * p.batch + b) * H : nullptr;
      for (int64_t s = 0; s < len; ++s) {
        const int64_t t = reverse ? len - 1 - s : s;
        cell(d, p.x.data() + (t * p.batch + b) * p.input, hb, cb);
        std::copy(hb, hb + H, y.begin() + ((t * p.dirs + d) * p.batch + b) * H);
      }
    }
  }
  const bool batch_first = attrs.layout == 1;
  if (batch_first) {
    // [seq, dirs, batch, H] -> [batch, seq, dirs, H]
    std::vector<double> yt(y.size());
    for (int64_t t = 0; t < p.seq; ++t)
      for (int64_t d = 0; d < p.dirs; ++d)
        for (int64_t b = 0; b < p.batch; ++b)
          std::copy_n(y.begin() + ((t * p.dirs + d) * p.batch + b) * H, H,
                      yt.begin() + ((b * p.seq + t) * p.dirs + d) * H);
    y.swap(yt);
    h = SwapLeading(h, p.dirs, p.batch, H);
    if (lstm) c = SwapLeading(c, p.dirs, p.batch, H);
  }
  const Shape y_shape = batch_first ? Shape{p.batch, p.seq, p.dirs, H} : Shape{p.seq, p.dirs, p.batch, H};
  const Shape state_shape = batch_first ? Shape{p.batch, p.dirs, H} : Shape{p.dirs, p.batch, H};
  RETURN_IF_ERROR(WriteOutput(ctx, 0, p.dtype, y_shape, y));
  RETURN_IF_ERROR(WriteOutput(ctx, 1, p.dtype, state_shape, h));
  if (lstm) RETURN_IF_ERROR(WriteOutput(ctx, 2, p.dtype, state_shape, c));
  return Status::Ok();
}

}  // namespace inferd::ref
