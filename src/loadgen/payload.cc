#include "loadgen/payload.h"

#include <charconv>
#include <cmath>
#include <nlohmann/json.hpp>
#include <random>

#include "common/npy.h"
#include "common/random_tensor.h"
#include "common/tensor.h"

namespace inferd::loadgen {
namespace {

using nlohmann::json;

std::string Quote(std::string_view s) { return json(std::string(s)).dump(); }

std::string ShapeText(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? "," : "") + std::to_string(shape[i]);
  return s + "]";
}

Result<TensorSpec> ParseTensorSpec(const json& j, const std::string& where) {
  if (!j.is_object()) return InvalidArgument(where + " is not an object");
  TensorSpec spec;
  auto name = j.find("name");
  auto datatype = j.find("datatype");
  auto shape = j.find("shape");
  if (name == j.end() || !name->is_string()) return InvalidArgument(where + " has no string \"name\"");
  spec.name = name->get<std::string>();
  const std::string what = where + " \"" + spec.name + "\"";
  if (datatype == j.end() || !datatype->is_string()) return InvalidArgument(what + " has no string \"datatype\"");
  spec.datatype = datatype->get<std::string>();
  if (shape == j.end() || !shape->is_array()) return InvalidArgument(what + " has no \"shape\" array");
  for (const auto& d : *shape) {
    if (!d.is_number_integer() || d.get<int64_t>() < -1)
      return InvalidArgument(what + " has a shape entry that is not an integer >= -1: " + d.dump());
    spec.shape.push_back(d.get<int64_t>());
  }
  return spec;
}

// Element data of one input: a numeric tensor, or strings for BYTES.
struct InputData {
  TensorSpec spec;  // with the concrete shape
  DType dtype = DType::kUndefined;
  Tensor tensor;                     // numeric types
  std::vector<std::string> strings;  // BYTES
  std::string source;                // "random" or the file
};

Status FillRandom(InputData& in, std::mt19937_64& rng) {
  const int64_t n = ShapeNumel(in.spec.shape);
  if (in.dtype == DType::kString) {
    std::uniform_int_distribution<int> letter('a', 'z');
    in.strings.resize(static_cast<size_t>(n));
    for (auto& s : in.strings) {
      s.resize(8);
      for (char& c : s) c = static_cast<char>(letter(rng));
    }
    return Status::Ok();
  }
  auto t = RandomTensor(in.dtype, in.spec.shape, rng());
  if (!t.ok()) return InvalidArgument("input \"" + in.spec.name + "\": " + t.status().message());
  in.tensor = std::move(*t);
  return Status::Ok();
}

template <class T>
void AppendNumber(std::string& out, T v) {
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

// The "data" array of one input, flat.
Status AppendJsonData(const InputData& in, std::string& out) {
  out += '[';
  if (in.dtype == DType::kString) {
    for (size_t i = 0; i < in.strings.size(); ++i) out.append(i ? "," : "").append(Quote(in.strings[i]));
    out += ']';
    return Status::Ok();
  }
  const int64_t n = in.tensor.numel();
  Status st = DispatchAll(
      in.dtype,
      [&](auto tag) -> Status {
        using T = decltype(tag);
        const T* p = in.tensor.data<T>();
        for (int64_t i = 0; i < n; ++i) {
          if (i) out += ',';
          if constexpr (std::is_same_v<T, bool>) {
            out += p[i] ? "true" : "false";
          } else if constexpr (std::is_same_v<T, Float16> || std::is_same_v<T, BFloat16> ||
                               std::is_floating_point_v<T>) {
            double v;
            if constexpr (std::is_floating_point_v<T>)
              v = static_cast<double>(p[i]);
            else
              v = static_cast<double>(p[i].ToFloat());
            if (!std::isfinite(v))
              return InvalidArgument("input \"" + in.spec.name + "\": element " + std::to_string(i) +
                                     " is not finite and JSON cannot carry it; use --binary");
            if constexpr (std::is_same_v<T, double>)
              AppendNumber(out, v);
            else
              AppendNumber(out, static_cast<float>(v));
          } else {
            AppendNumber(out, p[i]);
          }
        }
        return Status::Ok();
      },
      [&] { return InvalidArgument("input \"" + in.spec.name + "\": cannot encode " + in.spec.datatype); });
  out += ']';
  return st;
}

uint64_t BinarySize(const InputData& in) {
  if (in.dtype != DType::kString) return in.tensor.nbytes();
  uint64_t n = 0;
  for (const auto& s : in.strings) n += 4 + s.size();
  return n;
}

void AppendBinary(const InputData& in, std::string& out) {
  if (in.dtype != DType::kString) {
    out.append(static_cast<const char*>(in.tensor.raw()), in.tensor.nbytes());  // little-endian host
    return;
  }
  for (const auto& s : in.strings) {
    const auto len = static_cast<uint32_t>(s.size());
    const char le[4] = {static_cast<char>(len & 0xff), static_cast<char>((len >> 8) & 0xff),
                        static_cast<char>((len >> 16) & 0xff), static_cast<char>((len >> 24) & 0xff)};
    out.append(le, 4).append(s);
  }
}

bool HasVariableBatch(const TensorSpec& spec) { return !spec.shape.empty() && spec.shape[0] == -1; }

Status CheckFileAgainstSpec(const TensorSpec& spec, DType dtype, const Tensor& t, const std::string& file) {
  const std::string what = "input \"" + spec.name + "\" from " + file;
  if (t.dtype() != dtype)
    return InvalidArgument(what + ": the file holds " + std::string(DTypeName(t.dtype())) + " " +
                           ShapeToString(t.shape()) + " but the model declares " + spec.datatype + " " +
                           ShapeText(spec.shape));
  bool ok = t.shape().size() == spec.shape.size();
  for (size_t i = 0; ok && i < spec.shape.size(); ++i) ok = spec.shape[i] == -1 || spec.shape[i] == t.shape()[i];
  if (!ok)
    return InvalidArgument(what + ": shape " + ShapeToString(t.shape()) + " does not fit the declared " +
                           ShapeText(spec.shape));
  return Status::Ok();
}

}  // namespace

Result<ModelMetadata> ParseModelMetadata(std::string_view text) {
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return InvalidArgument("model metadata is not a JSON object");
  ModelMetadata m;
  if (auto it = j.find("name"); it != j.end() && it->is_string()) m.name = it->get<std::string>();
  if (auto it = j.find("platform"); it != j.end() && it->is_string()) m.platform = it->get<std::string>();
  if (auto it = j.find("versions"); it != j.end() && it->is_array())
    for (const auto& v : *it)
      if (v.is_string()) m.versions.push_back(v.get<std::string>());
  auto inputs = j.find("inputs");
  if (inputs == j.end() || !inputs->is_array() || inputs->empty())
    return InvalidArgument("model metadata has no \"inputs\" array (or it is empty)");
  for (const auto& in : *inputs) {
    ASSIGN_OR_RETURN(TensorSpec spec, ParseTensorSpec(in, "model metadata input"));
    m.inputs.push_back(std::move(spec));
  }
  if (auto outputs = j.find("outputs"); outputs != j.end() && outputs->is_array()) {
    for (const auto& out : *outputs) {
      ASSIGN_OR_RETURN(TensorSpec spec, ParseTensorSpec(out, "model metadata output"));
      m.outputs.push_back(std::move(spec));
    }
  }
  return m;
}

std::vector<std::pair<std::string, std::string>> InferPayload::Headers() const {
  if (json_bytes == 0) return {{"Content-Type", "application/json"}};
  return {{"Content-Type", "application/octet-stream"},
          {"Inference-Header-Content-Length", std::to_string(json_bytes)}};
}

Result<InferPayload> BuildInferPayload(const ModelMetadata& model, const PayloadOptions& options,
                                       uint64_t max_body_bytes) {
  if (options.batch < 0) return InvalidArgument("--batch must be at least 1");
  for (const auto& [name, file] : options.input_files) {
    bool known = false;
    for (const auto& in : model.inputs) known = known || in.name == name;
    if (!known) {
      std::string names;
      for (const auto& in : model.inputs) names.append(names.empty() ? "" : ", ").append(in.name);
      return InvalidArgument("--input " + name + "=" + file + ": the model has no input \"" + name +
                             "\" (inputs: " + names + ")");
    }
  }
  bool any_variable = false;
  for (const auto& in : model.inputs) any_variable = any_variable || HasVariableBatch(in);
  if (options.batch > 1 && !any_variable)
    return InvalidArgument("--batch " + std::to_string(options.batch) + ": model \"" + model.name +
                           "\" has no input with a variable first dimension to batch");

  // Files first: they may decide the batch.
  std::vector<InputData> data(model.inputs.size());
  int64_t batch = options.batch;
  for (size_t i = 0; i < model.inputs.size(); ++i) {
    const TensorSpec& spec = model.inputs[i];
    InputData& in = data[i];
    in.spec = spec;
    in.dtype = DTypeFromName(spec.datatype);
    if (in.dtype == DType::kUndefined)
      return InvalidArgument("input \"" + spec.name + "\": unknown datatype \"" + spec.datatype + "\"");
    auto file = options.input_files.find(spec.name);
    if (file == options.input_files.end()) continue;
    if (in.dtype == DType::kString)
      return InvalidArgument("input \"" + spec.name + "\" is BYTES, which an .npy file cannot hold");
    ASSIGN_OR_RETURN(in.tensor, LoadNpyFile(file->second));
    RETURN_IF_ERROR(CheckFileAgainstSpec(spec, in.dtype, in.tensor, file->second));
    in.spec.shape = in.tensor.shape();
    in.source = file->second;
    if (HasVariableBatch(spec)) {
      const int64_t rows = in.tensor.shape()[0];
      if (batch == 0) {
        batch = rows;
      } else if (rows != batch) {
        return InvalidArgument("input \"" + spec.name + "\" from " + file->second + " has " + std::to_string(rows) +
                               " rows in its variable first dimension, but the batch is " + std::to_string(batch));
      }
    }
  }
  if (batch <= 0) batch = 1;

  std::mt19937_64 rng(options.seed);
  uint64_t estimate = 0;
  for (InputData& in : data) {
    if (!in.source.empty()) continue;
    in.source = "random";
    for (size_t d = 0; d < in.spec.shape.size(); ++d)
      if (in.spec.shape[d] == -1) in.spec.shape[d] = d == 0 ? batch : 1;
    const int64_t n = ShapeNumel(in.spec.shape);
    const uint64_t per = in.dtype == DType::kString ? 12 : std::max<uint64_t>(2, DTypeSize(in.dtype));
    if (n < 0 || static_cast<uint64_t>(n) > max_body_bytes / per ||
        (estimate += static_cast<uint64_t>(n) * per) > max_body_bytes)
      return InvalidArgument("input \"" + in.spec.name + "\" " + ShapeText(in.spec.shape) +
                             ": the request body would exceed " + std::to_string(max_body_bytes) + " bytes");
    RETURN_IF_ERROR(FillRandom(in, rng));
  }

  InferPayload payload;
  payload.batch = batch;
  std::string head = "{\"inputs\":[";
  for (size_t i = 0; i < data.size(); ++i) {
    const InputData& in = data[i];
    head.append(i ? "," : "").append("{\"name\":").append(Quote(in.spec.name));
    head.append(",\"shape\":").append(ShapeText(in.spec.shape));
    head.append(",\"datatype\":").append(Quote(in.spec.datatype));
    if (options.binary) {
      head.append(",\"parameters\":{\"binary_data_size\":").append(std::to_string(BinarySize(in))).append("}}");
    } else {
      head.append(",\"data\":");
      RETURN_IF_ERROR(AppendJsonData(in, head));
      head.append("}");
      if (head.size() > max_body_bytes)
        return InvalidArgument("the JSON request body would exceed " + std::to_string(max_body_bytes) + " bytes");
    }
    payload.inputs_described.push_back(in.spec.name + ": " + in.spec.datatype + " " + ShapeText(in.spec.shape) + " (" +
                                       in.source + ")");
  }
  head.append("]");
  if (options.binary) head.append(",\"parameters\":{\"binary_data_output\":true}");
  head.append("}");
  payload.body = std::move(head);
  if (options.binary) {
    payload.json_bytes = payload.body.size();
    for (const InputData& in : data) AppendBinary(in, payload.body);
  }
  return payload;
}

Status CheckInferResponse(int status, std::string_view body, const std::string* inference_header_length) {
  auto quoted_body = [&] {
    std::string b(body.substr(0, 2000));
    while (!b.empty() && (b.back() == '\n' || b.back() == '\r' || b.back() == ' ')) b.pop_back();
    return b.empty() ? std::string("(empty body)") : b;
  };
  if (status != 200)
    return Status(StatusCode::kFailedPrecondition,
                  "the server answered the first inference with HTTP " + std::to_string(status) + ": " + quoted_body());
  std::string_view json_part = body;
  if (inference_header_length != nullptr) {
    uint64_t n = 0;
    auto r = std::from_chars(inference_header_length->data(),
                             inference_header_length->data() + inference_header_length->size(), n);
    if (r.ec != std::errc() || r.ptr != inference_header_length->data() + inference_header_length->size() ||
        n > body.size())
      return DataLoss("Inference-Header-Content-Length \"" + *inference_header_length + "\" does not fit a body of " +
                      std::to_string(body.size()) + " bytes");
    json_part = body.substr(0, n);
  }
  const std::string_view binary_part = body.substr(json_part.size());
  json j = json::parse(json_part, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object())
    return DataLoss("the inference response is not a JSON object: " + quoted_body());
  auto outputs = j.find("outputs");
  if (outputs == j.end() || !outputs->is_array() || outputs->empty())
    return DataLoss("the inference response has no \"outputs\": " + quoted_body());
  uint64_t binary_total = 0;
  for (const auto& out : *outputs) {
    ASSIGN_OR_RETURN(TensorSpec spec, ParseTensorSpec(out, "response output"));
    const json* size = nullptr;
    if (auto p = out.find("parameters"); p != out.end() && p->is_object())
      if (auto s = p->find("binary_data_size"); s != p->end()) size = &*s;
    if (size != nullptr) {
      if (!size->is_number_integer() || size->get<int64_t>() < 0)
        return DataLoss("response output \"" + spec.name + "\": binary_data_size is not a non-negative integer");
      binary_total += size->get<uint64_t>();
    } else if (out.find("data") == out.end()) {
      return DataLoss("response output \"" + spec.name + "\" has neither \"data\" nor binary_data_size");
    }
  }
  if (binary_total != binary_part.size())
    return DataLoss("response outputs declare " + std::to_string(binary_total) + " binary bytes but " +
                    std::to_string(binary_part.size()) + " follow the JSON header");
  return Status::Ok();
}

}  // namespace inferd::loadgen
