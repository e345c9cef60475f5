// CompiledModel: an immutable, optimized, ready-to-run model; RunContext:
// the per-caller mutable state of runs (buffers, kernel caches).
//
// A CompiledModel is built once (Load) and shared (shared_ptr<const>); any
// number of threads may call Run at once, each with its own RunContext. A
// RunContext must not be used by two threads at the same time; reusing one
// across runs lets buffers and kernel caches be reused (no allocation in a
// steady stream of same-shaped requests).
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/status.h"
#include "common/tensor.h"
#include "engine/ir/graph.h"
#include "engine/kernels/kernel.h"

namespace inferd {

struct ModelOptions {
  // Threads a single run may use (OpenMP team size); 0 = all cores.
  int num_threads = 1;
  // Run the optimizer passes (constant folding, fusion).
  bool optimize = true;
  // With optimize and the dnnl provider: keep activations in oneDNN's
  // channel-blocked layout between consecutive oneDNN ops (the layout pass).
  bool blocked_layout = true;
  // Kernel providers allowed, in no particular order; empty = all. {"ref"}
  // forces the reference kernels (the test oracle).
  std::vector<std::string> providers;
  // Check each input's fixed dimensions against the model's declaration.
  // Only the conformance driver turns this off: a few of ONNX's own test
  // cases declare shapes their data does not have. Types are always checked.
  bool check_input_shapes = true;
  // Largest tensor one op may allocate (constant folding uses a small cap so
  // a tiny hostile model cannot make the loader allocate gigabytes).
  int64_t max_tensor_bytes = kMaxTensorBytes;
};

// Receives per-op begin/end events when set on a RunContext (the profiler).
// When none is set the run makes no timing calls at all.
class RunObserver {
 public:
  virtual ~RunObserver() = default;
  virtual void OnRunBegin() {}
  virtual void OnRunEnd() {}
  virtual void OnOpBegin(size_t step) = 0;
  virtual void OnOpEnd(size_t step, const std::vector<const Tensor*>& inputs,
                       const std::vector<const Tensor*>& outputs) = 0;
};

class CompiledModel;

class RunContext {
 public:
  explicit RunContext(const CompiledModel& model);
  ~RunContext();
  RunContext(const RunContext&) = delete;
  RunContext& operator=(const RunContext&) = delete;
  void set_observer(RunObserver* observer) { observer_ = observer; }
  // Bytes currently parked in the reuse pool (for memory tests).
  size_t pooled_bytes() const;

 private:
  friend class CompiledModel;
  friend class StepContext;
  Result<Tensor> Allocate(DType dtype, Shape shape);
  void Release(Tensor& t);

  std::vector<Tensor> values_;
  std::vector<std::unique_ptr<KernelState>> states_;
  std::multimap<size_t, std::shared_ptr<Storage>> pool_;  // capacity -> free storage
  RunObserver* observer_ = nullptr;
  int64_t max_tensor_bytes_;
};

class CompiledModel {
 public:
  // Loads, validates, optimizes and compiles an .onnx file.
  static Result<std::shared_ptr<const CompiledModel>> Load(const std::string& path, const ModelOptions& options = {});
  // Compiles an already imported graph.
  static Result<std::shared_ptr<const CompiledModel>> Compile(Graph graph, ModelInfo info, const ModelOptions& options = {});
  ~CompiledModel();

  const std::vector<ValueInfo>& inputs() const { return graph_.inputs; }
  const std::vector<ValueInfo>& outputs() const { return graph_.outputs; }
  // The graph as compiled (after optimization).
  const Graph& graph() const { return graph_; }
  const ModelInfo& info() const { return info_; }
  const ModelOptions& options() const { return options_; }
  size_t num_steps() const;
  // The node and kernel of step i (for profiles).
  const Node& step_node(size_t i) const;
  std::string_view step_kernel_name(size_t i) const;

  std::unique_ptr<RunContext> NewRunContext() const { return std::make_unique<RunContext>(*this); }

  // Runs the model. `inputs` are in the order of inputs(); each is checked
  // against the declared type and fixed dimensions. Returns outputs in the
  // order of outputs().
  Result<std::vector<Tensor>> Run(RunContext& ctx, const std::vector<Tensor>& inputs) const;
  Result<std::vector<Tensor>> Run(RunContext& ctx, const std::map<std::string, Tensor>& inputs) const;
  // Convenience for one-off runs (allocates a fresh context).
  Result<std::vector<Tensor>> Run(const std::vector<Tensor>& inputs) const;

  // Checks one input against its declaration; the error names the input and
  // says what was expected and what came.
  Status CheckInput(size_t index, const Tensor& t) const;

 private:
  friend class RunContext;
  friend class StepContext;
  struct Step;
  CompiledModel() = default;
  Status Build();

  Graph graph_;
  ModelInfo info_;
  ModelOptions options_;
  int threads_ = 1;
  // Values: [0, constants_.size()) are constants, then everything else.
  std::vector<Tensor> constants_;
  size_t num_values_ = 0;
  std::vector<int> input_ids_;
  std::vector<int> output_ids_;
  std::vector<Step> steps_;
  // Storage of constants: an output that is a view of one is copied out.
  std::vector<const Storage*> constant_storage_;
};

// Hardware threads available to this process.
int AvailableCores();

}  // namespace inferd
