// ModelManager against a real registry in a temp folder with real ONNX
// files: initial load, polling, alias swaps gated on READY, failed versions,
// version policies, the load/unload API, Acquire's resolution rules and
// memory across many swaps.
#include "serving/lifecycle.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <future>
#include <mutex>
#include <thread>

#include "registry/registry.h"
#include "registry/sample_model.h"
#include "registry/sqlite.h"
#include "serving/version_loader.h"

namespace inferd::serving {
namespace {

using namespace std::chrono_literals;
constexpr auto kWait = 8s;

struct StateLog {
  std::mutex mu;
  std::vector<std::string> lines;  // "m:2 READY reason"
  void Add(const std::string& model, int64_t version, const std::string& state, const std::string& reason) {
    std::lock_guard<std::mutex> lk(mu);
    lines.push_back(model + ":" + std::to_string(version) + " " + state + (reason.empty() ? "" : " " + reason));
  }
  int Count(const std::string& prefix) {
    std::lock_guard<std::mutex> lk(mu);
    int n = 0;
    for (const auto& l : lines) n += l.rfind(prefix, 0) == 0;
    return n;
  }
  std::string Find(const std::string& prefix) {
    std::lock_guard<std::mutex> lk(mu);
    for (const auto& l : lines)
      if (l.rfind(prefix, 0) == 0) return l;
    return "";
  }
};

// Holds the catalog's write lock: a load that must write the catalog (a
// checksum not yet cached) waits behind it. This makes "while v2 loads"
// a state the test can stand in, without sleeps.
class CatalogGate {
 public:
  explicit CatalogGate(const std::string& root) {
    auto db = registry::Database::Open(root + "/catalog.db", 1000);
    EXPECT_TRUE(db.ok());
    if (!db.ok()) return;
    db_ = std::move(*db);
    EXPECT_TRUE(db_->Exec("BEGIN IMMEDIATE").ok());
  }
  void Open() {
    if (db_) (void)db_->Exec("ROLLBACK");
    db_.reset();
  }
  ~CatalogGate() { Open(); }

 private:
  std::unique_ptr<registry::Database> db_;
};

class LifecycleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/inferd-lifecycle-XXXXXX";
    dir_ = ::mkdtemp(tmpl);
    root_ = dir_ + "/reg";
    registry::RegistryOptions ro;
    ro.root = root_;
    auto reg = registry::Registry::Open(ro);
    ASSERT_TRUE(reg.ok()) << reg.status().ToString();
    reg_ = std::move(*reg);
  }
  void TearDown() override {
    manager_.reset();
    reg_.reset();
    std::filesystem::remove_all(dir_);
  }

  registry::VersionRecord Push(const std::string& name, std::vector<std::string> aliases = {},
                               const std::string& config = "", bool batched = false) {
    const std::string file = dir_ + "/m" + std::to_string(files_++) + ".onnx";
    const Status w = batched ? registry::WriteBatchedSampleModel(file, 8, static_cast<uint64_t>(files_))
                             : registry::WriteSampleModel(file, 8, static_cast<uint64_t>(files_));
    EXPECT_TRUE(w.ok());
    registry::PushRequest req;
    req.name = name;
    req.file = file;
    req.aliases = std::move(aliases);
    req.serving_config = config;
    auto v = reg_->Push(req);
    EXPECT_TRUE(v.ok()) << v.status().ToString();
    return v.ok() ? *v : registry::VersionRecord{};
  }

  ManagerOptions Options(int poll_ms = 20) {
    ManagerOptions o;
    o.registry_root = root_;
    o.poll_interval_ms = poll_ms;
    o.default_config.threads = 1;
    o.on_state = [this](const std::string& m, int64_t v, const std::string& s, const std::string& r) {
      log_.Add(m, v, s, r);
    };
    return o;
  }

  void Start(ManagerOptions o) {
    auto m = ModelManager::Start(std::move(o));
    ASSERT_TRUE(m.ok()) << m.status().ToString();
    manager_ = std::move(*m);
  }

  int64_t VersionOf(const std::string& model, const std::string& version) {
    auto s = manager_->Acquire(model, version);
    return s.ok() ? (*s)->version : -static_cast<int64_t>(s.status().code());
  }

  std::string IndexText(bool ready_only = false) {
    std::string out;
    for (const auto& e : manager_->Index(ready_only))
      out += e.name + ":" + e.version + " " + e.state + (e.reason.empty() ? "" : " (" + e.reason + ")") + "\n";
    return out;
  }

  // Changes the artifact's bytes (same size) so its checksum no longer matches.
  static void Corrupt(const registry::VersionRecord& v) {
    ::chmod(v.path.c_str(), 0644);
    std::fstream f(v.path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(v.size - 2);
    f.put('\x11');
  }
  // Same bytes, new mtime: the checksum cache misses, so loading re-hashes
  // and writes the catalog (which a CatalogGate holds up).
  static void Touch(const registry::VersionRecord& v) {
    const timespec times[2] = {{0, UTIME_NOW}, {12345, 0}};
    ::utimensat(AT_FDCWD, v.path.c_str(), times, 0);
  }

  std::string dir_, root_;
  int files_ = 0;
  std::unique_ptr<registry::Registry> reg_;
  std::unique_ptr<ModelManager> manager_;
  StateLog log_;
};

TEST_F(LifecycleTest, LoadsEveryModelAtStart) {
  Push("a");
  Push("b");
  Push("b");
  Start(Options());
  ASSERT_TRUE(manager_->WaitForPending(kWait));
  EXPECT_TRUE(manager_->Settled());
  EXPECT_EQ(IndexText(), "a:1 READY\nb:2 READY\n");
  EXPECT_EQ(manager_->ReadyModels(), (std::vector<std::string>{"a", "b"}));
  auto s = manager_->Acquire("b", "");
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ((*s)->version, 2);
  EXPECT_EQ((*s)->signature.inputs.size(), 1u);
  // It runs: Y = X + W with X zero gives W.
  auto x = Tensor::Zeros(DType::kFloat32, {8});
  ASSERT_TRUE(x.ok());
  auto y = (*s)->compiled->Run({*x});
  ASSERT_TRUE(y.ok()) << y.status().ToString();
  EXPECT_EQ((*y)[0].shape(), (Shape{8}));
  EXPECT_EQ(log_.Count("b:2 READY"), 1);
  EXPECT_EQ(log_.Count("b:1"), 0);  // latest: 1 never loads the older one
}

TEST_F(LifecycleTest, EmptyFolderIsCreatedAndFilledLater) {
  std::filesystem::remove_all(root_);
  reg_.reset();
  Start(Options());
  ASSERT_TRUE(manager_->WaitForPending(kWait));
  EXPECT_TRUE(manager_->Index(false).empty());
  EXPECT_EQ(manager_->Acquire("a", "").status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(std::filesystem::exists(root_ + "/catalog.db"));
  registry::RegistryOptions ro;  // a pusher arrives
  ro.root = root_;
  auto reopened = registry::Registry::Open(ro);
  ASSERT_TRUE(reopened.ok());
  reg_ = std::move(*reopened);
  Push("a");
  ASSERT_TRUE(manager_->WaitForPending(kWait));
  EXPECT_EQ(VersionOf("a", ""), 1);
}

TEST_F(LifecycleTest, NewVersionIsNoticedByPolling) {
  Push("m");
  Start(Options(/*poll_ms=*/20));
  ASSERT_TRUE(manager_->WaitForPending(kWait));
  std::weak_ptr<const Servable> v1 = *manager_->Acquire("m", "");
  Push("m");
  // No Poke, no WaitForPending: the poller alone must find it.
  const auto deadline = std::chrono::steady_clock::now() + kWait;
  while (VersionOf("m", "") != 2 && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(5ms);
  EXPECT_EQ(VersionOf("m", ""), 2);
  ASSERT_TRUE(manager_->WaitForPending(kWait));
  EXPECT_EQ(IndexText(), "m:2 READY\n");
  EXPECT_TRUE(v1.expired());
  EXPECT_EQ(log_.Count("m:1 UNLOADED"), 1);
}

// Stops and joins reader threads however the test leaves (an ASSERT returning
// early must not destroy a joinable thread).
struct Readers {
  std::atomic<bool> done{false};
  std::vector<std::thread> threads;
  void Join() {
    done = true;
    for (auto& t : threads)
      if (t.joinable()) t.join();
  }
  ~Readers() { Join(); }
};

template <class Pred>
bool WaitUntil(Pred pred) {
  const auto deadline = std::chrono::steady_clock::now() + kWait;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(2ms);
  }
  return true;
}

TEST_F(LifecycleTest, AliasMovesOnlyWhenTheTargetIsReady) {
  Push("m", {"production"});
  Start(Options(/*poll_ms=*/0));  // the registry is read only when poked: the test picks the moment
  ASSERT_TRUE(manager_->WaitForPending(kWait));
  ASSERT_EQ(VersionOf("m", "production"), 1);
  std::weak_ptr<const Servable> v1 = *manager_->Acquire("m", "1");

  // Readers hammer the alias through the swap; none may fail or go back.
  std::atomic<int> failures{0};
  std::atomic<int64_t> seen{0};
  Readers readers;
  readers.threads.emplace_back([&] {
    while (!readers.done) {
      auto s = manager_->Acquire("m", "production");
      if (!s.ok() || (*s)->version < seen) ++failures;
      if (s.ok()) seen = (*s)->version;
    }
  });
  ASSERT_TRUE(WaitUntil([&] { return seen == 1; }));

  const auto v2 = Push("m");
  ASSERT_TRUE(reg_->SetAlias("m", "production", 2).ok());
  Touch(v2);
  CatalogGate gate(root_);  // v2's load now waits at its checksum bookkeeping
  manager_->Poke();
  ASSERT_TRUE(WaitUntil([&] { return IndexText() == "m:1 READY\nm:2 LOADING\n"; })) << IndexText();
  EXPECT_EQ(VersionOf("m", "production"), 1);  // still the old one
  EXPECT_EQ(VersionOf("m", ""), 1);
  auto loading = manager_->Acquire("m", "2");
  EXPECT_EQ(loading.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(loading.status().message().find("LOADING"), std::string::npos) << loading.status().message();
  EXPECT_FALSE(manager_->Settled());

  gate.Open();
  ASSERT_TRUE(manager_->WaitForPending(kWait));
  EXPECT_EQ(VersionOf("m", "production"), 2);
  EXPECT_TRUE(WaitUntil([&] { return seen == 2; }));
  readers.Join();
  // A reader may have held version 1 (UNLOADING) until it let go.
  EXPECT_TRUE(v1.expired());
  EXPECT_EQ(IndexText(), "m:2 READY\n");
  EXPECT_EQ(failures, 0);
}

TEST_F(LifecycleTest, AliasToAVersionOutsideThePolicyLoadsIt) {
  ManagerOptions o = Options();
  o.default_config.version_policy.kind = VersionPolicy::Kind::kSpecific;
  o.default_config.version_policy.versions = {2};
  Push("m", {"stable"});
  Push("m", {"canary"});
  Push("m");
  Start(o);
  ASSERT_TRUE(manager_->WaitForPending(kWait));
  EXPECT_EQ(IndexText(), "m:1 READY\nm:2 READY\n");
  EXPECT_EQ(VersionOf("m", "stable"), 1);
  EXPECT_EQ(VersionOf("m", "canary"), 2);
  EXPECT_EQ(VersionOf("m", ""), 2);
  // Removing the alias lets version 1 go.
  ASSERT_TRUE(reg_->RemoveAlias("m", "stable").ok());
  ASSERT_TRUE(manager_->WaitForPending(kWait));
  EXPECT_EQ(IndexText(), "m:2 READY\n");
  EXPECT_EQ(manager_->Acquire("m", "stable").status().code(), StatusCode::kNotFound);
}

TEST_F(LifecycleTest, CorruptVersionIsUnavailableAndTheOldOneServes) {
  Push("m", {"production"});
  Start(Options());
  ASSERT_TRUE(manager_->WaitForPending(kWait));
  const auto v2 = Push("m");
  Corrupt(v2);
  ASSERT_TRUE(reg_->SetAlias("m", "production", 2).ok());
  ASSERT_TRUE(manager_->WaitForPending(kWait));
  const auto index = manager_->Index(false);
  ASSERT_EQ(index.size(), 2u) << IndexText();
  EXPECT_EQ(index[0].state, "READY");
  EXPECT_EQ(index[1].state, "UNAVAILABLE");
  EXPECT_NE(index[1].reason.find("corrupt"), std::string::npos) << index[1].reason;
  EXPECT_EQ(VersionOf("m", ""), 1);
  EXPECT_EQ(VersionOf("m", "production"), 1);  // the alias stays on what works
  auto s = manager_->Acquire("m", "2");
  EXPECT_EQ(s.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(s.status().message().find("corrupt"), std::string::npos) << s.status().message();
  EXPECT_NE(log_.Find("m:2 UNAVAILABLE").find("sha256"), std::string::npos);
  // Not retried on every poll...
  ASSERT_TRUE(manager_->WaitForPending(kWait));
  ASSERT_TRUE(manager_->WaitForPending(kWait));
  EXPECT_EQ(log_.Count("m:2 LOADING"), 1);
  // ...but on an explicit load, which reports the failure.
  const Status load = manager_->Load("m", std::nullopt);
  EXPECT_EQ(load.code(), StatusCode::kUnavailable);
  EXPECT_NE(load.message().find("corrupt"), std::string::npos) << load.message();
  EXPECT_NE(load.message().find("the versions that loaded are served"), std::string::npos) << load.message();
  EXPECT_EQ(log_.Count("m:2 LOADING"), 2);
  EXPECT_EQ(VersionOf("m", ""), 1);
}

TEST_F(LifecycleTest, StoredConfigChoosesLatestN) {
  Push("m");
  Push("m");
  Push("m", {}, "version_policy: {latest: 2}\n");  // the newest version's config decides
  Start(Options());
  ASSERT_TRUE(manager_->WaitForPending(kWait));
  EXPECT_EQ(IndexText(), "m:2 READY\nm:3 READY\n");
  EXPECT_EQ(VersionOf("m", ""), 3);
  EXPECT_EQ(VersionOf("m", "2"), 2);
  EXPECT_EQ(VersionOf("m", "1"), -static_cast<int64_t>(StatusCode::kNotFound));
}

TEST_F(LifecycleTest, OverrideChoosesSpecificVersions) {
  Push("m");
  Push("m");
  Push("m");
  ManagerOptions o = Options();
  o.config_overrides["m"] = "version_policy: {specific: [1, 3]}\n";
  Start(o);
  ASSERT_TRUE(manager_->WaitForPending(kWait));
  EXPECT_EQ(IndexText(), "m:1 READY\nm:3 READY\n");
}

TEST_F(LifecycleTest, PolicyAllServesEveryVersion) {
  Push("m");
  Push("m");
  ManagerOptions o = Options();
  o.default_config.version_policy.kind = VersionPolicy::Kind::kAll;
  Start(o);
  ASSERT_TRUE(manager_->WaitForPending(kWait));
  EXPECT_EQ(IndexText(), "m:1 READY\nm:2 READY\n");
  Push("m");
  ASSERT_TRUE(manager_->WaitForPending(kWait));
  EXPECT_EQ(IndexText(), "m:1 READY\nm:2 READY\nm:3 READY\n");
  // A removed version is dropped.
  ASSERT_TRUE(reg_->Remove("m", 1, false).ok());
  ASSERT_TRUE(manager_->WaitForPending(kWait));
  EXPECT_EQ(IndexText(), "m:2 READY\nm:3 READY\n");
}

TEST_F(LifecycleTest, BadOverrideFailsTheStart) {
  ManagerOptions o = Options();
  o.config_overrides["m"] = "max_batch_size: lots\n";
  auto m = ModelManager::Start(o);
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.status().message(), "--model-config m:1: max_batch_size: expected a non-negative integer, got \"lots\"");
}

TEST_F(LifecycleTest, LoadAndUnloadApi) {
  Push("a");
  Push("b");
  ManagerOptions o = Options(/*poll_ms=*/0);
  o.models = {"a"};
  Start(o);
  ASSERT_TRUE(manager_->WaitForPending(kWait));
  EXPECT_EQ(IndexText(), "a:1 READY\n");
  EXPECT_EQ(manager_->Acquire("b", "").status().code(), StatusCode::kNotFound);

  ASSERT_TRUE(manager_->Load("b", std::nullopt).ok());
  EXPECT_EQ(IndexText(), "a:1 READY\nb:1 READY\n");  // Load returns once READY
  EXPECT_EQ(VersionOf("b", ""), 1);
  EXPECT_EQ(manager_->Load("nope", std::nullopt).code(), StatusCode::kNotFound);
  const Status bad = manager_->Load("b", std::string(R"({"threads": "two"})"));
  EXPECT_EQ(bad.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad.message().find("threads: expected a non-negative integer"), std::string::npos) << bad.message();

  // A config override reloads, then swaps.
  std::weak_ptr<const Servable> before = *manager_->Acquire("b", "");
  ASSERT_TRUE(manager_->Load("b", std::string(R"({"threads": 2, "warmup": false})")).ok());
  auto after = manager_->Acquire("b", "");
  ASSERT_TRUE(after.ok());
  EXPECT_EQ((*after)->config.threads, 2);
  EXPECT_FALSE((*after)->config.warmup);
  EXPECT_EQ((*after)->compiled->options().num_threads, 2);
  after = Status(StatusCode::kUnknown, "");
  EXPECT_TRUE(before.expired());

  ASSERT_TRUE(manager_->Unload("b").ok());
  EXPECT_EQ(manager_->Acquire("b", "").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(IndexText(), "a:1 READY\n");
  EXPECT_EQ(manager_->Unload("b").code(), StatusCode::kNotFound);
  // A newly pushed version of an unloaded model stays unloaded.
  Push("b");
  ASSERT_TRUE(manager_->WaitForPending(kWait));
  EXPECT_EQ(IndexText(), "a:1 READY\n");
}

TEST_F(LifecycleTest, UnloadWhenServingEverything) {
  Push("a");
  Push("b");
  Start(Options());
  ASSERT_TRUE(manager_->WaitForPending(kWait));
  ASSERT_TRUE(manager_->Unload("a").ok());
  Push("a");
  ASSERT_TRUE(manager_->WaitForPending(kWait));
  EXPECT_EQ(IndexText(), "b:1 READY\n");
  ASSERT_TRUE(manager_->Load("a", std::nullopt).ok());
  EXPECT_EQ(IndexText(), "a:2 READY\nb:1 READY\n");
}

TEST_F(LifecycleTest, AcquireResolvesNumbersAliasesAndLatest) {
  Push("m", {"stable"});
  Push("m", {"canary"});
  ManagerOptions o = Options();
  o.default_config.version_policy.kind = VersionPolicy::Kind::kAll;
  Start(o);
  ASSERT_TRUE(manager_->WaitForPending(kWait));
  EXPECT_EQ(VersionOf("m", ""), 2);
  EXPECT_EQ(VersionOf("m", "1"), 1);
  EXPECT_EQ(VersionOf("m", "stable"), 1);
  EXPECT_EQ(VersionOf("m", "canary"), 2);
  EXPECT_EQ(manager_->Acquire("m", "3").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(manager_->Acquire("m", "99999999999999999999").status().code(), StatusCode::kNotFound);
  auto alias = manager_->Acquire("m", "nightly");
  EXPECT_EQ(alias.status().code(), StatusCode::kNotFound);
  EXPECT_NE(alias.status().message().find("no alias \"nightly\""), std::string::npos);
  EXPECT_EQ(manager_->Acquire("other", "").status().code(), StatusCode::kNotFound);
}

TEST_F(LifecycleTest, NoLeakAcrossTwentySwaps) {
  Start(Options(/*poll_ms=*/0));
  std::vector<std::weak_ptr<const Servable>> seen;
  for (int i = 1; i <= 20; ++i) {
    Push("m");
    ASSERT_TRUE(manager_->WaitForPending(kWait)) << i;
    auto s = manager_->Acquire("m", "");
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    EXPECT_EQ((*s)->version, i);
    seen.push_back(*s);
  }
  EXPECT_EQ(IndexText(), "m:20 READY\n");
  for (size_t i = 0; i + 1 < seen.size(); ++i) EXPECT_TRUE(seen[i].expired()) << "version " << i + 1;
  EXPECT_FALSE(seen.back().expired());
  manager_->Stop();
  EXPECT_TRUE(seen.back().expired());
}

TEST_F(LifecycleTest, BatchingFollowsTheModel) {
  const std::string config = "max_batch_size: 4\npreferred_batch_sizes: [2, 4]\n";
  Push("batched", {}, config, /*batched=*/true);
  Push("fixed", {}, config, /*batched=*/false);
  Start(Options());
  ASSERT_TRUE(manager_->WaitForPending(kWait));
  auto b = manager_->Acquire("batched", "");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ((*b)->signature.max_batch_size, 4);
  EXPECT_EQ((*b)->config.batching.preferred_batch_sizes, (std::vector<int64_t>{2, 4}));
  auto f = manager_->Acquire("fixed", "");
  ASSERT_TRUE(f.ok());
  EXPECT_EQ((*f)->signature.max_batch_size, 0);
  EXPECT_EQ((*f)->config.batching.max_batch_size, 0);
  EXPECT_NE(log_.Find("fixed:1 READY").find("batching off"), std::string::npos) << log_.Find("fixed:1 READY");
  // A request goes through the servable's batcher.
  std::promise<Result<std::vector<Tensor>>> result;
  Job job;
  job.inputs = {*Tensor::Zeros(DType::kFloat32, {2, 8})};
  job.done = [&result](Result<std::vector<Tensor>> out, const BatchInfo&) { result.set_value(std::move(out)); };
  ASSERT_TRUE((*b)->batcher->Submit(std::move(job)).ok());
  auto future = result.get_future();
  ASSERT_EQ(future.wait_for(kWait), std::future_status::ready);
  auto out = future.get();
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ((*out)[0].shape(), (Shape{2, 8}));
}

TEST_F(LifecycleTest, BadStoredConfigIsUnavailable) {
  Push("m", {}, "max_batch_size: 8\nbatch_timeout: 3\n");  // pushed without the CLI's check
  Start(Options());
  ASSERT_TRUE(manager_->WaitForPending(kWait));
  const auto index = manager_->Index(false);
  ASSERT_EQ(index.size(), 1u);
  EXPECT_EQ(index[0].state, "UNAVAILABLE");
  EXPECT_NE(index[0].reason.find("m:1 serving.yaml:2: unknown key \"batch_timeout\""), std::string::npos)
      << index[0].reason;
  EXPECT_TRUE(manager_->Index(true).empty());
}

TEST_F(LifecycleTest, StopIsIdempotent) {
  Push("m");
  Start(Options());
  ASSERT_TRUE(manager_->WaitForPending(kWait));
  auto held = manager_->Acquire("m", "");
  ASSERT_TRUE(held.ok());
  manager_->Stop();
  manager_->Stop();
  EXPECT_EQ(manager_->Acquire("m", "").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(manager_->Load("m", std::nullopt).code(), StatusCode::kUnavailable);
  EXPECT_FALSE(manager_->WaitForPending(10ms));
  // A holder keeps its servable usable after the manager let go.
  auto x = Tensor::Zeros(DType::kFloat32, {8});
  EXPECT_TRUE((*held)->compiled->Run({*x}).ok());
}

TEST_F(LifecycleTest, SwapsUnderConcurrentReadersNeverFail) {
  Push("m");
  ManagerOptions o = Options(/*poll_ms=*/5);
  o.load_threads = 2;
  Start(o);
  ASSERT_TRUE(manager_->WaitForPending(kWait));
  std::atomic<int> failures{0}, runs{0};
  Readers readers;
  for (int r = 0; r < 2; ++r)
    readers.threads.emplace_back([&] {
      auto x = Tensor::Zeros(DType::kFloat32, {8});
      while (!readers.done) {
        auto s = manager_->Acquire("m", "");
        if (!s.ok() || !(*s)->compiled->Run({*x}).ok()) ++failures;
        ++runs;
      }
    });
  ASSERT_TRUE(WaitUntil([&] { return runs > 0; }));
  for (int i = 2; i <= 6; ++i) {
    Push("m");
    ASSERT_TRUE(WaitUntil([&] { return VersionOf("m", "") == i; })) << i;
  }
  readers.Join();
  EXPECT_EQ(failures, 0);
  EXPECT_GT(runs, 0);
  ASSERT_TRUE(manager_->WaitForPending(kWait));
  EXPECT_EQ(IndexText(), "m:6 READY\n");
}

TEST_F(LifecycleTest, RejectsBadOptions) {
  ManagerOptions o = Options();
  o.poll_interval_ms = -1;
  EXPECT_EQ(ModelManager::Start(o).status().code(), StatusCode::kInvalidArgument);
  o = Options();
  o.load_threads = 0;
  EXPECT_EQ(ModelManager::Start(o).status().code(), StatusCode::kInvalidArgument);
  o = Options();
  o.models = {"../escape"};
  EXPECT_EQ(ModelManager::Start(o).status().code(), StatusCode::kInvalidArgument);
  o = Options();
  o.registry_root = "";
  EXPECT_EQ(ModelManager::Start(o).status().code(), StatusCode::kInvalidArgument);
}

TEST(WarmupInputsTest, ShapesFromTheSignature) {
  ValueInfo a;
  a.name = "a";
  a.dtype = DType::kFloat32;
  a.dims = std::vector<Dim>{Dim{-1, "batch"}, Dim{3, ""}, Dim{-1, "len"}};
  ValueInfo b;
  b.name = "b";
  b.dtype = DType::kInt64;
  b.dims = std::vector<Dim>{Dim{2, ""}};
  auto in = WarmupInputs({a, b}, 8);
  ASSERT_TRUE(in.ok());
  EXPECT_EQ((*in)[0].shape(), (Shape{8, 3, 1}));
  EXPECT_EQ((*in)[1].shape(), (Shape{2}));
  EXPECT_EQ((*in)[1].dtype(), DType::kInt64);
  EXPECT_EQ((*in)[0].GetAsDouble(0), 0.0);
  in = WarmupInputs({a}, 0);
  ASSERT_TRUE(in.ok());
  EXPECT_EQ((*in)[0].shape(), (Shape{1, 3, 1}));
  ValueInfo c;
  c.name = "c";
  c.dtype = DType::kFloat32;
  auto no_rank = WarmupInputs({c}, 1);
  EXPECT_EQ(no_rank.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(no_rank.status().message().find("warmup: false"), std::string::npos);
}

}  // namespace
}  // namespace inferd::serving
