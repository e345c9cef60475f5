#include "loadgen/payload.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "common/npy.h"

namespace inferd::loadgen {
namespace {

using nlohmann::json;

ModelMetadata TwoInputs() {
  auto m = ParseModelMetadata(R"({"name":"m","versions":["1","2"],"platform":"onnx",
      "inputs":[{"name":"x","datatype":"FP32","shape":[-1,3]},{"name":"ids","datatype":"INT64","shape":[-1,-1]}],
      "outputs":[{"name":"y","datatype":"FP32","shape":[-1,2]}]})");
  EXPECT_TRUE(m.ok()) << m.status().message();
  return *m;
}

TEST(Payload, ParsesMetadata) {
  ModelMetadata m = TwoInputs();
  EXPECT_EQ(m.name, "m");
  ASSERT_EQ(m.versions.size(), 2u);
  ASSERT_EQ(m.inputs.size(), 2u);
  EXPECT_EQ(m.inputs[1].name, "ids");
  EXPECT_EQ(m.inputs[1].shape, (std::vector<int64_t>{-1, -1}));
  EXPECT_EQ(m.outputs[0].datatype, "FP32");
}

TEST(Payload, RejectsMalformedMetadataWithAReason) {
  EXPECT_FALSE(ParseModelMetadata("not json").ok());
  auto r = ParseModelMetadata(R"({"name":"m","inputs":[{"name":"x","shape":[1]}]})");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("\"x\" has no string \"datatype\""), std::string::npos);
  r = ParseModelMetadata(R"({"name":"m","inputs":[{"name":"x","datatype":"FP32","shape":[-2]}]})");
  ASSERT_FALSE(r.ok());
  EXPECT_FALSE(ParseModelMetadata(R"({"name":"m","inputs":[]})").ok());
}

TEST(Payload, JsonBodyUsesBatchForTheFirstDimAndOneElsewhere) {
  PayloadOptions options;
  options.batch = 4;
  auto p = BuildInferPayload(TwoInputs(), options);
  ASSERT_TRUE(p.ok()) << p.status().message();
  EXPECT_EQ(p->batch, 4);
  EXPECT_EQ(p->json_bytes, 0u);
  json j = json::parse(p->body);
  ASSERT_EQ(j["inputs"].size(), 2u);
  EXPECT_EQ(j["inputs"][0]["shape"], json({4, 3}));
  EXPECT_EQ(j["inputs"][0]["data"].size(), 12u);
  EXPECT_EQ(j["inputs"][1]["shape"], json({4, 1}));
  EXPECT_EQ(j["inputs"][1]["datatype"], "INT64");
  for (const auto& v : j["inputs"][0]["data"]) EXPECT_TRUE(v.get<double>() >= -1 && v.get<double>() < 1);
  // Seeded: the same options give the same body, another seed another one.
  EXPECT_EQ(BuildInferPayload(TwoInputs(), options)->body, p->body);
  options.seed = 2;
  EXPECT_NE(BuildInferPayload(TwoInputs(), options)->body, p->body);
  EXPECT_EQ(p->Headers()[0].second, "application/json");
}

TEST(Payload, BinaryBodyFramesEachTensor) {
  PayloadOptions options;
  options.batch = 2;
  options.binary = true;
  auto p = BuildInferPayload(TwoInputs(), options);
  ASSERT_TRUE(p.ok()) << p.status().message();
  ASSERT_GT(p->json_bytes, 0u);
  json j = json::parse(p->body.substr(0, p->json_bytes));
  EXPECT_EQ(j["inputs"][0]["parameters"]["binary_data_size"], 2 * 3 * 4);
  EXPECT_EQ(j["inputs"][1]["parameters"]["binary_data_size"], 2 * 1 * 8);
  EXPECT_FALSE(j["inputs"][0].contains("data"));
  EXPECT_EQ(j["parameters"]["binary_data_output"], true);
  EXPECT_EQ(p->body.size(), p->json_bytes + 24 + 16);
  const auto headers = p->Headers();
  ASSERT_EQ(headers.size(), 2u);
  EXPECT_EQ(headers[1].first, "Inference-Header-Content-Length");
  EXPECT_EQ(headers[1].second, std::to_string(p->json_bytes));
  // The INT64 tensor's bytes follow the FP32 tensor's, little-endian, values in [0, 10).
  int64_t first_id = -1;
  std::memcpy(&first_id, p->body.data() + p->json_bytes + 24, 8);
  EXPECT_GE(first_id, 0);
  EXPECT_LT(first_id, 10);
}

TEST(Payload, BytesInputsAsLengthPrefixedStrings) {
  auto m = ParseModelMetadata(R"({"name":"t","inputs":[{"name":"s","datatype":"BYTES","shape":[2]}]})");
  ASSERT_TRUE(m.ok());
  PayloadOptions options;
  options.binary = true;
  auto p = BuildInferPayload(*m, options);
  ASSERT_TRUE(p.ok()) << p.status().message();
  EXPECT_EQ(p->body.size() - p->json_bytes, 2u * (4 + 8));
  EXPECT_EQ(p->body[p->json_bytes], 8);
  options.binary = false;
  p = BuildInferPayload(*m, options);
  ASSERT_TRUE(p.ok());
  EXPECT_TRUE(json::parse(p->body)["inputs"][0]["data"][0].is_string());
}

TEST(Payload, NpyFileSetsDataAndBatch) {
  const std::string path = ::testing::TempDir() + "/loadgen_x_" + std::to_string(::getpid()) + ".npy";
  Tensor t = Tensor::FromVector<float>({1, 2, 3, 4, 5, 6}, {2, 3});
  ASSERT_TRUE(SaveNpyFile(t, path).ok());
  PayloadOptions options;
  options.input_files["x"] = path;
  auto p = BuildInferPayload(TwoInputs(), options);
  ASSERT_TRUE(p.ok()) << p.status().message();
  EXPECT_EQ(p->batch, 2);
  json j = json::parse(p->body);
  EXPECT_EQ(j["inputs"][0]["data"], json({1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(j["inputs"][1]["shape"], json({2, 1}));
  options.batch = 3;
  auto mismatch = BuildInferPayload(TwoInputs(), options);
  ASSERT_FALSE(mismatch.ok());
  EXPECT_NE(mismatch.status().message().find("has 2 rows"), std::string::npos) << mismatch.status().message();
  std::filesystem::remove(path);
}

TEST(Payload, RejectsFilesThatDoNotFit) {
  const std::string path = ::testing::TempDir() + "/loadgen_bad_" + std::to_string(::getpid()) + ".npy";
  ASSERT_TRUE(SaveNpyFile(Tensor::FromVector<int32_t>({1, 2, 3}, {1, 3}), path).ok());
  PayloadOptions options;
  options.input_files["x"] = path;
  auto r = BuildInferPayload(TwoInputs(), options);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("holds INT32 [1,3] but the model declares FP32 [-1,3]"), std::string::npos)
      << r.status().message();
  options.input_files.clear();
  options.input_files["nope"] = path;
  r = BuildInferPayload(TwoInputs(), options);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("no input \"nope\" (inputs: x, ids)"), std::string::npos);
  std::filesystem::remove(path);
}

TEST(Payload, RejectsBatchWithoutAVariableDimAndHugeBodies) {
  auto m = ParseModelMetadata(R"({"name":"f","inputs":[{"name":"x","datatype":"FP32","shape":[1,3]}]})");
  ASSERT_TRUE(m.ok());
  PayloadOptions options;
  options.batch = 8;
  EXPECT_FALSE(BuildInferPayload(*m, options).ok());
  auto big = ParseModelMetadata(R"({"name":"b","inputs":[{"name":"x","datatype":"FP32","shape":[100000,100000]}]})");
  ASSERT_TRUE(big.ok());
  auto r = BuildInferPayload(*big, PayloadOptions{}, 1 << 20);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("would exceed"), std::string::npos);
}

TEST(Payload, ChecksResponses) {
  const std::string ok = R"({"model_name":"m","outputs":[{"name":"y","datatype":"FP32","shape":[1,2],"data":[1,2]}]})";
  EXPECT_TRUE(CheckInferResponse(200, ok, nullptr).ok());
  Status st = CheckInferResponse(500, R"({"error":"out of memory"})", nullptr);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("HTTP 500: {\"error\":\"out of memory\"}"), std::string::npos) << st.message();
  EXPECT_FALSE(CheckInferResponse(200, R"({"model_name":"m"})", nullptr).ok());
  EXPECT_FALSE(CheckInferResponse(200, R"({"outputs":[{"name":"y","datatype":"FP32","shape":[1]}]})", nullptr).ok());
  const std::string head = R"({"outputs":[{"name":"y","datatype":"FP32","shape":[2],)"
                           R"("parameters":{"binary_data_size":8}}]})";
  const std::string len = std::to_string(head.size());
  EXPECT_TRUE(CheckInferResponse(200, head + std::string(8, 'b'), &len).ok());
  EXPECT_FALSE(CheckInferResponse(200, head + std::string(7, 'b'), &len).ok());
  const std::string too_long = "99999";
  EXPECT_FALSE(CheckInferResponse(200, head, &too_long).ok());
}

}  // namespace
}  // namespace inferd::loadgen
