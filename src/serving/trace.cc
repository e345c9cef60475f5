#include "serving/trace.h"

#include <unistd.h>

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "common/json_escape.h"
#include "engine/runtime/profiler.h"

namespace inferd::serving {
namespace fs = std::filesystem;
namespace {

bool Reached(TraceClock::time_point t) { return t != TraceClock::time_point{}; }

void AppendEscaped(std::string& out, std::string_view s) {
  out += '"';
  AppendJsonEscaped(out, s);
  out += '"';
}

// Microseconds with three decimals, exact from integer nanoseconds, so that
// a child's [ts, ts+dur] lies inside its parent's as the clock said.
void AppendMicros(std::string& out, int64_t ns) {
  if (ns < 0) ns = 0;
  char buf[32];
  std::snprintf(buf, sizeof buf, "%" PRId64 ".%03" PRId64, ns / 1000, ns % 1000);
  out += buf;
}

// Builds the event list of one trace.
class EventWriter {
 public:
  explicit EventWriter(TraceClock::time_point origin) : origin_(origin) {
    out_ = "{\"displayTimeUnit\":\"ms\",\"traceEvents\":[\n";
  }

  void Metadata(const char* name, std::string_view value) {
    Sep();
    out_ += "{\"name\":\"";
    out_ += name;
    out_ += "\",\"ph\":\"M\",\"pid\":1,\"tid\":1,\"args\":{\"name\":";
    AppendEscaped(out_, value);
    out_ += "}}";
  }

  // Opens an "X" event; the caller adds args with Arg*() then calls End().
  void Span(std::string_view name, const char* cat, TraceClock::time_point begin, TraceClock::time_point end) {
    Sep();
    out_ += "{\"name\":";
    AppendEscaped(out_, name);
    out_ += ",\"cat\":\"";
    out_ += cat;
    out_ += "\",\"ph\":\"X\",\"pid\":1,\"tid\":1,\"ts\":";
    const int64_t b = std::chrono::duration_cast<std::chrono::nanoseconds>(begin - origin_).count();
    const int64_t e = std::chrono::duration_cast<std::chrono::nanoseconds>(end - origin_).count();
    AppendMicros(out_, b);
    out_ += ",\"dur\":";
    AppendMicros(out_, std::max<int64_t>(0, e - std::max<int64_t>(b, 0)));
    out_ += ",\"args\":{";
    first_arg_ = true;
  }
  void Arg(const char* key, std::string_view value) {
    ArgKey(key);
    AppendEscaped(out_, value);
  }
  void Arg(const char* key, int64_t value) {
    ArgKey(key);
    out_ += std::to_string(value);
  }
  void End() { out_ += "}}"; }

  std::string Finish() {
    out_ += "\n]}\n";
    return std::move(out_);
  }

 private:
  void Sep() {
    if (!first_event_) out_ += ",\n";
    first_event_ = false;
  }
  void ArgKey(const char* key) {
    if (!first_arg_) out_ += ',';
    first_arg_ = false;
    out_ += '"';
    out_ += key;
    out_ += "\":";
  }
  TraceClock::time_point origin_;
  std::string out_;
  bool first_event_ = true, first_arg_ = true;
};

constexpr const char* kFilePrefix = "trace-";

}  // namespace

void RequestTrace::OnOpEnd(size_t step, const std::vector<const Tensor*>& inputs,
                           const std::vector<const Tensor*>& outputs) {
  const auto end = TraceClock::now();
  ops_.push_back({step, op_begin_, end, OpShapes(inputs, outputs)});
}

std::string RequestTrace::ToChromeJson() const {
  EventWriter w(received);
  w.Metadata("process_name", "inferd " + model + (version.empty() ? "" : ":" + version));
  w.Metadata("thread_name", "request " + id_);
  TraceClock::time_point last = received;
  for (auto t : {decoded, validated, enqueued, started, computed, serialize_begin, encoded, responded, sent})
    if (Reached(t)) last = std::max(last, t);

  w.Span("request", "request", received, last);
  w.Arg("trace_id", id_);
  w.Arg("model", model);
  w.Arg("version", version);
  w.Arg("request_id", request_id);
  w.Arg("outcome", outcome);
  if (!error.empty()) w.Arg("error", error);
  w.Arg("sampled_by", sampled_by);
  w.Arg("body_bytes", static_cast<int64_t>(body_bytes));
  w.Arg("response_bytes", static_cast<int64_t>(response_bytes));
  w.End();

  // The server learns of a request once Beast has read all of it; the time
  // spent on the socket before that is not measured.
  w.Span("receive", "phase", received, received);
  w.Arg("body_bytes", static_cast<int64_t>(body_bytes));
  w.Arg("note", "request fully read at ts 0; socket read time not measured");
  w.End();
  auto phase = [&](const char* name, TraceClock::time_point b, TraceClock::time_point e) {
    if (!Reached(b) || !Reached(e)) return false;
    w.Span(name, "phase", b, e);
    return true;
  };
  if (phase("parse", received, decoded)) w.End();
  if (phase("validate", decoded, validated)) w.End();
  if (phase("queue", enqueued, started)) w.End();
  if (phase("batch", started, computed)) {
    w.Arg("batch_id", batch_id);
    w.Arg("batch_size", batch_size);
    w.Arg("batch_requests", batch_requests);
    w.End();
    if (Reached(run_begin_) && Reached(run_end_)) {
      w.Span("assemble", "batch", started, run_begin_);
      w.Arg("batch_requests", batch_requests);
      w.End();
      w.Span("run", "batch", run_begin_, run_end_);
      w.Arg("ops", static_cast<int64_t>(ops_.size()));
      w.Arg("batch_size", batch_size);
      w.End();
      for (const OpSpan& op : ops_) {
        if (!compiled || op.step >= compiled->num_steps()) continue;
        const Node& n = compiled->step_node(op.step);
        std::string type = n.op_type;
        if (const Attribute* act = n.FindAttribute("_activation")) type += "+" + act->s;
        w.Span(type, "op", op.begin, op.end);
        w.Arg("node", n.name.empty() ? (n.outputs.empty() ? "" : n.outputs[0]) : n.name);
        w.Arg("kernel", compiled->step_kernel_name(op.step));
        w.Arg("shapes", op.shapes);
        w.Arg("step", static_cast<int64_t>(op.step));
        w.End();
      }
    }
  }
  // Splitting the batch's outputs and answering the requests before this one.
  if (phase("handoff", computed, serialize_begin)) w.End();
  if (phase("serialize", serialize_begin, encoded)) {
    w.Arg("response_bytes", static_cast<int64_t>(response_bytes));
    w.End();
  }
  if (phase("send", responded, sent)) w.End();
  return w.Finish();
}

// ------------------------------------------------------------ TraceStore

TraceStore::TraceStore(TraceOptions options) : options_(std::move(options)), rate_(options_.rate) {
  std::random_device rd;
  id_salt_ = (uint64_t{rd()} << 32) ^ static_cast<uint64_t>(::getpid()) ^
             static_cast<uint64_t>(std::chrono::system_clock::now().time_since_epoch().count());
}

Result<std::unique_ptr<TraceStore>> TraceStore::Create(TraceOptions options) {
  if (options.rate < 0) return InvalidArgument("trace rate must be >= 0 (0 traces only requests that ask)");
  if (options.max_files < 1) return InvalidArgument("trace max files must be >= 1");
  if (options.dir.empty()) return InvalidArgument("trace folder must not be empty");
  std::error_code ec;
  if (fs::exists(options.dir, ec) && !fs::is_directory(options.dir, ec))
    return InvalidArgument("trace folder \"" + options.dir + "\" exists and is not a folder");
  std::unique_ptr<TraceStore> store(new TraceStore(std::move(options)));
  // Files of earlier runs count toward the cap, oldest (by name) first.
  std::vector<std::string> old;
  for (auto it = fs::directory_iterator(store->options_.dir, ec); !ec && it != fs::directory_iterator();
       it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.rfind(kFilePrefix, 0) == 0 && it->path().extension() == ".json") old.push_back(it->path().string());
  }
  std::sort(old.begin(), old.end());
  for (auto& p : old) store->files_.emplace_back("", std::move(p));
  store->writer_ = std::thread([s = store.get()] { s->WriterLoop(); });
  return store;
}

TraceStore::~TraceStore() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (writer_.joinable()) writer_.join();
}

std::shared_ptr<RequestTrace> TraceStore::Begin(TraceClock::time_point received) {
  char id[24];
  std::snprintf(id, sizeof id, "%016" PRIx64,
                static_cast<uint64_t>(id_salt_ * uint64_t{0x9E3779B97F4A7C15} +
                                      next_id_.fetch_add(1, std::memory_order_relaxed)));
  auto trace = std::make_shared<RequestTrace>(id, received);
  std::lock_guard lock(mu_);
  recording_.insert(trace->id());
  return trace;
}

void TraceStore::Finish(std::shared_ptr<RequestTrace> trace) {
  {
    std::lock_guard lock(mu_);
    recording_.erase(trace->id());
    if (static_cast<int64_t>(queue_.size()) >= options_.max_pending) {
      dropped_.fetch_add(1);
    } else {
      unwritten_[trace->id()] = trace;
      queue_.push_back(std::move(trace));
    }
  }
  cv_.notify_one();
  done_cv_.notify_all();
}

Result<std::string> TraceStore::Get(const std::string& id, std::chrono::milliseconds wait) {
  std::shared_ptr<RequestTrace> pending;
  std::string path;
  {
    std::unique_lock lock(mu_);
    done_cv_.wait_for(lock, wait, [&] { return !recording_.count(id); });
    if (recording_.count(id))
      return Unavailable("trace " + id + " is still recording (its request has not been answered); retry");
    if (auto it = unwritten_.find(id); it != unwritten_.end()) {
      pending = it->second;
    } else if (auto f = file_of_.find(id); f != file_of_.end()) {
      path = f->second;
    } else {
      return NotFound("no trace " + id + " (unknown, or rotated away: the server keeps the last " +
                      std::to_string(options_.max_files) + " trace files in \"" + options_.dir + "\")");
    }
  }
  if (pending) return pending->ToChromeJson();
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFound("trace " + id + ": its file \"" + path + "\" is gone (rotated away)");
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void TraceStore::Flush() {
  std::unique_lock lock(mu_);
  done_cv_.wait(lock, [&] { return queue_.empty() && !writing_; });
}

Status TraceStore::WriteOne(const RequestTrace& trace, std::string& path_out) {
  std::error_code ec;
  fs::create_directories(options_.dir, ec);
  if (ec) return Internal("cannot create trace folder \"" + options_.dir + "\": " + ec.message());
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count();
  char name[64];
  std::snprintf(name, sizeof name, "%s%013" PRId64 "-%s.json", kFilePrefix, static_cast<int64_t>(ms),
                trace.id().c_str());
  path_out = (fs::path(options_.dir) / name).string();
  const std::string tmp = path_out + ".tmp";
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    f << trace.ToChromeJson();
    if (!f) return Internal("cannot write trace file \"" + tmp + "\"");
  }
  fs::rename(tmp, path_out, ec);
  if (ec) return Internal("cannot rename trace file to \"" + path_out + "\": " + ec.message());
  return Status::Ok();
}

void TraceStore::WriterLoop() {
  std::unique_lock lock(mu_);
  for (;;) {
    cv_.wait(lock, [&] { return stop_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stop_ and nothing left
    auto trace = std::move(queue_.front());
    queue_.pop_front();
    writing_ = true;
    lock.unlock();
    std::string path;
    const Status st = WriteOne(*trace, path);
    // The first failure and then one in 1000, so a full disk does not flood the log.
    if (!st.ok() && failures_++ % 1000 == 0)
      std::fprintf(stderr, "inferd: trace %s not written (%" PRId64 " failures so far): %s\n", trace->id().c_str(),
                   failures_, st.message().c_str());
    std::vector<std::string> remove;
    lock.lock();
    unwritten_.erase(trace->id());
    if (st.ok()) {
      written_.fetch_add(1);
      files_.emplace_back(trace->id(), path);
      file_of_[trace->id()] = path;
      while (static_cast<int64_t>(files_.size()) > options_.max_files) {
        if (!files_.front().first.empty()) file_of_.erase(files_.front().first);
        remove.push_back(std::move(files_.front().second));
        files_.pop_front();
      }
    } else {
      dropped_.fetch_add(1);
    }
    lock.unlock();
    std::error_code ec;
    for (const auto& p : remove) fs::remove(p, ec);
    lock.lock();
    writing_ = false;
    done_cv_.notify_all();
  }
}

}  // namespace inferd::serving
