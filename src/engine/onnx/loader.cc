#include "engine/onnx/loader.h"

#include <onnx/onnx_pb.h>

#include <filesystem>
#include <fstream>
#include <limits>
#include <memory>
#include <sstream>

#include "engine/onnx/byte_source.h"
#include "engine/onnx/initializer_split.h"

namespace inferd {
namespace fs = std::filesystem;

namespace {

constexpr int kMaxSubgraphDepth = 32;
// Newest ai.onnx opset whose semantics every kernel implements.
constexpr int64_t kNewestOpset = 17;

Result<std::string> ReadFile(const std::string& path, size_t limit = size_t{4} << 30) {
  std::error_code ec;
  const auto size = fs::file_size(path, ec);
  if (ec) return NotFound("cannot read '" + path + "': " + ec.message());
  if (size > limit) return ResourceExhausted("'" + path + "' is larger than the " + std::to_string(limit >> 20) + " MiB limit");
  std::ifstream f(path, std::ios::binary);
  if (!f) return NotFound("cannot open '" + path + "'");
  std::string bytes(size, '\0');
  f.read(bytes.data(), static_cast<std::streamsize>(size));
  if (static_cast<size_t>(f.gcount()) != size) return DataLoss("short read from '" + path + "'");
  return bytes;
}

// Resolves an external-data location inside base_dir; refuses escapes.
Result<std::string> ResolveExternalPath(const std::string& base_dir, const std::string& location,
                                        const std::string& tensor) {
  if (base_dir.empty()) return InvalidArgument("tensor '" + tensor + "' uses external data, which is not allowed here");
  if (location.empty()) return InvalidArgument("tensor '" + tensor + "': external data has no location");
  fs::path loc(location);
  if (loc.is_absolute()) return InvalidArgument("tensor '" + tensor + "': external data path '" + location + "' must be relative to the model's folder");
  for (const auto& part : loc)
    if (part == "..") return InvalidArgument("tensor '" + tensor + "': external data path '" + location + "' escapes the model's folder");
  fs::path full = fs::path(base_dir) / loc;
  std::error_code ec;
  auto canon_base = fs::weakly_canonical(base_dir, ec);
  auto canon = fs::weakly_canonical(full, ec);
  if (ec) return NotFound("tensor '" + tensor + "': external data file '" + full.string() + "' not found");
  auto rel = canon.lexically_relative(canon_base);
  if (rel.empty() || *rel.begin() == "..") return InvalidArgument("tensor '" + tensor + "': external data path '" + location + "' resolves outside the model's folder");
  return canon.string();
}

template <class Field>
Status CheckCount(const Field& field, int64_t numel, const std::string& name, const char* field_name) {
  if (static_cast<int64_t>(field.size()) != numel)
    return InvalidArgument("tensor '" + name + "': " + field_name + " holds " + std::to_string(field.size()) +
                           " values but its shape needs " + std::to_string(numel));
  return Status::Ok();
}

// An initializer's raw_data left in the source by SplitInitializerRawData.
struct RawDataRef {
  const ByteSource* source = nullptr;
  RawDataSpan span;
};

// The main graph's initializer payloads, by initializer index.
struct InitializerRawData {
  const ByteSource* source = nullptr;
  const std::vector<std::optional<RawDataSpan>>* spans = nullptr;
};

Result<Tensor> ConvertTensor(const onnx::TensorProto& p, const std::string& base_dir,
                             const RawDataRef* raw_ref = nullptr) {
  const std::string name = p.name();
  if (!DTypeIsValid(p.data_type()))
    return Unimplemented("tensor '" + name + "': unsupported data type " + std::to_string(p.data_type()));
  const auto dtype = static_cast<DType>(p.data_type());
  if (p.has_segment()) return Unimplemented("tensor '" + name + "': segmented tensors are not supported");
  Shape shape;
  for (int64_t d : p.dims()) {
    if (d < 0) return InvalidArgument("tensor '" + name + "': negative dimension " + std::to_string(d));
    shape.push_back(d);
  }
  const int64_t numel = ShapeNumel(shape);
  if (numel < 0) return InvalidArgument("tensor '" + name + "': shape " + ShapeToString(shape) + " overflows");
  const size_t elem = DTypeSize(dtype);

  if (p.data_location() == onnx::TensorProto::EXTERNAL) {
    if (dtype == DType::kString) return InvalidArgument("tensor '" + name + "': string tensors cannot use external data");
    std::string location;
    int64_t offset = 0, length = -1;
    for (const auto& kv : p.external_data()) {
      try {
        if (kv.key() == "location") location = kv.value();
        else if (kv.key() == "offset") offset = std::stoll(kv.value());
        else if (kv.key() == "length") length = std::stoll(kv.value());
      } catch (...) {
        return InvalidArgument("tensor '" + name + "': external data key '" + kv.key() + "' has a bad value '" + kv.value() + "'");
      }
    }
    ASSIGN_OR_RETURN(std::string path, ResolveExternalPath(base_dir, location, name));
    if (numel > kMaxTensorBytes / static_cast<int64_t>(elem))
      return ResourceExhausted("tensor '" + name + "' is larger than the tensor size limit");
    const int64_t want = numel * static_cast<int64_t>(elem);
    if (length >= 0 && length != want)
      return InvalidArgument("tensor '" + name + "': external data length " + std::to_string(length) + " does not match its shape (" + std::to_string(want) + " bytes)");
    std::error_code ec;
    const auto fsize = static_cast<int64_t>(fs::file_size(path, ec));
    if (ec) return NotFound("tensor '" + name + "': cannot read external data '" + path + "'");
    if (offset < 0 || offset > fsize || want > fsize - offset)
      return InvalidArgument("tensor '" + name + "': external data range [" + std::to_string(offset) + ", +" + std::to_string(want) + ") is outside '" + location + "' (" + std::to_string(fsize) + " bytes)");
    ASSIGN_OR_RETURN(Tensor t, Tensor::Create(dtype, shape));
    std::ifstream f(path, std::ios::binary);
    f.seekg(offset);
    f.read(static_cast<char*>(t.raw()), want);
    if (f.gcount() != want) return DataLoss("tensor '" + name + "': short read from '" + path + "'");
    return t;
  }

  if (raw_ref != nullptr || p.has_raw_data()) {
    if (dtype == DType::kString) return InvalidArgument("tensor '" + name + "': string tensors cannot use raw_data");
    const uint64_t raw_size = raw_ref ? raw_ref->span.length : p.raw_data().size();
    if (static_cast<uint64_t>(numel) * elem != raw_size)
      return InvalidArgument("tensor '" + name + "': raw_data has " + std::to_string(raw_size) + " bytes but shape " +
                             ShapeToString(shape) + " of " + std::string(DTypeOnnxName(dtype)) + " needs " +
                             std::to_string(static_cast<uint64_t>(numel) * elem));
    ASSIGN_OR_RETURN(Tensor t, Tensor::Create(dtype, shape));
    if (raw_size == 0) return t;
    if (raw_ref != nullptr) {
      // Straight from the file (or the caller's bytes) into the tensor: the only copy.
      Status read = raw_ref->source->Read(raw_ref->span.offset, static_cast<size_t>(raw_size), t.raw());
      if (!read.ok()) return read.WithContext("tensor '" + name + "'");
    } else {
      std::memcpy(t.raw(), p.raw_data().data(), raw_size);
    }
    return t;
  }

  // Typed fields: validate the count against the shape before allocating.
  switch (dtype) {
    case DType::kFloat32: RETURN_IF_ERROR(CheckCount(p.float_data(), numel, name, "float_data")); break;
    case DType::kFloat64: RETURN_IF_ERROR(CheckCount(p.double_data(), numel, name, "double_data")); break;
    case DType::kInt64: RETURN_IF_ERROR(CheckCount(p.int64_data(), numel, name, "int64_data")); break;
    case DType::kUint32:
    case DType::kUint64: RETURN_IF_ERROR(CheckCount(p.uint64_data(), numel, name, "uint64_data")); break;
    case DType::kString: RETURN_IF_ERROR(CheckCount(p.string_data(), numel, name, "string_data")); break;
    default: RETURN_IF_ERROR(CheckCount(p.int32_data(), numel, name, "int32_data")); break;
  }
  ASSIGN_OR_RETURN(Tensor t, Tensor::Create(dtype, shape));
  for (int64_t i = 0; i < numel; ++i) {
    const int k = static_cast<int>(i);
    switch (dtype) {
      case DType::kFloat32: t.data<float>()[i] = p.float_data(k); break;
      case DType::kFloat64: t.data<double>()[i] = p.double_data(k); break;
      case DType::kInt64: t.data<int64_t>()[i] = p.int64_data(k); break;
      case DType::kUint32: t.data<uint32_t>()[i] = static_cast<uint32_t>(p.uint64_data(k)); break;
      case DType::kUint64: t.data<uint64_t>()[i] = p.uint64_data(k); break;
      case DType::kString: t.data<std::string>()[i] = p.string_data(k); break;
      case DType::kInt32: t.data<int32_t>()[i] = p.int32_data(k); break;
      case DType::kInt16: t.data<int16_t>()[i] = static_cast<int16_t>(p.int32_data(k)); break;
      case DType::kInt8: t.data<int8_t>()[i] = static_cast<int8_t>(p.int32_data(k)); break;
      case DType::kUint16: t.data<uint16_t>()[i] = static_cast<uint16_t>(p.int32_data(k)); break;
      case DType::kUint8: t.data<uint8_t>()[i] = static_cast<uint8_t>(p.int32_data(k)); break;
      case DType::kBool: t.data<bool>()[i] = p.int32_data(k) != 0; break;
      case DType::kFloat16: t.data<Float16>()[i].bits = static_cast<uint16_t>(p.int32_data(k)); break;
      case DType::kBFloat16: t.data<BFloat16>()[i].bits = static_cast<uint16_t>(p.int32_data(k)); break;
      default: return Unimplemented("tensor '" + name + "': unsupported data type");
    }
  }
  return t;
}

Result<ValueInfo> ConvertValueInfo(const onnx::ValueInfoProto& v) {
  ValueInfo info;
  info.name = v.name();
  if (!v.has_type()) return info;
  const auto& type = v.type();
  if (type.value_case() != onnx::TypeProto::kTensorType) {
    return Unimplemented("value '" + v.name() + "': only tensor values are supported (sequence, map, optional and sparse values are not)");
  }
  const auto& tt = type.tensor_type();
  if (tt.elem_type() != 0) {
    if (!DTypeIsValid(tt.elem_type()))
      return Unimplemented("value '" + v.name() + "': unsupported element type " + std::to_string(tt.elem_type()));
    info.dtype = static_cast<DType>(tt.elem_type());
  }
  if (tt.has_shape()) {
    std::vector<Dim> dims;
    for (const auto& d : tt.shape().dim()) {
      Dim dim;
      if (d.has_dim_value()) {
        if (d.dim_value() < 0) return InvalidArgument("value '" + v.name() + "': negative dimension " + std::to_string(d.dim_value()));
        dim.value = d.dim_value();
      } else {
        dim.symbol = d.dim_param();
      }
      dims.push_back(std::move(dim));
    }
    info.dims = std::move(dims);
  }
  return info;
}

Result<Graph> ConvertGraph(const onnx::GraphProto& g, const std::map<std::string, int64_t>& opsets,
                           const std::string& base_dir, int depth, const InitializerRawData* raw_data = nullptr);

Result<Attribute> ConvertAttribute(const onnx::AttributeProto& a, const std::map<std::string, int64_t>& opsets,
                                   const std::string& base_dir, int depth) {
  Attribute out;
  using AP = onnx::AttributeProto;
  auto type = a.type();
  if (type == AP::UNDEFINED) {  // very old files leave type unset; infer it from the filled field
    if (a.has_f()) type = AP::FLOAT;
    else if (a.has_i()) type = AP::INT;
    else if (a.has_s()) type = AP::STRING;
    else if (a.has_t()) type = AP::TENSOR;
    else if (a.has_g()) type = AP::GRAPH;
    else if (a.floats_size()) type = AP::FLOATS;
    else if (a.ints_size()) type = AP::INTS;
    else if (a.strings_size()) type = AP::STRINGS;
  }
  switch (type) {
    case AP::FLOAT: out.type = Attribute::Type::kFloat; out.f = a.f(); break;
    case AP::INT: out.type = Attribute::Type::kInt; out.i = a.i(); break;
    case AP::STRING: out.type = Attribute::Type::kString; out.s = a.s(); break;
    case AP::FLOATS: out.type = Attribute::Type::kFloats; out.floats.assign(a.floats().begin(), a.floats().end()); break;
    case AP::INTS: out.type = Attribute::Type::kInts; out.ints.assign(a.ints().begin(), a.ints().end()); break;
    case AP::STRINGS: out.type = Attribute::Type::kStrings; out.strings.assign(a.strings().begin(), a.strings().end()); break;
    case AP::TENSOR: {
      out.type = Attribute::Type::kTensor;
      ASSIGN_OR_RETURN(out.t, ConvertTensor(a.t(), base_dir));
      break;
    }
    case AP::TENSORS: {
      out.type = Attribute::Type::kTensors;
      for (const auto& t : a.tensors()) {
        ASSIGN_OR_RETURN(Tensor x, ConvertTensor(t, base_dir));
        out.tensors.push_back(std::move(x));
      }
      break;
    }
    case AP::GRAPH: {
      out.type = Attribute::Type::kGraph;
      ASSIGN_OR_RETURN(Graph sub, ConvertGraph(a.g(), opsets, base_dir, depth + 1));
      out.g = std::make_shared<Graph>(std::move(sub));
      break;
    }
    case AP::GRAPHS: {
      out.type = Attribute::Type::kGraphs;
      for (const auto& g : a.graphs()) {
        ASSIGN_OR_RETURN(Graph sub, ConvertGraph(g, opsets, base_dir, depth + 1));
        out.graphs.push_back(std::make_shared<Graph>(std::move(sub)));
      }
      break;
    }
    default:
      return Unimplemented("attribute '" + a.name() + "' has an unsupported type " + std::to_string(type));
  }
  return out;
}

// Constant node -> tensor (value, value_float(s), value_int(s), value_string(s)).
Result<Tensor> ConstantValue(const Node& n) {
  if (n.attributes.size() != 1)
    return InvalidArgument(n.Describe() + ": a Constant needs exactly one value attribute");
  const auto& [key, a] = *n.attributes.begin();
  if (key == "value" && a.type == Attribute::Type::kTensor) return a.t;
  if (key == "value_float" && a.type == Attribute::Type::kFloat) return Tensor::Scalar<float>(a.f);
  if (key == "value_int" && a.type == Attribute::Type::kInt) return Tensor::Scalar<int64_t>(a.i);
  if (key == "value_floats" && a.type == Attribute::Type::kFloats)
    return Tensor::FromVector<float>(a.floats, {static_cast<int64_t>(a.floats.size())});
  if (key == "value_ints" && a.type == Attribute::Type::kInts)
    return Tensor::FromVector<int64_t>(a.ints, {static_cast<int64_t>(a.ints.size())});
  if (key == "value_string" && a.type == Attribute::Type::kString) return Tensor::Scalar<std::string>(a.s);
  if (key == "value_strings" && a.type == Attribute::Type::kStrings)
    return Tensor::FromVector<std::string>(a.strings, {static_cast<int64_t>(a.strings.size())});
  return Unimplemented(n.Describe() + ": Constant attribute '" + key + "' is not supported");
}

Result<Graph> ConvertGraph(const onnx::GraphProto& g, const std::map<std::string, int64_t>& opsets,
                           const std::string& base_dir, int depth, const InitializerRawData* raw_data) {
  if (depth > kMaxSubgraphDepth) return InvalidArgument("subgraphs nested deeper than " + std::to_string(kMaxSubgraphDepth));
  Graph graph;
  graph.name = g.name();
  graph.opsets = opsets;
  if (g.sparse_initializer_size() > 0) return Unimplemented("graph '" + g.name() + "': sparse initializers are not supported");
  if (raw_data != nullptr && raw_data->spans->size() != static_cast<size_t>(g.initializer_size()))
    return Internal("graph '" + g.name() + "': the model split found " + std::to_string(raw_data->spans->size()) +
                    " initializers but protobuf parsed " + std::to_string(g.initializer_size()));
  for (int i = 0; i < g.initializer_size(); ++i) {
    const auto& t = g.initializer(i);
    if (t.name().empty()) return InvalidArgument("graph '" + g.name() + "' has an initializer without a name");
    std::optional<RawDataRef> ref;
    if (raw_data != nullptr) {
      if (const auto& span = (*raw_data->spans)[static_cast<size_t>(i)]) ref = RawDataRef{raw_data->source, *span};
    }
    ASSIGN_OR_RETURN(Tensor x, ConvertTensor(t, base_dir, ref ? &*ref : nullptr));
    graph.initializers[t.name()] = std::move(x);
  }
  for (const auto& v : g.input()) {
    if (graph.initializers.count(v.name())) continue;  // IR < 4 lists initializers as inputs too
    ASSIGN_OR_RETURN(ValueInfo info, ConvertValueInfo(v));
    graph.inputs.push_back(std::move(info));
  }
  for (const auto& v : g.output()) {
    ASSIGN_OR_RETURN(ValueInfo info, ConvertValueInfo(v));
    graph.outputs.push_back(std::move(info));
  }
  for (const auto& v : g.value_info()) {
    auto info = ConvertValueInfo(v);
    if (info.ok()) graph.value_infos[v.name()] = std::move(info).value();  // annotations only: skip what we cannot use
  }
  for (const auto& np : g.node()) {
    Node n;
    n.name = np.name();
    n.op_type = np.op_type();
    n.domain = np.domain() == "ai.onnx" ? "" : np.domain();
    n.inputs.assign(np.input().begin(), np.input().end());
    n.outputs.assign(np.output().begin(), np.output().end());
    if (n.op_type.empty()) return InvalidArgument("a node without an op_type (node '" + n.name + "')");
    for (const auto& a : np.attribute()) {
      if (!a.ref_attr_name().empty()) return Unimplemented(n.Describe() + ": attribute references are only valid inside functions");
      ASSIGN_OR_RETURN(Attribute attr, ConvertAttribute(a, opsets, base_dir, depth));
      n.attributes[a.name()] = std::move(attr);
    }
    if (n.domain.empty() && n.op_type == "Constant") {
      if (n.outputs.size() != 1 || n.outputs[0].empty()) return InvalidArgument(n.Describe() + ": a Constant needs one output");
      ASSIGN_OR_RETURN(Tensor value, ConstantValue(n));
      if (graph.initializers.count(n.outputs[0])) return InvalidArgument(n.Describe() + ": output '" + n.outputs[0] + "' is also an initializer");
      graph.initializers[n.outputs[0]] = std::move(value);
      continue;
    }
    graph.nodes.push_back(std::move(n));
  }
  RETURN_IF_ERROR(graph.TopologicalSort());
  return graph;
}

}  // namespace

namespace {

Result<LoadedGraph> ConvertModel(const onnx::ModelProto& proto, const std::string& base_dir,
                                 const InitializerRawData* raw_data) {
  if (!proto.has_graph()) return InvalidArgument("not a valid ONNX model: it has no graph");
  if (proto.functions_size() > 0) {
    // Model-local functions are not inlined yet; nodes using them will fail as unknown ops.
  }
  LoadedGraph out;
  out.info.ir_version = proto.ir_version();
  out.info.producer_name = proto.producer_name();
  out.info.producer_version = proto.producer_version();
  out.info.domain = proto.domain();
  out.info.model_version = proto.model_version();
  out.info.doc_string = proto.doc_string();
  for (const auto& kv : proto.metadata_props()) out.info.metadata[kv.key()] = kv.value();
  std::map<std::string, int64_t> opsets;
  for (const auto& o : proto.opset_import()) opsets[o.domain() == "ai.onnx" ? "" : o.domain()] = o.version();
  if (opsets.empty()) opsets[""] = 1;  // IR version 1-2 files carry no opset import
  if (auto it = opsets.find(""); it != opsets.end() && it->second > kNewestOpset)
    return Unimplemented("model uses ai.onnx opset " + std::to_string(it->second) + "; inferd supports opsets up to " +
                         std::to_string(kNewestOpset) + " (re-export with opset_version=" + std::to_string(kNewestOpset) + ")");
  ASSIGN_OR_RETURN(out.graph, ConvertGraph(proto.graph(), opsets, base_dir, 0, raw_data));
  RETURN_IF_ERROR(out.graph.Validate());
  return out;
}

constexpr const char* kUnparsable =
    "not a valid ONNX model: the protobuf could not be parsed (truncated or not an .onnx file?)";

Result<LoadedGraph> ParseWholeModel(std::string_view bytes, const std::string& base_dir) {
  onnx::ModelProto proto;
  if (!proto.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) return InvalidArgument(kUnparsable);
  return ConvertModel(proto, base_dir, nullptr);
}

// `whole` is the source's bytes when they are already in memory (empty data()
// otherwise), for the fallback when the model cannot be split.
Result<LoadedGraph> LoadFromSource(const ByteSource& source, std::string_view whole, const std::string& base_dir) {
  if (source.size() > static_cast<uint64_t>(std::numeric_limits<int>::max()))
    return InvalidArgument("model is larger than 2 GiB; store its weights as external data");
  ASSIGN_OR_RETURN(std::optional<SplitModel> split, SplitInitializerRawData(source));
  if (split) {
    onnx::ModelProto proto;
    if (!proto.ParseFromString(split->skeleton)) return InvalidArgument(kUnparsable);
    split->skeleton = std::string();  // parsed: free it before the weights are read
    const InitializerRawData raw_data{&source, &split->initializer_raw_data};
    return ConvertModel(proto, base_dir, &raw_data);
  }
  if (whole.data() != nullptr) return ParseWholeModel(whole, base_dir);
  // Unusual wire format: let protobuf judge the whole file.
  const auto size = static_cast<size_t>(source.size());
  auto buffer = std::make_unique_for_overwrite<char[]>(std::max<size_t>(size, 1));
  RETURN_IF_ERROR(source.Read(0, size, buffer.get()));
  return ParseWholeModel(std::string_view(buffer.get(), size), base_dir);
}

}  // namespace

Result<LoadedGraph> LoadOnnxBytes(std::string_view bytes, const std::string& base_dir) {
  const MemoryByteSource source(bytes);
  return LoadFromSource(source, bytes.data() ? bytes : std::string_view("", 0), base_dir);
}

Result<LoadedGraph> LoadOnnxBytesWholeParse(std::string_view bytes, const std::string& base_dir) {
  if (bytes.size() > static_cast<size_t>(std::numeric_limits<int>::max()))
    return InvalidArgument("model is larger than 2 GiB; store its weights as external data");
  return ParseWholeModel(bytes, base_dir);
}

Result<LoadedGraph> LoadOnnxFile(const std::string& path) {
  auto source = FileByteSource::Open(path);
  if (!source.ok()) return source.status();
  std::string base = fs::path(path).parent_path().string();
  if (base.empty()) base = ".";
  auto r = LoadFromSource(**source, std::string_view(), base);
  if (!r.ok()) return r.status().WithContext("'" + path + "'");
  return r;
}

Result<Tensor> LoadTensorProtoFile(const std::string& path) {
  ASSIGN_OR_RETURN(std::string bytes, ReadFile(path));
  onnx::TensorProto proto;
  if (!proto.ParseFromString(bytes)) return InvalidArgument("'" + path + "' is not a TensorProto");
  return ConvertTensor(proto, fs::path(path).parent_path().string());
}

Status SaveTensorProtoFile(const Tensor& t, const std::string& path, const std::string& name) {
  onnx::TensorProto proto;
  proto.set_name(name);
  proto.set_data_type(static_cast<int32_t>(t.dtype()));
  for (int64_t d : t.shape()) proto.add_dims(d);
  if (t.dtype() == DType::kString) {
    for (int64_t i = 0; i < t.numel(); ++i) proto.add_string_data(t.data<std::string>()[i]);
  } else {
    proto.set_raw_data(t.raw(), t.nbytes());
  }
  std::ofstream f(path, std::ios::binary);
  if (!f || !proto.SerializeToOstream(&f)) return Internal("cannot write '" + path + "'");
  return Status::Ok();
}

}  // namespace inferd
