#include "serving/batcher.h"

#include <algorithm>
#include <condition_variable>
#include <list>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <utility>

#include "serving/batch_assembly.h"

// How it works. One mutex guards a FIFO list of queued jobs. Instance
// threads wait on `work_cv`; the oldest job's key decides the next batch,
// which takes the following jobs of that key in order while they fit (so a
// job of another shape is never starved: once it is the oldest, its shape
// goes next). A job leaves the queue by being spliced into a batch or by
// expiring. A separate reaper thread sleeps until the earliest deadline, so
// expiry is prompt even while every instance is busy running a model. No
// lock is held while a model runs or while `done` is called.
//
// Wake-ups: Submit wakes an instance only when one idles on an empty queue
// or when the queued rows could fill the smallest preferred batch; an
// instance waiting out the head's delay wakes at the due time by itself, so
// the requests that trickle into a forming batch cost no context switch each.

namespace inferd::serving {
namespace {

using Clock = std::chrono::steady_clock;

// t + us, saturating at the far future (configs and deadlines come from users).
Clock::time_point AddMicros(Clock::time_point t, int64_t us) {
  if (us <= 0) return t;
  const int64_t room = std::chrono::duration_cast<std::chrono::microseconds>(Clock::time_point::max() - t).count();
  if (us >= room) return Clock::time_point::max();
  return t + std::chrono::microseconds(us);
}

int64_t MicrosBetween(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration_cast<std::chrono::microseconds>(b - a).count();
}

// Several traced requests in one batch all see the batch's operators.
class FanOutObserver final : public RunObserver {
 public:
  explicit FanOutObserver(std::vector<RunObserver*> targets) : targets_(std::move(targets)) {}
  void OnRunBegin() override {
    for (auto* t : targets_) t->OnRunBegin();
  }
  void OnRunEnd() override {
    for (auto* t : targets_) t->OnRunEnd();
  }
  void OnOpBegin(size_t step) override {
    for (auto* t : targets_) t->OnOpBegin(step);
  }
  void OnOpEnd(size_t step, const std::vector<const Tensor*>& inputs,
               const std::vector<const Tensor*>& outputs) override {
    for (auto* t : targets_) t->OnOpEnd(step, inputs, outputs);
  }

 private:
  std::vector<RunObserver*> targets_;
};

// Why the model cannot be batched, or "" when it can.
std::string WhyCannotBatch(const CompiledModel& model) {
  auto check = [](const ValueInfo& v, const char* kind) -> std::string {
    if (!v.dims) return std::string(kind) + " \"" + v.name + "\" has no declared shape";
    if (v.dims->empty()) return std::string(kind) + " \"" + v.name + "\" is a scalar";
    if (v.dims->front().fixed())
      return std::string(kind) + " \"" + v.name + "\" has a fixed first dimension (" + v.ShapeString() + ")";
    return "";
  };
  for (const ValueInfo& v : model.inputs())
    if (auto why = check(v, "input"); !why.empty()) return why;
  for (const ValueInfo& v : model.outputs())
    if (auto why = check(v, "output"); !why.empty()) return why;
  return "";
}

}  // namespace

// Everything the threads share. Held by shared_ptr so that a batcher
// destroyed from its own thread (the last handle to a version released in a
// `done` callback) can let its threads finish the queue on their own.
struct BatcherCore {
  struct Entry {
    Job job;
    int64_t rows = 1;
    std::string key;    // BatchKey of the inputs; meaningful unless solo
    bool solo = false;  // never merged (batching off, or inputs without common rows)
    Clock::time_point enqueued;
    Deadline deadline = kNoDeadline;
    std::list<Entry>::iterator self;  // position in the queue (valid while queued)
  };
  using EntryList = std::list<Entry>;

  struct Plan {
    bool ready = false;
    Clock::time_point wake;  // when not ready: when the head's delay runs out
    std::vector<EntryList::iterator> picks;
    int64_t rows = 0;
  };

  BatcherCore(std::shared_ptr<const CompiledModel> m, BatchingConfig c) : model(std::move(m)), config(std::move(c)) {}

  void InstanceLoop();
  void ReaperLoop();
  Plan PlanBatch(Clock::time_point now);  // non-const: picks are mutable positions
  void RemoveLocked(EntryList::iterator it, EntryList& into);
  void ExpireLocked(Clock::time_point now, EntryList& expired);
  void FailExpired(EntryList& expired);
  void RunBatch(RunContext& ctx, std::vector<std::shared_ptr<Storage>>& buffers, EntryList& batch, int64_t id,
                int64_t rows, Clock::time_point started);
  void Finish(int64_t n);

  const std::shared_ptr<const CompiledModel> model;
  const BatchingConfig config;
  bool batching = false;
  std::vector<int64_t> preferred;  // descending; {max_batch_size} when none given

  mutable std::mutex mu;
  std::condition_variable work_cv;    // instances: the queue changed, or draining
  std::condition_variable reaper_cv;  // reaper: an earlier deadline, or draining
  std::condition_variable idle_cv;    // Drain: in_flight reached 0
  EntryList queue;
  int64_t queued_rows = 0;                                // rows of the queued jobs that may merge (not solo)
  int idle_waiters = 0;                                   // instances waiting on an empty queue
  std::set<std::pair<Deadline, const Entry*>> deadlines;  // queued jobs that have one
  bool draining = false;
  int64_t in_flight = 0;
  int64_t next_batch_id = 1;

  std::vector<std::thread> threads;
  std::vector<std::thread::id> thread_ids;  // fixed after Create
  std::mutex join_mu;
  bool joined = false;

  std::mutex pool_mu;  // RunInline's free contexts
  std::vector<std::unique_ptr<RunContext>> free_contexts;
};

struct DynamicBatcher::Impl {
  std::shared_ptr<BatcherCore> core;
};

// ------------------------------------------------------------------ queue

void BatcherCore::RemoveLocked(EntryList::iterator it, EntryList& into) {
  if (it->deadline != kNoDeadline) deadlines.erase({it->deadline, &*it});
  if (!it->solo) queued_rows -= it->rows;
  into.splice(into.end(), queue, it);
  if (draining && queue.empty()) {
    work_cv.notify_all();
    reaper_cv.notify_all();
  }
}

void BatcherCore::ExpireLocked(Clock::time_point now, EntryList& expired) {
  while (!deadlines.empty() && deadlines.begin()->first <= now) {
    const Entry* e = deadlines.begin()->second;
    RemoveLocked(e->self, expired);
  }
}

void BatcherCore::FailExpired(EntryList& expired) {
  if (expired.empty()) return;
  const Clock::time_point now = Clock::now();
  for (Entry& e : expired) {
    BatchInfo info;
    info.enqueued = e.enqueued;
    info.started = now;
    info.computed = now;
    e.job.done(Status(StatusCode::kDeadlineExceeded,
                      "request timed out after " + std::to_string(MicrosBetween(e.enqueued, now)) + " us in the queue"),
               info);
  }
  const auto n = static_cast<int64_t>(expired.size());
  expired.clear();  // jobs die before the count drops and never under the lock (see Finish)
  Finish(n);
}

// Called after the jobs' callbacks have run and the jobs are destroyed:
// destroying one may release the last reference to this batcher, whose
// destructor takes `mu`.
void BatcherCore::Finish(int64_t n) {
  std::lock_guard lock(mu);
  in_flight -= n;
  if (in_flight == 0) idle_cv.notify_all();
}

BatcherCore::Plan BatcherCore::PlanBatch(Clock::time_point now) {
  Plan plan;
  const auto head = queue.begin();
  plan.picks.push_back(head);
  plan.rows = head->rows;
  if (!batching || head->solo) {
    plan.ready = true;
    return plan;
  }
  const int64_t max = config.max_batch_size;
  // The oldest job's key forms the batch; later jobs of that key join in
  // FIFO order while they fit (stopping at the first that does not, so jobs
  // of one shape keep their order).
  for (auto it = std::next(head); it != queue.end() && plan.rows < max; ++it) {
    if (it->solo || it->key != head->key) continue;
    if (plan.rows + it->rows > max) break;
    plan.picks.push_back(it);
    plan.rows += it->rows;
  }
  if (plan.rows >= max) {
    plan.ready = true;
    return plan;
  }
  // The largest preferred size the queue can fill goes now, cut at the
  // shortest FIFO prefix that reaches it.
  for (int64_t p : preferred) {
    if (plan.rows < p) continue;
    int64_t rows = 0;
    size_t n = 0;
    while (n < plan.picks.size() && rows < p) rows += plan.picks[n++]->rows;
    plan.picks.resize(n);
    plan.rows = rows;
    plan.ready = true;
    return plan;
  }
  const Clock::time_point due = AddMicros(head->enqueued, config.max_queue_delay_us);
  if (draining || now >= due) {
    plan.ready = true;
  } else {
    plan.wake = due;
  }
  return plan;
}

// --------------------------------------------------------------- threads

void BatcherCore::InstanceLoop() {
  std::unique_ptr<RunContext> ctx = model->NewRunContext();
  std::vector<std::shared_ptr<Storage>> buffers(model->inputs().size());
  std::unique_lock lock(mu);
  for (;;) {
    const Clock::time_point now = Clock::now();
    // Never start a job past its deadline, even if the reaper is a moment late.
    EntryList expired;
    ExpireLocked(now, expired);
    if (!expired.empty()) {
      lock.unlock();
      FailExpired(expired);
      lock.lock();
      continue;
    }
    if (queue.empty()) {
      if (draining) return;
      ++idle_waiters;
      work_cv.wait(lock);
      --idle_waiters;
      continue;
    }
    Plan plan = PlanBatch(now);
    if (!plan.ready) {
      if (plan.wake == Clock::time_point::max()) {
        work_cv.wait(lock);
      } else {
        work_cv.wait_until(lock, plan.wake);
      }
      continue;
    }
    EntryList batch;
    for (auto it : plan.picks) RemoveLocked(it, batch);
    const int64_t id = next_batch_id++;
    // Another idle instance may take what is left.
    if (!queue.empty()) work_cv.notify_one();
    lock.unlock();
    RunBatch(*ctx, buffers, batch, id, plan.rows, now);
    lock.lock();
  }
}

void BatcherCore::ReaperLoop() {
  std::unique_lock lock(mu);
  for (;;) {
    if (draining && queue.empty()) return;
    if (deadlines.empty()) {
      reaper_cv.wait(lock);
      continue;
    }
    const Clock::time_point now = Clock::now();
    const Deadline first = deadlines.begin()->first;
    if (first > now) {
      reaper_cv.wait_until(lock, first);
      continue;
    }
    EntryList expired;
    ExpireLocked(now, expired);
    lock.unlock();
    FailExpired(expired);
    lock.lock();
  }
}

void BatcherCore::RunBatch(RunContext& ctx, std::vector<std::shared_ptr<Storage>>& buffers, EntryList& batch,
                           int64_t id, int64_t rows, Clock::time_point started) {
  const size_t n = batch.size();
  BatchInfo info;
  info.batch_id = id;
  info.batch_size = rows;
  info.batch_requests = static_cast<int64_t>(n);
  info.started = started;

  std::vector<RunObserver*> observers;
  for (const Entry& e : batch)
    if (e.job.observer) observers.push_back(e.job.observer);
  FanOutObserver fan_out(observers);
  ctx.set_observer(observers.empty() ? nullptr : observers.size() == 1 ? observers.front() : &fan_out);

  Result<std::vector<Tensor>> result = Internal("batch was not run");
  if (n == 1) {
    // Alone: the job's own tensors, no copies.
    result = model->Run(ctx, batch.front().job.inputs);
  } else {
    const std::vector<Tensor>& first = batch.front().job.inputs;
    std::vector<Tensor> merged;
    merged.reserve(first.size());
    if (buffers.size() < first.size()) buffers.resize(first.size());
    Status status;
    for (size_t i = 0; i < first.size() && status.ok(); ++i) {
      std::vector<const Tensor*> parts;
      parts.reserve(n);
      for (const Entry& e : batch) parts.push_back(&e.job.inputs[i]);
      auto t = ConcatRows(parts, rows, &buffers[i]);
      if (t.ok()) {
        merged.push_back(std::move(t).value());
      } else {
        status = t.status();
      }
    }
    if (status.ok()) {
      result = model->Run(ctx, merged);
    } else {
      result = status;
    }
  }
  ctx.set_observer(nullptr);
  info.computed = Clock::now();

  if (n == 1) {
    Entry& e = batch.front();
    info.enqueued = e.enqueued;
    e.job.done(std::move(result), info);
  } else {
    Result<std::vector<std::vector<Tensor>>> pieces = Internal("batch was not split");
    if (result.ok()) {
      std::vector<int64_t> job_rows;
      job_rows.reserve(n);
      for (const Entry& e : batch) job_rows.push_back(e.rows);
      pieces = SplitRows(result.value(), job_rows, model->outputs());
    } else {
      pieces = result.status();
    }
    size_t j = 0;
    for (Entry& e : batch) {
      info.enqueued = e.enqueued;
      if (pieces.ok()) {
        e.job.done(std::move(pieces.value()[j]), info);
      } else {
        e.job.done(pieces.status(), info);
      }
      ++j;
    }
  }
  batch.clear();  // jobs die before the count drops and never under the lock (see Finish)
  Finish(static_cast<int64_t>(n));
}

// ----------------------------------------------------------------- public

bool DynamicBatcher::CanBatch(const CompiledModel& model) { return WhyCannotBatch(model).empty(); }

Result<std::unique_ptr<DynamicBatcher>> DynamicBatcher::Create(std::shared_ptr<const CompiledModel> model,
                                                               BatchingConfig config) {
  if (!model) return InvalidArgument("batcher: no model given");
  constexpr int kMaxInstances = 256;
  if (config.max_batch_size < 0)
    return InvalidArgument("max_batch_size must be >= 0, got " + std::to_string(config.max_batch_size));
  if (config.max_queue_delay_us < 0)
    return InvalidArgument("max_queue_delay_us must be >= 0, got " + std::to_string(config.max_queue_delay_us));
  if (config.max_queue_size < 1)
    return InvalidArgument("max_queue_size must be >= 1, got " + std::to_string(config.max_queue_size));
  if (config.default_timeout_us < 0)
    return InvalidArgument("default_timeout_us must be >= 0, got " + std::to_string(config.default_timeout_us));
  if (config.instances < 1 || config.instances > kMaxInstances)
    return InvalidArgument("instances must be between 1 and " + std::to_string(kMaxInstances) + ", got " +
                           std::to_string(config.instances));
  const bool batching = config.max_batch_size > 1;
  std::vector<int64_t> preferred;
  if (batching) {
    for (int64_t p : config.preferred_batch_sizes) {
      if (p < 1 || p > config.max_batch_size)
        return InvalidArgument("preferred batch size " + std::to_string(p) + " is outside [1, max_batch_size " +
                               std::to_string(config.max_batch_size) + "]");
      preferred.push_back(p);
    }
    if (preferred.empty()) preferred.push_back(config.max_batch_size);
    std::sort(preferred.begin(), preferred.end(), std::greater<>());
    preferred.erase(std::unique(preferred.begin(), preferred.end()), preferred.end());
    if (std::string why = WhyCannotBatch(*model); !why.empty())
      return FailedPrecondition("the model cannot be batched: " + why +
                                "; set max_batch_size to 0, or export it with a symbolic first dimension");
  }

  auto core = std::make_shared<BatcherCore>(std::move(model), std::move(config));
  core->batching = batching;
  core->preferred = std::move(preferred);
  // Each thread holds the core, so it outlives a batcher destroyed from one of them.
  for (int i = 0; i < core->config.instances; ++i) core->threads.emplace_back([core] { core->InstanceLoop(); });
  core->threads.emplace_back([core] { core->ReaperLoop(); });
  for (const auto& t : core->threads) core->thread_ids.push_back(t.get_id());
  auto impl = std::make_unique<Impl>();
  impl->core = std::move(core);
  return std::unique_ptr<DynamicBatcher>(new DynamicBatcher(std::move(impl)));
}

DynamicBatcher::DynamicBatcher(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

DynamicBatcher::~DynamicBatcher() {
  Drain();
  // Destroyed from one of our own threads: Drain could not wait for it, so
  // the threads finish the queue by themselves, keeping the core alive.
  BatcherCore& s = *impl_->core;
  std::lock_guard lock(s.join_mu);
  if (!s.joined) {
    for (auto& t : s.threads) t.detach();
    s.joined = true;
  }
}

Status DynamicBatcher::Submit(Job job) {
  BatcherCore& s = *impl_->core;
  if (!job.done) return InvalidArgument("batcher: job has no completion callback");
  const Clock::time_point now = Clock::now();

  auto node = BatcherCore::EntryList();
  BatcherCore::Entry& e = node.emplace_back();
  e.enqueued = now;
  e.deadline = job.deadline == kNoDeadline && s.config.default_timeout_us > 0
                   ? AddMicros(now, s.config.default_timeout_us)
                   : job.deadline;
  const int64_t rows = BatchRows(job.inputs);
  e.solo = !s.batching || rows < 0;
  e.rows = rows >= 0 ? rows : (!job.inputs.empty() && job.inputs[0].rank() >= 1 ? job.inputs[0].dim(0) : 1);
  if (!e.solo) {
    if (rows > s.config.max_batch_size)
      return InvalidArgument("request has " + std::to_string(rows) + " rows in dimension 0, more than the " +
                             std::to_string(s.config.max_batch_size) +
                             " this model version batches at most (max_batch_size); split the request");
    e.key = BatchKey(job.inputs);
  }
  e.job = std::move(job);

  {
    std::lock_guard lock(s.mu);
    if (s.draining) return Unavailable("model version is shutting down and takes no new requests; retry");
    if (static_cast<int64_t>(s.queue.size()) >= s.config.max_queue_size)
      return ResourceExhausted("queue of model version is full (" + std::to_string(s.config.max_queue_size) +
                               " requests); retry later");
    ++s.in_flight;
    if (e.deadline > now) {
      e.self = node.begin();
      if (e.deadline != kNoDeadline) {
        if (s.deadlines.empty() || e.deadline < s.deadlines.begin()->first) s.reaper_cv.notify_one();
        s.deadlines.emplace(e.deadline, &e);
      }
      if (!e.solo) s.queued_rows += e.rows;
      // A batch forming below the smallest preferred size cannot start
      // before its delay runs out, and the instance waiting for it wakes then.
      const bool wake = e.solo || s.idle_waiters > 0 || s.queued_rows >= s.preferred.back();
      s.queue.splice(s.queue.end(), node);
      if (wake) s.work_cv.notify_one();
      return Status::Ok();
    }
  }
  // Accepted, but already past its deadline: fail it here, on the caller's thread.
  s.FailExpired(node);
  return Status::Ok();
}

Result<std::vector<Tensor>> DynamicBatcher::RunInline(const std::vector<Tensor>& inputs, RunObserver* observer) {
  BatcherCore& s = *impl_->core;
  {
    std::lock_guard lock(s.mu);
    if (s.draining) return Unavailable("model version is shutting down and takes no new requests; retry");
    ++s.in_flight;  // so Drain waits for inline runs too
  }
  std::unique_ptr<RunContext> ctx;
  {
    std::lock_guard lock(s.pool_mu);
    if (!s.free_contexts.empty()) {
      ctx = std::move(s.free_contexts.back());
      s.free_contexts.pop_back();
    }
  }
  if (!ctx) ctx = s.model->NewRunContext();
  ctx->set_observer(observer);
  Result<std::vector<Tensor>> result = s.model->Run(*ctx, inputs);
  ctx->set_observer(nullptr);
  {
    std::lock_guard lock(s.pool_mu);
    s.free_contexts.push_back(std::move(ctx));
  }
  s.Finish(1);
  return result;
}

void DynamicBatcher::Drain() {
  BatcherCore& s = *impl_->core;
  {
    std::lock_guard lock(s.mu);
    s.draining = true;
  }
  s.work_cv.notify_all();
  s.reaper_cv.notify_all();
  // From a `done` callback (an instance thread) we cannot wait for ourselves.
  const auto self = std::this_thread::get_id();
  if (std::find(s.thread_ids.begin(), s.thread_ids.end(), self) != s.thread_ids.end()) return;
  {
    std::lock_guard lock(s.join_mu);
    if (!s.joined) {
      for (auto& t : s.threads) t.join();
      s.joined = true;
    }
  }
  std::unique_lock lock(s.mu);
  s.idle_cv.wait(lock, [&s] { return s.in_flight == 0; });
}

int64_t DynamicBatcher::queue_depth() const {
  std::lock_guard lock(impl_->core->mu);
  return static_cast<int64_t>(impl_->core->queue.size());
}

int64_t DynamicBatcher::in_flight() const {
  std::lock_guard lock(impl_->core->mu);
  return impl_->core->in_flight;
}

const BatchingConfig& DynamicBatcher::config() const { return impl_->core->config; }

}  // namespace inferd::serving
