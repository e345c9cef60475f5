// Activations fused into Conv / Gemm / MatMul by the optimizer.
//
// A fusion pass that folds "X -> Relu" (or Clip, Sigmoid, ...) into the
// producing Conv/Gemm/MatMul records the activation on that node as internal
// attributes:
//   "_activation"        string: "Relu", "Clip", "Sigmoid", "Tanh", "LeakyRelu",
//                        "HardSigmoid", "Elu", "HardSwish", "Selu", "Softplus",
//                        "Softsign", "ThresholdedRelu"
//   "_activation_alpha"  float, the activation's first parameter
//   "_activation_beta"   float, its second parameter
// Parameter meaning per activation (defaults are the ONNX attribute defaults):
//   Clip             alpha = min (-inf), beta = max (+inf)
//   LeakyRelu        alpha (0.01)
//   HardSigmoid      alpha (0.2), beta (0.5): max(0, min(1, alpha*x + beta))
//   Elu              alpha (1.0)
//   Selu             alpha (1.67326...), beta = gamma (1.0507...)
//   ThresholdedRelu  alpha (1.0)
// Kernels parse once in their factory (ParseFusedActivation) and apply the
// activation to their output in place after computing it. Thread-safe: the
// parsed FusedActivation is an immutable value.
#pragma once

#include <cstdint>
#include <string>

#include "common/status.h"
#include "engine/kernels/kernel.h"

namespace inferd::ref {

enum class ActivationKind {
  kNone,
  kRelu,
  kClip,
  kSigmoid,
  kTanh,
  kLeakyRelu,
  kHardSigmoid,
  kElu,
  kHardSwish,
  kSelu,
  kSoftplus,
  kSoftsign,
  kThresholdedRelu,
};

struct FusedActivation {
  ActivationKind kind = ActivationKind::kNone;
  float alpha = 0.0f;
  float beta = 0.0f;
  std::string name;  // the op name as given ("Relu"), empty for none

  bool active() const { return kind != ActivationKind::kNone; }
};

// Reads "_activation", "_activation_alpha" and "_activation_beta" from the
// node. No "_activation" attribute (or an empty string) -> kind kNone. An
// activation this helper does not know -> UNIMPLEMENTED naming it (so the
// engine can try another kernel); a Clip with min > max -> INVALID_ARGUMENT.
Result<FusedActivation> ParseFusedActivation(const KernelInfo& info);

// Applies `act` to n contiguous values in place (no-op for kNone).
void ApplyActivationInPlace(float* data, int64_t n, const FusedActivation& act);
void ApplyActivationInPlace(double* data, int64_t n, const FusedActivation& act);

}  // namespace inferd::ref
