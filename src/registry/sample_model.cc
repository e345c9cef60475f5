#include "registry/sample_model.h"

#include <onnx/onnx_pb.h>

#include <fstream>

namespace inferd::registry {

namespace {

Status WriteModel(const std::string& path, int64_t num_elements, uint64_t seed, bool batched) {
  if (num_elements <= 0) return InvalidArgument("sample model needs at least one element");
  onnx::ModelProto model;
  model.set_ir_version(8);
  model.set_producer_name("inferd-sample");
  model.set_producer_version("1");
  model.set_doc_string("sample model, seed " + std::to_string(seed));
  model.add_opset_import()->set_version(13);
  onnx::GraphProto* g = model.mutable_graph();
  g->set_name("add_weights");
  auto add_value = [&](onnx::ValueInfoProto* v, const std::string& name) {
    v->set_name(name);
    auto* t = v->mutable_type()->mutable_tensor_type();
    t->set_elem_type(onnx::TensorProto::FLOAT);
    if (batched) t->mutable_shape()->add_dim()->set_dim_param("batch");
    t->mutable_shape()->add_dim()->set_dim_value(num_elements);
  };
  add_value(g->add_input(), "X");
  add_value(g->add_output(), "Y");
  onnx::TensorProto* w = g->add_initializer();
  w->set_name("W");
  w->set_data_type(onnx::TensorProto::FLOAT);
  w->add_dims(num_elements);
  std::string raw(static_cast<size_t>(num_elements) * sizeof(float), '\0');
  uint64_t state = seed * 6364136223846793005ULL + 1442695040888963407ULL;
  auto* f = reinterpret_cast<float*>(raw.data());
  for (int64_t i = 0; i < num_elements; ++i) {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    f[i] = static_cast<float>((state >> 40) % 1000) / 1000.0f;
  }
  w->set_raw_data(std::move(raw));
  onnx::NodeProto* n = g->add_node();
  n->set_op_type("Add");
  n->set_name("add");
  n->add_input("X");
  n->add_input("W");
  n->add_output("Y");
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out || !model.SerializeToOstream(&out)) return Internal("cannot write sample model \"" + path + "\"");
  out.close();
  if (!out) return Internal("cannot write sample model \"" + path + "\"");
  return Status::Ok();
}

}  // namespace

Status WriteSampleModel(const std::string& path, int64_t num_elements, uint64_t seed) {
  return WriteModel(path, num_elements, seed, /*batched=*/false);
}

Status WriteBatchedSampleModel(const std::string& path, int64_t num_elements, uint64_t seed) {
  return WriteModel(path, num_elements, seed, /*batched=*/true);
}

}  // namespace inferd::registry
