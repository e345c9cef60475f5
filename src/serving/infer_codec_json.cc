// The JSON part of an infer request, read with nlohmann's SAX interface.
// See infer_codec_internal.h.
#include <cmath>
#include <exception>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "serving/infer_codec_internal.h"

namespace inferd::serving::codec_internal {
namespace {

// Deeper nested `data` than any tensor rank a model declares is refused.
constexpr size_t kMaxDataDepth = 64;

// Per level of nesting inside `data`: the lengths the arrays there had and
// what they held, to check nested data against the shape afterwards.
struct Level {
  int64_t cur = 0;  // elements so far in the array open at this level
  int64_t min_len = std::numeric_limits<int64_t>::max();
  int64_t max_len = -1;
  bool has_scalar = false;
  bool has_array = false;
};

enum class Ctx : uint8_t {
  kRoot,
  kTop,
  kRequestParams,
  kInputs,
  kInput,
  kShape,
  kInputParams,
  kData,
  kOutputs,
  kOutput,
  kOutputParams
};
enum class Field : uint8_t {
  kSkip,
  kId,
  kParams,
  kInputs,
  kOutputs,
  kName,
  kShape,
  kDatatype,
  kData,
  kBinaryDataOutput,
  kTimeout,
  kTrace,
  kBinaryDataSize,
  kBinaryData
};

struct Frame {
  Ctx ctx;
  uint32_t seen = 0;  // bit per Field: a known key given twice is an error
};

struct InputDraft {
  std::string name;
  std::string datatype;
  Shape shape;
  bool has_name = false, has_datatype = false, has_shape = false, has_data = false;
  std::optional<uint64_t> binary_size;
};

std::string_view StripNlohmannPrefix(std::string_view what) {
  // "[json.exception.parse_error.101] parse error at ..." -> "parse error at ..."
  if (!what.empty() && what.front() == '[') {
    const size_t end = what.find("] ");
    if (end != std::string_view::npos) what.remove_prefix(end + 2);
  }
  return what;
}

class RequestSax {
 public:
  using number_integer_t = int64_t;
  using number_unsigned_t = uint64_t;
  using number_float_t = double;
  using string_t = std::string;
  using binary_t = nlohmann::json::binary_t;

  // `prescan`: data arrays parsed ahead (may be null).
  RequestSax(ParsedRequest* out, const Prescan* prescan) : out_(out), prescan_(prescan) {
    stack_.reserve(8);
    stack_.push_back({Ctx::kRoot});
  }

  const Status& status() const { return status_; }
  bool malformed() const { return malformed_; }
  bool saw_inputs() const { return saw_inputs_; }
  // Requested outputs without their own binary_data follow binary_data_output.
  void ResolveOutputBinary() {
    for (size_t i = 0; i < out_->request.outputs.size(); ++i)
      if (!output_binary_set_[i]) out_->request.outputs[i].binary = out_->request.binary_output_all;
  }

  // ---- nlohmann SAX interface
  bool null() { return Scalar(nullptr, nullptr); }
  bool boolean(bool v) {
    return Scalar(Make(JsonScalar::Kind::kBool, [&](JsonScalar& s) { s.b = v; }), nullptr);
  }
  bool number_integer(int64_t v) {
    return Scalar(Make(JsonScalar::Kind::kInt, [&](JsonScalar& s) { s.i = v; }), nullptr);
  }
  bool number_unsigned(uint64_t v) {
    return Scalar(Make(JsonScalar::Kind::kUint, [&](JsonScalar& s) { s.u = v; }), nullptr);
  }
  bool number_float(double v, const std::string&) {
    return Scalar(Make(JsonScalar::Kind::kFloat, [&](JsonScalar& s) { s.f = v; }), nullptr);
  }
  bool string(std::string& v) {
    return Scalar(Make(JsonScalar::Kind::kString, [](JsonScalar& s) { s.str = 0; }), &v);
  }
  bool binary(binary_t&) { return Fail("binary values are not JSON"); }
  bool start_object(std::size_t) { return Start(true); }
  bool start_array(std::size_t) { return Start(false); }
  bool end_object() { return End(); }
  bool end_array() { return End(); }
  bool key(std::string& k) {
    if (skip_ > 0) return true;
    Frame& f = stack_.back();
    field_ = Field::kSkip;
    switch (f.ctx) {
      case Ctx::kTop:
        field_ = k == "id"           ? Field::kId
                 : k == "parameters" ? Field::kParams
                 : k == "inputs"     ? Field::kInputs
                 : k == "outputs"    ? Field::kOutputs
                                     : Field::kSkip;
        break;
      case Ctx::kRequestParams:
        field_ = k == "binary_data_output" ? Field::kBinaryDataOutput
                 : k == "timeout"          ? Field::kTimeout
                 : k == "trace"            ? Field::kTrace
                                           : Field::kSkip;
        break;
      case Ctx::kInput:
        field_ = k == "name"         ? Field::kName
                 : k == "shape"      ? Field::kShape
                 : k == "datatype"   ? Field::kDatatype
                 : k == "parameters" ? Field::kParams
                 : k == "data"       ? Field::kData
                                     : Field::kSkip;
        break;
      case Ctx::kInputParams:
        field_ = k == "binary_data_size" ? Field::kBinaryDataSize : Field::kSkip;
        break;
      case Ctx::kOutput:
        field_ = k == "name" ? Field::kName : k == "parameters" ? Field::kParams : Field::kSkip;
        break;
      case Ctx::kOutputParams:
        field_ = k == "binary_data" ? Field::kBinaryData : Field::kSkip;
        break;
      default:
        break;
    }
    if (field_ != Field::kSkip) {
      const uint32_t bit = 1u << static_cast<unsigned>(field_);
      if (f.seen & bit) return Fail(Where() + "\"" + k + "\" given twice");
      f.seen |= bit;
    }
    key_.assign(k);  // a copy: moving would take the lexer's buffer and make it reallocate
    return true;
  }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception& ex) {
    if (status_.ok())
      status_ = InvalidArgument("request JSON is malformed: " + std::string(StripNlohmannPrefix(ex.what())));
    malformed_ = true;
    return false;
  }

 private:
  template <class Fn>
  static JsonScalar Make(JsonScalar::Kind kind, Fn&& set) {
    JsonScalar s;
    s.kind = kind;
    set(s);
    return s;
  }
  bool Scalar(std::nullptr_t, std::nullptr_t) {
    if (skip_ > 0) return true;
    return Value(nullptr, nullptr);
  }
  bool Scalar(JsonScalar s, std::string* str) {
    if (skip_ > 0) return true;
    return Value(&s, str);
  }

  bool Fail(std::string message) {
    if (status_.ok()) status_ = InvalidArgument(std::move(message));
    return false;
  }

  // "input \"x\": ", "inputs[2]: ", "parameter \"timeout\": " ... for the context at hand.
  std::string Where() const {
    switch (stack_.back().ctx) {
      case Ctx::kInput:
      case Ctx::kShape:
      case Ctx::kInputParams:
      case Ctx::kData:
        return InputLabel() + ": ";
      case Ctx::kOutput:
      case Ctx::kOutputParams:
        return OutputLabel() + ": ";
      default:
        return "";
    }
  }
  std::string InputLabel() const {
    return draft_.has_name ? "input " + Quoted(draft_.name)
                           : "inputs[" + std::to_string(out_->request.inputs.size()) + "]";
  }
  std::string OutputLabel() const {
    const auto& outs = out_->request.outputs;
    return !outs.empty() && !outs.back().name.empty() ? "output " + Quoted(outs.back().name)
                                                      : "outputs[" + std::to_string(outs.size() - 1) + "]";
  }
  std::string FieldError(const char* expected) const { return Where() + "\"" + key_ + "\" must be " + expected; }

  // A scalar value (s == nullptr: JSON null).
  bool Value(const JsonScalar* s, std::string* str) {
    using K = JsonScalar::Kind;
    const Ctx ctx = stack_.back().ctx;
    switch (ctx) {
      case Ctx::kRoot:
        return Fail("request body must be a JSON object");
      case Ctx::kInputs:
        return Fail("\"inputs\" must be an array of objects");
      case Ctx::kOutputs:
        return Fail("\"outputs\" must be an array of objects");
      case Ctx::kShape:
        if (s == nullptr || (s->kind != K::kInt && s->kind != K::kUint) || (s->kind == K::kInt && s->i < 0) ||
            (s->kind == K::kUint && s->u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))) {
          return Fail(Where() + "\"shape\" must hold non-negative integers, got " + (s ? DescribeScalar(*s) : "null"));
        }
        draft_.shape.push_back(s->kind == K::kInt ? s->i : static_cast<int64_t>(s->u));
        return true;
      case Ctx::kData: {
        if (s == nullptr) return Fail(Where() + "element " + std::to_string(scalars_.size()) + ": null is not a value");
        Level& lv = levels_[depth_ - 1];
        lv.has_scalar = true;
        ++lv.cur;
        scalars_.push_back(*s);
        if (s->kind == K::kString) {
          scalars_.back().str = strings_.size();
          strings_.push_back(std::move(*str));
        }
        return true;
      }
      default:
        break;
    }
    // A field of an object.
    switch (field_) {
      case Field::kSkip:
        return true;
      case Field::kId:
        if (s == nullptr || s->kind != K::kString) return Fail(FieldError("a string"));
        out_->request.id = std::move(*str);
        return true;
      case Field::kName:
        if (s == nullptr || s->kind != K::kString) return Fail(FieldError("a string"));
        if (ctx == Ctx::kInput) {
          draft_.name = std::move(*str);
          draft_.has_name = true;
        } else {
          out_->request.outputs.back().name = std::move(*str);
        }
        return true;
      case Field::kDatatype:
        if (s == nullptr || s->kind != K::kString) return Fail(FieldError("a string such as \"FP32\""));
        draft_.datatype = std::move(*str);
        draft_.has_datatype = true;
        return true;
      case Field::kBinaryDataOutput:
      case Field::kTrace:
      case Field::kBinaryData: {
        if (s == nullptr || s->kind != K::kBool) return Fail(Where() + "parameter \"" + key_ + "\" must be a boolean");
        if (field_ == Field::kBinaryDataOutput) out_->request.binary_output_all = s->b;
        if (field_ == Field::kTrace) out_->request.trace = s->b;
        if (field_ == Field::kBinaryData) {
          out_->request.outputs.back().binary = s->b;
          output_binary_set_.back() = true;
        }
        return true;
      }
      case Field::kTimeout: {
        const bool is_int = s != nullptr && (s->kind == K::kInt || s->kind == K::kUint);
        // Non-negative integers arrive as kUint, negative ones as kInt.
        const bool positive = is_int && s->kind == K::kUint && s->u > 0 &&
                              s->u <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
        if (!positive) return Fail("parameter \"timeout\" must be a positive integer (microseconds)");
        out_->request.timeout_us = s->kind == K::kInt ? s->i : static_cast<int64_t>(s->u);
        return true;
      }
      case Field::kBinaryDataSize: {
        const bool ok = s != nullptr && ((s->kind == K::kInt && s->i >= 0) || s->kind == K::kUint);
        if (!ok) return Fail(Where() + "parameter \"binary_data_size\" must be a non-negative integer");
        draft_.binary_size = s->kind == K::kInt ? static_cast<uint64_t>(s->i) : s->u;
        return true;
      }
      case Field::kParams:
        return Fail(FieldError("an object"));
      case Field::kInputs:
      case Field::kOutputs:
        return Fail(FieldError("an array of objects"));
      case Field::kShape:
        return Fail(FieldError("an array of non-negative integers"));
      case Field::kData:
        return Fail(FieldError("an array"));
    }
    return true;
  }

  bool Start(bool is_object) {
    if (skip_ > 0) {
      ++skip_;
      return true;
    }
    const Ctx ctx = stack_.back().ctx;
    switch (ctx) {
      case Ctx::kRoot:
        if (!is_object) return Fail("request body must be a JSON object");
        stack_.push_back({Ctx::kTop});
        return true;
      case Ctx::kInputs:
        if (!is_object) return Fail("\"inputs\" must be an array of objects");
        draft_ = InputDraft{};
        stack_.push_back({Ctx::kInput});
        return true;
      case Ctx::kOutputs:
        if (!is_object) return Fail("\"outputs\" must be an array of objects");
        out_->request.outputs.emplace_back();
        output_binary_set_.push_back(false);
        stack_.push_back({Ctx::kOutput});
        return true;
      case Ctx::kShape:
        return Fail(Where() + "\"shape\" must hold non-negative integers, got a nested value");
      case Ctx::kData: {
        if (is_object) return Fail(Where() + "\"data\" may hold only numbers, booleans, strings and arrays");
        Level& parent = levels_[depth_ - 1];
        parent.has_array = true;
        ++parent.cur;
        if (depth_ >= kMaxDataDepth)
          return Fail(Where() + "\"data\" is nested deeper than " + std::to_string(kMaxDataDepth) + " levels");
        if (levels_.size() == depth_) levels_.emplace_back();
        levels_[depth_].cur = 0;
        ++depth_;
        return true;
      }
      default:
        break;
    }
    switch (field_) {
      case Field::kSkip:
        skip_ = 1;
        return true;
      case Field::kParams:
        if (!is_object) return Fail(FieldError("an object"));
        stack_.push_back({ctx == Ctx::kTop     ? Ctx::kRequestParams
                          : ctx == Ctx::kInput ? Ctx::kInputParams
                                               : Ctx::kOutputParams});
        return true;
      case Field::kInputs:
      case Field::kOutputs:
        if (is_object) return Fail(FieldError("an array of objects"));
        if (field_ == Field::kInputs) saw_inputs_ = true;
        stack_.push_back({field_ == Field::kInputs ? Ctx::kInputs : Ctx::kOutputs});
        return true;
      case Field::kShape:
        if (is_object) return Fail(FieldError("an array of non-negative integers"));
        draft_.has_shape = true;
        stack_.push_back({Ctx::kShape});
        return true;
      case Field::kData:
        if (is_object) return Fail(FieldError("an array"));
        levels_.assign(1, Level{});
        depth_ = 1;
        scalars_.clear();
        strings_.clear();
        stack_.push_back({Ctx::kData});
        return prescan_ == nullptr || next_array_ >= prescan_->arrays.size() ||
               ReplayArray(prescan_->arrays[next_array_++]);
      case Field::kId:
      case Field::kName:
        return Fail(FieldError("a string"));
      case Field::kDatatype:
        return Fail(FieldError("a string such as \"FP32\""));
      case Field::kBinaryDataOutput:
      case Field::kTrace:
      case Field::kBinaryData:
        return Fail(Where() + "parameter \"" + key_ + "\" must be a boolean");
      case Field::kTimeout:
        return Fail("parameter \"timeout\" must be a positive integer (microseconds)");
      case Field::kBinaryDataSize:
        return Fail(Where() + "parameter \"binary_data_size\" must be a non-negative integer");
    }
    return true;
  }

  // Feeds a prescanned array's inner events (nlohmann delivers its `[]`).
  bool ReplayArray(const std::vector<JsonScalar>& events) {
    scalars_.reserve(events.size());
    for (size_t k = 1; k + 1 < events.size(); ++k) {
      const JsonScalar& ev = events[k];
      const bool ok = ev.kind == JsonScalar::Kind::kOpen    ? Start(false)
                      : ev.kind == JsonScalar::Kind::kClose ? End()
                                                            : Value(&ev, nullptr);
      if (!ok) return false;
    }
    return true;
  }

  bool End() {
    if (skip_ > 0) {
      --skip_;
      return true;
    }
    const Ctx ctx = stack_.back().ctx;
    if (ctx == Ctx::kData) {
      Level& lv = levels_[depth_ - 1];
      lv.min_len = std::min(lv.min_len, lv.cur);
      lv.max_len = std::max(lv.max_len, lv.cur);
      if (--depth_ > 0) return true;
      draft_.has_data = true;
    }
    stack_.pop_back();
    if (ctx == Ctx::kInput) return FinishInput();
    if (ctx == Ctx::kOutput && out_->request.outputs.back().name.empty())
      return Fail(OutputLabel() + ": missing \"name\"");
    return true;
  }

  // Checks nested `data` against the shape: every array at depth d holds
  // shape[d] elements, arrays above the last dimension hold only arrays and
  // those of the last only values. (Depths past the first empty one are
  // never seen: [[],[]] matches [2,0,5].)
  Status CheckNesting(const std::string& label, const Shape& shape) const {
    const size_t rank = shape.size();
    if (levels_.size() > rank)
      return InvalidArgument(label + ": \"data\" is nested " + std::to_string(levels_.size()) + " deep, shape " +
                             ShapeToString(shape) + " has rank " + std::to_string(rank));
    for (size_t d = 0; d < levels_.size(); ++d) {
      const Level& lv = levels_[d];
      if (lv.min_len != shape[d] || lv.max_len != shape[d])
        return InvalidArgument(label + ": \"data\" does not match shape " + ShapeToString(shape) +
                               ": an array at depth " + std::to_string(d) + " has " +
                               std::to_string(lv.min_len != shape[d] ? lv.min_len : lv.max_len) +
                               " elements, expected " + std::to_string(shape[d]));
      if (d + 1 < rank && lv.has_scalar)
        return InvalidArgument(label + ": \"data\" does not match shape " + ShapeToString(shape) +
                               ": a value at depth " + std::to_string(d) + " where an array of " +
                               std::to_string(shape[d + 1]) + " was expected");
    }
    return Status::Ok();
  }

  bool FinishInput() {
    const std::string label = InputLabel();
    if (!draft_.has_name) return Fail(label + ": missing \"name\"");
    if (!draft_.has_datatype) return Fail(label + ": missing \"datatype\"");
    if (!draft_.has_shape) return Fail(label + ": missing \"shape\"");
    const DType dtype = DTypeFromWire(draft_.datatype);
    if (dtype == DType::kUndefined)
      return Fail(label + ": unknown datatype \"" + draft_.datatype +
                  "\" (expected BOOL, UINT8, UINT16, UINT32, UINT64, INT8, INT16, INT32, INT64, FP16, FP32, FP64, BF16 "
                  "or BYTES)");
    const int64_t numel = ShapeNumel(draft_.shape);
    if (numel < 0) return Fail(label + ": shape " + ShapeToString(draft_.shape) + " has too many elements");
    if (draft_.binary_size && draft_.has_data)
      return Fail(label + ": has both \"data\" and parameters.binary_data_size; send one");
    if (!draft_.binary_size && !draft_.has_data)
      return Fail(label + ": has neither \"data\" nor parameters.binary_data_size");
    out_->binary_sizes.push_back(draft_.binary_size);
    if (draft_.binary_size) {
      out_->request.inputs.push_back({std::move(draft_.name), Tensor(dtype, std::move(draft_.shape), nullptr)});
      return true;
    }
    if (levels_.size() > 1) {  // nested; flat data is only counted
      Status st = CheckNesting(label, draft_.shape);
      if (!st.ok()) return Fail(st.message());
    }
    if (static_cast<int64_t>(scalars_.size()) != numel)
      return Fail(label + ": \"data\" has " + std::to_string(scalars_.size()) + " elements, shape " +
                  ShapeToString(draft_.shape) + " needs " + std::to_string(numel));
    auto created = Tensor::Create(dtype, draft_.shape);
    if (!created.ok()) {
      status_ = created.status().WithContext(label);
      return false;
    }
    Tensor t = std::move(created).value();
    std::string why;
    const bool converted = ConvertJsonValues(scalars_, strings_, t, &why);
    if (!converted) return Fail(label + ": " + why);
    out_->request.inputs.push_back({std::move(draft_.name), std::move(t)});
    scalars_.clear();
    strings_.clear();
    return true;
  }

  ParsedRequest* out_;
  const Prescan* prescan_;
  size_t next_array_ = 0;  // next prescan_->arrays entry
  bool malformed_ = false;
  Status status_;
  std::vector<Frame> stack_;
  Field field_ = Field::kSkip;  // the field whose value comes next
  std::string key_;             // its name, for messages
  size_t skip_ = 0;             // > 0 inside a value nobody reads (unknown keys)
  bool saw_inputs_ = false;
  InputDraft draft_;
  std::vector<JsonScalar> scalars_;
  std::vector<std::string> strings_;
  std::vector<Level> levels_;
  size_t depth_ = 0;  // arrays open inside the current `data`
  std::vector<bool> output_binary_set_;
};

}  // namespace

std::string Quoted(std::string_view name) {
  std::string s = "\"";
  s.append(name);
  s += '"';
  return s;
}

Result<ParsedRequest> ParseRequestJson(std::string_view json, const DecodeOptions& options, bool use_prescan) {
  if (json.empty()) return InvalidArgument("request body is empty; expected a JSON object with \"inputs\"");
  ParsedRequest parsed;
  try {
    const std::optional<Prescan> prescan = use_prescan ? PrescanDataArrays(json) : std::nullopt;
    for (int attempt = 0;; ++attempt) {
      // Second attempt without the prescan: a syntax error's position then refers to the client's text.
      const Prescan* fast = attempt == 0 && prescan ? &*prescan : nullptr;
      const std::string_view text = fast ? std::string_view(fast->json) : json;
      parsed = ParsedRequest{};
      RequestSax sax(&parsed, fast);
      if (nlohmann::json::sax_parse(text.data(), text.data() + text.size(), &sax)) {
        if (!sax.saw_inputs()) return InvalidArgument("request has no \"inputs\" array");
        sax.ResolveOutputBinary();
        break;
      }
      if (fast != nullptr && sax.malformed()) continue;
      if (!sax.status().ok()) return sax.status();
      return InvalidArgument("request JSON is malformed");
    }
  } catch (const std::bad_alloc&) {
    return ResourceExhausted("out of memory while decoding the request");
  } catch (const std::exception& e) {
    return InvalidArgument("request JSON is malformed: " + std::string(StripNlohmannPrefix(e.what())));
  }
  if (options.reject_nonfinite) {
    for (const auto& in : parsed.request.inputs) {
      if (in.tensor.storage() == nullptr) continue;  // binary: checked once its bytes are read
      RETURN_IF_ERROR(CheckFinite(in.tensor, "input " + Quoted(in.name)));
    }
  }
  return parsed;
}

}  // namespace inferd::serving::codec_internal
