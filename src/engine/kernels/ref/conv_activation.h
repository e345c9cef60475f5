// The activation an optimizer pass fused into a Conv through the internal
// attributes "_activation" (Relu, Clip, Sigmoid, LeakyRelu, HardSigmoid,
// Tanh), "_activation_alpha" and "_activation_beta". Parsed once at load;
// applied in place to the Conv's output.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>

#include "engine/kernels/kernel.h"

namespace inferd::ref {

class FusedActivation {
 public:
  enum class Kind { kNone, kRelu, kClip, kSigmoid, kLeakyRelu, kHardSigmoid, kTanh };

  FusedActivation() = default;
  FusedActivation(Kind kind, float alpha, float beta) : kind_(kind), alpha_(alpha), beta_(beta) {}
  Kind kind() const { return kind_; }

  template <class T>
  void ApplyInPlace(T* data, int64_t n) const {
    const T a = static_cast<T>(alpha_), b = static_cast<T>(beta_);
    switch (kind_) {
      case Kind::kNone: return;
      case Kind::kRelu:
        for (int64_t i = 0; i < n; ++i) data[i] = data[i] > T{0} ? data[i] : T{0};
        return;
      case Kind::kClip:  // alpha = min, beta = max
        for (int64_t i = 0; i < n; ++i) data[i] = std::min(std::max(data[i], a), b);
        return;
      case Kind::kSigmoid:
        for (int64_t i = 0; i < n; ++i) data[i] = T{1} / (T{1} + std::exp(-data[i]));
        return;
      case Kind::kLeakyRelu:
        for (int64_t i = 0; i < n; ++i) data[i] = data[i] >= T{0} ? data[i] : data[i] * a;
        return;
      case Kind::kHardSigmoid:
        for (int64_t i = 0; i < n; ++i) data[i] = std::max(T{0}, std::min(T{1}, a * data[i] + b));
        return;
      case Kind::kTanh:
        for (int64_t i = 0; i < n; ++i) data[i] = std::tanh(data[i]);
        return;
    }
  }

 private:
  Kind kind_ = Kind::kNone;
  float alpha_ = 0;
  float beta_ = 0;
};

// Reads the "_activation*" attributes; an unknown name is an error.
inline Result<FusedActivation> ParseFusedActivation(const KernelInfo& info) {
  using Kind = FusedActivation::Kind;
  const std::string name = info.GetString("_activation", "");
  if (name.empty()) return FusedActivation();
  const bool has_alpha = info.HasAttribute("_activation_alpha"), has_beta = info.HasAttribute("_activation_beta");
  const float alpha = info.GetFloat("_activation_alpha", 0), beta = info.GetFloat("_activation_beta", 0);
  if (name == "Relu") return FusedActivation(Kind::kRelu, 0, 0);
  if (name == "Tanh") return FusedActivation(Kind::kTanh, 0, 0);
  if (name == "Sigmoid") return FusedActivation(Kind::kSigmoid, 0, 0);
  if (name == "LeakyRelu") return FusedActivation(Kind::kLeakyRelu, has_alpha ? alpha : 0.01f, 0);
  if (name == "HardSigmoid") return FusedActivation(Kind::kHardSigmoid, has_alpha ? alpha : 0.2f, has_beta ? beta : 0.5f);
  if (name == "Clip")
    return FusedActivation(Kind::kClip, has_alpha ? alpha : -INFINITY, has_beta ? beta : INFINITY);
  return info.Error("unknown fused activation '" + name + "'");
}

}  // namespace inferd::ref
