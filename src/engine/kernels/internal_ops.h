// Internal operators: nodes the optimizer creates from recognised subgraphs.
//
// They live in their own domain so they never collide with ONNX ops of the
// same name at another opset (the transformer fixtures are opset 14, before
// ai.onnx LayerNormalization exists). Each has a reference kernel (the
// oracle, provider "ref") and a fast one. Not part of any model format: a
// saved model never contains them.
//
//   inferd.LayerNormalization(X, Scale, B?, Skip?) -> Y
//       attrs: axis (int, default -1), epsilon (float, default 1e-5).
//       As ai.onnx LayerNormalization-17 with one output: normalise over the
//       dims [axis, rank); Scale and B have the normalised shape (or
//       broadcast to it). With Skip, what is normalised is X + Skip (with
//       broadcasting): a transformer's residual Add folded in.
//   inferd.Gelu(X) -> Y
//       attr approximate: "none" (0.5 x (1 + erf(x / sqrt 2))) or "tanh".
//   inferd.FusedMatMul(A, B, Bias) -> Y
//       Y = act(A @ B + Bias), B a 2-D [K, N] constant, Bias [N]; the
//       activation in the "_activation*" attributes (see
//       kernels/ref/fused_activation.h).
//   inferd.TransposedMatMul(A, B) -> Y
//       attrs perm_a, perm_b, perm_y (ints, each a permutation of [0, 1, 2];
//       absent = identity): Y = Transpose(MatMul(Transpose(A, perm_a),
//       Transpose(B, perm_b)), perm_y), A and B of rank 3 (batch dims
//       broadcast when one is 1). Attention's transposes folded into its
//       products (ref/transposed_matmul.h).
//   inferd.ToBlockedLayout(X) -> Y, inferd.ToPlainLayout(X) -> Y
//       attr block (8 or 16): the reorders the layout pass inserts at the
//       edges of a channel-blocked region (kernels/dnnl/layout.h); dnnl only.
#pragma once

#include <string_view>

namespace inferd {

inline constexpr std::string_view kInternalDomain = "inferd";

}  // namespace inferd
