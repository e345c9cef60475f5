#include "serving/model_config.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>
#include <exception>
#include <fstream>
#include <limits>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <utility>

#include "registry/registry.h"

namespace inferd::serving {
namespace {

// Both front ends (YAML and JSON) are read into this small tree first, so
// one set of rules checks both and the errors read the same. `line` is
// 1-based; 0 when the source has no line numbers for it (JSON).
struct Value {
  enum class Kind { kNull, kScalar, kList, kMap };
  Kind kind = Kind::kNull;
  std::string text;     // kScalar
  bool quoted = false;  // a string in quotes (never an integer or boolean)
  int line = 0;
  std::vector<Value> items;  // kList
  // kMap, in source order (parallel vectors: a pair could not hold the
  // still-incomplete Value).
  std::vector<std::string> keys;
  std::vector<Value> values;
  std::vector<int> key_lines;  // kMap: line of each key
};

// Values above these are surely typos, and the control API must not let a
// peer ask for a billion-entry queue or thread count.
constexpr int64_t kMaxBatch = 1 << 20;
constexpr int64_t kMaxQueue = 1 << 24;
constexpr int64_t kMaxDelayUs = 60LL * 1000 * 1000;
constexpr int64_t kMaxTimeoutUs = 24LL * 3600 * 1000 * 1000;
constexpr int64_t kMaxInstances = 256;
constexpr int64_t kMaxThreads = 1024;
constexpr size_t kMaxListItems = 1024;
constexpr int kMaxDepth = 8;
// YAML anchors let a short text name the same node many times; this bounds
// the walk however the nodes are shared.
constexpr int kMaxNodes = 20000;

constexpr const char* kKnownKeys =
    "max_batch_size, max_queue_delay_us, preferred_batch_sizes, max_queue_size, default_timeout_us, instances, "
    "threads, version_policy, warmup";

Status Fail(std::string_view source, int line, std::string_view key, const std::string& what) {
  std::string msg(source);
  if (line > 0) msg += ":" + std::to_string(line);
  msg += ": ";
  if (!key.empty()) msg += std::string(key) + ": ";
  return InvalidArgument(msg + what);
}

std::string Describe(const Value& v) {
  switch (v.kind) {
    case Value::Kind::kNull:
      return "nothing";
    case Value::Kind::kList:
      return "a list";
    case Value::Kind::kMap:
      return "a mapping";
    case Value::Kind::kScalar:
      break;
  }
  std::string shown = v.text.size() > 40 ? v.text.substr(0, 40) + "..." : v.text;
  return "\"" + shown + "\"";
}

// ---- YAML -> Value
Result<Value> FromYaml(const YAML::Node& node, std::string_view source, int depth, int& budget) {
  Value v;
  v.line = node.Mark().line >= 0 ? node.Mark().line + 1 : 0;
  if (depth > kMaxDepth) return Fail(source, v.line, "", "nested too deeply");
  if (--budget < 0) return Fail(source, v.line, "", "too large (more than " + std::to_string(kMaxNodes) + " values)");
  switch (node.Type()) {
    case YAML::NodeType::Undefined:
    case YAML::NodeType::Null:
      return v;
    case YAML::NodeType::Scalar:
      v.kind = Value::Kind::kScalar;
      v.text = node.Scalar();
      v.quoted = node.Tag() == "!";
      return v;
    case YAML::NodeType::Sequence:
      v.kind = Value::Kind::kList;
      for (const auto& item : node) {
        if (v.items.size() >= kMaxListItems)
          return Fail(source, v.line, "", "list longer than " + std::to_string(kMaxListItems) + " items");
        ASSIGN_OR_RETURN(Value child, FromYaml(item, source, depth + 1, budget));
        v.items.push_back(std::move(child));
      }
      return v;
    case YAML::NodeType::Map:
      v.kind = Value::Kind::kMap;
      for (const auto& kv : node) {
        const int key_line = kv.first.Mark().line >= 0 ? kv.first.Mark().line + 1 : v.line;
        if (!kv.first.IsScalar()) return Fail(source, key_line, "", "keys must be plain words");
        ASSIGN_OR_RETURN(Value child, FromYaml(kv.second, source, depth + 1, budget));
        // An empty value has no position of its own (yaml-cpp marks the next line).
        if (child.line == 0 || child.kind == Value::Kind::kNull) child.line = key_line;
        v.keys.push_back(kv.first.Scalar());
        v.values.push_back(std::move(child));
        v.key_lines.push_back(key_line);
      }
      return v;
  }
  return v;
}

// ---- JSON -> Value (no line numbers: nlohmann keeps none per value)
Result<Value> FromJson(const nlohmann::json& j, std::string_view source, int depth) {
  Value v;
  if (depth > kMaxDepth) return Fail(source, 0, "", "nested too deeply");
  if (j.is_null()) return v;
  if (j.is_object()) {
    v.kind = Value::Kind::kMap;
    for (auto it = j.begin(); it != j.end(); ++it) {
      ASSIGN_OR_RETURN(Value child, FromJson(it.value(), source, depth + 1));
      v.keys.push_back(it.key());
      v.values.push_back(std::move(child));
      v.key_lines.push_back(0);
    }
    return v;
  }
  if (j.is_array()) {
    v.kind = Value::Kind::kList;
    if (j.size() > kMaxListItems)
      return Fail(source, 0, "", "list longer than " + std::to_string(kMaxListItems) + " items");
    for (const auto& item : j) {
      ASSIGN_OR_RETURN(Value child, FromJson(item, source, depth + 1));
      v.items.push_back(std::move(child));
    }
    return v;
  }
  v.kind = Value::Kind::kScalar;
  if (j.is_string()) {
    v.text = j.get<std::string>();
    v.quoted = true;
  } else {
    v.text = j.dump();
  }
  return v;
}

// ---- typed readers
Result<int64_t> ReadInt(const Value& v, std::string_view source, std::string_view key, int64_t min, int64_t max,
                        const char* expected) {
  const std::string what = std::string("expected ") + expected;
  if (v.kind != Value::Kind::kScalar) return Fail(source, v.line, key, what + ", got " + Describe(v));
  if (v.quoted) return Fail(source, v.line, key, what + ", got the string " + Describe(v) + " (drop the quotes)");
  int64_t n = 0;
  const char* begin = v.text.data();
  const char* end = begin + v.text.size();
  if (begin != end && *begin == '+') ++begin;
  auto [ptr, ec] = std::from_chars(begin, end, n);
  if (ec == std::errc::result_out_of_range || (ec == std::errc() && ptr == end && (n < min || n > max)))
    return Fail(source, v.line, key,
                what + " from " + std::to_string(min) + " to " + std::to_string(max) + ", got " + v.text);
  if (ec != std::errc() || ptr != end || begin == end) return Fail(source, v.line, key, what + ", got " + Describe(v));
  return n;
}

Result<bool> ReadBool(const Value& v, std::string_view source, std::string_view key) {
  if (v.kind == Value::Kind::kScalar && !v.quoted) {
    if (v.text == "true" || v.text == "True" || v.text == "TRUE") return true;
    if (v.text == "false" || v.text == "False" || v.text == "FALSE") return false;
  }
  return Fail(source, v.line, key, "expected true or false, got " + Describe(v));
}

Result<std::vector<int64_t>> ReadIntList(const Value& v, std::string_view source, std::string_view key, int64_t min,
                                         int64_t max, const char* expected) {
  if (v.kind != Value::Kind::kList)
    return Fail(source, v.line, key, std::string("expected a list of ") + expected + ", got " + Describe(v));
  std::vector<int64_t> out;
  std::set<int64_t> seen;
  for (const auto& item : v.items) {
    ASSIGN_OR_RETURN(int64_t n, ReadInt(item, source, key, min, max, expected));
    if (!seen.insert(n).second) return Fail(source, item.line, key, std::to_string(n) + " is listed twice");
    out.push_back(n);
  }
  std::sort(out.begin(), out.end());
  return out;
}

Result<VersionPolicy> ReadPolicy(const Value& v, std::string_view source) {
  constexpr std::string_view key = "version_policy";
  constexpr const char* forms = "write {latest: N}, {specific: [1, 3]} or all";
  VersionPolicy p;
  if (v.kind == Value::Kind::kScalar && !v.quoted && v.text == "all") {
    p.kind = VersionPolicy::Kind::kAll;
    return p;
  }
  if (v.kind != Value::Kind::kMap || v.keys.size() != 1)
    return Fail(source, v.line, key,
                "expected one of latest, specific or all (" + std::string(forms) + "), got " +
                    (v.kind == Value::Kind::kMap ? std::to_string(v.keys.size()) + " keys" : Describe(v)));
  const std::string& name = v.keys[0];
  const Value& arg = v.values[0];
  const std::string sub = std::string(key) + "." + name;
  if (name == "latest") {
    p.kind = VersionPolicy::Kind::kLatest;
    ASSIGN_OR_RETURN(p.latest, ReadInt(arg, source, sub, 1, 1 << 20, "a positive integer"));
  } else if (name == "specific") {
    p.kind = VersionPolicy::Kind::kSpecific;
    ASSIGN_OR_RETURN(p.versions,
                     ReadIntList(arg, source, sub, 1, std::numeric_limits<int64_t>::max(), "version numbers"));
    if (p.versions.empty()) return Fail(source, arg.line, sub, "lists no versions");
  } else if (name == "all") {
    // {all: {}} / {all: true} / {all: null}: accepted for symmetry with the other forms.
    const bool ok = arg.kind == Value::Kind::kNull || (arg.kind == Value::Kind::kMap && arg.keys.empty()) ||
                    (arg.kind == Value::Kind::kScalar && !arg.quoted && arg.text == "true");
    if (!ok) return Fail(source, arg.line, sub, "takes no value; write version_policy: all");
    p.kind = VersionPolicy::Kind::kAll;
  } else {
    return Fail(source, v.key_lines.empty() ? v.line : v.key_lines[0], key,
                "unknown policy \"" + name + "\" (" + forms + ")");
  }
  return p;
}

Result<ModelConfig> Apply(const Value& root, std::string_view source, const ModelConfig& base) {
  ModelConfig c = base;
  if (root.kind == Value::Kind::kNull) return c;  // empty document: nothing to change
  if (root.kind != Value::Kind::kMap)
    return Fail(source, root.line, "",
                "expected a mapping of settings (" + std::string(kKnownKeys) + "), got " + Describe(root));
  std::set<std::string> seen;
  std::map<std::string, int> lines;
  for (size_t i = 0; i < root.keys.size(); ++i) {
    const std::string& key = root.keys[i];
    const Value& v = root.values[i];
    const int key_line = root.key_lines[i];
    if (!seen.insert(key).second) return Fail(source, key_line, key, "given twice");
    lines[key] = key_line;
    BatchingConfig& b = c.batching;
    if (key == "max_batch_size") {
      ASSIGN_OR_RETURN(b.max_batch_size, ReadInt(v, source, key, 0, kMaxBatch, "a non-negative integer"));
    } else if (key == "max_queue_delay_us") {
      ASSIGN_OR_RETURN(b.max_queue_delay_us, ReadInt(v, source, key, 0, kMaxDelayUs, "a non-negative integer"));
    } else if (key == "preferred_batch_sizes") {
      ASSIGN_OR_RETURN(b.preferred_batch_sizes, ReadIntList(v, source, key, 1, kMaxBatch, "positive integers"));
    } else if (key == "max_queue_size") {
      ASSIGN_OR_RETURN(b.max_queue_size, ReadInt(v, source, key, 1, kMaxQueue, "a positive integer"));
    } else if (key == "default_timeout_us") {
      ASSIGN_OR_RETURN(b.default_timeout_us, ReadInt(v, source, key, 0, kMaxTimeoutUs, "a non-negative integer"));
    } else if (key == "instances") {
      ASSIGN_OR_RETURN(int64_t n, ReadInt(v, source, key, 1, kMaxInstances, "a positive integer"));
      b.instances = static_cast<int>(n);
    } else if (key == "threads") {
      ASSIGN_OR_RETURN(int64_t n, ReadInt(v, source, key, 0, kMaxThreads, "a non-negative integer"));
      c.threads = static_cast<int>(n);
    } else if (key == "version_policy") {
      ASSIGN_OR_RETURN(c.version_policy, ReadPolicy(v, source));
    } else if (key == "warmup") {
      ASSIGN_OR_RETURN(c.warmup, ReadBool(v, source, key));
    } else {
      return Fail(source, key_line, "", "unknown key \"" + key + "\" (known keys: " + kKnownKeys + ")");
    }
  }
  // Combinations, on the merged result; the line is that of whichever key
  // this text set (0 when the conflict comes from the base alone).
  const auto line_of = [&](const char* a, const char* b) {
    if (lines.count(a)) return lines[a];
    return lines.count(b) ? lines[b] : 0;
  };
  const BatchingConfig& b = c.batching;
  if (!b.preferred_batch_sizes.empty()) {
    if (b.max_batch_size <= 1)
      return Fail(source, line_of("preferred_batch_sizes", "max_batch_size"), "preferred_batch_sizes",
                  "needs batching on (max_batch_size of 2 or more; it is " + std::to_string(b.max_batch_size) + ")");
    if (b.preferred_batch_sizes.back() > b.max_batch_size)
      return Fail(source, line_of("preferred_batch_sizes", "max_batch_size"), "preferred_batch_sizes",
                  std::to_string(b.preferred_batch_sizes.back()) + " exceeds max_batch_size " +
                      std::to_string(b.max_batch_size));
  }
  if (b.max_batch_size > 1 && b.max_queue_size < b.max_batch_size)
    return Fail(source, line_of("max_queue_size", "max_batch_size"), "max_queue_size",
                std::to_string(b.max_queue_size) + " is smaller than max_batch_size " +
                    std::to_string(b.max_batch_size) + " (a full batch could never form)");
  if (b.instances < 1) return Fail(source, line_of("instances", "instances"), "instances", "must be at least 1");
  if (c.threads < 0) return Fail(source, line_of("threads", "threads"), "threads", "must be 0 or more");
  if (static_cast<int64_t>(c.threads) * b.instances > kMaxThreads)
    return Fail(source, line_of("threads", "instances"), "threads",
                std::to_string(c.threads) + " threads x " + std::to_string(b.instances) + " instances exceeds " +
                    std::to_string(kMaxThreads) + " threads in all");
  return c;
}

std::string IntList(const std::vector<int64_t>& v) {
  std::string out = "[";
  for (size_t i = 0; i < v.size(); ++i) out += (i ? ", " : "") + std::to_string(v[i]);
  return out + "]";
}

}  // namespace

std::vector<int64_t> VersionPolicy::Select(const std::vector<int64_t>& available) const {
  std::vector<int64_t> sorted = available;
  std::sort(sorted.begin(), sorted.end());
  sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
  switch (kind) {
    case Kind::kAll:
      return sorted;
    case Kind::kLatest: {
      const size_t n = latest <= 0 ? 0 : std::min(sorted.size(), static_cast<size_t>(latest));
      return std::vector<int64_t>(sorted.end() - static_cast<std::ptrdiff_t>(n), sorted.end());
    }
    case Kind::kSpecific: {
      std::vector<int64_t> out;
      for (int64_t v : sorted)
        if (std::find(versions.begin(), versions.end(), v) != versions.end()) out.push_back(v);
      return out;
    }
  }
  return {};
}

Result<ModelConfig> ParseModelConfigYaml(std::string_view text, std::string_view source, const ModelConfig& base) {
  Value root;
  try {
    std::vector<YAML::Node> docs = YAML::LoadAll(std::string(text));
    if (docs.size() > 1) return Fail(source, docs[1].Mark().line + 1, "", "holds more than one YAML document");
    if (!docs.empty()) {
      int budget = kMaxNodes;
      ASSIGN_OR_RETURN(root, FromYaml(docs[0], source, 0, budget));
    }
  } catch (const YAML::Exception& e) {
    return Fail(source, e.mark.line >= 0 ? e.mark.line + 1 : 0, "", "not valid YAML: " + e.msg);
  } catch (const std::exception& e) {
    return Fail(source, 0, "", std::string("cannot read: ") + e.what());
  }
  return Apply(root, source, base);
}

Result<ModelConfig> ParseModelConfigJson(std::string_view json, std::string_view source, const ModelConfig& base) {
  nlohmann::json j = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return Fail(source, 0, "", "not valid JSON");
  if (!j.is_object() && !j.is_null())
    return Fail(source, 0, "", std::string("expected a JSON object of settings (") + kKnownKeys + ")");
  try {
    ASSIGN_OR_RETURN(Value root, FromJson(j, source, 0));
    return Apply(root, source, base);
  } catch (const std::exception& e) {
    return Fail(source, 0, "", std::string("cannot read: ") + e.what());
  }
}

std::string ModelConfigToYaml(const ModelConfig& c) {
  const BatchingConfig& b = c.batching;
  std::string out;
  out += "max_batch_size: " + std::to_string(b.max_batch_size) + "\n";
  out += "max_queue_delay_us: " + std::to_string(b.max_queue_delay_us) + "\n";
  out += "preferred_batch_sizes: " + IntList(b.preferred_batch_sizes) + "\n";
  out += "max_queue_size: " + std::to_string(b.max_queue_size) + "\n";
  out += "default_timeout_us: " + std::to_string(b.default_timeout_us) + "\n";
  out += "instances: " + std::to_string(b.instances) + "\n";
  out += "threads: " + std::to_string(c.threads) + "\n";
  switch (c.version_policy.kind) {
    case VersionPolicy::Kind::kLatest:
      out += "version_policy: {latest: " + std::to_string(c.version_policy.latest) + "}\n";
      break;
    case VersionPolicy::Kind::kSpecific:
      out += "version_policy: {specific: " + IntList(c.version_policy.versions) + "}\n";
      break;
    case VersionPolicy::Kind::kAll:
      out += "version_policy: all\n";
      break;
  }
  out += std::string("warmup: ") + (c.warmup ? "true" : "false") + "\n";
  return out;
}

Result<std::string> ReadModelConfigFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFound("cannot open serving config \"" + path + "\"");
  std::string text;
  char buf[4096];
  while (in.read(buf, sizeof buf) || in.gcount() > 0) {
    text.append(buf, static_cast<size_t>(in.gcount()));
    if (text.size() > registry::kMaxServingConfigBytes)
      return InvalidArgument("serving config \"" + path + "\" is larger than " +
                             std::to_string(registry::kMaxServingConfigBytes) + " bytes; it should be a short YAML file");
  }
  return text;
}

}  // namespace inferd::serving
