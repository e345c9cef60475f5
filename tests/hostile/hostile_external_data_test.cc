// External data that tries to escape the model's folder, or promises bytes
// the file does not have.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "hostile_models.h"

namespace inferd::hostile {
namespace {
namespace fs = std::filesystem;

class HostileExternalData : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    root_ = fs::temp_directory_path() / ("inferd_hostile_" + std::to_string(::getpid()) + "_" + info->name());
    fs::remove_all(root_);
    model_dir_ = root_ / "model";
    fs::create_directories(model_dir_);
    const float values[3] = {1, 2, 3};
    std::ofstream(model_dir_ / "weights.bin", std::ios::binary)
        .write(reinterpret_cast<const char*>(values), sizeof values);
    std::ofstream(root_ / "secret.bin", std::ios::binary) << "0123456789ab";
  }
  void TearDown() override { fs::remove_all(root_); }

  // The Add model with `w` moved to external data.
  static onnx::ModelProto ExternalModel(const std::string& location, int64_t offset = -1, int64_t length = -1) {
    auto m = AddModel();
    auto* w = m.mutable_graph()->mutable_initializer(0);
    w->clear_raw_data();
    w->set_data_location(onnx::TensorProto::EXTERNAL);
    auto add = [&](const std::string& key, const std::string& value) {
      auto* kv = w->add_external_data();
      kv->set_key(key);
      kv->set_value(value);
    };
    add("location", location);
    if (offset >= 0) add("offset", std::to_string(offset));
    if (length >= 0) add("length", std::to_string(length));
    return m;
  }

  Status Load(const onnx::ModelProto& m) const { return LoadAndCompile(Bytes(m), model_dir_.string()); }

  fs::path root_, model_dir_;
};

TEST_F(HostileExternalData, ValidExternalDataLoads) {
  std::shared_ptr<const CompiledModel> model;
  ASSERT_TRUE(LoadAndCompile(Bytes(ExternalModel("weights.bin", 0, 12)), model_dir_.string(), &model).ok());
  auto out = model->Run({Tensor::Zeros(DType::kFloat32, {2, 3}).value()});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ((*out)[0].data<float>()[2], 3.0f);
}

TEST_F(HostileExternalData, AbsolutePathIsRefused) {
  EXPECT_ERROR_HAS(Load(ExternalModel((root_ / "secret.bin").string())), "tensor 'w'", "must be relative");
  EXPECT_ERROR_HAS(Load(ExternalModel("/etc/passwd")), "tensor 'w'", "'/etc/passwd' must be relative");
}

TEST_F(HostileExternalData, DotDotIsRefused) {
  EXPECT_ERROR_HAS(Load(ExternalModel("../secret.bin")), "tensor 'w'", "'../secret.bin' escapes the model's folder");
  EXPECT_ERROR_HAS(Load(ExternalModel("sub/../../secret.bin")), "tensor 'w'", "escapes the model's folder");
}

TEST_F(HostileExternalData, SymlinkOutOfTheFolderIsRefused) {
  fs::create_symlink(root_ / "secret.bin", model_dir_ / "link.bin");
  EXPECT_ERROR_HAS(Load(ExternalModel("link.bin")), "tensor 'w'", "resolves outside the model's folder");
}

TEST_F(HostileExternalData, OffsetOrLengthPastEndOfFile) {
  EXPECT_ERROR_HAS(Load(ExternalModel("weights.bin", 100)), "tensor 'w'",
                   "[100, +12) is outside 'weights.bin' (12 bytes)");
  EXPECT_ERROR_HAS(Load(ExternalModel("weights.bin", 4)), "tensor 'w'", "[4, +12) is outside");
  EXPECT_ERROR_HAS(Load(ExternalModel("weights.bin", 0, 16)), "tensor 'w'",
                   "length 16 does not match its shape (12 bytes)");
}

TEST_F(HostileExternalData, HugeShapeBackedByASmallFile) {
  auto m = ExternalModel("weights.bin");
  auto* w = m.mutable_graph()->mutable_initializer(0);
  w->set_dims(0, 1'000'000'000);  // 4 GB promised by a 12-byte file
  EXPECT_ERROR_HAS(Load(m), "tensor 'w'", "is outside 'weights.bin'");
  w->set_dims(0, int64_t{1} << 40);  // past the tensor size limit
  EXPECT_ERROR_HAS(Load(m), "tensor 'w'", "larger than the tensor size limit");
}

TEST_F(HostileExternalData, BadKeysAndMissingFiles) {
  EXPECT_TRUE(Load(ExternalModel("weights.bin")).ok());  // no offset or length: the whole file
  auto m = ExternalModel("weights.bin");
  auto* kv = m.mutable_graph()->mutable_initializer(0)->add_external_data();
  kv->set_key("offset");
  kv->set_value("twelve");
  EXPECT_ERROR_HAS(Load(m), "tensor 'w'", "external data key 'offset' has a bad value 'twelve'");
  EXPECT_ERROR_HAS(Load(ExternalModel("absent.bin")), "tensor 'w'", "absent.bin");
  EXPECT_ERROR_HAS(Load(ExternalModel("")), "tensor 'w'", "no location");
  // From bytes with no folder (as the fuzzer and servers loading uploads do), external data is refused.
  EXPECT_ERROR_HAS(LoadAndCompile(Bytes(ExternalModel("weights.bin")), ""), "tensor 'w'", "not allowed here");
}

}  // namespace
}  // namespace inferd::hostile
