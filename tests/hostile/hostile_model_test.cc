// Crafted models that must be refused with a clear error, never a crash or
// a huge allocation: bad bytes, bad tensors, bad graphs, bad runs.
#include <gtest/gtest.h>

#include <random>

#include "hostile_models.h"

namespace inferd::hostile {
namespace {

// ---- bytes that are not a model

TEST(HostileBytes, TruncatedModelNeverCrashes) {
  const std::string whole = Bytes(AddModel());
  // Cut inside the initializer's raw_data: a length-delimited field runs past the end.
  const size_t cut = whole.find(std::string("\x00\x00\x80\x3f", 4));
  ASSERT_NE(cut, std::string::npos);
  EXPECT_ERROR_HAS(LoadAndCompile(whole.substr(0, cut + 2)), "not a valid ONNX model", "truncated");
  // Every prefix either loads (protobuf fields can end anywhere between fields)
  // or fails with a message; none may crash.
  for (size_t n = 0; n < whole.size(); ++n) {
    const Status st = LoadAndCompile(whole.substr(0, n));
    if (!st.ok()) {
      EXPECT_FALSE(st.message().empty()) << "prefix " << n;
    }
  }
  EXPECT_ERROR_HAS(LoadAndCompile(std::string()), "no graph");
}

TEST(HostileBytes, RandomBytesAreRefused) {
  std::mt19937 rng(1234);
  for (int i = 0; i < 500; ++i) {
    std::string bytes(rng() % 512, '\0');
    for (auto& c : bytes) c = static_cast<char>(rng());
    const Status st = LoadAndCompile(bytes);
    EXPECT_FALSE(st.ok()) << "random buffer " << i << " loaded";
    EXPECT_FALSE(st.message().empty());
  }
  EXPECT_ERROR_HAS(LoadAndCompile(std::string("PK\x03\x04not an onnx file at all", 26)), "not a valid ONNX model");
}

// ---- tensors that lie

onnx::TensorProto* Weight(onnx::ModelProto& m) { return m.mutable_graph()->mutable_initializer(0); }

TEST(HostileTensors, NegativeDimension) {
  auto m = AddModel();
  Weight(m)->set_dims(0, -3);
  EXPECT_ERROR_HAS(LoadAndCompile(m), "tensor 'w'", "negative dimension -3");
}

TEST(HostileTensors, HugeDimsFailWithoutAllocating) {
  auto m = AddModel();
  Weight(m)->clear_dims();
  Weight(m)->add_dims(1'000'000'000'000);
  Weight(m)->add_dims(1'000'000'000'000);
  EXPECT_ERROR_HAS(LoadAndCompile(m), "tensor 'w'", "[1000000000000,1000000000000]", "overflows");

  // 4 TB that does not overflow: the 12 bytes of raw_data cannot back it.
  Weight(m)->set_dims(0, 1'000'000);
  Weight(m)->set_dims(1, 1'000'000);
  EXPECT_ERROR_HAS(LoadAndCompile(m), "tensor 'w'", "raw_data has 12 bytes", "needs 4000000000000");

  // Same with typed data: an empty float_data cannot back it either.
  Weight(m)->clear_raw_data();
  EXPECT_ERROR_HAS(LoadAndCompile(m), "tensor 'w'", "float_data holds 0 values", "needs 1000000000000");
}

TEST(HostileTensors, RawDataSizeDoesNotMatchShape) {
  auto m = AddModel();
  Weight(m)->set_dims(0, 4);  // 16 bytes needed, 12 given
  EXPECT_ERROR_HAS(LoadAndCompile(m), "tensor 'w'", "raw_data has 12 bytes but shape [4] of float needs 16");
}

TEST(HostileTensors, UnknownDataTypeAndStringRawData) {
  auto m = AddModel();
  Weight(m)->set_data_type(99);
  EXPECT_ERROR_HAS(LoadAndCompile(m), "tensor 'w'", "unsupported data type 99");
  Weight(m)->set_data_type(onnx::TensorProto::STRING);
  EXPECT_ERROR_HAS(LoadAndCompile(m), "tensor 'w'", "string tensors cannot use raw_data");
}

TEST(HostileTensors, InitializerWithoutName) {
  auto m = AddModel();
  Weight(m)->clear_name();
  EXPECT_ERROR_HAS(LoadAndCompile(m), "initializer without a name");
}

// ---- graphs that cannot run

TEST(HostileGraphs, Cycle) {
  auto m = AddModel();
  auto* g = m.mutable_graph();
  g->clear_node();
  AddNode(g, "Add", "first", {"x", "b"}, {"a"});
  AddNode(g, "Add", "second", {"a", "w"}, {"b"});
  AddNode(g, "Add", "last", {"b", "w"}, {"y"});
  EXPECT_ERROR_HAS(LoadAndCompile(m), "cycle", "node 'first'");

  g->clear_node();
  AddNode(g, "Add", "selfish", {"x", "y"}, {"y"});
  EXPECT_ERROR_HAS(LoadAndCompile(m), "Add (node 'selfish') reads its own output 'y'");
}

TEST(HostileGraphs, NodeReadsMissingInput) {
  auto m = AddModel();
  m.mutable_graph()->mutable_node(0)->set_input(1, "nowhere");
  EXPECT_ERROR_HAS(LoadAndCompile(m), "Add (node 'add0')", "input 'nowhere' is not a graph input");
}

TEST(HostileGraphs, OutputNeverProducedAndValueProducedTwice) {
  auto m = AddModel();
  m.mutable_graph()->mutable_output(0)->set_name("ghost");
  EXPECT_ERROR_HAS(LoadAndCompile(m), "graph output 'ghost' is never produced");

  m = AddModel();
  AddNode(m.mutable_graph(), "Add", "twin", {"x", "w"}, {"y"});
  EXPECT_ERROR_HAS(LoadAndCompile(m), "value 'y' is produced by two nodes", "node 'add0'", "node 'twin'");
}

TEST(HostileGraphs, UnknownOpNamesOpNodeAndOpset) {
  auto m = AddModel();
  m.mutable_graph()->mutable_node(0)->set_op_type("Frobnicate");
  EXPECT_ERROR_HAS(LoadAndCompile(m), "unsupported operator Frobnicate", "node 'add0'", "opset 17");

  auto custom = AddModel();
  custom.mutable_graph()->mutable_node(0)->set_domain("com.example");
  EXPECT_ERROR_HAS(LoadAndCompile(custom), "com.example", "node 'add0'");

  // A known op at an opset no kernel covers.
  EXPECT_ERROR_HAS(LoadAndCompile(AddModel(/*opset=*/1)), "Add", "node 'add0'", "not at ai.onnx opset 1");
}

TEST(HostileGraphs, NodeWithoutOpTypeAndSequenceInputs) {
  auto m = AddModel();
  m.mutable_graph()->mutable_node(0)->clear_op_type();
  EXPECT_ERROR_HAS(LoadAndCompile(m), "a node without an op_type", "add0");

  m = AddModel();
  auto* x = m.mutable_graph()->mutable_input(0);
  x->mutable_type()->mutable_sequence_type()->mutable_elem_type()->mutable_tensor_type()->set_elem_type(1);
  EXPECT_ERROR_HAS(LoadAndCompile(m), "value 'x'", "only tensor values are supported");
}

TEST(HostileGraphs, DeeplyNestedSubgraphs) {
  auto m = AddModel();
  onnx::GraphProto* g = m.mutable_graph();
  for (int depth = 0; depth < 100; ++depth) {
    auto* n = AddNode(g, "If", "if" + std::to_string(depth), {"x"}, {"o" + std::to_string(depth)});
    auto* a = n->add_attribute();
    a->set_name("then_branch");
    a->set_type(onnx::AttributeProto::GRAPH);
    g = a->mutable_g();
  }
  // Protobuf's own recursion limit (100 messages deep) stops this before the
  // loader's subgraph depth limit does; either way it is a clear refusal.
  EXPECT_ERROR_HAS(LoadAndCompile(m), "not a valid ONNX model");
}

// ---- runs that get the wrong data

TEST(HostileRuns, FixedDimMismatchNamesInputExpectedAndGot) {
  std::shared_ptr<const CompiledModel> model;
  ASSERT_TRUE(LoadAndCompile(Bytes(AddModel()), "", &model).ok());
  auto ok = model->Run({Tensor::Zeros(DType::kFloat32, {2, 3}).value()});
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_ERROR_HAS(model->Run({Tensor::Zeros(DType::kFloat32, {2, 4}).value()}).status(), "input \"x\"",
                   "expected FP32 [2,3]", "got FP32 [2,4]");
  EXPECT_ERROR_HAS(model->Run({Tensor::Zeros(DType::kFloat32, {6}).value()}).status(), "input \"x\"",
                   "expected FP32 [2,3]", "got FP32 [6]");
  EXPECT_ERROR_HAS(model->Run({Tensor::Zeros(DType::kInt64, {2, 3}).value()}).status(), "input \"x\"",
                   "got INT64 [2,3]");
  EXPECT_ERROR_HAS(model->Run(std::vector<Tensor>{}).status(), "model takes 1 inputs, got 0");
  auto ctx = model->NewRunContext();
  EXPECT_ERROR_HAS(model->Run(*ctx, std::map<std::string, Tensor>{{"z", Tensor::Scalar<float>(1)}}).status(),
                   "unknown input \"z\"", "inputs are: x");
}

TEST(HostileRuns, SymbolicDimAcceptsAnySize) {
  auto m = AddModel();
  Declare(m.mutable_graph()->mutable_input(0), "x", onnx::TensorProto::FLOAT, {-1, 3});
  std::shared_ptr<const CompiledModel> model;
  ASSERT_TRUE(LoadAndCompile(Bytes(m), "", &model).ok());
  auto out = model->Run({Tensor::Zeros(DType::kFloat32, {5, 3}).value()});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ((*out)[0].shape(), (Shape{5, 3}));
  EXPECT_ERROR_HAS(model->Run({Tensor::Zeros(DType::kFloat32, {5, 4}).value()}).status(), "expected FP32 [N,3]",
                   "got FP32 [5,4]");
}

}  // namespace
}  // namespace inferd::hostile
