// Fashion-MNIST demo: runs the trained demo model with inferd's engine on a
// few test images (printing predicted and true class names) and on the whole
// 10,000-image test set (printing accuracy and throughput).
//
//   fashion_demo --model-dir DIR [--data DIR] [--threads N] [--batch N] [--samples N]
// DIR holds fashion_mnist.onnx and labels.txt (written by train.py). The model
// takes raw pixel values 0..255 as float32 [batch,1,28,28].
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/idx.h"
#include "engine/runtime/model.h"
#include "common/openmp_env.h"

using namespace inferd;

namespace {

int Fail(const std::string& message) {
  std::fprintf(stderr, "fashion_demo: error: %s\n", message.c_str());
  return 1;
}

std::vector<std::string> ReadLines(const std::string& path) {
  std::vector<std::string> lines;
  std::ifstream f(path);
  for (std::string line; std::getline(f, line);)
    if (!line.empty()) lines.push_back(line);
  return lines;
}

// Copies images [begin, end) from uint8 [N,28,28] into a float [n,1,28,28] tensor.
Tensor Batch(const Tensor& images, int64_t begin, int64_t end) {
  const int64_t pixels = images.dim(1) * images.dim(2);
  Tensor t = Tensor::Create(DType::kFloat32, {end - begin, 1, images.dim(1), images.dim(2)}).value();
  const uint8_t* src = images.data<uint8_t>() + begin * pixels;
  float* dst = t.data<float>();
  for (int64_t i = 0; i < (end - begin) * pixels; ++i) dst[i] = src[i];
  return t;
}

// Accuracy PyTorch measured after training (model.json), or -1 if absent.
double TorchAccuracy(const std::string& model_dir) {
  std::ifstream f(model_dir + "/model.json");
  const auto meta = nlohmann::json::parse(f, nullptr, /*allow_exceptions=*/false);
  if (meta.is_discarded() || !meta.contains("test_accuracy") || !meta["test_accuracy"].is_number()) return -1;
  return meta["test_accuracy"].get<double>();
}

int64_t ArgMax(const float* row, int64_t n) { return std::max_element(row, row + n) - row; }

}  // namespace

int main(int argc, char** argv) {
  inferd::UsePassiveOpenMpWaitUnlessSet(argv);
  std::string model_dir, data_dir = "/usr/share/datasets/fashion-mnist";
  int threads = 0, batch = 256, samples = 8;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
    if (a == "--model-dir") model_dir = next();
    else if (a == "--data") data_dir = next();
    else if (a == "--threads") threads = std::atoi(next().c_str());
    else if (a == "--batch") batch = std::max(1, std::atoi(next().c_str()));
    else if (a == "--samples") samples = std::max(0, std::atoi(next().c_str()));
    else {
      std::fprintf(stderr, "usage: fashion_demo --model-dir DIR [--data DIR] [--threads N] [--batch N] [--samples N]\n");
      return 2;
    }
  }
  if (model_dir.empty()) return Fail("--model-dir is required");
  const auto labels = ReadLines(model_dir + "/labels.txt");
  if (labels.size() != 10) return Fail("expected 10 class names in " + model_dir + "/labels.txt");

  ModelOptions options;
  options.num_threads = threads;  // 0 = all cores
  const auto t0 = std::chrono::steady_clock::now();
  auto model = CompiledModel::Load(model_dir + "/fashion_mnist.onnx", options);
  if (!model.ok()) return Fail(model.status().ToString());
  const double load_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();

  auto images = ReadIdxFile(data_dir + "/t10k-images-idx3-ubyte.gz");
  if (!images.ok()) return Fail(images.status().ToString());
  auto truth = ReadIdxFile(data_dir + "/t10k-labels-idx1-ubyte.gz");
  if (!truth.ok()) return Fail(truth.status().ToString());
  if (images->rank() != 3 || truth->rank() != 1 || images->dim(0) != truth->dim(0))
    return Fail("unexpected IDX shapes " + ShapeToString(images->shape()) + " and " + ShapeToString(truth->shape()));
  const int64_t n = images->dim(0);
  const uint8_t* y = truth->data<uint8_t>();

  std::printf("inferd engine: loaded %s/fashion_mnist.onnx in %.1f ms (%zu steps, %d threads)\n", model_dir.c_str(),
              load_ms, (*model)->num_steps(), threads > 0 ? threads : AvailableCores());
  auto ctx = (*model)->NewRunContext();
  samples = static_cast<int>(std::min<int64_t>(samples, n));
  if (samples > 0) {
    auto out = (*model)->Run(*ctx, {Batch(*images, 0, samples)});
    if (!out.ok()) return Fail(out.status().ToString());
    const Tensor& logits = (*out)[0];
    std::printf("\n%-6s %-12s %-12s\n", "image", "predicted", "true");
    for (int i = 0; i < samples; ++i) {
      const int64_t p = ArgMax(logits.data<float>() + i * 10, 10);
      std::printf("%-6d %-12s %-12s %s\n", i, labels[static_cast<size_t>(p)].c_str(), labels[y[i]].c_str(),
                  p == y[i] ? "ok" : "MISS");
    }
  }

  int64_t correct = 0;
  const auto t1 = std::chrono::steady_clock::now();
  for (int64_t b = 0; b < n; b += batch) {
    const int64_t e = std::min<int64_t>(n, b + batch);
    auto out = (*model)->Run(*ctx, {Batch(*images, b, e)});
    if (!out.ok()) return Fail(out.status().ToString());
    for (int64_t i = b; i < e; ++i) correct += ArgMax((*out)[0].data<float>() + (i - b) * 10, 10) == y[i];
  }
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t1).count();
  std::printf("\naccuracy on the %lld Fashion-MNIST test images: %.2f%% (%lld correct), %.0f images/s\n",
              static_cast<long long>(n), 100.0 * static_cast<double>(correct) / static_cast<double>(n),
              static_cast<long long>(correct), static_cast<double>(n) / secs);
  if (const double torch_acc = TorchAccuracy(model_dir); torch_acc >= 0)
    std::printf("PyTorch measured %.2f%% on the same images after training\n", 100.0 * torch_acc);
  return 0;
}
