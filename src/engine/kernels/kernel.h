// Kernel API: how an operator implementation plugs into the engine.
//
// One op = one kernel file + one local registration + one test. A kernel file
// registers a factory with INFERD_REGISTER_KERNEL; the engine picks, for each
// node, the highest-priority registration whose (domain, op, opset range)
// matches and whose factory accepts the node. A factory that does not handle a
// node (say, a oneDNN Conv factory given an int64 Conv) returns an
// UNIMPLEMENTED status and the next registration is tried; the reference
// kernels (priority 0) are the last resort and the test oracle.
//
// Lifetimes and threads: the factory runs once at model load and may parse
// attributes, prepack constant weights, and build anything shape-independent.
// The Kernel it returns is owned by the immutable CompiledModel and Run() may
// be called from many threads at once, so Run() must not mutate the kernel;
// per-run mutable state (caches keyed by shape, scratch) lives in a
// KernelState that the RunContext owns for this node (see KernelContext::state).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "common/tensor.h"
#include "engine/ir/graph.h"

namespace inferd {

// Everything a factory may look at, at load time.
class KernelInfo {
 public:
  KernelInfo(const Node& node, int64_t opset, std::vector<const Tensor*> constant_inputs,
             std::vector<DType> input_dtypes, int num_threads)
      : node_(node), opset_(opset), constant_inputs_(std::move(constant_inputs)),
        input_dtypes_(std::move(input_dtypes)), num_threads_(num_threads) {}

  const Node& node() const { return node_; }
  const std::string& op_type() const { return node_.op_type; }
  // Opset version of the node's domain in this model.
  int64_t opset() const { return opset_; }
  int num_inputs() const { return static_cast<int>(node_.inputs.size()); }
  int num_outputs() const { return static_cast<int>(node_.outputs.size()); }
  // True if input i exists (not omitted with an empty name).
  bool has_input(int i) const { return i < num_inputs() && !node_.inputs[static_cast<size_t>(i)].empty(); }
  bool has_output(int i) const { return i < num_outputs() && !node_.outputs[static_cast<size_t>(i)].empty(); }
  // The value of input i if it is a constant (initializer), else nullptr.
  const Tensor* constant_input(int i) const {
    return i < static_cast<int>(constant_inputs_.size()) ? constant_inputs_[static_cast<size_t>(i)] : nullptr;
  }
  // Declared dtype of input i, or kUndefined when not known at load.
  DType input_dtype(int i) const {
    return i < static_cast<int>(input_dtypes_.size()) ? input_dtypes_[static_cast<size_t>(i)] : DType::kUndefined;
  }
  int num_threads() const { return num_threads_; }

  bool HasAttribute(const std::string& key) const { return node_.FindAttribute(key) != nullptr; }
  int64_t GetInt(const std::string& key, int64_t def) const;
  float GetFloat(const std::string& key, float def) const;
  std::string GetString(const std::string& key, const std::string& def) const;
  std::vector<int64_t> GetInts(const std::string& key, const std::vector<int64_t>& def = {}) const;
  std::vector<float> GetFloats(const std::string& key, const std::vector<float>& def = {}) const;
  std::vector<std::string> GetStrings(const std::string& key, const std::vector<std::string>& def = {}) const;
  const Tensor* GetTensor(const std::string& key) const;
  // A required attribute that is missing or of the wrong type -> clear error.
  Result<int64_t> RequireInt(const std::string& key) const;
  Result<std::vector<int64_t>> RequireInts(const std::string& key) const;

  // An error naming the node: "Conv (node 'conv1'): <message>".
  Status Error(const std::string& message) const { return InvalidArgument(node_.Describe() + ": " + message); }

 private:
  const Node& node_;
  int64_t opset_;
  std::vector<const Tensor*> constant_inputs_;
  std::vector<DType> input_dtypes_;
  int num_threads_;
};

// Per-node, per-RunContext mutable state (e.g. oneDNN primitives per shape).
class KernelState {
 public:
  virtual ~KernelState() = default;
};

// What a kernel sees while running.
class KernelContext {
 public:
  virtual ~KernelContext() = default;
  virtual int num_inputs() const = 0;
  virtual int num_outputs() const = 0;
  // Input i, or nullptr when the optional input is omitted.
  virtual const Tensor* input(int i) const = 0;
  // Allocates output i with the given type and shape (uninitialised memory,
  // possibly reused from an earlier run). Fails on hostile shapes.
  virtual Result<Tensor*> Output(int i, DType dtype, Shape shape) = 0;
  // Sets output i to an existing tensor (a view sharing an input's storage,
  // e.g. Reshape, Identity). Never write into a tensor you did not allocate.
  virtual void SetOutput(int i, Tensor t) = 0;
  // Output i in the memory of input `input`, when nothing can see that input
  // change: a value of this run (not a constant, graph input or output)
  // whose last reader is this node, given to no other input slot of it, held
  // by no other tensor (no view), of this dtype and byte size. The kernel
  // may then compute over it in place (a fused residual sum reads each
  // element before writing it). Null when not allowed: use Output.
  virtual Tensor* OutputInPlace(int /*i*/, int /*input*/, DType /*dtype*/, const Shape& /*shape*/) { return nullptr; }
  // Whether output i is consumed by anyone (kernels may skip unwanted ones,
  // but must still produce every output they declare).
  virtual bool output_wanted(int i) const = 0;
  // Per-node state for this run context: created on first use by `make`.
  virtual KernelState* state(const std::function<std::unique_ptr<KernelState>()>& make) = 0;
  // Thread budget for this run (OpenMP team size for parallel kernels).
  virtual int num_threads() const = 0;
};

class Kernel {
 public:
  virtual ~Kernel() = default;
  virtual Status Run(KernelContext& ctx) const = 0;
  // Short name for profiles: "ref", "dnnl.conv", ...
  virtual std::string_view name() const { return "ref"; }
};

using KernelFactory = std::function<Result<std::unique_ptr<Kernel>>(const KernelInfo&)>;

struct KernelRegistration {
  std::string domain;  // "" for ai.onnx
  std::string op_type;
  int64_t since_version = 1;    // first opset this kernel handles
  int64_t until_version = 1000; // last opset it handles (inclusive)
  int priority = 0;             // higher wins; reference kernels use 0
  std::string provider;         // "ref", "dnnl", ...
  KernelFactory factory;
};

class KernelRegistry {
 public:
  static KernelRegistry& Global();
  bool Register(KernelRegistration reg);
  // Registrations matching (domain, op, opset), highest priority first.
  std::vector<const KernelRegistration*> Find(const std::string& domain, const std::string& op,
                                              int64_t opset) const;
  // Whether any registration exists for (domain, op) at any opset.
  bool Knows(const std::string& domain, const std::string& op) const;
  // All (domain, op) pairs registered, sorted.
  std::vector<std::pair<std::string, std::string>> Ops() const;

 private:
  std::vector<KernelRegistration> regs_;
};

// Builds a kernel for `info`, trying registrations in priority order.
// `providers` (empty = all) restricts which providers may be used, e.g. {"ref"}.
// Fails with UNIMPLEMENTED naming the op, node and opset if none fits.
Result<std::unique_ptr<Kernel>> CreateKernel(const KernelInfo& info, const std::vector<std::string>& providers = {});

// Helper for simple kernels: wraps a function as a Kernel.
class FunctionKernel : public Kernel {
 public:
  using Fn = std::function<Status(KernelContext&)>;
  explicit FunctionKernel(Fn fn, std::string_view name = "ref") : fn_(std::move(fn)), name_(name) {}
  Status Run(KernelContext& ctx) const override { return fn_(ctx); }
  std::string_view name() const override { return name_; }

 private:
  Fn fn_;
  std::string name_;
};

}  // namespace inferd

// Registers a kernel at static-initialisation time. Use once per kernel file
// (or per op in a file that implements a family):
//   INFERD_REGISTER_KERNEL(Relu, {"", "Relu", 6, 1000, 0, "ref", &CreateRelu});
// The engine library is linked whole-archive so these are never dropped.
#define INFERD_REGISTER_KERNEL(tag, ...)                                                        \
  static const bool INFERD_CONCAT(kInferdKernelRegistered_, INFERD_CONCAT(tag, __LINE__)) = \
      ::inferd::KernelRegistry::Global().Register(::inferd::KernelRegistration __VA_ARGS__)
