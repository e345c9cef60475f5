#include "batch/predictor.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "batch/batch_builder.h"
#include "batch/bounded_queue.h"
#include "batch/model_runner.h"
#include "batch/resume_state.h"
#include "batch/row_reader.h"
#include "batch/row_writer.h"
#include "engine/runtime/model.h"

namespace inferd::batch {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

Result<std::vector<std::string>> LoadLabels(const std::string& path) {
  std::ifstream in(path);
  if (!in) return NotFound("cannot read labels file '" + path + "'");
  std::vector<std::string> labels;
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    labels.push_back(line);
  }
  while (!labels.empty() && labels.back().empty()) labels.pop_back();
  if (labels.empty()) return InvalidArgument("labels file '" + path + "' has no labels");
  return labels;
}

std::string FileStamp(const std::string& path) {
  std::error_code ec;
  const auto size = fs::file_size(path, ec);
  if (ec) return path;
  const auto mtime = fs::last_write_time(path, ec).time_since_epoch().count();
  return path + "|" + std::to_string(size) + "|" + std::to_string(mtime);
}

// One batch on its way from the runner to the writer.
struct ResultBatch {
  ReadBatch read;
  RunResult run;
};

// The first error any stage hit; the others stop when it is set.
class Failure {
 public:
  void Set(Status s) {
    std::lock_guard lock(mu_);
    if (status_.ok()) status_ = std::move(s);
    failed_ = true;
  }
  bool failed() const { return failed_.load(); }
  Status status() {
    std::lock_guard lock(mu_);
    return status_;
  }

 private:
  std::mutex mu_;
  Status status_;
  std::atomic<bool> failed_{false};
};

struct Setup {
  std::shared_ptr<const CompiledModel> model;
  RowTarget target;
  std::vector<size_t> keep;  // output indices
  OutputSpec spec;
  InputFormat in_format;
  OutputFormat out_format;
  int64_t batch_size;
  std::string fingerprint;
};

Result<Setup> Prepare(const PredictOptions& o) {
  Setup s;
  ASSIGN_OR_RETURN(s.in_format, InputFormatFor(o.input, o.input_format));
  ASSIGN_OR_RETURN(s.out_format, OutputFormatFor(o.output, o.output_format));
  ModelOptions mo;
  mo.num_threads = o.threads;
  ASSIGN_OR_RETURN(s.model, CompiledModel::Load(o.model_path, mo));
  const auto& inputs = s.model->inputs();
  if (inputs.size() != 1) {
    std::string names;
    for (const auto& v : inputs) names += (names.empty() ? "" : ", ") + v.name;
    return InvalidArgument("predict feeds one input, but the model has " + std::to_string(inputs.size()) + " (" +
                           names + ")");
  }
  const ValueInfo& in = inputs[0];
  s.target.input_name = o.input_name.empty() ? in.name : o.input_name;
  s.target.dtype = in.dtype == DType::kUndefined ? DType::kFloat32 : in.dtype;
  if (s.target.dtype == DType::kString)
    return InvalidArgument("input \"" + in.name + "\" is STRING; predict feeds numeric inputs");
  s.target.columns = o.columns;
  s.target.reject_nonfinite = o.reject_nonfinite;
  s.batch_size = o.batch_size;
  if (in.dims) {
    if (in.dims->empty())
      return InvalidArgument("input \"" + in.name + "\" is a scalar; predict needs a batch dimension");
    const Dim& first = (*in.dims)[0];
    if (first.fixed() && first.value != 1)
      return InvalidArgument("input \"" + in.name + "\" " + in.ShapeString() + " has a fixed first dimension of " +
                             std::to_string(first.value) + "; predict needs a batch dimension (symbolic, or 1)");
    if (first.fixed()) s.batch_size = 1;  // a model exported for one example at a time
    s.target.rank_known = true;
    for (size_t i = 1; i < in.dims->size(); ++i) s.target.row_dims.push_back((*in.dims)[i].value);
  }

  const auto& outs = s.model->outputs();
  if (o.output_names.empty()) {
    for (size_t k = 0; k < outs.size(); ++k) s.keep.push_back(k);
  } else {
    for (const auto& name : o.output_names) {
      auto it = std::find_if(outs.begin(), outs.end(), [&](const ValueInfo& v) { return v.name == name; });
      if (it == outs.end()) {
        std::string names;
        for (const auto& v : outs) names += (names.empty() ? "" : ", ") + v.name;
        return InvalidArgument("--output-name \"" + name + "\" is not an output of the model (" + names + ")");
      }
      s.keep.push_back(static_cast<size_t>(it - outs.begin()));
    }
  }
  if (s.out_format == OutputFormat::kNpy && s.keep.size() > 1) s.keep.resize(1);  // one array per .npy file
  for (size_t k : s.keep) {
    s.spec.names.push_back(outs[k].name);
    s.spec.dtypes.push_back(outs[k].dtype);
  }
  if (!o.labels.empty()) {
    ASSIGN_OR_RETURN(s.spec.labels, LoadLabels(o.labels));
  }

  std::string cols, names;
  for (const auto& c : o.columns) cols += c + ",";
  for (const auto& n : s.spec.names) names += n + ",";
  s.fingerprint = "model=" + o.model_identity + "|" + FileStamp(o.model_path) + ";input=" + FileStamp(o.input) +
                  ";in_format=" + std::to_string(static_cast<int>(s.in_format)) +
                  ";out_format=" + std::to_string(static_cast<int>(s.out_format)) +
                  ";batch=" + std::to_string(s.batch_size) + ";threads=" + std::to_string(o.threads) +
                  ";columns=" + cols + ";outputs=" + names +
                  ";labels=" + (o.labels.empty() ? "" : FileStamp(o.labels)) + ";input_name=" + s.target.input_name +
                  ";reject_nonfinite=" + (o.reject_nonfinite ? "1" : "0");
  return s;
}

std::string ErrorLine(const RowError& e) {
  nlohmann::json j = {{"row", e.row}};
  if (e.line > 0) j["line"] = e.line;
  j["reason"] = e.reason;
  return j.dump() + "\n";
}

}  // namespace

uint64_t PeakRssBytes() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::stoull(line.substr(6)) * 1024;
  }
  return 0;
}

Result<PredictSummary> RunPredict(const PredictOptions& o) {
  if (o.batch_size < 1) return InvalidArgument("--batch-size must be at least 1");
  const auto load_start = Clock::now();
  ASSIGN_OR_RETURN(Setup setup, Prepare(o));
  PredictSummary summary;
  summary.batch_size = setup.batch_size;
  summary.load_seconds = std::chrono::duration<double>(Clock::now() - load_start).count();

  const std::string progress_path = o.output + ".progress";
  const std::string errors_path = o.errors.empty() ? o.output + ".errors.jsonl" : o.errors;
  for (const std::string* p : {&o.output, &errors_path}) {
    std::error_code ec;
    if (fs::equivalent(o.input, *p, ec) || fs::equivalent(o.model_path, *p, ec))
      return InvalidArgument("'" + *p + "' is the input or the model; predict would overwrite it");
  }
  if (o.output == errors_path) return InvalidArgument("--errors must differ from --output");
  ResumeState state;
  state.fingerprint = setup.fingerprint;
  bool resuming = false;
  if (o.resume) {
    auto loaded = LoadResumeState(progress_path);
    if (loaded.ok()) {
      if (loaded->fingerprint != setup.fingerprint)
        return FailedPrecondition("cannot resume: '" + progress_path +
                                  "' was written by a run with another model, input or options (batch size, "
                                  "threads, columns, outputs, labels); rerun with the same ones, or without --resume");
      state = *loaded;
      resuming = true;
      std::fprintf(o.log, "predict: resuming after row %lld (%lld ok, %lld failed so far)\n",
                   static_cast<long long>(state.rows_read), static_cast<long long>(state.rows_ok),
                   static_cast<long long>(state.rows_failed));
    } else if (loaded.status().code() != StatusCode::kNotFound) {
      return loaded.status();
    } else {
      std::fprintf(o.log, "predict: nothing to resume ('%s' not found); starting from the first row\n",
                   progress_path.c_str());
    }
  } else {
    std::error_code ec;
    if (fs::exists(progress_path, ec))
      std::fprintf(o.log,
                   "predict: note: starting over; an interrupted run's progress in '%s' is discarded "
                   "(--resume continues it)\n",
                   progress_path.c_str());
    fs::remove(progress_path, ec);
  }
  if (!resuming || state.errors_bytes == 0) {
    std::error_code ec;
    fs::remove(errors_path, ec);
  }

  ASSIGN_OR_RETURN(std::unique_ptr<RowReader> reader, OpenRowReader(setup.in_format, o.input, setup.target));
  BufferPool buffers;
  reader->set_buffer_pool(&buffers);
  if (resuming) {
    RETURN_IF_ERROR(reader->Seek(state.rows_read, state.input_offset, state.input_line));
    reader->RestoreRowShape(state.row_shape);
  }
  ASSIGN_OR_RETURN(std::unique_ptr<RowWriter> writer, CreateRowWriter(setup.out_format, o.output, setup.spec));
  RETURN_IF_ERROR(writer->Open(resuming ? state.output_bytes : 0, resuming ? state.rows_ok : 0));
  OutputFile errors;
  bool errors_open = false;
  if (resuming && state.errors_bytes > 0) {
    ASSIGN_OR_RETURN(errors, OutputFile::Open(errors_path, state.errors_bytes));
    errors_open = true;
  }
  summary.resumed_rows = state.rows_read;
  // Write a first state at once, so a run killed before its first batch resumes too.
  ASSIGN_OR_RETURN(ResumeStateFile state_file, ResumeStateFile::Open(progress_path, state.seq));
  RETURN_IF_ERROR(state_file.Save(state));

  const size_t depth = static_cast<size_t>(std::max(1, o.queue_batches));
  BoundedQueue<ReadBatch> to_run(depth);
  BoundedQueue<ResultBatch> to_write(depth);
  Failure failure;
  auto fail = [&](Status s) {
    failure.Set(std::move(s));
    to_run.Close();
    to_write.Close();
  };
  const int64_t batch_size = setup.batch_size;
  const auto start = Clock::now();

  std::thread read_thread([&] {
    for (;;) {
      auto batch = reader->Next(batch_size);
      if (!batch.ok()) return fail(batch.status());
      if (batch->num_rows == 0) break;
      batch->fraction_read = reader->fraction_read();  // read here: the reader is this thread's
      if (!to_run.Push(std::move(batch).value())) return;
    }
    to_run.Close();
  });

  ProgressMeter meter(o.log, o.progress, reader->total_rows());
  meter.set_base_rows(state.rows_read);
  const int64_t rows_at_start = state.rows_read;
  std::thread write_thread([&] {
    auto last_save = Clock::now() - std::chrono::seconds(1);
    for (;;) {
      auto item = to_write.Pop();
      if (!item) return;
      if (failure.failed()) return;
      ResultBatch& b = *item;
      if (!b.run.row_ids.empty()) {
        Status st = writer->Append(b.run.row_ids, b.run.outputs);
        if (!st.ok()) return fail(st);
      }
      std::vector<RowError> errs = std::move(b.read.errors);
      errs.insert(errs.end(), b.run.errors.begin(), b.run.errors.end());
      if (!errs.empty()) {
        std::stable_sort(errs.begin(), errs.end(), [](const RowError& x, const RowError& y) { return x.row < y.row; });
        if (!errors_open) {
          auto f = OutputFile::Open(errors_path, 0);
          if (!f.ok()) return fail(f.status());
          errors = std::move(f).value();
          errors_open = true;
        }
        std::string text;
        for (const auto& e : errs) text += ErrorLine(e);
        Status st = errors.Write(text);
        if (!st.ok()) return fail(st);
      }
      state.rows_read += b.read.num_rows;
      state.rows_ok += static_cast<int64_t>(b.run.row_ids.size());
      state.rows_failed += static_cast<int64_t>(errs.size());
      state.input_offset = b.read.end_offset;
      state.input_line = b.read.end_line;
      state.output_bytes = writer->bytes();
      state.errors_bytes = errors_open ? errors.size() : 0;
      if (state.row_shape.empty()) state.row_shape = b.read.row_shape;
      // The state may lag the files (a resume cuts them back to it), so it
      // is saved at most every 100 ms rather than after every small batch.
      const auto now = Clock::now();
      if (now - last_save >= std::chrono::milliseconds(100)) {
        Status st = state_file.Save(state);
        if (!st.ok()) return fail(st);
        last_save = now;
      }
      meter.Update(state.rows_read - rows_at_start, state.rows_failed, b.read.fraction_read);
    }
  });

  ModelRunner runner(setup.model, setup.keep);
  for (;;) {
    auto batch = to_run.Pop();
    if (!batch || failure.failed()) break;
    ResultBatch out;
    if (batch->rows.defined()) {
      const auto run_start = Clock::now();
      auto run = runner.Run(batch->rows, batch->row_ids);
      summary.model_seconds += std::chrono::duration<double>(Clock::now() - run_start).count();
      if (!run.ok()) {
        fail(run.status().WithContext("rows " + std::to_string(batch->first_row) + ".." +
                                      std::to_string(batch->first_row + batch->num_rows - 1)));
        break;
      }
      out.run = std::move(run).value();
    }
    std::shared_ptr<Storage> buffer = batch->rows.storage();
    batch->rows = Tensor();  // the model is done with the rows: their buffer goes back to the reader
    buffers.Give(std::move(buffer));
    out.read = std::move(batch).value();
    if (!to_write.Push(std::move(out))) break;
  }
  to_write.Close();
  write_thread.join();
  to_run.Close();
  read_thread.join();
  meter.Finish();
  if (failure.failed()) return failure.status();

  RETURN_IF_ERROR(writer->Finish());
  if (errors_open) RETURN_IF_ERROR(errors.Close());
  std::error_code ec;
  fs::remove(progress_path, ec);
  summary.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  summary.rows_ok = state.rows_ok;
  summary.rows_failed = state.rows_failed;
  summary.rows_this_run = state.rows_read - rows_at_start;
  summary.errors_path = state.rows_failed > 0 ? errors_path : "";
  summary.peak_rss_bytes = PeakRssBytes();
  return summary;
}

}  // namespace inferd::batch
