#include "serving/batcher.h"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <cstring>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include "serving/batch_assembly.h"

namespace inferd::serving {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr auto kWait = 5s;  // generous: only bounds a test that would otherwise hang

ModelOptions RefOptions() {
  ModelOptions o;
  o.providers = {"ref"};
  o.optimize = false;
  return o;
}

Node MakeNode(std::string op, std::vector<std::string> in, std::vector<std::string> out) {
  Node n;
  n.name = op + "_" + out[0];
  n.op_type = std::move(op);
  n.inputs = std::move(in);
  n.outputs = std::move(out);
  return n;
}

std::vector<float> RandomFloats(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  std::vector<float> v(n);
  for (auto& x : v) x = dist(rng);
  return v;
}

// y = x @ W + b, x [batch,4] -> y [batch,3]; batch fixed at 1 when asked.
std::shared_ptr<const CompiledModel> MatMulModel(bool fixed_batch = false) {
  Graph g;
  g.opsets[""] = 17;
  const Dim batch = fixed_batch ? Dim{1, ""} : Dim{-1, "batch"};
  g.inputs.push_back({"x", DType::kFloat32, std::vector<Dim>{batch, Dim{4, ""}}});
  g.outputs.push_back({"y", DType::kFloat32, std::vector<Dim>{batch, Dim{3, ""}}});
  g.initializers["w"] = Tensor::FromVector<float>(RandomFloats(12, 1), {4, 3});
  g.initializers["b"] = Tensor::FromVector<float>(RandomFloats(3, 2), {3});
  g.nodes.push_back(MakeNode("MatMul", {"x", "w"}, {"t"}));
  g.nodes.push_back(MakeNode("Add", {"t", "b"}, {"y"}));
  return CompiledModel::Compile(std::move(g), {}, RefOptions()).value();
}

// y = -x with x [batch, n]: requests differ in their second dimension.
std::shared_ptr<const CompiledModel> NegModel() {
  Graph g;
  g.opsets[""] = 17;
  const std::vector<Dim> dims{Dim{-1, "batch"}, Dim{-1, "n"}};
  g.inputs.push_back({"x", DType::kFloat32, dims});
  g.outputs.push_back({"y", DType::kFloat32, dims});
  g.nodes.push_back(MakeNode("Neg", {"x"}, {"y"}));
  return CompiledModel::Compile(std::move(g), {}, RefOptions()).value();
}

// Declares a batch output, but sums over the batch: its rows cannot be split.
std::shared_ptr<const CompiledModel> SumOverBatchModel() {
  Graph g;
  g.opsets[""] = 17;
  const std::vector<Dim> dims{Dim{-1, "batch"}, Dim{4, ""}};
  g.inputs.push_back({"x", DType::kFloat32, dims});
  g.outputs.push_back({"total", DType::kFloat32, dims});
  g.initializers["axes"] = Tensor::FromVector<int64_t>({0}, {1});
  g.nodes.push_back(MakeNode("ReduceSum", {"x", "axes"}, {"total"}));
  return CompiledModel::Compile(std::move(g), {}, RefOptions()).value();
}

Tensor Rows(int64_t rows, int64_t cols, uint32_t seed) {
  return Tensor::FromVector<float>(RandomFloats(static_cast<size_t>(rows * cols), seed), {rows, cols});
}

bool BitEqual(const Tensor& a, const Tensor& b) {
  return a.dtype() == b.dtype() && a.shape() == b.shape() && std::memcmp(a.raw(), b.raw(), a.nbytes()) == 0;
}

// Holds the run it is attached to in OnRunBegin until opened: a way to keep
// an instance busy for exactly as long as a test needs.
class Gate final : public RunObserver {
 public:
  void OnRunBegin() override {
    std::unique_lock lock(mu_);
    started_ = true;
    cv_.notify_all();
    cv_.wait(lock, [this] { return open_; });
  }
  void OnOpBegin(size_t) override {}
  void OnOpEnd(size_t, const std::vector<const Tensor*>&, const std::vector<const Tensor*>&) override {}
  bool WaitStarted() {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, kWait, [this] { return started_; });
  }
  void Open() {
    std::lock_guard lock(mu_);
    open_ = true;
    cv_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool started_ = false;
  bool open_ = false;
};

struct Outcome {
  bool done = false;
  Status status;
  std::vector<Tensor> outputs;
  BatchInfo info;
  Clock::time_point at;
};

// Collects the outcome of each submitted job.
class Collector {
 public:
  explicit Collector(size_t n) : outcomes_(n) {}
  std::function<void(Result<std::vector<Tensor>>, const BatchInfo&)> Callback(size_t i) {
    return [this, i](Result<std::vector<Tensor>> r, const BatchInfo& info) {
      std::lock_guard lock(mu_);
      Outcome& o = outcomes_[i];
      EXPECT_FALSE(o.done) << "job " << i << " completed twice";
      o.done = true;
      o.status = r.ok() ? Status::Ok() : r.status();
      if (r.ok()) o.outputs = std::move(r).value();
      o.info = info;
      o.at = Clock::now();
      cv_.notify_all();
    };
  }
  bool Wait(size_t i) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, kWait, [&] { return outcomes_[i].done; });
  }
  bool WaitAll() {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, kWait, [&] {
      for (const auto& o : outcomes_)
        if (!o.done) return false;
      return true;
    });
  }
  Outcome Get(size_t i) {
    std::lock_guard lock(mu_);
    return outcomes_[i];
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Outcome> outcomes_;
};

Job MakeJob(std::vector<Tensor> inputs, Collector& c, size_t i, RunObserver* observer = nullptr) {
  Job job;
  job.inputs = std::move(inputs);
  job.done = c.Callback(i);
  job.observer = observer;
  return job;
}

std::unique_ptr<DynamicBatcher> MakeBatcher(std::shared_ptr<const CompiledModel> model, BatchingConfig config) {
  auto b = DynamicBatcher::Create(std::move(model), std::move(config));
  EXPECT_TRUE(b.ok()) << b.status().ToString();
  return std::move(b).value();
}

TEST(BatchAssemblyTest, ConcatAndSplitRoundTrip) {
  Tensor a = Rows(2, 3, 1), b = Rows(1, 3, 2), c = Rows(3, 3, 3);
  EXPECT_EQ(BatchRows({a}), 2);
  EXPECT_EQ(BatchRows({a, b}), -1);
  EXPECT_EQ(BatchRows({Tensor::Scalar<float>(1)}), -1);
  EXPECT_EQ(BatchKey({a}), BatchKey({c}));
  EXPECT_NE(BatchKey({a}), BatchKey({Rows(2, 4, 1)}));
  std::shared_ptr<Storage> reuse;
  auto merged = ConcatRows({&a, &b, &c}, 6, &reuse);
  ASSERT_TRUE(merged.ok()) << merged.status().ToString();
  EXPECT_EQ(merged->shape(), (Shape{6, 3}));
  EXPECT_EQ(reuse.get(), merged->storage().get());
  auto pieces = SplitRows({*merged}, {2, 1, 3}, {});
  ASSERT_TRUE(pieces.ok());
  EXPECT_TRUE(BitEqual((*pieces)[0][0], a));
  EXPECT_TRUE(BitEqual((*pieces)[1][0], b));
  EXPECT_TRUE(BitEqual((*pieces)[2][0], c));
  // The buffer is reused once nobody else holds it.
  const Storage* first = merged->storage().get();
  merged = Status(Internal("dropped"));
  pieces = Status(Internal("dropped"));
  auto again = ConcatRows({&c, &a, &b}, 6, &reuse);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->storage().get(), first);
  auto bad = SplitRows({Rows(5, 3, 4)}, {2, 1, 3}, {{"y", DType::kFloat32, std::nullopt}});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kInternal);
  EXPECT_NE(bad.status().message().find("\"y\""), std::string::npos) << bad.status().message();
}

TEST(BatchAssemblyTest, StringRows) {
  Tensor a = Tensor::FromVector<std::string>({"a", "bb"}, {2});
  Tensor b = Tensor::FromVector<std::string>({"ccc"}, {1});
  auto merged = ConcatRows({&a, &b}, 3);
  ASSERT_TRUE(merged.ok());
  EXPECT_EQ(merged->data<std::string>()[2], "ccc");
  auto pieces = SplitRows({*merged}, {2, 1}, {});
  ASSERT_TRUE(pieces.ok());
  EXPECT_EQ((*pieces)[1][0].data<std::string>()[0], "ccc");
  EXPECT_EQ((*pieces)[0][0].data<std::string>()[1], "bb");
}

TEST(DynamicBatcherTest, CanBatch) {
  EXPECT_TRUE(DynamicBatcher::CanBatch(*MatMulModel()));
  EXPECT_FALSE(DynamicBatcher::CanBatch(*MatMulModel(/*fixed_batch=*/true)));
  BatchingConfig config;
  config.max_batch_size = 8;
  auto refused = DynamicBatcher::Create(MatMulModel(true), config);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(refused.status().message().find("input \"x\""), std::string::npos) << refused.status().message();
  // Without batching the same model is served, one request at a time.
  config.max_batch_size = 0;
  auto plain = MakeBatcher(MatMulModel(true), config);
  Collector c(1);
  ASSERT_TRUE(plain->Submit(MakeJob({Rows(1, 4, 7)}, c, 0)).ok());
  ASSERT_TRUE(c.WaitAll());
  EXPECT_TRUE(c.Get(0).status.ok()) << c.Get(0).status.ToString();
}

TEST(DynamicBatcherTest, RejectsBadConfig) {
  BatchingConfig config;
  config.max_batch_size = 8;
  config.preferred_batch_sizes = {4, 16};
  EXPECT_EQ(DynamicBatcher::Create(MatMulModel(), config).status().code(), StatusCode::kInvalidArgument);
  config.preferred_batch_sizes = {};
  config.instances = 0;
  EXPECT_EQ(DynamicBatcher::Create(MatMulModel(), config).status().code(), StatusCode::kInvalidArgument);
}

TEST(DynamicBatcherTest, MergesAndMatchesPerRequestRunsBitExactly) {
  auto model = MatMulModel();
  BatchingConfig config;
  config.max_batch_size = 8;
  auto batcher = MakeBatcher(model, config);
  const std::vector<int64_t> rows{1, 2, 3, 1, 2, 1};
  Collector c(rows.size() + 1);
  Gate gate;
  ASSERT_TRUE(batcher->Submit(MakeJob({Rows(1, 4, 99)}, c, rows.size(), &gate)).ok());
  ASSERT_TRUE(gate.WaitStarted());
  std::vector<Tensor> inputs;
  for (size_t i = 0; i < rows.size(); ++i) {
    inputs.push_back(Rows(rows[i], 4, static_cast<uint32_t>(10 + i)));
    ASSERT_TRUE(batcher->Submit(MakeJob({inputs.back()}, c, i)).ok());
  }
  EXPECT_EQ(batcher->queue_depth(), 6);
  gate.Open();
  ASSERT_TRUE(c.WaitAll());
  for (size_t i = 0; i < rows.size(); ++i) {
    Outcome o = c.Get(i);
    ASSERT_TRUE(o.status.ok()) << o.status.ToString();
    auto alone = model->Run({inputs[i]});
    ASSERT_TRUE(alone.ok());
    ASSERT_EQ(o.outputs.size(), 1u);
    EXPECT_TRUE(BitEqual(o.outputs[0], (*alone)[0])) << "job " << i;
    EXPECT_LE(o.info.batch_size, 8);
  }
  // FIFO, up to 8 rows: {1,2,3,1} (7 rows; the next would make 9), then {2,1}.
  for (size_t i : {0, 1, 2, 3}) {
    EXPECT_EQ(c.Get(i).info.batch_id, c.Get(0).info.batch_id);
    EXPECT_EQ(c.Get(i).info.batch_size, 7);
    EXPECT_EQ(c.Get(i).info.batch_requests, 4);
  }
  for (size_t i : {4, 5}) {
    EXPECT_EQ(c.Get(i).info.batch_id, c.Get(4).info.batch_id);
    EXPECT_EQ(c.Get(i).info.batch_size, 3);
  }
  EXPECT_NE(c.Get(0).info.batch_id, c.Get(4).info.batch_id);
  EXPECT_EQ(c.Get(rows.size()).info.batch_requests, 1);
}

TEST(DynamicBatcherTest, NeverMergesDifferentShapesAndKeepsFifoAcrossShapes) {
  auto model = NegModel();
  BatchingConfig config;
  config.max_batch_size = 16;
  auto batcher = MakeBatcher(model, config);
  Collector c(5);
  Gate gate;
  ASSERT_TRUE(batcher->Submit(MakeJob({Rows(1, 2, 1)}, c, 4, &gate)).ok());
  ASSERT_TRUE(gate.WaitStarted());
  const std::vector<int64_t> widths{3, 5, 3, 5};
  std::vector<Tensor> inputs;
  for (size_t i = 0; i < widths.size(); ++i) {
    inputs.push_back(Rows(2, widths[i], static_cast<uint32_t>(20 + i)));
    ASSERT_TRUE(batcher->Submit(MakeJob({inputs.back()}, c, i)).ok());
  }
  gate.Open();
  ASSERT_TRUE(c.WaitAll());
  for (size_t i = 0; i < widths.size(); ++i) {
    Outcome o = c.Get(i);
    ASSERT_TRUE(o.status.ok()) << o.status.ToString();
    EXPECT_TRUE(BitEqual(o.outputs[0], (*model->Run({inputs[i]}))[0]));
    EXPECT_EQ(o.info.batch_requests, 2);
    EXPECT_EQ(o.info.batch_size, 4);
  }
  EXPECT_EQ(c.Get(0).info.batch_id, c.Get(2).info.batch_id);
  EXPECT_EQ(c.Get(1).info.batch_id, c.Get(3).info.batch_id);
  EXPECT_NE(c.Get(0).info.batch_id, c.Get(1).info.batch_id);
  // The oldest job's shape went first.
  EXPECT_LT(c.Get(0).info.batch_id, c.Get(1).info.batch_id);
}

TEST(DynamicBatcherTest, RespectsMaxBatchSizeAndRefusesLargerJobs) {
  BatchingConfig config;
  config.max_batch_size = 8;
  auto batcher = MakeBatcher(MatMulModel(), config);
  Collector none(1);
  Status big = batcher->Submit(MakeJob({Rows(9, 4, 1)}, none, 0));
  EXPECT_EQ(big.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(big.message().find("max_batch_size"), std::string::npos) << big.message();

  constexpr size_t kJobs = 20;
  Collector c(kJobs + 1);
  Gate gate;
  ASSERT_TRUE(batcher->Submit(MakeJob({Rows(1, 4, 1)}, c, kJobs, &gate)).ok());
  ASSERT_TRUE(gate.WaitStarted());
  for (size_t i = 0; i < kJobs; ++i) ASSERT_TRUE(batcher->Submit(MakeJob({Rows(1, 4, 2)}, c, i)).ok());
  gate.Open();
  ASSERT_TRUE(c.WaitAll());
  std::map<int64_t, int64_t> rows_per_batch;
  for (size_t i = 0; i < kJobs; ++i) {
    Outcome o = c.Get(i);
    ASSERT_TRUE(o.status.ok());
    EXPECT_LE(o.info.batch_size, 8);
    rows_per_batch[o.info.batch_id] += 1;
  }
  EXPECT_EQ(rows_per_batch.size(), 3u);  // 8 + 8 + 4
  for (const auto& [id, n] : rows_per_batch) EXPECT_LE(n, 8);
  Outcome none_outcome = none.Get(0);
  EXPECT_FALSE(none_outcome.done);  // refused jobs never complete
}

TEST(DynamicBatcherTest, PreferredSizesDispatchWithoutWaiting) {
  BatchingConfig config;
  config.max_batch_size = 16;
  config.preferred_batch_sizes = {4, 8};
  config.max_queue_delay_us = 60'000'000;  // a minute: only a preferred size (or Drain) dispatches
  auto batcher = MakeBatcher(MatMulModel(), config);
  Collector c(12);
  Gate gate;
  // A 4-row job fills a preferred size by itself, so it starts at once.
  ASSERT_TRUE(batcher->Submit(MakeJob({Rows(4, 4, 1)}, c, 11, &gate)).ok());
  ASSERT_TRUE(gate.WaitStarted());
  for (size_t i = 0; i < 11; ++i) ASSERT_TRUE(batcher->Submit(MakeJob({Rows(1, 4, 3)}, c, i)).ok());
  gate.Open();
  // 11 queued: 8 goes (largest fillable), then 3 left wait for more.
  ASSERT_TRUE(c.Wait(7));
  EXPECT_EQ(c.Get(0).info.batch_size, 8);
  EXPECT_EQ(c.Get(7).info.batch_id, c.Get(0).info.batch_id);
  // One more makes 4: fillable now.
  Collector d(1);
  ASSERT_TRUE(batcher->Submit(MakeJob({Rows(1, 4, 4)}, d, 0)).ok());
  ASSERT_TRUE(d.WaitAll());
  EXPECT_EQ(d.Get(0).info.batch_size, 4);
  EXPECT_EQ(c.Get(8).info.batch_id, d.Get(0).info.batch_id);
  EXPECT_EQ(batcher->queue_depth(), 0);
  // Two left in a 2-row batch only when Drain flushes them.
  Collector e(2);
  ASSERT_TRUE(batcher->Submit(MakeJob({Rows(1, 4, 5)}, e, 0)).ok());
  ASSERT_TRUE(batcher->Submit(MakeJob({Rows(1, 4, 6)}, e, 1)).ok());
  EXPECT_FALSE(e.Get(0).done);
  batcher->Drain();
  ASSERT_TRUE(e.WaitAll());
  EXPECT_EQ(e.Get(1).info.batch_size, 2);
}

// Jobs trickling into a forming batch do not wake the instance (it waits out
// the delay); the queue's row count must still reach a preferred size at
// once after expired, merged and unmergeable jobs have come and gone.
TEST(DynamicBatcherTest, PreferredSizeStillDispatchesAtOnceAfterExpiriesAndOtherShapes) {
  BatchingConfig config;
  config.max_batch_size = 8;
  config.preferred_batch_sizes = {4};
  config.max_queue_delay_us = 60'000'000;  // a minute: only the preferred size dispatches in time
  auto batcher = MakeBatcher(NegModel(), config);
  // Two jobs that expire in the queue.
  Collector expired(2);
  for (size_t i = 0; i < 2; ++i) {
    Job job = MakeJob({Rows(1, 3, static_cast<uint32_t>(i))}, expired, i);
    job.deadline = Clock::now() + 20ms;
    ASSERT_TRUE(batcher->Submit(std::move(job)).ok());
  }
  ASSERT_TRUE(expired.WaitAll());
  EXPECT_EQ(expired.Get(0).status.code(), StatusCode::kDeadlineExceeded);
  // Three rows of another shape fill 4 with one more of theirs.
  Collector other(2);
  ASSERT_TRUE(batcher->Submit(MakeJob({Rows(3, 5, 7)}, other, 0)).ok());
  ASSERT_TRUE(batcher->Submit(MakeJob({Rows(1, 5, 8)}, other, 1)).ok());
  ASSERT_TRUE(other.WaitAll());
  EXPECT_EQ(other.Get(1).info.batch_size, 4);
  // Then four single rows of the first shape: one batch, promptly.
  Collector c(4);
  const auto start = Clock::now();
  for (size_t i = 0; i < 4; ++i) ASSERT_TRUE(batcher->Submit(MakeJob({Rows(1, 3, 10 + i)}, c, i)).ok());
  ASSERT_TRUE(c.WaitAll());
  EXPECT_LT(Clock::now() - start, kWait);
  EXPECT_EQ(c.Get(3).info.batch_size, 4);
  EXPECT_EQ(c.Get(0).info.batch_id, c.Get(3).info.batch_id);
}

TEST(DynamicBatcherTest, QueueFullRefusesAtOnce) {
  BatchingConfig config;
  config.max_queue_size = 2;
  auto batcher = MakeBatcher(MatMulModel(), config);
  Collector c(3);
  Gate gate;
  ASSERT_TRUE(batcher->Submit(MakeJob({Rows(1, 4, 1)}, c, 0, &gate)).ok());
  ASSERT_TRUE(gate.WaitStarted());
  ASSERT_TRUE(batcher->Submit(MakeJob({Rows(1, 4, 1)}, c, 1)).ok());
  ASSERT_TRUE(batcher->Submit(MakeJob({Rows(1, 4, 1)}, c, 2)).ok());
  Collector refused(1);
  Status full = batcher->Submit(MakeJob({Rows(1, 4, 1)}, refused, 0));
  EXPECT_EQ(full.code(), StatusCode::kResourceExhausted);
  EXPECT_NE(full.message().find("full (2 requests)"), std::string::npos) << full.message();
  EXPECT_EQ(batcher->in_flight(), 3);
  gate.Open();
  ASSERT_TRUE(c.WaitAll());
  for (size_t i = 0; i < 3; ++i) EXPECT_TRUE(c.Get(i).status.ok());
}

TEST(DynamicBatcherTest, DeadlineExpiresWhileInstanceIsBusy) {
  BatchingConfig config;
  config.max_batch_size = 4;
  config.default_timeout_us = 30'000;
  auto batcher = MakeBatcher(MatMulModel(), config);
  Collector c(3);
  Gate gate;
  ASSERT_TRUE(batcher->Submit(MakeJob({Rows(1, 4, 1)}, c, 0, &gate)).ok());
  ASSERT_TRUE(gate.WaitStarted());
  Job explicit_deadline = MakeJob({Rows(1, 4, 2)}, c, 1);
  const auto deadline = Clock::now() + 20ms;
  explicit_deadline.deadline = deadline;
  ASSERT_TRUE(batcher->Submit(std::move(explicit_deadline)).ok());
  const auto submitted = Clock::now();
  ASSERT_TRUE(batcher->Submit(MakeJob({Rows(1, 4, 3)}, c, 2)).ok());  // default timeout
  ASSERT_TRUE(c.Wait(1));
  ASSERT_TRUE(c.Wait(2));
  EXPECT_FALSE(c.Get(0).done);  // the instance is still busy
  for (size_t i : {1, 2}) {
    Outcome o = c.Get(i);
    EXPECT_EQ(o.status.code(), StatusCode::kDeadlineExceeded) << o.status.ToString();
    EXPECT_NE(o.status.message().find("us in the queue"), std::string::npos) << o.status.message();
  }
  EXPECT_GE(c.Get(1).at, deadline);
  EXPECT_GE(c.Get(2).at, submitted + 30ms);
  // Generous: promptness is ~1 ms, but this machine is shared.
  EXPECT_LT(c.Get(1).at, deadline + 1s);
  EXPECT_EQ(batcher->queue_depth(), 0);
  gate.Open();
  ASSERT_TRUE(c.Wait(0));
  EXPECT_TRUE(c.Get(0).status.ok());
  // Already past its deadline: accepted, and failed on the caller's thread.
  Collector late(1);
  Job past = MakeJob({Rows(1, 4, 1)}, late, 0);
  past.deadline = Clock::now() - 1ms;
  ASSERT_TRUE(batcher->Submit(std::move(past)).ok());
  EXPECT_TRUE(late.Get(0).done);
  EXPECT_EQ(late.Get(0).status.code(), StatusCode::kDeadlineExceeded);
}

TEST(DynamicBatcherTest, DrainFinishesEverythingAndRefusesNewJobs) {
  BatchingConfig config;
  config.max_batch_size = 4;
  config.max_queue_delay_us = 60'000'000;
  auto batcher = MakeBatcher(MatMulModel(), config);
  constexpr size_t kJobs = 10;
  Collector c(kJobs);
  Gate gate;
  ASSERT_TRUE(batcher->Submit(MakeJob({Rows(4, 4, 1)}, c, 0, &gate)).ok());
  ASSERT_TRUE(gate.WaitStarted());
  for (size_t i = 1; i < kJobs; ++i) ASSERT_TRUE(batcher->Submit(MakeJob({Rows(1, 4, 2)}, c, i)).ok());
  std::thread drainer([&] { batcher->Drain(); });
  // Drain refuses new jobs at once, even while it waits.
  Status st;
  const auto until = Clock::now() + kWait;
  std::vector<std::unique_ptr<Collector>> early;  // jobs that got in before Drain began: they complete
  do {
    early.push_back(std::make_unique<Collector>(1));
    st = batcher->Submit(MakeJob({Rows(1, 4, 3)}, *early.back(), 0));
    if (!st.ok()) early.pop_back();
    if (st.ok()) std::this_thread::sleep_for(1ms);  // polling until the drainer thread has run
  } while (st.ok() && Clock::now() < until);
  EXPECT_EQ(st.code(), StatusCode::kUnavailable);
  EXPECT_EQ(batcher->RunInline({Rows(1, 4, 3)}).status().code(), StatusCode::kUnavailable);
  gate.Open();
  drainer.join();
  EXPECT_EQ(batcher->in_flight(), 0);
  EXPECT_EQ(batcher->queue_depth(), 0);
  for (size_t i = 0; i < kJobs; ++i) {
    EXPECT_TRUE(c.Get(i).done) << i;
    EXPECT_TRUE(c.Get(i).status.ok()) << c.Get(i).status.ToString();
  }
  for (auto& e : early) EXPECT_TRUE(e->Get(0).done);
  batcher->Drain();  // idempotent
}

TEST(DynamicBatcherTest, RunInlineFromFourThreads) {
  auto model = MatMulModel();
  auto batcher = MakeBatcher(model, BatchingConfig{});
  std::vector<Tensor> inputs, expected;
  for (uint32_t i = 0; i < 8; ++i) {
    inputs.push_back(Rows(1 + i % 3, 4, 40 + i));
    expected.push_back((*model->Run({inputs.back()}))[0]);
  }
  std::atomic<int> mismatches{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int k = 0; k < 100; ++k) {
        const size_t i = static_cast<size_t>((t + k) % 8);
        auto r = batcher->RunInline({inputs[i]});
        if (!r.ok() || !BitEqual((*r)[0], expected[i])) ++mismatches;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(mismatches.load(), 0);
  EXPECT_EQ(batcher->in_flight(), 0);
}

TEST(DynamicBatcherTest, UnsplittableOutputFailsEveryJobNamingIt) {
  BatchingConfig config;
  config.max_batch_size = 8;
  auto batcher = MakeBatcher(SumOverBatchModel(), config);
  Collector c(3);
  Gate gate;
  ASSERT_TRUE(batcher->Submit(MakeJob({Rows(1, 4, 1)}, c, 0, &gate)).ok());
  ASSERT_TRUE(gate.WaitStarted());
  ASSERT_TRUE(batcher->Submit(MakeJob({Rows(2, 4, 2)}, c, 1)).ok());
  ASSERT_TRUE(batcher->Submit(MakeJob({Rows(3, 4, 3)}, c, 2)).ok());
  gate.Open();
  ASSERT_TRUE(c.WaitAll());
  EXPECT_TRUE(c.Get(0).status.ok());  // alone: its output is its own
  for (size_t i : {1, 2}) {
    EXPECT_EQ(c.Get(i).status.code(), StatusCode::kInternal);
    EXPECT_NE(c.Get(i).status.message().find("output \"total\""), std::string::npos) << c.Get(i).status.message();
  }
}

TEST(DynamicBatcherTest, PlainQueueWhenBatchingOff) {
  auto model = MatMulModel();
  BatchingConfig config;
  config.instances = 2;
  auto batcher = MakeBatcher(model, config);
  constexpr size_t kJobs = 30;
  Collector c(kJobs);
  std::vector<Tensor> inputs;
  for (size_t i = 0; i < kJobs; ++i) {
    inputs.push_back(Rows(1 + i % 4, 4, static_cast<uint32_t>(i)));
    ASSERT_TRUE(batcher->Submit(MakeJob({inputs.back()}, c, i)).ok());
  }
  ASSERT_TRUE(c.WaitAll());
  std::set<int64_t> ids;
  for (size_t i = 0; i < kJobs; ++i) {
    Outcome o = c.Get(i);
    ASSERT_TRUE(o.status.ok());
    EXPECT_EQ(o.info.batch_requests, 1);
    EXPECT_EQ(o.info.batch_size, static_cast<int64_t>(1 + i % 4));
    EXPECT_TRUE(BitEqual(o.outputs[0], (*model->Run({inputs[i]}))[0]));
    ids.insert(o.info.batch_id);
  }
  EXPECT_EQ(ids.size(), kJobs);
}

TEST(DynamicBatcherTest, DestroyedFromItsOwnCallback) {
  BatchingConfig config;
  config.max_batch_size = 4;
  std::shared_ptr<DynamicBatcher> batcher = MakeBatcher(MatMulModel(), config);
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  Job job;
  job.inputs = {Rows(1, 4, 1)};
  // The callback holds the last reference once the test lets go of its own.
  auto holder = std::make_shared<std::shared_ptr<DynamicBatcher>>(batcher);
  job.done = [holder, &mu, &cv, &done](Result<std::vector<Tensor>> r, const BatchInfo&) {
    EXPECT_TRUE(r.ok());
    holder->reset();
    std::lock_guard lock(mu);
    done = true;
    cv.notify_all();
  };
  Gate gate;
  job.observer = &gate;
  ASSERT_TRUE(batcher->Submit(std::move(job)).ok());
  ASSERT_TRUE(gate.WaitStarted());
  batcher.reset();
  gate.Open();
  std::unique_lock lock(mu);
  EXPECT_TRUE(cv.wait_for(lock, kWait, [&] { return done; }));
}

class CountingObserver final : public RunObserver {
 public:
  void OnRunBegin() override { ++runs; }
  void OnOpBegin(size_t) override { ++ops; }
  void OnOpEnd(size_t, const std::vector<const Tensor*>&, const std::vector<const Tensor*>&) override {}
  std::atomic<int> runs{0}, ops{0};
};

TEST(DynamicBatcherTest, EveryObserverOfAMergedBatchSeesTheRun) {
  BatchingConfig config;
  config.max_batch_size = 8;
  auto batcher = MakeBatcher(MatMulModel(), config);
  Collector c(3);
  Gate gate;
  ASSERT_TRUE(batcher->Submit(MakeJob({Rows(1, 4, 1)}, c, 0, &gate)).ok());
  ASSERT_TRUE(gate.WaitStarted());
  CountingObserver a, b;
  ASSERT_TRUE(batcher->Submit(MakeJob({Rows(1, 4, 2)}, c, 1, &a)).ok());
  ASSERT_TRUE(batcher->Submit(MakeJob({Rows(1, 4, 3)}, c, 2, &b)).ok());
  gate.Open();
  ASSERT_TRUE(c.WaitAll());
  EXPECT_EQ(c.Get(1).info.batch_id, c.Get(2).info.batch_id);
  EXPECT_EQ(a.runs.load(), 1);
  EXPECT_EQ(b.runs.load(), 1);
  EXPECT_EQ(a.ops.load(), 2);  // MatMul, Add
  EXPECT_EQ(b.ops.load(), 2);
}

TEST(DynamicBatcherTest, RefusesJobWithoutCallback) {
  auto batcher = MakeBatcher(MatMulModel(), BatchingConfig{});
  Job job;
  job.inputs = {Rows(1, 4, 1)};
  EXPECT_EQ(batcher->Submit(std::move(job)).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(batcher->in_flight(), 0);
}

// Many submitters, two instances, two shapes, random sizes: every job
// completes once with exactly its own rows.
TEST(DynamicBatcherTest, ConcurrentSubmittersGetTheirOwnRows) {
  auto model = NegModel();
  BatchingConfig config;
  config.max_batch_size = 8;
  config.max_queue_delay_us = 200;
  config.instances = 2;
  auto batcher = MakeBatcher(model, config);
  constexpr size_t kThreads = 4, kPer = 150;
  Collector c(kThreads * kPer);
  std::vector<Tensor> inputs(kThreads * kPer);
  std::mt19937 rng(7);
  for (auto& t : inputs) t = Rows(1 + rng() % 3, rng() % 2 ? 3 : 5, static_cast<uint32_t>(rng()));
  std::vector<std::thread> threads;
  std::atomic<int> refused{0};
  for (size_t t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (size_t k = 0; k < kPer; ++k) {
        const size_t i = t * kPer + k;
        if (!batcher->Submit(MakeJob({inputs[i]}, c, i)).ok()) ++refused;
      }
    });
  }
  for (auto& t : threads) t.join();
  ASSERT_EQ(refused.load(), 0);
  ASSERT_TRUE(c.WaitAll());
  int64_t merged = 0;
  for (size_t i = 0; i < inputs.size(); ++i) {
    Outcome o = c.Get(i);
    ASSERT_TRUE(o.status.ok()) << o.status.ToString();
    EXPECT_LE(o.info.batch_size, 8);
    const Tensor& x = inputs[i];
    const Tensor& y = o.outputs[0];
    ASSERT_EQ(y.shape(), x.shape());
    for (int64_t e = 0; e < x.numel(); ++e) ASSERT_EQ(y.data<float>()[e], -x.data<float>()[e]) << i;
    if (o.info.batch_requests > 1) ++merged;
  }
  batcher->Drain();  // a job counts as in flight until its callback has returned
  EXPECT_EQ(batcher->in_flight(), 0);
  ::testing::Test::RecordProperty("merged_jobs", static_cast<int>(merged));
}

}  // namespace
}  // namespace inferd::serving
