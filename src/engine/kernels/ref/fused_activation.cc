#include "engine/kernels/ref/fused_activation.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace inferd::ref {
namespace {

struct ActivationSpec {
  const char* name;
  ActivationKind kind;
  float default_alpha;
  float default_beta;
};

constexpr float kInf = std::numeric_limits<float>::infinity();

constexpr ActivationSpec kSpecs[] = {
    {"Relu", ActivationKind::kRelu, 0.0f, 0.0f},
    {"Clip", ActivationKind::kClip, -kInf, kInf},
    {"Sigmoid", ActivationKind::kSigmoid, 0.0f, 0.0f},
    {"Tanh", ActivationKind::kTanh, 0.0f, 0.0f},
    {"LeakyRelu", ActivationKind::kLeakyRelu, 0.01f, 0.0f},
    {"HardSigmoid", ActivationKind::kHardSigmoid, 0.2f, 0.5f},
    {"Elu", ActivationKind::kElu, 1.0f, 0.0f},
    {"HardSwish", ActivationKind::kHardSwish, 0.0f, 0.0f},
    {"Selu", ActivationKind::kSelu, 1.67326319217681884765625f, 1.05070102214813232421875f},
    {"Softplus", ActivationKind::kSoftplus, 0.0f, 0.0f},
    {"Softsign", ActivationKind::kSoftsign, 0.0f, 0.0f},
    {"ThresholdedRelu", ActivationKind::kThresholdedRelu, 1.0f, 0.0f},
};

template <class T>
void Apply(T* x, int64_t n, const FusedActivation& act) {
  const T a = static_cast<T>(act.alpha);
  const T b = static_cast<T>(act.beta);
  switch (act.kind) {
    case ActivationKind::kNone:
      return;
    case ActivationKind::kRelu:
      for (int64_t i = 0; i < n; ++i) x[i] = x[i] > T(0) ? x[i] : T(0);
      return;
    case ActivationKind::kClip:
      for (int64_t i = 0; i < n; ++i) x[i] = std::min(std::max(x[i], a), b);
      return;
    case ActivationKind::kSigmoid:
      for (int64_t i = 0; i < n; ++i) x[i] = T(1) / (T(1) + std::exp(-x[i]));
      return;
    case ActivationKind::kTanh:
      for (int64_t i = 0; i < n; ++i) x[i] = std::tanh(x[i]);
      return;
    case ActivationKind::kLeakyRelu:
      for (int64_t i = 0; i < n; ++i) x[i] = x[i] >= T(0) ? x[i] : a * x[i];
      return;
    case ActivationKind::kHardSigmoid:
      for (int64_t i = 0; i < n; ++i) x[i] = std::max(T(0), std::min(T(1), a * x[i] + b));
      return;
    case ActivationKind::kElu:
      for (int64_t i = 0; i < n; ++i) x[i] = x[i] >= T(0) ? x[i] : a * (std::exp(x[i]) - T(1));
      return;
    case ActivationKind::kHardSwish:
      for (int64_t i = 0; i < n; ++i) x[i] = x[i] * std::max(T(0), std::min(T(1), x[i] / T(6) + T(0.5)));
      return;
    case ActivationKind::kSelu:
      for (int64_t i = 0; i < n; ++i) x[i] = x[i] > T(0) ? b * x[i] : b * a * (std::exp(x[i]) - T(1));
      return;
    case ActivationKind::kSoftplus:
      // log(1 + e^x) without overflow for large x.
      for (int64_t i = 0; i < n; ++i)
        x[i] = x[i] > T(0) ? x[i] + std::log1p(std::exp(-x[i])) : std::log1p(std::exp(x[i]));
      return;
    case ActivationKind::kSoftsign:
      for (int64_t i = 0; i < n; ++i) x[i] = x[i] / (T(1) + std::abs(x[i]));
      return;
    case ActivationKind::kThresholdedRelu:
      for (int64_t i = 0; i < n; ++i) x[i] = x[i] > a ? x[i] : T(0);
      return;
  }
}

}  // namespace

Result<FusedActivation> ParseFusedActivation(const KernelInfo& info) {
  FusedActivation act;
  act.name = info.GetString("_activation", "");
  if (act.name.empty()) return act;
  for (const ActivationSpec& s : kSpecs) {
    if (act.name != s.name) continue;
    act.kind = s.kind;
    act.alpha = info.GetFloat("_activation_alpha", s.default_alpha);
    act.beta = info.GetFloat("_activation_beta", s.default_beta);
    if (act.kind == ActivationKind::kClip && act.alpha > act.beta)
      return info.Error("fused Clip has min " + std::to_string(act.alpha) + " > max " + std::to_string(act.beta));
    return act;
  }
  return Unimplemented(info.node().Describe() + ": fused activation '" + act.name + "' is not supported");
}

void ApplyActivationInPlace(float* data, int64_t n, const FusedActivation& act) { Apply(data, n, act); }
void ApplyActivationInPlace(double* data, int64_t n, const FusedActivation& act) { Apply(data, n, act); }

}  // namespace inferd::ref
