// Channel-blocked tensors between oneDNN ops.
//
// The layout pass (passes/layout_assignment.h) marks regions of consecutive
// ops that keep activations in oneDNN's channel-blocked layout (nChw8c, or
// nChw16c with AVX-512) and inserts explicit reorder nodes at their edges. A
// blocked tensor is an ordinary FP32 Tensor whose shape is its physical one,
// [N, C/b, H, W, b]: its shape and element count describe its bytes exactly,
// so the runtime's buffer handling, the profiler and element-wise kernels
// stay correct on it. Only channel counts divisible by b are blocked, so
// there is no padding. Which inputs and outputs of a node are blocked is
// carried by internal node attributes the pass sets:
//   "_layout_block" (int, b), "_layout_src" (1: data inputs are blocked),
//   "_layout_dst" (1: output 0 is blocked; a fused "_sum_input" too).
//
// Threads: everything here is stateless or immutable after construction.
#pragma once

#include <cstdint>
#include <memory>
#include <oneapi/dnnl/dnnl.hpp>
#include <vector>

#include "common/status.h"
#include "common/tensor.h"
#include "engine/kernels/internal_ops.h"
#include "engine/kernels/kernel.h"

namespace inferd::onednn {

// The channel block oneDNN's fast kernels use on this CPU: 16 with AVX-512,
// else 8.
int PreferredChannelBlock();

// A node's layout as the pass set it (all zero for nodes outside a region).
struct NodeLayout {
  int block = 0;
  bool src = false;  // the data input(s) arrive blocked
  bool dst = false;  // output 0 (and a fused sum input) is blocked
  bool any() const { return src || dst; }
};
// Reads the "_layout_*" attributes; errors on a block other than 8 or 16.
Result<NodeLayout> ParseNodeLayout(const KernelInfo& info);

// [N, C, H, W] -> [N, C/b, H, W, b]; errors unless rank 4 and b divides C.
Result<Shape> BlockedShape(const Shape& logical, int block);
// [N, C/b, H, W, b] -> [N, C, H, W]; errors unless rank 5 with last dim b.
Result<Shape> LogicalShape(const Shape& blocked, int block);
// oneDNN descriptor of a blocked tensor with logical dims [N, C, H, W].
dnnl::memory::desc BlockedDesc(const Shape& logical, int block);

// Plain loops (the oracle for the reorder kernels, and the fallback path).
void BlockChannels(const float* plain, float* blocked, const Shape& logical, int block);
void UnblockChannels(const float* blocked, float* plain, const Shape& logical, int block);

// Presents a node's blocked inputs to a plain-layout kernel as plain copies
// and collects its output 0 in plain layout; Commit() then writes that output
// into the real, blocked output. Slow (copies): for the rare runs a blocked
// region op cannot take its oneDNN path.
class PlainLayoutContext final : public KernelContext {
 public:
  // `blocked_inputs[i]`: input i arrives blocked.
  PlainLayoutContext(KernelContext& base, std::vector<bool> blocked_inputs, bool dst_blocked, int block);
  int num_inputs() const override { return base_.num_inputs(); }
  int num_outputs() const override { return base_.num_outputs(); }
  const Tensor* input(int i) const override;
  Result<Tensor*> Output(int i, DType dtype, Shape shape) override;
  void SetOutput(int i, Tensor t) override;
  bool output_wanted(int i) const override { return base_.output_wanted(i); }
  KernelState* state(const std::function<std::unique_ptr<KernelState>()>& make) override { return base_.state(make); }
  int num_threads() const override { return base_.num_threads(); }
  // Status of converting the inputs (input() returns nullptr on failure).
  Status status() const { return status_; }
  // The plain output 0 as the kernel produced it (null before).
  Tensor* plain_output() { return out_.defined() ? &out_ : nullptr; }
  // Writes the plain output 0 into the base context (blocked if asked).
  Status Commit();

 private:
  KernelContext& base_;
  std::vector<bool> blocked_inputs_;
  bool dst_blocked_;
  int block_;
  mutable std::vector<Tensor> plain_inputs_;
  mutable Status status_;
  Tensor out_;
  bool out_is_base_ = false;  // output 0 went straight to the base context
};

// For a node the layout pass put in a region whose oneDNN factory declined
// it: a kernel that runs the reference kernel on plain copies (through
// PlainLayoutContext) and applies any fused sum and activation, so a blocked
// region never hands blocked data to a kernel that cannot read it.
Result<std::unique_ptr<Kernel>> MakeBlockedRefKernel(const KernelInfo& info);
// Wraps a dnnl factory: when it declines (UNIMPLEMENTED) a node carrying a
// blocked layout, MakeBlockedRefKernel takes the node instead.
KernelFactory LayoutAware(KernelFactory factory);

}  // namespace inferd::onednn
