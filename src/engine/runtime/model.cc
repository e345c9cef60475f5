#include "engine/runtime/model.h"

#include <omp.h>

#include <algorithm>
#include <thread>
#include <unordered_map>

#include "engine/kernels/dnnl/layout.h"
#include "engine/onnx/loader.h"
#include "engine/passes/dnnl_passes.h"
#include "engine/passes/pass.h"

namespace inferd {

struct CompiledModel::Step {
  const Node* node = nullptr;
  std::unique_ptr<Kernel> kernel;
  std::vector<int> inputs;   // value ids; -1 = omitted optional input
  std::vector<int> outputs;  // value ids (every output has one)
  std::vector<bool> wanted;  // output read by someone
  std::vector<int> release;  // values whose last reader is this step
};

int AvailableCores() {
  const unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 1 : static_cast<int>(n);
}

// ---------------------------------------------------------------- RunContext

RunContext::RunContext(const CompiledModel& model)
    : values_(model.num_values_), states_(model.steps_.size()), max_tensor_bytes_(model.options_.max_tensor_bytes) {}

RunContext::~RunContext() = default;

size_t RunContext::pooled_bytes() const {
  size_t total = 0;
  for (const auto& [cap, _] : pool_) total += cap;
  return total;
}

Result<Tensor> RunContext::Allocate(DType dtype, Shape shape) {
  const int64_t n = ShapeNumel(shape);
  if (n < 0) return InvalidArgument("invalid output shape " + ShapeToString(shape));
  const size_t elem = DTypeSize(dtype);
  if (elem == 0) return InvalidArgument("cannot allocate an output of undefined type");
  if (n > max_tensor_bytes_ / static_cast<int64_t>(elem))
    return ResourceExhausted("output of shape " + ShapeToString(shape) + " and type " + std::string(DTypeName(dtype)) +
                             " exceeds the tensor size limit of " + std::to_string(max_tensor_bytes_) + " bytes");
  const size_t bytes = static_cast<size_t>(n) * elem;
  if (dtype != DType::kString) {
    // Best fit from the pool, but never hand a huge buffer to a tiny tensor.
    auto it = pool_.lower_bound(bytes);
    if (it != pool_.end() && it->first <= bytes * 2 + 4096) {
      auto storage = std::move(it->second);
      pool_.erase(it);
      return Tensor(dtype, std::move(shape), std::move(storage), 0);
    }
  }
  return Tensor::Create(dtype, std::move(shape));
}

void RunContext::Release(Tensor& t) {
  auto storage = t.storage();
  t = Tensor();
  if (storage && storage.use_count() == 1 && storage->dtype() != DType::kString && storage->capacity() > 0)
    pool_.emplace(storage->capacity(), std::move(storage));
}

// ------------------------------------------------------------- StepContext

class StepContext final : public KernelContext {
 public:
  StepContext(const CompiledModel& model, RunContext& run, const CompiledModel::Step& step, size_t index)
      : model_(model), run_(run), step_(step), index_(index) {}

  int num_inputs() const override { return static_cast<int>(step_.inputs.size()); }
  int num_outputs() const override { return static_cast<int>(step_.outputs.size()); }
  const Tensor* input(int i) const override {
    if (i < 0 || i >= num_inputs()) return nullptr;
    const int id = step_.inputs[static_cast<size_t>(i)];
    if (id < 0) return nullptr;
    if (static_cast<size_t>(id) < model_.constants_.size()) return &model_.constants_[static_cast<size_t>(id)];
    return &run_.values_[static_cast<size_t>(id)];
  }
  Result<Tensor*> Output(int i, DType dtype, Shape shape) override {
    if (i < 0 || i >= num_outputs())
      return Internal(step_.node->Describe() + ": kernel wrote output " + std::to_string(i) + " of " +
                      std::to_string(num_outputs()));
    Tensor& slot = run_.values_[static_cast<size_t>(step_.outputs[static_cast<size_t>(i)])];
    auto t = run_.Allocate(dtype, std::move(shape));
    if (!t.ok()) return t.status().WithContext(step_.node->Describe());
    slot = std::move(t).value();
    return &slot;
  }
  void SetOutput(int i, Tensor t) override {
    if (i < 0 || i >= num_outputs()) return;
    run_.values_[static_cast<size_t>(step_.outputs[static_cast<size_t>(i)])] = std::move(t);
  }
  Tensor* OutputInPlace(int i, int input, DType dtype, const Shape& shape) override {
    if (i < 0 || i >= num_outputs() || input < 0 || input >= num_inputs() || dtype == DType::kString) return nullptr;
    const int id = step_.inputs[static_cast<size_t>(input)];
    if (id < 0 || static_cast<size_t>(id) < model_.constants_.size()) return nullptr;
    for (int j = 0; j < num_inputs(); ++j)
      if (j != input && step_.inputs[static_cast<size_t>(j)] == id) return nullptr;
    // Released after this step: its last reader, and not a graph output.
    if (std::find(step_.release.begin(), step_.release.end(), id) == step_.release.end()) return nullptr;
    const Tensor& in = run_.values_[static_cast<size_t>(id)];
    const std::shared_ptr<Storage>& storage = in.storage();
    // One owner: this slot (a graph input is also held by the caller).
    if (!in.defined() || storage.use_count() != 1 || in.dtype() != dtype || ShapeNumel(shape) != in.numel())
      return nullptr;
    const size_t offset = static_cast<size_t>(static_cast<const char*>(in.raw()) - static_cast<const char*>(storage->data()));
    Tensor& slot = run_.values_[static_cast<size_t>(step_.outputs[static_cast<size_t>(i)])];
    slot = Tensor(dtype, shape, storage, offset);
    return &slot;
  }
  bool output_wanted(int i) const override { return i >= 0 && i < num_outputs() && step_.wanted[static_cast<size_t>(i)]; }
  KernelState* state(const std::function<std::unique_ptr<KernelState>()>& make) override {
    auto& s = run_.states_[index_];
    if (!s) s = make();
    return s.get();
  }
  int num_threads() const override { return model_.threads_; }

 private:
  const CompiledModel& model_;
  RunContext& run_;
  const CompiledModel::Step& step_;
  size_t index_;
};

// ------------------------------------------------------------ CompiledModel

CompiledModel::~CompiledModel() = default;

size_t CompiledModel::num_steps() const { return steps_.size(); }
const Node& CompiledModel::step_node(size_t i) const { return *steps_[i].node; }
std::string_view CompiledModel::step_kernel_name(size_t i) const { return steps_[i].kernel->name(); }

Result<std::shared_ptr<const CompiledModel>> CompiledModel::Load(const std::string& path, const ModelOptions& options) {
  ASSIGN_OR_RETURN(LoadedGraph loaded, LoadOnnxFile(path));
  auto model = Compile(std::move(loaded.graph), std::move(loaded.info), options);
  if (!model.ok()) return model.status().WithContext("'" + path + "'");
  return model;
}

Result<std::shared_ptr<const CompiledModel>> CompiledModel::Compile(Graph graph, ModelInfo info,
                                                                    const ModelOptions& options) {
  std::shared_ptr<CompiledModel> model(new CompiledModel());
  model->graph_ = std::move(graph);
  model->info_ = std::move(info);
  model->options_ = options;
  model->threads_ = options.num_threads > 0 ? options.num_threads : AvailableCores();
  // Weight packing at load runs oneDNN reorders (OpenMP teams): keep them to
  // the model's thread budget like its runs. With one thread on a busy 2-core
  // machine a 2-thread team made resnet50's load ~60 ms slower.
  struct OmpBudget {
    int saved = omp_get_max_threads();
    explicit OmpBudget(int threads) {
      if (saved != threads) omp_set_num_threads(threads);
    }
    ~OmpBudget() {
      if (omp_get_max_threads() != saved) omp_set_num_threads(saved);
    }
  } omp_budget(model->threads_);
  RETURN_IF_ERROR(model->graph_.Validate());
  if (options.optimize) {
    RETURN_IF_ERROR(OptimizeGraph(model->graph_));
    const auto& providers = options.providers;
    if (providers.empty() || std::find(providers.begin(), providers.end(), "dnnl") != providers.end())
      RETURN_IF_ERROR(RunDnnlPasses(model->graph_, options.blocked_layout ? onednn::PreferredChannelBlock() : 0));
    RETURN_IF_ERROR(model->graph_.TopologicalSort());
    RETURN_IF_ERROR(model->graph_.Validate());
  }
  RETURN_IF_ERROR(model->Build());
  return std::shared_ptr<const CompiledModel>(std::move(model));
}

Status CompiledModel::Build() {
  std::unordered_map<std::string, int> ids;
  for (const auto& [name, t] : graph_.initializers) {
    ids[name] = static_cast<int>(constants_.size());
    constants_.push_back(t);
  }
  int next = static_cast<int>(constants_.size());
  auto id_of = [&](const std::string& name) {
    auto [it, inserted] = ids.emplace(name, next);
    if (inserted) ++next;
    return it->second;
  };
  for (const auto& v : graph_.inputs) input_ids_.push_back(id_of(v.name));
  // Declared dtypes, for factories that specialise at load.
  std::unordered_map<std::string, DType> dtypes;
  for (const auto& v : graph_.inputs) dtypes[v.name] = v.dtype;
  for (const auto& [name, v] : graph_.value_infos) dtypes[name] = v.dtype;
  for (const auto& v : graph_.outputs) dtypes[v.name] = v.dtype;
  for (const auto& [name, t] : graph_.initializers) dtypes[name] = t.dtype();

  std::unordered_map<std::string, int> readers;
  for (const auto& n : graph_.nodes)
    for (const auto& in : n.inputs)
      if (!in.empty()) ++readers[in];
  for (const auto& o : graph_.outputs) ++readers[o.name];

  for (const auto& node : graph_.nodes) {
    Step step;
    step.node = &node;
    std::vector<const Tensor*> constant_inputs;
    std::vector<DType> input_dtypes;
    for (const auto& in : node.inputs) {
      if (in.empty()) {
        step.inputs.push_back(-1);
        constant_inputs.push_back(nullptr);
        input_dtypes.push_back(DType::kUndefined);
        continue;
      }
      const int id = id_of(in);
      step.inputs.push_back(id);
      const bool is_const = static_cast<size_t>(id) < constants_.size();
      constant_inputs.push_back(is_const ? &constants_[static_cast<size_t>(id)] : nullptr);
      auto dt = dtypes.find(in);
      input_dtypes.push_back(dt == dtypes.end() ? DType::kUndefined : dt->second);
    }
    for (const auto& out : node.outputs) {
      // Omitted outputs still get a private slot so kernels can write them.
      const int id = out.empty() ? next++ : id_of(out);
      step.outputs.push_back(id);
      step.wanted.push_back(!out.empty() && readers.count(out) > 0);
    }
    const int64_t opset = graph_.OpsetFor(node.domain);
    KernelInfo info(node, opset, std::move(constant_inputs), std::move(input_dtypes), threads_);
    ASSIGN_OR_RETURN(step.kernel, CreateKernel(info, options_.providers));
    steps_.push_back(std::move(step));
  }
  for (const auto& v : graph_.outputs) output_ids_.push_back(id_of(v.name));
  num_values_ = static_cast<size_t>(next);
  for (const Tensor& c : constants_) constant_storage_.push_back(c.storage().get());
  std::sort(constant_storage_.begin(), constant_storage_.end());

  // Liveness: each non-constant value is released after its last reader;
  // values nobody reads are released right after they are produced.
  std::vector<int> last_use(num_values_, -1);
  for (size_t s = 0; s < steps_.size(); ++s) {
    for (int id : steps_[s].inputs)
      if (id >= 0) last_use[static_cast<size_t>(id)] = static_cast<int>(s);
    for (int id : steps_[s].outputs)
      if (last_use[static_cast<size_t>(id)] < static_cast<int>(s)) last_use[static_cast<size_t>(id)] = static_cast<int>(s);
  }
  std::vector<bool> keep(num_values_, false);
  for (int id : output_ids_) keep[static_cast<size_t>(id)] = true;
  for (size_t id = constants_.size(); id < num_values_; ++id)
    if (!keep[id] && last_use[id] >= 0) steps_[static_cast<size_t>(last_use[id])].release.push_back(static_cast<int>(id));
  return Status::Ok();
}

Status CompiledModel::CheckInput(size_t index, const Tensor& t) const {
  const ValueInfo& decl = graph_.inputs[index];
  auto expected = [&] {
    return std::string(decl.dtype == DType::kUndefined ? "any type" : DTypeName(decl.dtype)) + " " + decl.ShapeString();
  };
  auto got = [&] { return std::string(DTypeName(t.dtype())) + " " + ShapeToString(t.shape()); };
  bool ok = decl.dtype == DType::kUndefined || decl.dtype == t.dtype();
  if (ok && decl.dims && options_.check_input_shapes) {
    ok = decl.dims->size() == t.shape().size();
    for (size_t i = 0; ok && i < decl.dims->size(); ++i)
      if ((*decl.dims)[i].fixed() && (*decl.dims)[i].value != t.shape()[i]) ok = false;
  }
  if (!ok) return InvalidArgument("input \"" + decl.name + "\": expected " + expected() + ", got " + got());
  return Status::Ok();
}

Result<std::vector<Tensor>> CompiledModel::Run(RunContext& ctx, const std::vector<Tensor>& inputs) const {
  if (inputs.size() != input_ids_.size())
    return InvalidArgument("model takes " + std::to_string(input_ids_.size()) + " inputs, got " +
                           std::to_string(inputs.size()));
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (!inputs[i].defined()) return InvalidArgument("input \"" + graph_.inputs[i].name + "\" is missing");
    RETURN_IF_ERROR(CheckInput(i, inputs[i]));
  }
  if (omp_get_max_threads() != threads_) omp_set_num_threads(threads_);
  for (size_t i = 0; i < inputs.size(); ++i) ctx.values_[static_cast<size_t>(input_ids_[i])] = inputs[i];

  RunObserver* observer = ctx.observer_;
  if (observer) observer->OnRunBegin();
  Status status;
  for (size_t s = 0; s < steps_.size(); ++s) {
    const Step& step = steps_[s];
    StepContext kctx(*this, ctx, step, s);
    if (observer) observer->OnOpBegin(s);
    status = step.kernel->Run(kctx);
    if (!status.ok()) {
      if (status.message().find(step.node->Describe()) == std::string::npos)
        status = status.WithContext(step.node->Describe());
      break;
    }
    for (size_t o = 0; o < step.outputs.size(); ++o) {
      if (!ctx.values_[static_cast<size_t>(step.outputs[o])].defined()) {
        status = Internal(step.node->Describe() + ": kernel did not produce output " + std::to_string(o));
        break;
      }
    }
    if (!status.ok()) break;
    if (observer) {
      std::vector<const Tensor*> ins, outs;
      for (int i = 0; i < kctx.num_inputs(); ++i) ins.push_back(kctx.input(i));
      for (int id : step.outputs) outs.push_back(&ctx.values_[static_cast<size_t>(id)]);
      observer->OnOpEnd(s, ins, outs);
    }
    for (int id : step.release) ctx.Release(ctx.values_[static_cast<size_t>(id)]);
  }
  if (observer) observer->OnRunEnd();

  std::vector<Tensor> outputs;
  if (status.ok()) {
    outputs.reserve(output_ids_.size());
    for (int id : output_ids_) {
      const Tensor& t = static_cast<size_t>(id) < constants_.size() ? constants_[static_cast<size_t>(id)]
                                                                    : ctx.values_[static_cast<size_t>(id)];
      // Views (Reshape, Identity...) of a constant or of a caller's input
      // would let the caller's writes reach the model or its own inputs.
      const Storage* s = t.storage().get();
      bool aliased = std::binary_search(constant_storage_.begin(), constant_storage_.end(), s);
      for (const Tensor& in : inputs) aliased = aliased || in.storage().get() == s;
      outputs.push_back(aliased ? t.Clone() : t);
    }
  }
  // Leave nothing behind: on error some values are still held.
  for (auto& v : ctx.values_) v = Tensor();
  if (!status.ok()) return status;
  return outputs;
}

Result<std::vector<Tensor>> CompiledModel::Run(RunContext& ctx, const std::map<std::string, Tensor>& inputs) const {
  std::vector<Tensor> ordered(graph_.inputs.size());
  for (const auto& [name, t] : inputs) {
    size_t i = 0;
    while (i < graph_.inputs.size() && graph_.inputs[i].name != name) ++i;
    if (i == graph_.inputs.size()) {
      std::string names;
      for (const auto& v : graph_.inputs) names += (names.empty() ? "" : ", ") + v.name;
      return InvalidArgument("unknown input \"" + name + "\"; the model's inputs are: " + names);
    }
    ordered[i] = t;
  }
  for (size_t i = 0; i < ordered.size(); ++i)
    if (!ordered[i].defined()) return InvalidArgument("input \"" + graph_.inputs[i].name + "\" is missing");
  return Run(ctx, ordered);
}

Result<std::vector<Tensor>> CompiledModel::Run(const std::vector<Tensor>& inputs) const {
  RunContext ctx(*this);
  return Run(ctx, inputs);
}

}  // namespace inferd
