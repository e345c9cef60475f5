#include "engine/onnx/initializer_split.h"

#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>

#include <filesystem>
#include <fstream>
#include <random>

#include "engine/onnx/loader.h"

namespace inferd {
namespace {

namespace fs = std::filesystem;

std::string FloatBytes(const std::vector<float>& v) {
  return std::string(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(float));
}

// y = ((x + a) * b) + c, with initializers stored three ways.
onnx::ModelProto ThreeWeightModel() {
  onnx::ModelProto m;
  m.set_ir_version(8);
  m.set_producer_name("split-test");
  m.add_opset_import()->set_version(17);
  auto* g = m.mutable_graph();
  g->set_name("g");
  auto declare = [](onnx::ValueInfoProto* v, const std::string& name) {
    v->set_name(name);
    auto* tt = v->mutable_type()->mutable_tensor_type();
    tt->set_elem_type(onnx::TensorProto::FLOAT);
    tt->mutable_shape()->add_dim()->set_dim_value(3);
  };
  declare(g->add_input(), "x");
  declare(g->add_output(), "y");
  auto* a = g->add_initializer();  // raw_data
  a->set_name("a");
  a->set_data_type(onnx::TensorProto::FLOAT);
  a->add_dims(3);
  a->set_raw_data(FloatBytes({1, 2, 3}));
  auto* b = g->add_initializer();  // float_data
  b->set_name("b");
  b->set_data_type(onnx::TensorProto::FLOAT);
  b->add_dims(3);
  for (float f : {4.f, 5.f, 6.f}) b->add_float_data(f);
  auto* c = g->add_initializer();  // raw_data, with fields after it
  c->set_data_type(onnx::TensorProto::FLOAT);
  c->add_dims(3);
  c->set_raw_data(FloatBytes({7, 8, 9}));
  c->set_name("c");
  c->set_doc_string("after raw_data");
  auto node = [&](const std::string& op, const std::vector<std::string>& in, const std::string& out) {
    auto* n = g->add_node();
    n->set_op_type(op);
    for (const auto& i : in) n->add_input(i);
    n->add_output(out);
  };
  node("Add", {"x", "a"}, "t0");
  node("Mul", {"t0", "b"}, "t1");
  node("Add", {"t1", "c"}, "y");
  m.set_doc_string("a model field before the graph");
  return m;
}

std::string Serialize(const onnx::ModelProto& m) {
  std::string s;
  m.SerializeToString(&s);
  return s;
}

// Reassembles skeleton + spans into a ModelProto.
onnx::ModelProto Reassemble(const SplitModel& split, const std::string& bytes) {
  onnx::ModelProto m;
  EXPECT_TRUE(m.ParseFromString(split.skeleton));
  EXPECT_EQ(static_cast<size_t>(m.graph().initializer_size()), split.initializer_raw_data.size());
  for (size_t i = 0; i < split.initializer_raw_data.size(); ++i) {
    if (const auto& span = split.initializer_raw_data[i])
      m.mutable_graph()
          ->mutable_initializer(static_cast<int>(i))
          ->set_raw_data(bytes.substr(span->offset, span->length));
  }
  return m;
}

TEST(InitializerSplit, SkeletonPlusSpansIsTheSameModel) {
  const std::string bytes = Serialize(ThreeWeightModel());
  MemoryByteSource source(bytes);
  auto split = SplitInitializerRawData(source);
  ASSERT_TRUE(split.ok()) << split.status().ToString();
  ASSERT_TRUE(split->has_value());
  const SplitModel& s = **split;
  ASSERT_EQ(s.initializer_raw_data.size(), 3u);
  EXPECT_TRUE(s.initializer_raw_data[0].has_value());
  EXPECT_FALSE(s.initializer_raw_data[1].has_value());
  ASSERT_TRUE(s.initializer_raw_data[2].has_value());
  EXPECT_EQ(s.initializer_raw_data[2]->length, 12u);
  EXPECT_LT(s.skeleton.size(), bytes.size() - 24);  // both payloads left out
  EXPECT_EQ(Serialize(Reassemble(s, bytes)), bytes);
}

void AppendVarint(uint64_t v, std::string* out) {
  for (; v >= 0x80; v >>= 7) out->push_back(static_cast<char>((v & 0x7f) | 0x80));
  out->push_back(static_cast<char>(v));
}

TEST(InitializerSplit, RepeatedRawDataKeepsTheLastLikeProtobuf) {
  // A fourth initializer whose raw_data field appears twice (written by hand:
  // protobuf never serializes that, but parses it and keeps the last).
  onnx::TensorProto t;
  t.set_name("d");
  t.set_data_type(onnx::TensorProto::FLOAT);
  t.add_dims(1);
  std::string tensor_bytes;
  t.SerializeToString(&tensor_bytes);
  const std::string first = FloatBytes({1}), second = FloatBytes({2});
  tensor_bytes += std::string("\x4a\x04", 2) + first + std::string("\x4a\x04", 2) + second;  // field 9, LEN 4, twice

  onnx::ModelProto m = ThreeWeightModel();
  std::string graph_bytes;
  m.graph().SerializeToString(&graph_bytes);
  graph_bytes += "\x2a";  // GraphProto.initializer: field 5, LEN
  AppendVarint(tensor_bytes.size(), &graph_bytes);
  graph_bytes += tensor_bytes;
  m.clear_graph();
  std::string model_bytes = Serialize(m) + "\x3a";  // ModelProto.graph: field 7, LEN
  AppendVarint(graph_bytes.size(), &model_bytes);
  model_bytes += graph_bytes;
  onnx::ModelProto check;
  ASSERT_TRUE(check.ParseFromString(model_bytes));
  ASSERT_EQ(check.graph().initializer(3).raw_data(), second);

  MemoryByteSource source(model_bytes);
  auto split = SplitInitializerRawData(source);
  ASSERT_TRUE(split.ok() && split->has_value());
  ASSERT_EQ((*split)->initializer_raw_data.size(), 4u);
  const auto& span = (*split)->initializer_raw_data[3];
  ASSERT_TRUE(span.has_value());
  EXPECT_EQ(model_bytes.substr(span->offset, span->length), second);

  auto loaded = LoadOnnxBytes(model_bytes, "");
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ(loaded->graph.initializers.at("d").data<float>()[0], 2.0f);
}

TEST(InitializerSplit, UnusualWireFormatFallsBack) {
  const std::string bytes = Serialize(ThreeWeightModel());
  auto nullopt_for = [](const std::string& b) {
    MemoryByteSource source(b);
    auto split = SplitInitializerRawData(source);
    return split.ok() && !split->has_value();
  };
  EXPECT_TRUE(nullopt_for(bytes.substr(0, bytes.size() - 3)));           // truncated
  EXPECT_TRUE(nullopt_for(bytes + std::string("\x3a\x00", 2)));          // a second graph field
  EXPECT_TRUE(nullopt_for(bytes + std::string("\x0b\x0c", 2)));          // a group (wire type 3)
  EXPECT_TRUE(nullopt_for(bytes + std::string("\x00", 1)));              // field 0
  EXPECT_TRUE(nullopt_for(std::string("\x3a\xff\xff\xff\xff\x0f", 6)));  // length past INT_MAX
  MemoryByteSource empty("");
  auto split = SplitInitializerRawData(empty);
  ASSERT_TRUE(split.ok() && split->has_value());
  EXPECT_TRUE((*split)->skeleton.empty());
}

// The split loader and the whole-message parse agree on every mutation of a
// small model: same verdict, same message, same weights.
TEST(InitializerSplit, AgreesWithTheWholeParseOnMutatedModels) {
  const std::string base = Serialize(ThreeWeightModel());
  std::mt19937 rng(77);
  int loaded_count = 0;
  for (int i = 0; i < 3000; ++i) {
    std::string b = base;
    const int edits = 1 + static_cast<int>(rng() % 3);
    for (int e = 0; e < edits; ++e) {
      const size_t at = rng() % b.size();
      switch (rng() % 4) {
        case 0:
          b[at] = static_cast<char>(rng());
          break;
        case 1:
          b.resize(at);
          break;
        case 2:
          b.insert(at, 1, static_cast<char>(rng()));
          break;
        default:
          b.erase(at, 1 + rng() % 4);
          break;
      }
      if (b.empty()) break;
    }
    auto split = LoadOnnxBytes(b, "");
    auto whole = LoadOnnxBytesWholeParse(b, "");
    ASSERT_EQ(split.ok(), whole.ok()) << "mutation " << i << ": split says "
                                      << (split.ok() ? "ok" : split.status().ToString()) << ", whole parse says "
                                      << (whole.ok() ? "ok" : whole.status().ToString());
    if (!split.ok()) {
      EXPECT_EQ(split.status().ToString(), whole.status().ToString()) << "mutation " << i;
      continue;
    }
    ++loaded_count;
    const auto& a = split->graph.initializers;
    const auto& w = whole->graph.initializers;
    ASSERT_EQ(a.size(), w.size()) << "mutation " << i;
    for (const auto& [name, t] : a) {
      auto it = w.find(name);
      ASSERT_NE(it, w.end()) << name;
      ASSERT_EQ(t.dtype(), it->second.dtype()) << name;
      ASSERT_EQ(t.shape(), it->second.shape()) << name;
      if (t.dtype() != DType::kString) {
        EXPECT_EQ(std::memcmp(t.raw(), it->second.raw(), t.nbytes()), 0) << "mutation " << i << ", tensor " << name;
      }
    }
  }
  EXPECT_GT(loaded_count, 50);  // the mutations exercise the success path too
}

class InitializerSplitFile : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("inferd_split_" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) + "_" +
            std::to_string(reinterpret_cast<uintptr_t>(this)));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string Write(const std::string& name, const std::string& bytes) {
    const std::string path = (dir_ / name).string();
    std::ofstream(path, std::ios::binary) << bytes;
    return path;
  }
  fs::path dir_;
};

TEST_F(InitializerSplitFile, LoadsWeightsFromTheFile) {
  const std::string path = Write("m.onnx", Serialize(ThreeWeightModel()));
  auto loaded = LoadOnnxFile(path);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  const Tensor& c = loaded->graph.initializers.at("c");
  ASSERT_EQ(c.numel(), 3);
  EXPECT_EQ(c.data<float>()[0], 7.0f);
  EXPECT_EQ(c.data<float>()[2], 9.0f);
  EXPECT_EQ(loaded->graph.initializers.at("b").data<float>()[1], 5.0f);
}

TEST_F(InitializerSplitFile, TruncatedFileNamesTheFile) {
  const std::string bytes = Serialize(ThreeWeightModel());
  const std::string path = Write("cut.onnx", bytes.substr(0, bytes.size() / 2));
  auto loaded = LoadOnnxFile(path);
  ASSERT_FALSE(loaded.ok());
  EXPECT_NE(loaded.status().message().find("not a valid ONNX model"), std::string::npos) << loaded.status().ToString();
  EXPECT_NE(loaded.status().message().find("cut.onnx"), std::string::npos) << loaded.status().ToString();
}

TEST_F(InitializerSplitFile, FileThatShrinksAfterOpeningIsDataLoss) {
  const std::string path = Write("shrink.onnx", std::string(100, 'x'));
  auto source = FileByteSource::Open(path);
  ASSERT_TRUE(source.ok()) << source.status().ToString();
  fs::resize_file(path, 10);  // what a concurrent writer could do: a short read, never SIGBUS
  char buf[100];
  Status st = (*source)->Read(0, sizeof buf, buf);
  EXPECT_EQ(st.code(), StatusCode::kDataLoss);
  EXPECT_NE(st.message().find("shrink.onnx"), std::string::npos) << st.ToString();
  EXPECT_NE(st.message().find("truncated"), std::string::npos) << st.ToString();
}

TEST_F(InitializerSplitFile, DirectoriesAndMissingFilesAreRefused) {
  auto dir = LoadOnnxFile(dir_.string());
  ASSERT_FALSE(dir.ok());
  EXPECT_NE(dir.status().message().find("not a regular file"), std::string::npos) << dir.status().ToString();
  auto missing = LoadOnnxFile((dir_ / "absent.onnx").string());
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find("cannot read"), std::string::npos);
}

}  // namespace
}  // namespace inferd
