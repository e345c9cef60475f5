// libFuzzer target: arbitrary bytes through the ONNX loader and the compiler
// (validation, optimizer passes with constant folding, kernel factories).
// base_dir is empty, so external data is refused and no file is touched.
// Any crash, sanitizer report, hang or huge allocation here is a bug: hostile
// models must be answered with a Status.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "engine/onnx/loader.h"
#include "engine/runtime/model.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto loaded = inferd::LoadOnnxBytes(std::string_view(reinterpret_cast<const char*>(data), size), "");
  if (!loaded.ok()) return 0;
  inferd::ModelOptions options;
  options.num_threads = 1;
  auto model = inferd::CompiledModel::Compile(std::move(loaded->graph), std::move(loaded->info), options);
  (void)model;
  return 0;
}
