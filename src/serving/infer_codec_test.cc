#include "serving/infer_codec.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>

#include "serving/infer_codec_internal.h"

namespace inferd::serving {
namespace {

Result<InferRequest> Decode(std::string_view body, std::optional<uint64_t> json_length = std::nullopt,
                            DecodeOptions options = {}) {
  return DecodeInferRequest(body, json_length, options);
}

std::string ErrorOf(std::string_view body, std::optional<uint64_t> json_length = std::nullopt) {
  auto r = Decode(body, json_length);
  if (r.ok()) return "(decoded fine)";
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << r.status().ToString();
  return r.status().message();
}

// One input "x" with the given datatype, shape and data text.
std::string OneInput(std::string_view datatype, std::string_view shape, std::string_view data) {
  return std::string(R"({"inputs":[{"name":"x","datatype":")") + std::string(datatype) + R"(","shape":)" +
         std::string(shape) + R"(,"data":)" + std::string(data) + "}]}";
}

// A response's outputs become a request's inputs: the wire form of a tensor
// is the same in both directions, so decode(encode(t)) must give back t.
std::pair<std::string, std::optional<uint64_t>> ResponseAsRequest(const EncodedResponse& r) {
  const size_t json_len = r.json_length ? *r.json_length : r.body.size();
  auto doc = nlohmann::json::parse(r.body.substr(0, json_len));
  nlohmann::json req;
  req["inputs"] = doc["outputs"];
  std::string body = req.dump();
  std::optional<uint64_t> len;
  if (r.json_length) {
    len = body.size();
    body += r.body.substr(json_len);
  }
  return {body, len};
}

void ExpectSameTensor(const Tensor& a, const Tensor& b) {
  ASSERT_EQ(a.dtype(), b.dtype());
  ASSERT_EQ(a.shape(), b.shape());
  if (a.dtype() == DType::kString) {
    for (int64_t i = 0; i < a.numel(); ++i) EXPECT_EQ(a.data<std::string>()[i], b.data<std::string>()[i]) << i;
  } else {
    EXPECT_EQ(0, std::memcmp(a.raw(), b.raw(), a.nbytes()));
  }
}

void ExpectRoundTrip(const Tensor& t) {
  for (bool binary : {false, true}) {
    SCOPED_TRACE(std::string(DTypeName(t.dtype())) + (binary ? " binary" : " json"));
    InferRequest req;
    req.binary_output_all = binary;
    auto enc = EncodeInferResponse("m", "1", req, {{"x", t}});
    ASSERT_TRUE(enc.ok()) << enc.status().ToString();
    EXPECT_EQ(enc->json_length.has_value(), binary);
    auto [body, len] = ResponseAsRequest(*enc);
    auto dec = Decode(body, len);
    ASSERT_TRUE(dec.ok()) << dec.status().ToString() << "\n" << body;
    ASSERT_EQ(dec->inputs.size(), 1u);
    EXPECT_EQ(dec->inputs[0].name, "x");
    ExpectSameTensor(dec->inputs[0].tensor, t);
  }
}

TEST(InferCodec, RoundTripsEveryDatatypeAsJsonAndBinary) {
  ExpectRoundTrip(Tensor::FromVector<bool>({true, false, true}, {3}));
  ExpectRoundTrip(Tensor::FromVector<uint8_t>({0, 7, 255}, {3}));
  ExpectRoundTrip(Tensor::FromVector<uint16_t>({0, 65535}, {2}));
  ExpectRoundTrip(Tensor::FromVector<uint32_t>({0, 4294967295u}, {2}));
  ExpectRoundTrip(Tensor::FromVector<uint64_t>({0, std::numeric_limits<uint64_t>::max()}, {2}));
  ExpectRoundTrip(Tensor::FromVector<int8_t>({-128, 0, 127}, {3}));
  ExpectRoundTrip(Tensor::FromVector<int16_t>({-32768, 32767}, {2}));
  ExpectRoundTrip(Tensor::FromVector<int32_t>({std::numeric_limits<int32_t>::min(), 5}, {2}));
  ExpectRoundTrip(
      Tensor::FromVector<int64_t>({std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max()}, {2}));
  ExpectRoundTrip(Tensor::FromVector<float>({0.1f, -0.0f, 1e-45f, 3.4028235e38f, 1.0f / 3, 16777217.0f}, {2, 3}));
  ExpectRoundTrip(Tensor::FromVector<double>({0.1, -0.0, 5e-324, 1.7976931348623157e308, 1.0 / 3}, {5}));
  ExpectRoundTrip(Tensor::FromVector<Float16>(
      {Float16::FromFloat(0.1f), Float16::FromFloat(65504.f), Float16::FromFloat(-6e-8f), Float16::FromFloat(-0.f)},
      {4}));
  ExpectRoundTrip(Tensor::FromVector<BFloat16>(
      {BFloat16::FromFloat(0.1f), BFloat16::FromFloat(3e38f), BFloat16::FromFloat(-1e-30f)}, {1, 3}));
  ExpectRoundTrip(
      Tensor::FromVector<std::string>({"", "hello", "tab\tquote\"back\\slash", "\xc3\xa9t\xc3\xa9"}, {2, 2}));
  ExpectRoundTrip(Tensor::FromVector<float>({}, {0, 4}));
  ExpectRoundTrip(Tensor::Scalar<int32_t>(42));
}

TEST(InferCodec, DecodesARequestWithParametersAndOutputs) {
  auto r =
      Decode(R"({"id":"req-7","parameters":{"binary_data_output":true,"timeout":2500,"trace":true,"client":{"x":[1]}},
      "inputs":[{"name":"a","datatype":"FP32","shape":[1,2],"data":[1.5,2],"parameters":{"mine":"x"}},
                {"data":[[1,2],[3,4]],"shape":[2,2],"datatype":"INT64","name":"b"}],
      "outputs":[{"name":"y","parameters":{"binary_data":false}},{"name":"z"}]})");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->id, "req-7");
  EXPECT_TRUE(r->binary_output_all);
  EXPECT_EQ(r->timeout_us, 2500);
  EXPECT_TRUE(r->trace);
  ASSERT_EQ(r->inputs.size(), 2u);
  EXPECT_EQ(r->inputs[0].name, "a");
  EXPECT_EQ(r->inputs[0].tensor.data<float>()[0], 1.5f);
  EXPECT_EQ(r->inputs[1].name, "b");
  EXPECT_EQ(r->inputs[1].tensor.shape(), (Shape{2, 2}));
  EXPECT_EQ(r->inputs[1].tensor.data<int64_t>()[3], 4);
  ASSERT_EQ(r->outputs.size(), 2u);
  EXPECT_FALSE(r->outputs[0].binary);  // its own parameter wins
  EXPECT_TRUE(r->outputs[1].binary);   // binary_data_output applies (it came first; order does not matter)
}

TEST(InferCodec, NestedDataMustMatchTheShape) {
  auto ok = Decode(OneInput("INT32", "[2,3]", "[[1,2,3],[4,5,6]]"));
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(ok->inputs[0].tensor.data<int32_t>()[5], 6);
  EXPECT_TRUE(Decode(OneInput("INT32", "[2,0,3]", "[[],[]]")).ok());
  EXPECT_TRUE(Decode(OneInput("INT32", "[0,3]", "[]")).ok());
  EXPECT_EQ(ErrorOf(OneInput("INT32", "[2,3]", "[[1,2],[3,4,5]]")),
            R"(input "x": "data" does not match shape [2,3]: an array at depth 1 has 2 elements, expected 3)");
  EXPECT_EQ(ErrorOf(OneInput("INT32", "[3,2]", "[[1,2],[3,4]]")),
            R"(input "x": "data" does not match shape [3,2]: an array at depth 0 has 2 elements, expected 3)");
  EXPECT_EQ(ErrorOf(OneInput("INT32", "[2,2]", "[[[1],[2]],[[3],[4]]]")),
            R"(input "x": "data" is nested 3 deep, shape [2,2] has rank 2)");
  EXPECT_EQ(ErrorOf(OneInput("INT32", "[2,1,2]", "[[1,2],[3,4]]")),
            R"(input "x": "data" does not match shape [2,1,2]: an array at depth 1 has 2 elements, expected 1)");
  EXPECT_EQ(ErrorOf(OneInput("INT32", "[2,2]", "[1,[2,3]]")),
            R"(input "x": "data" does not match shape [2,2]: a value at depth 0 where an array of 2 was expected)");
  EXPECT_EQ(ErrorOf(OneInput("INT32", "[2,3]", "[1,2,3,4,5]")),
            R"(input "x": "data" has 5 elements, shape [2,3] needs 6)");
  EXPECT_EQ(ErrorOf(OneInput("INT32", "[1]", "[{\"a\":1}]")),
            R"(input "x": "data" may hold only numbers, booleans, strings and arrays)");
  std::string deep(100, '[');
  deep += std::string(100, ']');
  EXPECT_EQ(ErrorOf(OneInput("INT32", "[1]", deep)), R"(input "x": "data" is nested deeper than 64 levels)");
}

TEST(InferCodec, ElementErrorsNameTheInputAndIndex) {
  EXPECT_EQ(ErrorOf(OneInput("UINT8", "[2]", "[1,300]")), R"(input "x": element 1: 300 is out of range for UINT8)");
  EXPECT_EQ(ErrorOf(OneInput("INT8", "[1]", "[-129]")), R"(input "x": element 0: -129 is out of range for INT8)");
  EXPECT_EQ(ErrorOf(OneInput("UINT32", "[1]", "[-1]")), R"(input "x": element 0: -1 is out of range for UINT32)");
  EXPECT_EQ(ErrorOf(OneInput("INT64", "[1]", "[9223372036854775808]")),
            R"(input "x": element 0: 9223372036854775808 is out of range for INT64)");
  EXPECT_EQ(ErrorOf(OneInput("UINT64", "[1]", "[18446744073709551616]")),
            R"(input "x": element 0: 18446744073709551616 is out of range for UINT64)");
  EXPECT_EQ(ErrorOf(OneInput("INT32", "[2]", "[1,1.5]")),
            R"(input "x": element 1: 1.5 is not an integer, as INT32 needs)");
  EXPECT_EQ(ErrorOf(OneInput("FP32", "[3]", R"([1,2,"3"])")),
            R"(input "x": element 2: expected a number, got a string)");
  EXPECT_EQ(ErrorOf(OneInput("FP32", "[1]", "[true]")), R"(input "x": element 0: expected a number, got a boolean)");
  EXPECT_EQ(ErrorOf(OneInput("FP32", "[1]", "[1e39]")), R"(input "x": element 0: 1e+39 is out of range for FP32)");
  EXPECT_EQ(ErrorOf(OneInput("FP64", "[1]", "[1e999]")), "request JSON is malformed: number overflow parsing '1e999'");
  EXPECT_EQ(ErrorOf(OneInput("FP16", "[1]", "[70000]")), R"(input "x": element 0: 70000 is out of range for FP16)");
  EXPECT_TRUE(Decode(OneInput("FP32", "[1]", "[3.4028235e38]")).ok());  // rounds to FLT_MAX
  EXPECT_EQ(ErrorOf(OneInput("FP32", "[1]", "[3.4028236e38]")),
            R"(input "x": element 0: 3.4028236e+38 is out of range for FP32)");
  EXPECT_EQ(ErrorOf(OneInput("BF16", "[1]", "[3.4e38]")), R"(input "x": element 0: 3.4e+38 is out of range for BF16)");
  EXPECT_EQ(ErrorOf(OneInput("BOOL", "[1]", "[2]")), R"(input "x": element 0: expected true or false, got 2)");
  EXPECT_EQ(ErrorOf(OneInput("BYTES", "[2]", R"(["a",1])")),
            R"(input "x": element 1: expected a string for BYTES, got 1)");
  EXPECT_EQ(ErrorOf(OneInput("FP32", "[2]", "[1,null]")), R"(input "x": element 1: null is not a value)");
  // Integral floats are integers; BOOL takes 0 and 1 as well as true and false.
  auto ints = Decode(OneInput("INT16", "[2]", "[3.0,-1e2]"));
  ASSERT_TRUE(ints.ok()) << ints.status().ToString();
  EXPECT_EQ(ints->inputs[0].tensor.data<int16_t>()[1], -100);
  auto bools = Decode(OneInput("BOOL", "[3]", "[true,0,1]"));
  ASSERT_TRUE(bools.ok());
  EXPECT_EQ(bools->inputs[0].tensor.data<bool>()[2], true);
  auto half = Decode(OneInput("FP16", "[1]", "[0.5]"));
  ASSERT_TRUE(half.ok());
  EXPECT_EQ(half->inputs[0].tensor.data<Float16>()[0].ToFloat(), 0.5f);
}

TEST(InferCodec, StructuralErrors) {
  EXPECT_EQ(ErrorOf(""), R"(request body is empty; expected a JSON object with "inputs")");
  EXPECT_EQ(ErrorOf("[1]"), "request body must be a JSON object");
  EXPECT_EQ(ErrorOf("{}"), R"(request has no "inputs" array)");
  EXPECT_EQ(ErrorOf(R"({"inputs":{}})"), R"("inputs" must be an array of objects)");
  EXPECT_EQ(ErrorOf(R"({"inputs":[1]})"), R"("inputs" must be an array of objects)");
  EXPECT_NE(ErrorOf(R"({"inputs":[)").find("request JSON is malformed: parse error"), std::string::npos);
  EXPECT_NE(ErrorOf(R"({"inputs":[]} x)").find("request JSON is malformed"), std::string::npos);
  EXPECT_EQ(ErrorOf(R"({"inputs":[{"datatype":"FP32","shape":[1],"data":[1]}]})"), R"(inputs[0]: missing "name")");
  EXPECT_EQ(ErrorOf(R"({"inputs":[{"name":"x","shape":[1],"data":[1]}]})"), R"(input "x": missing "datatype")");
  EXPECT_EQ(ErrorOf(R"({"inputs":[{"name":"x","datatype":"FP32","data":[1]}]})"), R"(input "x": missing "shape")");
  EXPECT_EQ(ErrorOf(R"({"inputs":[{"name":"x","datatype":"FP32","shape":[1]}]})"),
            R"(input "x": has neither "data" nor parameters.binary_data_size)");
  EXPECT_EQ(
      ErrorOf(OneInput("FP8", "[1]", "[1]")),
      R"(input "x": unknown datatype "FP8" (expected BOOL, UINT8, UINT16, UINT32, UINT64, INT8, INT16, INT32, INT64, FP16, FP32, FP64, BF16 or BYTES))");
  EXPECT_EQ(ErrorOf(OneInput("FP32", "[-1]", "[1]")), R"(input "x": "shape" must hold non-negative integers, got -1)");
  EXPECT_EQ(ErrorOf(OneInput("FP32", "[1.5]", "[1]")),
            R"(input "x": "shape" must hold non-negative integers, got 1.5)");
  EXPECT_EQ(ErrorOf(OneInput("FP32", "[4294967296,4294967296]", "[1]")),
            R"(input "x": shape [4294967296,4294967296] has too many elements)");
  EXPECT_EQ(ErrorOf(OneInput("FP32", "1", "[1]")), R"(input "x": "shape" must be an array of non-negative integers)");
  EXPECT_EQ(ErrorOf(OneInput("FP32", "[1]", "1")), R"(input "x": "data" must be an array)");
  EXPECT_EQ(ErrorOf(R"({"inputs":[{"name":"x","name":"y"}]})"), R"(input "x": "name" given twice)");
  EXPECT_EQ(ErrorOf(R"({"id":5,"inputs":[]})"), R"("id" must be a string)");
  EXPECT_EQ(ErrorOf(R"({"inputs":[],"outputs":[{"parameters":{}}]})"), R"(outputs[0]: missing "name")");
}

TEST(InferCodec, KnownParametersMustHaveTheirType) {
  EXPECT_EQ(ErrorOf(R"({"parameters":{"timeout":"5"},"inputs":[]})"),
            R"(parameter "timeout" must be a positive integer (microseconds))");
  EXPECT_EQ(ErrorOf(R"({"parameters":{"timeout":0},"inputs":[]})"),
            R"(parameter "timeout" must be a positive integer (microseconds))");
  EXPECT_EQ(ErrorOf(R"({"parameters":{"timeout":-3},"inputs":[]})"),
            R"(parameter "timeout" must be a positive integer (microseconds))");
  EXPECT_EQ(ErrorOf(R"({"parameters":{"binary_data_output":1},"inputs":[]})"),
            R"(parameter "binary_data_output" must be a boolean)");
  EXPECT_EQ(ErrorOf(R"({"parameters":{"trace":{}},"inputs":[]})"), R"(parameter "trace" must be a boolean)");
  EXPECT_EQ(ErrorOf(R"({"inputs":[],"outputs":[{"name":"y","parameters":{"binary_data":"yes"}}]})"),
            R"(output "y": parameter "binary_data" must be a boolean)");
  EXPECT_EQ(ErrorOf(R"({"inputs":[{"name":"x","parameters":{"binary_data_size":-1}}]})"),
            R"(input "x": parameter "binary_data_size" must be a non-negative integer)");
  EXPECT_EQ(ErrorOf(R"({"parameters":[],"inputs":[]})"), R"("parameters" must be an object)");
  auto r = Decode(R"({"parameters":{"priority":3,"sequence_id":"abc","nested":{"timeout":"x"}},"inputs":[]})");
  EXPECT_TRUE(r.ok()) << r.status().ToString();
}

std::string Le32(uint32_t v) {
  std::string s(4, '\0');
  std::memcpy(s.data(), &v, 4);
  return s;
}

TEST(InferCodec, BinaryInputs) {
  const std::string json =
      R"({"inputs":[{"name":"a","datatype":"FP32","shape":[2],"parameters":{"binary_data_size":8}},)"
      R"({"name":"b","datatype":"INT8","shape":[1],"data":[-3]},)"
      R"({"name":"s","datatype":"BYTES","shape":[2],"parameters":{"binary_data_size":11}}]})";
  float fs[2] = {1.25f, -2.f};
  std::string bin(reinterpret_cast<const char*>(fs), 8);
  bin += Le32(2) + "hi" + Le32(1) + "!";
  auto r = Decode(json + bin, json.size());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->inputs[0].tensor.data<float>()[1], -2.f);
  EXPECT_EQ(r->inputs[1].tensor.data<int8_t>()[0], -3);
  EXPECT_EQ(r->inputs[2].tensor.data<std::string>()[0], "hi");
  EXPECT_EQ(r->inputs[2].tensor.data<std::string>()[1], "!");
}

TEST(InferCodec, BinaryErrors) {
  const auto one = [](std::string_view dtype, std::string_view shape, uint64_t size) {
    return std::string(R"({"inputs":[{"name":"x","datatype":")") + std::string(dtype) + R"(","shape":)" +
           std::string(shape) + R"(,"parameters":{"binary_data_size":)" + std::to_string(size) + "}}]}";
  };
  std::string j = one("FP32", "[2]", 8);
  EXPECT_EQ(ErrorOf(j + std::string(8, '\0'), j.size() + 9), "Inference-Header-Content-Length " +
                                                                 std::to_string(j.size() + 9) + " exceeds the body's " +
                                                                 std::to_string(j.size() + 8) + " bytes");
  EXPECT_EQ(
      ErrorOf(j + std::string(8, '\0')),
      R"(input "x": has parameters.binary_data_size but the request has no Inference-Header-Content-Length header to say where the JSON ends)");
  EXPECT_EQ(ErrorOf(j + std::string(4, '\0'), j.size()),
            R"(input "x": binary_data_size 8 but only 4 bytes of binary data remain)");
  EXPECT_EQ(ErrorOf(j + std::string(12, '\0'), j.size()),
            "request has 4 bytes after the JSON that no input claims (binary_data_size values add up to 8)");
  j = one("FP32", "[3]", 8);
  EXPECT_EQ(ErrorOf(j + std::string(8, '\0'), j.size()),
            R"(input "x": binary_data_size 8 does not match shape [3] of FP32, which needs 12 bytes)");
  j = one("FP32", "[1000000000000]", 8);
  EXPECT_EQ(
      ErrorOf(j + std::string(8, '\0'), j.size()),
      R"(input "x": binary_data_size 8 does not match shape [1000000000000] of FP32, which needs 4000000000000 bytes)");
  j = one("BOOL", "[2]", 2);
  EXPECT_EQ(ErrorOf(j + std::string("\x01\x02", 2), j.size()),
            R"(input "x": BOOL element 1 is byte 2, expected 0 or 1)");
  j = one("BYTES", "[2]", 9);
  EXPECT_EQ(ErrorOf(j + Le32(1) + "a" + Le32(0), j.size()), "(decoded fine)");
  j = one("BYTES", "[2]", 8);
  EXPECT_EQ(ErrorOf(j + Le32(1) + "abcd", j.size()),
            R"(input "x": BYTES element 1 is cut off: its 4-byte length is missing)");
  j = one("BYTES", "[2]", 9);
  EXPECT_EQ(ErrorOf(j + Le32(9) + "abcde", j.size()),
            R"(input "x": BYTES element 0 declares 9 bytes but only 5 remain in its binary_data_size)");
  j = one("BYTES", "[1]", 9);
  EXPECT_EQ(ErrorOf(j + Le32(1) + "abcde", j.size()),
            R"(input "x": binary_data_size 9 leaves 4 bytes after the 1 BYTES elements of shape [1])");
  j = one("BYTES", "[1000000]", 8);
  EXPECT_EQ(
      ErrorOf(j + std::string(8, '\0'), j.size()),
      R"(input "x": binary_data_size 8 cannot hold the 1000000 BYTES elements of shape [1000000] (each needs a 4-byte length))");
  j = R"({"inputs":[{"name":"x","datatype":"FP32","shape":[1],"data":[1],"parameters":{"binary_data_size":4}}]})";
  EXPECT_EQ(ErrorOf(j + std::string(4, '\0'), j.size()),
            R"(input "x": has both "data" and parameters.binary_data_size; send one)");
  j = OneInput("FP32", "[1]", "[1]");
  EXPECT_EQ(ErrorOf(j + "xx", j.size()),
            "request has 2 bytes after the JSON that no input claims (binary_data_size values add up to 0)");
}

TEST(InferCodec, RejectNonfiniteOption) {
  const std::string j =
      R"({"inputs":[{"name":"x","datatype":"FP32","shape":[2],"parameters":{"binary_data_size":8}}]})";
  float fs[2] = {1.f, std::numeric_limits<float>::quiet_NaN()};
  const std::string body = j + std::string(reinterpret_cast<const char*>(fs), 8);
  EXPECT_TRUE(Decode(body, j.size()).ok());
  auto r = Decode(body, j.size(), DecodeOptions{.reject_nonfinite = true});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), R"(input "x": element 1 is NaN; this server accepts only finite values)");
}

TEST(InferCodec, EncodesJsonExactly) {
  InferRequest req;
  req.id = "r1";
  auto enc = EncodeInferResponse("mnist", "3", req,
                                 {{"y", Tensor::FromVector<float>({0.1f, 1.f, -0.f, 1e-7f}, {1, 4})},
                                  {"n", Tensor::FromVector<float>({std::nanf(""), INFINITY, -INFINITY}, {3})},
                                  {"l", Tensor::FromVector<int64_t>({-5}, {1})},
                                  {"b", Tensor::FromVector<bool>({true}, {})}});
  ASSERT_TRUE(enc.ok());
  EXPECT_FALSE(enc->json_length.has_value());
  EXPECT_EQ(enc->body, R"({"model_name":"mnist","model_version":"3","id":"r1","outputs":[)"
                       R"({"name":"y","datatype":"FP32","shape":[1,4],"data":[0.1,1,-0.0,1e-07]},)"
                       R"({"name":"n","datatype":"FP32","shape":[3],"data":[NaN,Infinity,-Infinity]},)"
                       R"({"name":"l","datatype":"INT64","shape":[1],"data":[-5]},)"
                       R"({"name":"b","datatype":"BOOL","shape":[],"data":[true]}]})");
  req.id.clear();
  enc = EncodeInferResponse("m", "", req, {});
  ASSERT_TRUE(enc.ok());
  EXPECT_EQ(enc->body, R"({"model_name":"m","outputs":[]})");
}

TEST(InferCodec, EncodesRequestedOutputsInRequestOrderWithBinary) {
  InferRequest req;
  req.outputs = {{"s", true}, {"y", false}};
  auto enc = EncodeInferResponse("m", "1", req,
                                 {{"y", Tensor::FromVector<int32_t>({7}, {1})},
                                  {"unused", Tensor::FromVector<int32_t>({1}, {1})},
                                  {"s", Tensor::FromVector<std::string>({"ab"}, {1})}});
  ASSERT_TRUE(enc.ok()) << enc.status().ToString();
  const std::string json = R"({"model_name":"m","model_version":"1","outputs":[)"
                           R"({"name":"s","datatype":"BYTES","shape":[1],"parameters":{"binary_data_size":6}},)"
                           R"({"name":"y","datatype":"INT32","shape":[1],"data":[7]}]})";
  ASSERT_TRUE(enc->json_length.has_value());
  EXPECT_EQ(*enc->json_length, json.size());
  EXPECT_EQ(enc->body, json + Le32(2) + "ab");

  req.outputs = {{"z", false}};
  auto bad =
      EncodeInferResponse("m", "1", req, {{"y", Tensor::FromVector<int32_t>({7}, {1})}, {"w", Tensor::Scalar(1.f)}});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(), R"(unknown output "z" (the model produces "y", "w"))");
}

TEST(InferCodec, BytesThatAreNotUtf8NeedBinary) {
  InferRequest req;
  auto bad = EncodeInferResponse("m", "1", req, {{"s", Tensor::FromVector<std::string>({"ok", "\xff\xfe"}, {2})}});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(
      bad.status().message(),
      R"(output "s": element 1 is not valid UTF-8, so it cannot travel in JSON; request the output with parameters.binary_data true)");
  req.binary_output_all = true;
  auto good = EncodeInferResponse("m", "1", req, {{"s", Tensor::FromVector<std::string>({"ok", "\xff\xfe"}, {2})}});
  ASSERT_TRUE(good.ok());
  auto ctl =
      EncodeInferResponse("m", "1", {}, {{"s", Tensor::FromVector<std::string>({std::string("\x01\n", 2)}, {1})}});
  ASSERT_TRUE(ctl.ok());
  EXPECT_NE(ctl->body.find(R"(["\u0001\n"])"), std::string::npos) << ctl->body;
}

// The data fast path (std::from_chars over the raw text) must give exactly
// what nlohmann gives reading every byte: values, and errors word for word.
TEST(InferCodec, DataFastPathMatchesThePlainPath) {
  const std::vector<std::string> datas = {"[1,2,3]",
                                          "[ -0 , 1e5 ,1E+2,\n2.5e-3\t]",
                                          "[[1,2],[3,4]]",
                                          "[[[1]],[[2]]]",
                                          "[true,false]",
                                          "[01]",
                                          "[1.]",
                                          "[1,]",
                                          "[1 2]",
                                          "[.5]",
                                          "[-]",
                                          "[1e999]",
                                          "[1e-400]",
                                          "[18446744073709551616]",
                                          "[-9223372036854775809]",
                                          R"(["a",1])",
                                          "[null]",
                                          "[tru]",
                                          "[[1,2],[3]]",
                                          "[1,[2]]",
                                          "[]",
                                          "[[]]",
                                          "[",
                                          "[1,2"};
  const std::vector<std::string> types = {"FP32", "INT64", "UINT64", "BOOL", "FP16"};
  int compared = 0;
  for (const auto& data : datas) {
    for (const auto& type : types) {
      for (const std::string shape : {"[3]", "[2,2]", "[1]", "[2]"}) {
        const std::string body = OneInput(type, shape, data);
        auto fast = codec_internal::ParseRequestJson(body, {}, true);
        auto plain = codec_internal::ParseRequestJson(body, {}, false);
        ASSERT_EQ(fast.ok(), plain.ok()) << body;
        ++compared;
        if (!fast.ok()) {
          EXPECT_EQ(fast.status().message(), plain.status().message()) << body;
          continue;
        }
        ExpectSameTensor(fast->request.inputs[0].tensor, plain->request.inputs[0].tensor);
      }
    }
  }
  EXPECT_EQ(compared, 24 * 5 * 4);
  // Keys spelled with escapes are still keys: such requests skip the fast path.
  auto r = Decode(R"({"inputs":[{"name":"x","datatype":"INT32","shape":[2],"d\u0061ta":[1,2]}]})");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->inputs[0].tensor.data<int32_t>()[1], 2);
  // A syntax error after a claimed array is reported at its place in the client's text.
  const std::string bad = R"({"inputs":[{"name":"x","datatype":"INT32","shape":[2],"data":[1,2]}] x})";
  EXPECT_EQ(ErrorOf(bad), codec_internal::ParseRequestJson(bad, {}, false).status().message());
  EXPECT_NE(ErrorOf(bad).find("column 70"), std::string::npos) << ErrorOf(bad);
}

TEST(InferCodec, DatatypeNames) {
  EXPECT_EQ(WireDatatype(DType::kString), "BYTES");
  EXPECT_EQ(WireDatatype(DType::kBFloat16), "BF16");
  EXPECT_EQ(WireDatatype(DType::kUndefined), "");
  EXPECT_EQ(DTypeFromWire("UINT16"), DType::kUint16);
  EXPECT_EQ(DTypeFromWire("float"), DType::kUndefined);  // ONNX names are not wire names
}

TEST(InferCodec, InferenceHeaderContentLength) {
  EXPECT_EQ(ParseInferenceHeaderContentLength("123").value(), 123u);
  EXPECT_EQ(ParseInferenceHeaderContentLength(" 0 ").value(), 0u);
  for (const char* bad : {"", "-1", "12a", "0x10", "99999999999999999999", "+5"}) {
    auto r = ParseInferenceHeaderContentLength(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().message(),
              "Inference-Header-Content-Length \"" + std::string(bad) + "\" is not a non-negative decimal byte count");
  }
}

}  // namespace
}  // namespace inferd::serving
