#include "serving/validation.h"

#include <gtest/gtest.h>

namespace inferd::serving {
namespace {

ValueInfo Info(std::string name, DType dtype, std::vector<int64_t> dims) {
  ValueInfo v;
  v.name = std::move(name);
  v.dtype = dtype;
  std::vector<Dim> ds;
  for (int64_t d : dims) ds.push_back(Dim{d, d < 0 ? "batch" : ""});
  v.dims = std::move(ds);
  return v;
}

InferRequest Request(std::vector<NamedTensor> inputs) {
  InferRequest r;
  r.inputs = std::move(inputs);
  return r;
}

NamedTensor In(std::string name, DType dtype, Shape shape) {
  return {std::move(name), Tensor::Zeros(dtype, std::move(shape)).value()};
}

std::string ErrorOf(const ModelSignature& sig, InferRequest req) {
  auto r = ValidateInputs(sig, req);
  if (r.ok()) return "(valid)";
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  return r.status().message();
}

ModelSignature TwoInputs() {
  ModelSignature sig;
  sig.inputs = {Info("x", DType::kFloat32, {-1, 784}), Info("mask", DType::kBool, {-1})};
  sig.outputs = {Info("y", DType::kFloat32, {-1, 10}), Info("w", DType::kFloat32, {})};
  return sig;
}

TEST(Validation, ReordersInputsIntoSignatureOrder) {
  auto req = Request({In("mask", DType::kBool, {2}), In("x", DType::kFloat32, {2, 784})});
  const void* x_data = req.inputs[1].tensor.raw();
  auto r = ValidateInputs(TwoInputs(), req);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ((*r)[0].dtype(), DType::kFloat32);
  EXPECT_EQ((*r)[0].raw(), x_data);  // moved, not copied
  EXPECT_EQ((*r)[1].dtype(), DType::kBool);
}

TEST(Validation, NamesAndCounts) {
  const auto sig = TwoInputs();
  EXPECT_EQ(ErrorOf(sig, Request({In("x", DType::kFloat32, {1, 784})})),
            R"(missing input "mask" (the model takes "x", "mask"))");
  EXPECT_EQ(ErrorOf(sig, Request({In("x", DType::kFloat32, {1, 784}), In("y", DType::kBool, {1})})),
            R"(unknown input "y" (the model takes "x", "mask"))");
  EXPECT_EQ(ErrorOf(sig, Request({In("x", DType::kFloat32, {1, 784}), In("x", DType::kFloat32, {1, 784})})),
            R"(input "x" sent twice)");
}

TEST(Validation, DatatypeRankAndFixedDims) {
  const auto sig = TwoInputs();
  EXPECT_EQ(ErrorOf(sig, Request({In("x", DType::kInt64, {1, 784}), In("mask", DType::kBool, {1})})),
            R"(input "x": expected FP32 [-1,784], got INT64 [1,784])");
  EXPECT_EQ(ErrorOf(sig, Request({In("x", DType::kFloat32, {1, 783}), In("mask", DType::kBool, {1})})),
            R"(input "x": expected FP32 [-1,784], got FP32 [1,783])");
  EXPECT_EQ(ErrorOf(sig, Request({In("x", DType::kFloat32, {784}), In("mask", DType::kBool, {1})})),
            R"(input "x": expected FP32 [-1,784], got FP32 [784])");
  // Symbolic dims take any size, including 0.
  EXPECT_EQ(ErrorOf(sig, Request({In("x", DType::kFloat32, {0, 784}), In("mask", DType::kBool, {0})})), "(valid)");

  ModelSignature any;
  any.inputs = {ValueInfo{"s", DType::kString, std::nullopt}};
  EXPECT_EQ(ErrorOf(any, Request({In("s", DType::kString, {2, 3, 4})})), "(valid)");
  EXPECT_EQ(ErrorOf(any, Request({In("s", DType::kFloat32, {2})})),
            R"(input "s": expected BYTES of any shape, got FP32 [2])");
}

TEST(Validation, MaxBatchSize) {
  auto sig = TwoInputs();
  sig.max_batch_size = 32;
  EXPECT_EQ(ErrorOf(sig, Request({In("x", DType::kFloat32, {32, 784}), In("mask", DType::kBool, {32})})), "(valid)");
  EXPECT_EQ(ErrorOf(sig, Request({In("x", DType::kFloat32, {64, 784}), In("mask", DType::kBool, {64})})),
            R"(input "x": batch of 64 rows exceeds the model's max_batch_size 32)");
  EXPECT_EQ(ErrorOf(sig, Request({In("x", DType::kFloat32, {2, 784}), In("mask", DType::kBool, {3})})),
            R"(input "mask": batch of 3 rows differs from input "x"'s 2)");
  // A fixed dim 0 is not a batch dimension: it is checked as declared.
  ModelSignature fixed;
  fixed.max_batch_size = 4;
  fixed.inputs = {Info("x", DType::kFloat32, {8, 2})};
  EXPECT_EQ(ErrorOf(fixed, Request({In("x", DType::kFloat32, {8, 2})})), "(valid)");
  // Without max_batch_size, dim 0 is limited only by the declaration.
  sig.max_batch_size = 0;
  EXPECT_EQ(ErrorOf(sig, Request({In("x", DType::kFloat32, {1000, 784}), In("mask", DType::kBool, {3})})), "(valid)");
}

TEST(Validation, RequestedOutputs) {
  const auto sig = TwoInputs();
  InferRequest req;
  EXPECT_TRUE(ValidateRequestedOutputs(sig, req).ok());  // none named: all
  req.outputs = {{"w", false}};
  EXPECT_TRUE(ValidateRequestedOutputs(sig, req).ok());
  req.outputs = {{"w", false}, {"z", true}};
  EXPECT_EQ(ValidateRequestedOutputs(sig, req).message(), R"(unknown output "z" (the model produces "y", "w"))");
  req.outputs = {{"y", false}, {"y", true}};
  EXPECT_EQ(ValidateRequestedOutputs(sig, req).message(), R"(output "y" requested twice)");
}

TEST(Validation, DecodedRequestEndToEnd) {
  auto req = DecodeInferRequest(R"({"inputs":[{"name":"mask","datatype":"BOOL","shape":[1],"data":[true]},)"
                                R"({"name":"x","datatype":"FP32","shape":[1,784],"data":[)" +
                                    [] {
                                      std::string s = "0";
                                      for (int i = 1; i < 784; ++i) s += "," + std::to_string(i);
                                      return s;
                                    }() +
                                    "]}]}",
                                std::nullopt);
  ASSERT_TRUE(req.ok()) << req.status().ToString();
  auto r = ValidateInputs(TwoInputs(), *req);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)[0].data<float>()[783], 783.f);
  EXPECT_TRUE((*r)[1].data<bool>()[0]);
}

}  // namespace
}  // namespace inferd::serving
