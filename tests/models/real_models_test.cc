// Real models: resnet18, mobilenet_v2, an MLP and a transformer encoder
// exported from PyTorch with random weights (scripts/fixtures/export_models.py)
// must match PyTorch's outputs within 1e-4 relative error, with the fast
// kernels and with the reference kernels, at batch 1 and 2.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>

#include "common/npy.h"
#include "engine/runtime/model.h"

namespace inferd {
namespace {

std::string FixtureDir() {
  const char* dir = std::getenv("INFERD_FIXTURES");
  return dir ? dir : "build/fixtures";
}

// max |got - want| / max |want|: relative error at the output's own scale.
double RelativeError(const Tensor& got, const Tensor& want) {
  double max_diff = 0, max_ref = 0;
  for (int64_t i = 0; i < want.numel(); ++i) {
    const double w = want.GetAsDouble(i), g = got.GetAsDouble(i);
    if (!std::isfinite(g)) return INFINITY;
    max_diff = std::max(max_diff, std::abs(g - w));
    max_ref = std::max(max_ref, std::abs(w));
  }
  return max_ref > 0 ? max_diff / max_ref : max_diff;
}

struct Case {
  std::string model;
  int batch;
  bool reference;
};

void PrintTo(const Case& c, std::ostream* os) {
  *os << c.model << " batch " << c.batch << (c.reference ? " (reference kernels)" : " (fast kernels)");
}

std::string CaseName(const testing::TestParamInfo<Case>& info) {
  return info.param.model + "_b" + std::to_string(info.param.batch) + (info.param.reference ? "_ref" : "_fast");
}

class RealModel : public testing::TestWithParam<Case> {};

TEST_P(RealModel, MatchesPyTorch) {
  const Case& c = GetParam();
  const std::string base = FixtureDir() + "/" + c.model;
  ASSERT_TRUE(std::filesystem::exists(base + ".onnx")) << "missing fixture " << base << ".onnx";
  ModelOptions options;
  options.num_threads = 2;
  if (c.reference) options.providers = {"ref"};
  auto model = CompiledModel::Load(base + ".onnx", options);
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  const std::string prefix = base + ".b" + std::to_string(c.batch);
  auto input = LoadNpyFile(prefix + ".input.npy");
  ASSERT_TRUE(input.ok()) << input.status().ToString();
  auto want = LoadNpyFile(prefix + ".output.npy");
  ASSERT_TRUE(want.ok()) << want.status().ToString();
  auto ctx = (*model)->NewRunContext();
  // Twice: the second run reuses pooled buffers and cached primitives.
  for (int run = 0; run < 2; ++run) {
    auto out = (*model)->Run(*ctx, {*input});
    ASSERT_TRUE(out.ok()) << out.status().ToString();
    ASSERT_EQ(out->size(), 1u);
    const Tensor& got = (*out)[0];
    ASSERT_EQ(got.shape(), want->shape());
    EXPECT_LE(RelativeError(got, *want), 1e-4) << c.model << " run " << run;
  }
}

INSTANTIATE_TEST_SUITE_P(Torch, RealModel,
                         testing::Values(Case{"mlp", 1, false}, Case{"mlp", 2, false}, Case{"mlp", 1, true},
                                         Case{"resnet18", 1, false}, Case{"resnet18", 2, false},
                                         Case{"resnet18", 1, true}, Case{"mobilenet_v2", 1, false},
                                         Case{"mobilenet_v2", 2, false}, Case{"mobilenet_v2", 1, true},
                                         Case{"transformer", 1, false}, Case{"transformer", 2, false},
                                         Case{"transformer", 1, true}),
                         CaseName);

}  // namespace
}  // namespace inferd
