#include "serving/version_loader.h"

#include <algorithm>

namespace inferd::serving {

Result<std::vector<Tensor>> WarmupInputs(const std::vector<ValueInfo>& inputs, int64_t batch) {
  std::vector<Tensor> out;
  out.reserve(inputs.size());
  for (const ValueInfo& in : inputs) {
    if (!in.dims)
      return FailedPrecondition("input \"" + in.name + "\" declares no shape, so warm-up cannot shape an input " +
                                "(set warmup: false in the serving config)");
    Shape shape;
    for (size_t i = 0; i < in.dims->size(); ++i) {
      const Dim& d = (*in.dims)[i];
      shape.push_back(d.fixed() ? d.value : (i == 0 && batch > 0 ? batch : 1));
    }
    auto t = Tensor::Zeros(in.dtype, shape);
    if (!t.ok()) return t.status().WithContext("warm-up input \"" + in.name + "\" " + ShapeToString(shape));
    out.push_back(std::move(*t));
  }
  return out;
}

Result<LoadedVersion> LoadVersion(registry::Registry& registry, const registry::VersionRecord& record,
                                  const ModelConfig& config) {
  LoadedVersion loaded;
  RETURN_IF_ERROR(registry.Verify(record));

  ModelOptions options;
  const int instances = std::max(1, config.batching.instances);
  options.num_threads = config.threads > 0 ? config.threads : std::max(1, AvailableCores() / instances);
  auto compiled = CompiledModel::Load(record.path, options);
  if (!compiled.ok()) return compiled.status().WithContext("compiling \"" + record.path + "\"");

  ModelConfig effective = config;
  BatchingConfig& batching = effective.batching;
  if (batching.max_batch_size > 1 && !DynamicBatcher::CanBatch(**compiled)) {
    loaded.warnings.push_back("batching off: max_batch_size " + std::to_string(batching.max_batch_size) +
                              " was asked for, but not every input and output has a variable first dimension");
    batching.max_batch_size = 0;
    batching.preferred_batch_sizes.clear();
  }
  auto batcher = DynamicBatcher::Create(*compiled, batching);
  if (!batcher.ok()) return batcher.status().WithContext("creating the batcher");

  auto servable = std::make_shared<Servable>();
  servable->model = record.model;
  servable->version = record.number;
  servable->sha256 = record.sha256;
  servable->config = effective;
  servable->signature.inputs = (*compiled)->inputs();
  servable->signature.outputs = (*compiled)->outputs();
  servable->signature.max_batch_size = batching.max_batch_size > 1 ? batching.max_batch_size : 0;
  servable->compiled = *compiled;
  servable->batcher = std::move(*batcher);

  if (effective.warmup) {
    // Batch 1 and the largest batch, twice each: the first run of a shape
    // creates kernels and buffers, the second shows they are reused.
    std::vector<int64_t> batches = {1};
    if (servable->signature.max_batch_size > 1) batches.push_back(servable->signature.max_batch_size);
    for (int64_t batch : batches) {
      ASSIGN_OR_RETURN(auto inputs, WarmupInputs(servable->signature.inputs, batch));
      for (int round = 0; round < 2; ++round) {
        auto outputs = servable->batcher->RunInline(inputs);
        if (!outputs.ok())
          return outputs.status().WithContext("warm-up with batch " + std::to_string(batch) +
                                              " (zero inputs; set warmup: false if the model cannot take them)");
      }
    }
  }
  servable->loaded_at = std::chrono::steady_clock::now();
  loaded.servable = std::move(servable);
  return loaded;
}

}  // namespace inferd::serving
