// Shared plumbing for the oneDNN (provider "dnnl") kernels.
//
// What lives here: the one process-wide CPU engine, plain memory descriptors,
// turning oneDNN exceptions into Status, prepacked weights, the fused
// activation attributes set by the fusion pass, the per-node run state (a
// stream, a small per-shape cache of primitives) and the reference fallback.
//
// Threads: a kernel is immutable after its factory ran and may be run from
// many threads at once; everything mutable (streams, primitives, scratch
// memories) lives in a DnnlState owned by one RunContext. oneDNN's own
// parallelism is OpenMP; the runtime sets the team size before each run.
//
// Fallback: a dnnl factory accepts a node only when it can probably run it,
// but some facts are known only at run time (dtypes of intermediates, shapes
// oneDNN rejects). For those runs the kernel delegates to the reference
// kernel it built at load (RefFallback), with its own state slot.
#pragma once

#include <oneapi/dnnl/dnnl.hpp>

#include <cstdint>
#include <list>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"
#include "common/tensor.h"
#include "engine/kernels/kernel.h"

namespace inferd::onednn {

// The CPU engine shared by every dnnl kernel in the process.
const dnnl::engine& CpuEngine();

dnnl::memory::dims ToDims(const Shape& shape);
// Row-major f32 descriptor for `dims` (any rank 1..12).
dnnl::memory::desc PlainDesc(const dnnl::memory::dims& dims);
// A memory object over existing data (no copy; oneDNN wants a non-const pointer
// even for inputs it only reads).
dnnl::memory WrapMemory(const dnnl::memory::desc& desc, const void* data);

// Runs `fn` (returning Status), turning a oneDNN or std exception into an
// INTERNAL status naming `what`: exceptions never leave a kernel.
template <class Fn>
Status Guard(std::string_view what, Fn&& fn) {
  try {
    return fn();
  } catch (const dnnl::error& e) {
    return Internal(std::string(what) + ": oneDNN: " + e.what());
  } catch (const std::exception& e) {
    return Internal(std::string(what) + ": " + e.what());
  }
}

// Weights reordered once into the layout a primitive asked for. Immutable
// after creation; shared by every run of the kernel (oneDNN only reads it).
class PackedWeights {
 public:
  PackedWeights() = default;
  // Reorders `data` (laid out as `from`) into a new buffer laid out as `to`.
  static Result<PackedWeights> Pack(const dnnl::memory::desc& from, const void* data, const dnnl::memory::desc& to);
  bool defined() const { return storage_ != nullptr; }
  const dnnl::memory::desc& desc() const { return desc_; }
  // A fresh memory object over the packed buffer (one per cached primitive, so
  // no memory object is shared between threads).
  dnnl::memory Memory() const { return WrapMemory(desc_, storage_->data()); }

 private:
  dnnl::memory::desc desc_;
  std::shared_ptr<Storage> storage_;
};

// The weights in layout `want`: the packed buffer when its layout matches,
// else a new copy reordered from it (a primitive for another shape may pick
// another layout than the one packed at load).
Result<dnnl::memory> WeightsFor(const dnnl::memory::desc& want, const PackedWeights& packed);

// ---------------------------------------------------------------- activation

// An activation fused into a Conv/Gemm/MatMul by the fusion pass, from the
// node's "_activation", "_activation_alpha", "_activation_beta" attributes,
// or the activation of a standalone elementwise kernel.
struct Activation {
  enum class Kind { kNone, kRelu, kLeakyRelu, kClip, kSigmoid, kTanh, kElu, kHardSigmoid, kHardSwish, kSelu, kSoftplus };
  Kind kind = Kind::kNone;
  float alpha = 0;  // LeakyRelu slope, Clip min, Elu/Selu/HardSigmoid alpha
  float beta = 0;   // Clip max, HardSigmoid beta, Selu gamma
  bool none() const { return kind == Kind::kNone; }
};

// Parses the fused-activation attributes (with ref::ParseFusedActivation, see
// kernels/ref/fused_activation.h). None: kNone. One oneDNN cannot express
// (Softsign, ThresholdedRelu, Clip with min > max): UNIMPLEMENTED, so the
// node goes to the reference kernel.
Result<Activation> ParseFusedActivation(const KernelInfo& info);
// Activation named like the ONNX op ("Relu", "Clip", ...) with its parameters.
Result<Activation> MakeActivation(std::string_view name, float alpha, float beta);

// The activation as a sequence of oneDNN eltwise steps (HardSigmoid is
// linear then clip: 2.6 has no hardsigmoid algorithm; Selu is elu then
// linear).
struct EltwiseStep {
  dnnl::algorithm alg;
  float alpha;
  float beta;
};
std::vector<EltwiseStep> EltwiseSteps(const Activation& act);
void AppendActivation(dnnl::post_ops& ops, const Activation& act);
// Scalar form, for the few paths that finish an output by hand.
float ApplyActivation(const Activation& act, float x);

// ---------------------------------------------------------------- run state

// A small LRU map from a shape-like key to a cached plan. Few distinct shapes
// are expected per node; the bound keeps a stream of varying shapes from
// growing memory without limit.
template <class Plan>
class PlanCache {
 public:
  using Key = std::vector<int64_t>;
  static constexpr size_t kCapacity = 8;

  Plan* Find(const Key& key) {
    for (auto it = entries_.begin(); it != entries_.end(); ++it) {
      if (it->first == key) {
        if (it != entries_.begin()) entries_.splice(entries_.begin(), entries_, it);
        return &entries_.front().second;
      }
    }
    return nullptr;
  }
  Plan& Insert(Key key, Plan plan) {
    if (entries_.size() >= kCapacity) entries_.pop_back();
    entries_.emplace_front(std::move(key), std::move(plan));
    return entries_.front().second;
  }

 private:
  std::list<std::pair<Key, Plan>> entries_;
};

// Per-node, per-RunContext state of a dnnl kernel.
class DnnlState : public KernelState {
 public:
  DnnlState() : stream_(CpuEngine()) {}
  dnnl::stream& stream() { return stream_; }
  std::unique_ptr<KernelState>& fallback_state() { return fallback_state_; }

 private:
  dnnl::stream stream_;
  std::unique_ptr<KernelState> fallback_state_;
};

// The node's state as a DnnlState subclass `S` (created on first use).
template <class S>
S& StateOf(KernelContext& ctx) {
  return *static_cast<S*>(ctx.state([] { return std::make_unique<S>(); }));
}

// The reference kernel for the same node, built at load, used for runs the
// oneDNN path cannot take. Empty when no reference kernel accepts the node.
// It is built from a copy of the node without the fusion pass's internal
// attributes ("_activation"...) and without the "_sum_input" input, which the
// reference kernels do not know; the caller finishes those with FinishFused.
class RefFallback {
 public:
  static RefFallback Create(const KernelInfo& info);
  bool available() const { return kernel_ != nullptr; }
  // Runs the reference kernel; without one, fails with `why`. `out0` (if not
  // null) receives output 0 as the reference kernel allocated it.
  Status Run(KernelContext& ctx, std::unique_ptr<KernelState>& slot, const Status& why,
             Tensor** out0 = nullptr) const;

 private:
  std::shared_ptr<const Node> node_;  // the stripped copy the kernel was built for
  std::shared_ptr<const Kernel> kernel_;
  std::vector<int> input_map_;  // fallback input i = node input input_map_[i]
};

// Reads the "_sum_input" attribute: index of the extra input added to the
// output before the activation, or -1. Errors if it names no input.
Result<int> ParseSumInput(const KernelInfo& info);

// out = act(out + sum) in place, `sum` broadcast to out's shape (sum may be
// null). Errors name the node (`what`) on a dtype or shape mismatch.
Status FinishFused(const std::string& what, Tensor& out, const Tensor* sum, const Activation& act);

// Load-time dtype check: each listed input must be FP32 or not yet known
// (intermediates often have no declared type). Anything else: UNIMPLEMENTED.
Status AcceptFloatInputs(const KernelInfo& info, std::initializer_list<int> inputs);

// When INFERD_DNNL_VERBOSE is set (non-empty, not "0"), prints one line per
// primitive created: kernel, node, shape and oneDNN's implementation string.
// `node` is Node::Describe().
void LogPrimitive(std::string_view kernel, const std::string& node, const Shape& shape,
                  const dnnl::primitive_desc_base& pd);
// Same switch, for runs that took the reference fallback.
void LogFallback(std::string_view kernel, const std::string& node, const Status& why);

}  // namespace inferd::onednn
