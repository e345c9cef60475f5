// `inferd model ...`: the model registry from the command line.
//
//   push NAME FILE [--alias A]... [--tag k=v]... [--metric k=v]... [--parent V]
//        [--note TEXT] [--dataset TEXT] [--param k=v]... [--config serving.yaml]
//   list | versions NAME | show NAME[:V|@A] | diff NAME V1 V2 | log [NAME]   (--json)
//   alias set NAME ALIAS VERSION | alias rm NAME ALIAS
//   tag NAME:V k=v | metric NAME:V k=v | pull NAME[:V|@A] OUT | rm NAME:V [--force]
//   check | serve-registry [--address A] [--port P]
//
// The registry folder is --registry DIR, else $INFERD_REGISTRY, else ./inferd-data.
// Thin: every subcommand is one call into registry::Registry.
#include <signal.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>

#include "cli/model_format.h"
#include "cli/verbs.h"
#include "http/server.h"
#include "registry/diff.h"
#include "registry/http_api.h"
#include "registry/registry.h"
#include "serving/model_config.h"

namespace inferd::cli {
namespace {

using registry::ModelRef;
using registry::Registry;

struct ModelArgs {
  std::string root;
  bool json = false;
  // push
  std::string name, file, note, dataset, config;
  std::vector<std::string> aliases, tags, metrics, params;
  int64_t parent = 0;
  // references and other positionals
  std::string ref, alias, key_value, out;
  int64_t version = 0, v1 = 0, v2 = 0, limit = 0;
  bool force = false;
  // serve-registry
  std::string address = "127.0.0.1";
  int port = 8470;
};

// The command line as typed, for the audit log (from /proc, so main() need
// not pass argv down).
std::string CommandLine() {
  std::ifstream in("/proc/self/cmdline", std::ios::binary);
  std::string raw((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::string out;
  size_t start = 0;
  while (start < raw.size()) {
    size_t end = raw.find('\0', start);
    if (end == std::string::npos) end = raw.size();
    std::string arg = raw.substr(start, end - start);
    if (arg.find_first_of(" \t'\"") != std::string::npos || arg.empty()) arg = "'" + arg + "'";
    out += (out.empty() ? "" : " ") + arg;
    start = end + 1;
  }
  return out;
}

Result<std::unique_ptr<Registry>> OpenRegistry(const ModelArgs& args, bool create = false) {
  registry::RegistryOptions options;
  options.root = registry::ResolveRoot(args.root);
  options.create = create;
  options.command_line = CommandLine();
  auto reg = Registry::Open(options);
  if (!reg.ok())
    return reg.status().code() == StatusCode::kNotFound ? reg.status()
                                                        : reg.status().WithContext("registry \"" + options.root + "\"");
  for (const auto& line : (*reg)->recovery().Describe()) std::cerr << "inferd: note: " << line << "\n";
  return reg;
}

void PrintJson(const nlohmann::json& j) { std::cout << j.dump(2) << "\n"; }

// NAME:VERSION, required to name a version.
Result<ModelRef> VersionRef(const std::string& text) {
  ASSIGN_OR_RETURN(ModelRef ref, registry::ParseModelRef(text));
  if (!ref.has_version())
    return InvalidArgument("\"" + text + "\" names no version; write NAME:VERSION (e.g. " + ref.name + ":3)");
  return ref;
}

// The --config file, bounded so a wrong path (a model, a log) is refused
// with a clear message instead of read whole.
int Push(const ModelArgs& a) {
  registry::PushRequest req;
  req.name = a.name;
  req.file = a.file;
  req.aliases = a.aliases;
  req.note = a.note;
  req.dataset = a.dataset;
  if (a.parent != 0) req.parent = a.parent;
  for (const auto& t : a.tags) {
    auto kv = registry::ParseKeyValue("tag", t);
    if (!kv.ok()) return ReportError(kv.status());
    req.tags.push_back(*kv);
  }
  for (const auto& m : a.metrics) {
    auto kv = registry::ParseKeyValue("metric", m);
    if (!kv.ok()) return ReportError(kv.status());
    auto value = registry::ParseMetricValue(kv->first, kv->second);
    if (!value.ok()) return ReportError(value.status());
    req.metrics.emplace_back(kv->first, *value);
  }
  for (const auto& p : a.params) {
    auto kv = registry::ParseKeyValue("param", p);
    if (!kv.ok()) return ReportError(kv.status());
    req.params[kv->first] = kv->second;
  }
  // Validate names, the serving config and the file before creating the registry folder.
  if (Status s = registry::ValidateModelName(req.name); !s.ok()) return ReportError(s);
  if (!a.config.empty()) {
    auto text = serving::ReadModelConfigFile(a.config);
    if (!text.ok()) return ReportError(text.status());
    auto parsed = serving::ParseModelConfigYaml(*text, a.config);
    if (!parsed.ok()) return ReportError(parsed.status());
    req.serving_config = std::move(*text);
  }
  if (std::ifstream probe(req.file, std::ios::binary); !probe)
    return ReportError(NotFound("cannot read \"" + req.file + "\": " + std::strerror(errno)));
  auto reg = OpenRegistry(a, /*create=*/true);
  if (!reg.ok()) return ReportError(reg.status());
  auto v = (*reg)->Push(req);
  if (!v.ok()) return ReportError(v.status());
  if (a.json) {
    PrintJson(registry::ToJson(*v));
  } else {
    std::cout << "pushed " << v->model << ":" << v->number << "  sha256 " << v->sha256.substr(0, 12) << "  "
              << HumanBytes(v->size) << "  opset " << v->opset;
    if (!v->aliases.empty()) {
      std::cout << "  aliases";
      for (const auto& al : v->aliases) std::cout << " " << al;
    }
    std::cout << "\n";
  }
  return kExitOk;
}

int Show(const ModelArgs& a) {
  auto ref = registry::ParseModelRef(a.ref);
  if (!ref.ok()) return ReportError(ref.status());
  auto reg = OpenRegistry(a);
  if (!reg.ok()) return ReportError(reg.status());
  auto v = (*reg)->Show(*ref);
  if (!v.ok()) return ReportError(v.status());
  if (a.json)
    PrintJson(registry::ToJson(*v));
  else
    std::cout << FormatVersion(*v);
  return kExitOk;
}

int Annotate(const ModelArgs& a, bool metric) {
  auto ref = VersionRef(a.ref);
  if (!ref.ok()) return ReportError(ref.status());
  auto kv = registry::ParseKeyValue(metric ? "metric" : "tag", a.key_value);
  if (!kv.ok()) return ReportError(kv.status());
  auto reg = OpenRegistry(a);
  if (!reg.ok()) return ReportError(reg.status());
  Status s;
  if (metric) {
    auto value = registry::ParseMetricValue(kv->first, kv->second);
    if (!value.ok()) return ReportError(value.status());
    s = (*reg)->SetMetric(ref->name, ref->version, kv->first, *value);
  } else {
    s = (*reg)->SetTag(ref->name, ref->version, kv->first, kv->second);
  }
  if (!s.ok()) return ReportError(s);
  std::cout << (metric ? "metric " : "tag ") << kv->first << "=" << kv->second << " on " << ref->ToString() << "\n";
  return kExitOk;
}

int Pull(const ModelArgs& a) {
  auto ref = registry::ParseModelRef(a.ref);
  if (!ref.ok()) return ReportError(ref.status());
  auto reg = OpenRegistry(a);
  if (!reg.ok()) return ReportError(reg.status());
  registry::VersionRecord v;
  auto written = (*reg)->Pull(*ref, a.out, &v);
  if (!written.ok()) return ReportError(written.status());
  std::cout << "pulled " << v.model << ":" << v.number << " to " << *written << " (" << HumanBytes(v.size)
            << ", sha256 verified)\n";
  return kExitOk;
}

volatile sig_atomic_t g_stop = 0;

int ServeRegistry(const ModelArgs& a) {
  auto reg = OpenRegistry(a);
  if (!reg.ok()) return ReportError(reg.status());
  const std::string root = (*reg)->root();
  registry::RegistryHttpApi api(std::move(*reg));
  http::ServerOptions options;
  options.address = a.address;
  options.port = static_cast<uint16_t>(a.port);
  // Block the stop signals before the server threads start, then wait for one.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  auto server = http::Server::Start(options, api.AsHandler());
  if (!server.ok()) return ReportError(server.status());
  std::cout << "serving registry \"" << root << "\" on http://" << a.address << ":" << (*server)->port()
            << "/v1/models (Ctrl-C to stop)" << std::endl;
  int sig = 0;
  sigwait(&set, &sig);
  (*server)->Stop();
  return kExitOk;
}

int Check(const ModelArgs& a) {
  auto reg = OpenRegistry(a);
  if (!reg.ok()) return ReportError(reg.status());
  int bad = 0, total = 0;
  auto models = (*reg)->List();
  if (!models.ok()) return ReportError(models.status());
  for (const auto& m : *models) {
    auto versions = (*reg)->Versions(m.name);
    if (!versions.ok()) return ReportError(versions.status());
    for (const auto& v : *versions) {
      ++total;
      if (Status s = (*reg)->Verify(v); !s.ok()) {
        ++bad;
        std::cout << "BAD  " << v.model << ":" << v.number << ": " << s.message() << "\n";
      }
    }
  }
  const bool orphans = (*reg)->recovery().has_orphans();
  std::cout << total << " versions checked, " << bad << " bad" << (orphans ? "; orphans reported above" : "") << "\n";
  return bad == 0 && !orphans ? kExitOk : kExitError;
}

}  // namespace

Verb AddModelVerb(CLI::App& app) {
  auto args = std::make_shared<ModelArgs>();
  CLI::App* model = app.add_subcommand("model", "Model registry: versions, aliases, metrics, lineage");
  model->require_subcommand(1);
  model->fallthrough();
  model->add_option("--registry", args->root, "Registry folder (default: $INFERD_REGISTRY or ./inferd-data)");
  auto json_flag = [&](CLI::App* c) { c->add_flag("--json", args->json, "Print JSON"); };

  CLI::App* push = model->add_subcommand("push", "Validate a model with the engine and store it as a new version");
  push->add_option("NAME", args->name, "Model name")->required();
  push->add_option("FILE", args->file, "The .onnx file")->required();
  push->add_option("--alias", args->aliases, "Point this alias at the new version (repeatable)");
  push->add_option("--tag", args->tags, "key=value tag (repeatable)");
  push->add_option("--metric", args->metrics, "key=number metric (repeatable)");
  push->add_option("--parent", args->parent, "Version this one was derived from");
  push->add_option("--note", args->note, "Free text");
  push->add_option("--dataset", args->dataset, "Data set it was trained on (lineage)");
  push->add_option("--param", args->params, "key=value training parameter (lineage, repeatable)");
  push->add_option("--config", args->config, "Serving config (YAML: batching, version policy, threads), validated");
  json_flag(push);

  CLI::App* list = model->add_subcommand("list", "Models with their version counts and aliases");
  json_flag(list);
  CLI::App* versions = model->add_subcommand("versions", "A model's versions");
  versions->add_option("NAME", args->name)->required();
  json_flag(versions);
  CLI::App* show = model->add_subcommand("show", "One version: signature, checksum, lineage, tags, metrics");
  show->add_option("REF", args->ref, "NAME (latest), NAME:VERSION or NAME@ALIAS")->required();
  json_flag(show);

  CLI::App* alias = model->add_subcommand("alias", "Move or remove an alias");
  alias->require_subcommand(1);
  CLI::App* alias_set = alias->add_subcommand("set", "Point ALIAS at VERSION (atomically)");
  alias_set->add_option("NAME", args->name)->required();
  alias_set->add_option("ALIAS", args->alias)->required();
  alias_set->add_option("VERSION", args->version)->required()->check(CLI::PositiveNumber);
  CLI::App* alias_rm = alias->add_subcommand("rm", "Remove an alias");
  alias_rm->add_option("NAME", args->name)->required();
  alias_rm->add_option("ALIAS", args->alias)->required();

  CLI::App* tag = model->add_subcommand("tag", "Set a tag on a version");
  tag->add_option("REF", args->ref, "NAME:VERSION")->required();
  tag->add_option("KEY=VALUE", args->key_value)->required();
  CLI::App* metric = model->add_subcommand("metric", "Set a metric on a version");
  metric->add_option("REF", args->ref, "NAME:VERSION")->required();
  metric->add_option("KEY=NUMBER", args->key_value)->required();

  CLI::App* diff = model->add_subcommand("diff", "Compare two versions: signature, size, metrics, ops");
  diff->add_option("NAME", args->name)->required();
  diff->add_option("V1", args->v1)->required()->check(CLI::PositiveNumber);
  diff->add_option("V2", args->v2)->required()->check(CLI::PositiveNumber);
  json_flag(diff);

  CLI::App* pull = model->add_subcommand("pull", "Copy a version's file out, checking its sha256");
  pull->add_option("REF", args->ref, "NAME, NAME:VERSION or NAME@ALIAS")->required();
  pull->add_option("OUT", args->out, "Output file or folder")->required();

  CLI::App* rm = model->add_subcommand("rm", "Delete a version (refused while an alias points at it)");
  rm->add_option("REF", args->ref, "NAME:VERSION")->required();
  rm->add_flag("--force", args->force, "Also remove the aliases that point at it");

  CLI::App* log = model->add_subcommand("log", "Audit trail: who changed what, when");
  log->add_option("NAME", args->name, "Only this model");
  log->add_option("--limit", args->limit, "Only the last N entries");
  json_flag(log);

  CLI::App* check = model->add_subcommand("check", "Verify every version's checksum and report orphans");
  CLI::App* serve = model->add_subcommand("serve-registry", "Serve the registry's HTTP API");
  serve->add_option("--address", args->address, "Address to bind (default 127.0.0.1: loopback only)");
  serve->add_option("--port", args->port, "Port (default 8470; 0 picks a free one)")->check(CLI::Range(0, 65535));

  auto action = [=]() -> int {
    const ModelArgs& a = *args;
    if (push->parsed()) return Push(a);
    if (show->parsed()) return Show(a);
    if (tag->parsed()) return Annotate(a, false);
    if (metric->parsed()) return Annotate(a, true);
    if (pull->parsed()) return Pull(a);
    if (serve->parsed()) return ServeRegistry(a);
    if (check->parsed()) return Check(a);
    if (!a.name.empty())
      if (Status s = registry::ValidateModelName(a.name); !s.ok()) return ReportError(s);
    auto reg_or = OpenRegistry(a);
    if (!reg_or.ok()) return ReportError(reg_or.status());
    Registry& reg = **reg_or;
    if (list->parsed()) {
      auto models = reg.List();
      if (!models.ok()) return ReportError(models.status());
      if (!a.json) {
        std::cout << FormatModels(*models);
        return kExitOk;
      }
      nlohmann::json j = nlohmann::json::array();
      for (const auto& m : *models) j.push_back(registry::ToJson(m));
      PrintJson(j);
      return kExitOk;
    }
    if (versions->parsed()) {
      auto vs = reg.Versions(a.name);
      if (!vs.ok()) return ReportError(vs.status());
      if (!a.json) {
        std::cout << FormatVersions(*vs);
        return kExitOk;
      }
      nlohmann::json j = nlohmann::json::array();
      for (const auto& v : *vs) j.push_back(registry::ToJson(v));
      PrintJson(j);
      return kExitOk;
    }
    if (alias_set->parsed()) {
      auto before = reg.ResolveAlias(a.name, a.alias);
      if (Status s = reg.SetAlias(a.name, a.alias, a.version); !s.ok()) return ReportError(s);
      std::cout << a.name << "@" << a.alias << ": " << (before.ok() ? std::to_string(*before) : "-") << " -> "
                << a.version << "\n";
      return kExitOk;
    }
    if (alias_rm->parsed()) {
      if (Status s = reg.RemoveAlias(a.name, a.alias); !s.ok()) return ReportError(s);
      std::cout << "removed alias " << a.name << "@" << a.alias << "\n";
      return kExitOk;
    }
    if (diff->parsed()) {
      auto x = reg.Show(ModelRef{a.name, a.v1, ""});
      if (!x.ok()) return ReportError(x.status());
      auto y = reg.Show(ModelRef{a.name, a.v2, ""});
      if (!y.ok()) return ReportError(y.status());
      const auto d = registry::DiffVersions(*x, *y);
      if (a.json) {
        PrintJson(d);
      } else {
        for (const auto& line : registry::DescribeDiff(d)) std::cout << line << "\n";
      }
      return kExitOk;
    }
    if (rm->parsed()) {
      auto ref = VersionRef(a.ref);
      if (!ref.ok()) return ReportError(ref.status());
      if (Status s = reg.Remove(ref->name, ref->version, a.force); !s.ok()) return ReportError(s);
      std::cout << "removed " << ref->ToString() << "\n";
      return kExitOk;
    }
    if (log->parsed()) {
      auto entries = reg.Log(a.name, a.limit);
      if (!entries.ok()) return ReportError(entries.status());
      if (!a.json) {
        std::cout << FormatAudit(*entries);
        return kExitOk;
      }
      nlohmann::json j = nlohmann::json::array();
      for (const auto& e : *entries) j.push_back(registry::ToJson(e));
      PrintJson(j);
      return kExitOk;
    }
    return ReportUsage("inferd model: unknown subcommand");
  };
  return {model, action};
}

}  // namespace inferd::cli
