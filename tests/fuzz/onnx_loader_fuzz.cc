// libFuzzer target: arbitrary bytes through the ONNX loader and the compiler
// (validation, optimizer passes with constant folding, kernel factories).
// base_dir is empty, so external data is refused and no file is touched.
// Any crash, sanitizer report, hang or huge allocation here is a bug: hostile
// models must be answered with a Status.
//
// With INFERD_FUZZ_RUN=1 in the environment, a model that compiles is also
// run once on zero-filled inputs when every input has a known type and a
// small fixed shape, which takes the fuzzer into the kernels.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "engine/onnx/loader.h"
#include "engine/runtime/model.h"

namespace {

bool RunModels() {
  static const bool run = [] {
    const char* v = std::getenv("INFERD_FUZZ_RUN");
    return v != nullptr && std::string_view(v) == "1";
  }();
  return run;
}

void RunOnZeros(const inferd::CompiledModel& model) {
  constexpr int64_t kMaxElements = 4096;
  std::vector<inferd::Tensor> inputs;
  for (const auto& decl : model.inputs()) {
    if (decl.dtype == inferd::DType::kUndefined || !decl.dims) return;
    inferd::Shape shape;
    for (const auto& d : *decl.dims) {
      if (!d.fixed()) return;
      shape.push_back(d.value);
    }
    const int64_t n = inferd::ShapeNumel(shape);
    if (n < 0 || n > kMaxElements) return;
    auto t = inferd::Tensor::Zeros(decl.dtype, shape);
    if (!t.ok()) return;
    inputs.push_back(std::move(t).value());
  }
  auto outputs = model.Run(inputs);
  (void)outputs;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto loaded = inferd::LoadOnnxBytes(std::string_view(reinterpret_cast<const char*>(data), size), "");
  if (!loaded.ok()) return 0;
  inferd::ModelOptions options;
  options.num_threads = 1;
  auto model = inferd::CompiledModel::Compile(std::move(loaded->graph), std::move(loaded->info), options);
  if (model.ok() && RunModels()) RunOnZeros(**model);
  return 0;
}
