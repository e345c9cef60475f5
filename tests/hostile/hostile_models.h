// Builders for crafted ONNX models used by the hostile-input tests.
#pragma once

#include <onnx/onnx_pb.h>

#include <string>
#include <vector>

#include "common/status.h"
#include "engine/onnx/loader.h"
#include "engine/runtime/model.h"

namespace inferd::hostile {

// A tensor value declaration; dims < 0 become symbolic "N".
inline void Declare(onnx::ValueInfoProto* v, const std::string& name, int elem_type, const std::vector<int64_t>& dims) {
  v->set_name(name);
  auto* tt = v->mutable_type()->mutable_tensor_type();
  tt->set_elem_type(elem_type);
  auto* shape = tt->mutable_shape();
  shape->clear_dim();
  for (int64_t d : dims) {
    if (d < 0)
      shape->add_dim()->set_dim_param("N");
    else
      shape->add_dim()->set_dim_value(d);
  }
}

inline onnx::NodeProto* AddNode(onnx::GraphProto* g, const std::string& op, const std::string& name,
                                const std::vector<std::string>& inputs, const std::vector<std::string>& outputs) {
  auto* n = g->add_node();
  n->set_op_type(op);
  n->set_name(name);
  for (const auto& i : inputs) n->add_input(i);
  for (const auto& o : outputs) n->add_output(o);
  return n;
}

// y = x + w with x FLOAT [2,3] and an initializer w FLOAT [3] (raw_data).
inline onnx::ModelProto AddModel(int64_t opset = 17) {
  onnx::ModelProto m;
  m.set_ir_version(8);
  m.set_producer_name("hostile-test");
  auto* op = m.add_opset_import();
  op->set_domain("");
  op->set_version(opset);
  auto* g = m.mutable_graph();
  g->set_name("add");
  Declare(g->add_input(), "x", onnx::TensorProto::FLOAT, {2, 3});
  Declare(g->add_output(), "y", onnx::TensorProto::FLOAT, {2, 3});
  auto* w = g->add_initializer();
  w->set_name("w");
  w->set_data_type(onnx::TensorProto::FLOAT);
  w->add_dims(3);
  const float values[3] = {1, 2, 3};
  w->set_raw_data(values, sizeof values);
  AddNode(g, "Add", "add0", {"x", "w"}, {"y"});
  return m;
}

inline std::string Bytes(const onnx::ModelProto& m) {
  std::string s;
  m.SerializeToString(&s);
  return s;
}

// Loads and compiles; returns the first error (or OK).
inline Status LoadAndCompile(const std::string& bytes, const std::string& base_dir = "",
                             std::shared_ptr<const CompiledModel>* out = nullptr) {
  auto loaded = LoadOnnxBytes(bytes, base_dir);
  if (!loaded.ok()) return loaded.status();
  auto model = CompiledModel::Compile(std::move(loaded->graph), std::move(loaded->info));
  if (!model.ok()) return model.status();
  if (out) *out = *model;
  return Status::Ok();
}

inline Status LoadAndCompile(const onnx::ModelProto& m, const std::string& base_dir = "") {
  return LoadAndCompile(Bytes(m), base_dir);
}

}  // namespace inferd::hostile

// Asserts a failed Status whose message contains every given fragment.
#define EXPECT_ERROR_HAS(status_expr, ...)                           \
  do {                                                               \
    const ::inferd::Status _st = (status_expr);                      \
    EXPECT_FALSE(_st.ok()) << "expected an error";                   \
    for (const char* _frag : {__VA_ARGS__})                          \
      EXPECT_NE(_st.message().find(_frag), std::string::npos)        \
          << "message lacks \"" << _frag << "\": " << _st.message(); \
  } while (0)
