// Runs the `inferd` binary and checks exit codes, messages and output files.
#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "common/npy.h"

namespace inferd {
namespace {
namespace fs = std::filesystem;

struct Outcome {
  int code = -1;
  std::string out, err;
};

std::string Slurp(const fs::path& p) {
  std::ifstream f(p);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

void Declare(onnx::ValueInfoProto* v, const std::string& name, const std::vector<std::string>& dims) {
  v->set_name(name);
  auto* tt = v->mutable_type()->mutable_tensor_type();
  tt->set_elem_type(onnx::TensorProto::FLOAT);
  auto* shape = tt->mutable_shape();
  for (const auto& d : dims) {
    if (std::isdigit(static_cast<unsigned char>(d[0])))
      shape->add_dim()->set_dim_value(std::stoll(d));
    else
      shape->add_dim()->set_dim_param(d);
  }
}

class Cli : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::temp_directory_path() / ("inferd_cli_" + std::to_string(::getpid()) + "_" + info->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    // y = x * w + b, x FLOAT [N,3]; a second model has a symbolic non-batch dim.
    WriteModel("affine.onnx", {"N", "3"});
    WriteModel("seq.onnx", {"N", "S"});
  }
  void TearDown() override { fs::remove_all(dir_); }

  void WriteModel(const std::string& file, const std::vector<std::string>& x_dims) {
    onnx::ModelProto m;
    m.set_ir_version(8);
    m.set_producer_name("cli-test");
    m.set_producer_version("2.0");
    m.add_opset_import()->set_version(17);
    auto* g = m.mutable_graph();
    Declare(g->add_input(), "x", x_dims);
    Declare(g->add_output(), "y", x_dims);
    auto add_init = [&](const std::string& name, std::vector<float> v) {
      auto* t = g->add_initializer();
      t->set_name(name);
      t->set_data_type(onnx::TensorProto::FLOAT);
      t->add_dims(static_cast<int64_t>(v.size()));
      for (float f : v) t->add_float_data(f);
    };
    add_init("w", {1, 2, 3});
    add_init("b", {0, 0, 10});
    auto node = [&](const char* op, const char* name, const char* a, const char* b, const char* out) {
      auto* n = g->add_node();
      n->set_op_type(op);
      n->set_name(name);
      n->add_input(a);
      n->add_input(b);
      n->add_output(out);
    };
    node("Mul", "scale", "x", "w", "t");
    node("Add", "shift", "t", "b", "y");
    std::ofstream f(dir_ / file, std::ios::binary);
    ASSERT_TRUE(m.SerializeToOstream(&f));
  }

  Outcome Inferd(const std::string& args) const {
    const std::string cmd = std::string(INFERD_BINARY) + " " + args + " >" + (dir_ / "stdout").string() + " 2>" +
                            (dir_ / "stderr").string();
    const int status = std::system(cmd.c_str());
    Outcome o;
    o.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    o.out = Slurp(dir_ / "stdout");
    o.err = Slurp(dir_ / "stderr");
    return o;
  }
  std::string Path(const std::string& file) const { return (dir_ / file).string(); }

  fs::path dir_;
};

#define EXPECT_HAS(haystack, needle) EXPECT_NE((haystack).find(needle), std::string::npos) << (haystack)

TEST_F(Cli, VersionAndHelp) {
  auto v = Inferd("--version");
  EXPECT_EQ(v.code, 0);
  EXPECT_HAS(v.out, "inferd 0.");
  auto h = Inferd("--help");
  EXPECT_EQ(h.code, 0);
  EXPECT_HAS(h.out, "inspect");
  EXPECT_HAS(h.out, "run");
}

TEST_F(Cli, UsageErrorsExitWithTwo) {
  EXPECT_EQ(Inferd("").code, 2);
  auto bad_flag = Inferd("run " + Path("affine.onnx") + " --no-such-flag");
  EXPECT_EQ(bad_flag.code, 2);
  EXPECT_HAS(bad_flag.err, "inferd: error:");
  EXPECT_EQ(Inferd("run " + Path("affine.onnx") + " --batch 0").code, 2);
  auto bad_input = Inferd("run " + Path("affine.onnx") + " --input x");
  EXPECT_EQ(bad_input.code, 2);
  EXPECT_HAS(bad_input.err, "inferd: error: --input 'x' must look like NAME=FILE.npy");
}

TEST_F(Cli, InspectText) {
  auto o = Inferd("inspect " + Path("affine.onnx"));
  ASSERT_EQ(o.code, 0) << o.err;
  EXPECT_HAS(o.out, "x  FP32 [N,3]");
  EXPECT_HAS(o.out, "cli-test 2.0");
  EXPECT_HAS(o.out, "ai.onnx 17");
  EXPECT_HAS(o.out, "6 in 2 initializers (24 B)");
  EXPECT_HAS(o.out, "Mul  1");
}

TEST_F(Cli, InspectJson) {
  auto o = Inferd("inspect --json " + Path("seq.onnx"));
  ASSERT_EQ(o.code, 0) << o.err;
  const auto j = nlohmann::json::parse(o.out);
  EXPECT_EQ(j["ir_version"], 8);
  EXPECT_EQ(j["opsets"]["ai.onnx"], 17);
  EXPECT_EQ(j["inputs"][0]["name"], "x");
  EXPECT_EQ(j["inputs"][0]["shape"], nlohmann::json::array({"N", "S"}));
  EXPECT_EQ(j["ops"]["Add"], 1);
  EXPECT_EQ(j["parameters"], 6);
  EXPECT_EQ(j["initializer_bytes"], 24);
  EXPECT_EQ(j["file_bytes"], fs::file_size(Path("seq.onnx")));
}

TEST_F(Cli, ModelErrorsExitWithOne) {
  auto missing = Inferd("inspect " + Path("absent.onnx"));
  EXPECT_EQ(missing.code, 1);
  EXPECT_HAS(missing.err, "inferd: error: cannot read");
  std::ofstream(Path("junk.onnx")) << "this is not a model";
  auto junk = Inferd("run --random " + Path("junk.onnx"));
  EXPECT_EQ(junk.code, 1);
  EXPECT_HAS(junk.err, "not a valid ONNX model");
}

TEST_F(Cli, RunPrintsOutputsAndArgmax) {
  ASSERT_TRUE(SaveNpyFile(Tensor::FromVector<float>({1, 1, 1, 5, 1, 1}, {2, 3}), Path("x.npy")).ok());
  auto o = Inferd("run " + Path("affine.onnx") + " --input x=" + Path("x.npy"));
  ASSERT_EQ(o.code, 0) << o.err;
  EXPECT_HAS(o.out, "output \"y\": FP32 [2,3]");
  EXPECT_HAS(o.out, "values: 1, 2, 13, 5, 2, 13");
  EXPECT_HAS(o.out, "argmax per row: 2 (13), 2 (13)");
}

TEST_F(Cli, RunWritesNpyOutputs) {
  ASSERT_TRUE(SaveNpyFile(Tensor::FromVector<float>({1, 2, 3}, {1, 3}), Path("x.npy")).ok());
  auto o = Inferd("run " + Path("affine.onnx") + " -i x=" + Path("x.npy") + " --reference --output " + Path("out"));
  ASSERT_EQ(o.code, 0) << o.err;
  auto y = LoadNpyFile(Path("out/y.npy"));
  ASSERT_TRUE(y.ok()) << y.status().ToString();
  EXPECT_EQ(y->shape(), (Shape{1, 3}));
  EXPECT_EQ(y->data<float>()[2], 19.0f);
}

TEST_F(Cli, RandomInputsUseBatchAndRepeatPrintsLatency) {
  auto o = Inferd("run " + Path("affine.onnx") + " --random --batch 4 --repeat 5 --warmup 1 --threads 2");
  ASSERT_EQ(o.code, 0) << o.err;
  EXPECT_HAS(o.out, "FP32 [4,3]");
  EXPECT_HAS(o.out, "latency over 5 runs: min");
  EXPECT_HAS(o.out, "p90");
  // Seeded: the same command prints the same values.
  EXPECT_EQ(Inferd("run " + Path("affine.onnx") + " --random --batch 4").out,
            Inferd("run " + Path("affine.onnx") + " --random --batch 4").out);
}

TEST_F(Cli, DataErrorsNameTheInput) {
  ASSERT_TRUE(SaveNpyFile(Tensor::Zeros(DType::kFloat32, {2, 4}).value(), Path("wide.npy")).ok());
  auto wrong = Inferd("run " + Path("affine.onnx") + " --input x=" + Path("wide.npy"));
  EXPECT_EQ(wrong.code, 1);
  EXPECT_HAS(wrong.err, "inferd: error: input \"x\": expected FP32 [N,3], got FP32 [2,4]");

  auto no_data = Inferd("run " + Path("affine.onnx"));
  EXPECT_EQ(no_data.code, 1);
  EXPECT_HAS(no_data.err, "no data for input \"x\"");

  auto symbolic = Inferd("run " + Path("seq.onnx") + " --random");
  EXPECT_EQ(symbolic.code, 1);
  EXPECT_HAS(symbolic.err, "input \"x\" [N,S]: dimension 1 ('S') is symbolic");

  auto unknown = Inferd("run " + Path("affine.onnx") + " --input z=" + Path("wide.npy"));
  EXPECT_EQ(unknown.code, 1);
  EXPECT_HAS(unknown.err, "\"z\", which the model does not have; its inputs are: x");

  std::ofstream(Path("bad.npy")) << "\x93NUMPY\x01\x00garbage";
  auto bad = Inferd("run " + Path("affine.onnx") + " --input x=" + Path("bad.npy"));
  EXPECT_EQ(bad.code, 1);
  EXPECT_HAS(bad.err, "bad.npy");
}

}  // namespace
}  // namespace inferd
