// RequestTrace's Chrome JSON (exact microseconds, unreached phases left
// out, escaping) and TraceStore's sampling, rotation and lookup by id.
#include "serving/trace.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

namespace inferd::serving {
namespace {
namespace fs = std::filesystem;
using json = nlohmann::json;
using std::chrono::microseconds;
using std::chrono::nanoseconds;

std::string TempDir(const std::string& name) {
  const fs::path p = fs::temp_directory_path() / ("inferd-trace-unit-" + name + "-" + std::to_string(::getpid()));
  fs::remove_all(p);
  return p.string();
}

std::vector<json> Spans(const json& doc) {
  std::vector<json> out;
  for (const json& e : doc["traceEvents"])
    if (e["ph"] == "X") out.push_back(e);
  return out;
}

TEST(RequestTrace, ChromeJsonHasExactNestedSpans) {
  const auto t0 = TraceClock::now();
  RequestTrace t("00000000000000ab", t0);
  t.model = "m";
  t.version = "3";
  t.error = "bad \"x\"\n";
  t.decoded = t0 + nanoseconds(1500);
  t.validated = t0 + nanoseconds(2000);
  t.enqueued = t0 + nanoseconds(2500);
  t.started = t0 + microseconds(10);
  while (TraceClock::now() < t.started) {
  }
  t.OnRunBegin();  // real clock: after started, before computed below
  t.OnRunEnd();
  t.computed = TraceClock::now() + microseconds(1);
  t.serialize_begin = t.computed + microseconds(2);
  t.encoded = t.serialize_begin + microseconds(3);
  t.responded = t.encoded + microseconds(1);
  t.sent = t.responded + nanoseconds(999);

  const json doc = json::parse(t.ToChromeJson());
  const auto spans = Spans(doc);
  std::vector<std::string> names;
  for (const json& e : spans) names.push_back(e["name"]);
  EXPECT_EQ(names, (std::vector<std::string>{"request", "receive", "parse", "validate", "queue", "batch", "assemble",
                                             "run", "handoff", "serialize", "send"}));
  EXPECT_DOUBLE_EQ(spans[2]["ts"].get<double>(), 0.0);
  EXPECT_DOUBLE_EQ(spans[2]["dur"].get<double>(), 1.5);
  EXPECT_DOUBLE_EQ(spans[3]["ts"].get<double>(), 1.5);
  EXPECT_DOUBLE_EQ(spans[4]["ts"].get<double>(), 2.5);
  EXPECT_DOUBLE_EQ(spans[4]["dur"].get<double>(), 7.5);
  EXPECT_DOUBLE_EQ(spans[10]["dur"].get<double>(), 0.999);
  EXPECT_EQ(spans[0]["args"]["error"], "bad \"x\"\n");
  EXPECT_EQ(spans[0]["args"]["trace_id"], "00000000000000ab");
  const double end = spans[0]["ts"].get<double>() + spans[0]["dur"].get<double>();
  for (const json& e : spans) {
    EXPECT_GE(e["ts"].get<double>(), 0.0) << e;
    EXPECT_LE(e["ts"].get<double>() + e["dur"].get<double>(), end + 1e-9) << e;
  }
}

TEST(RequestTrace, UnreachedPhasesAreLeftOut) {
  const auto t0 = TraceClock::now();
  RequestTrace t("1", t0);
  t.decoded = t0 + microseconds(4);
  t.responded = t0 + microseconds(5);
  const json doc = json::parse(t.ToChromeJson());
  std::vector<std::string> names;
  for (const json& e : Spans(doc)) names.push_back(e["name"]);
  EXPECT_EQ(names, (std::vector<std::string>{"request", "receive", "parse"}));
  EXPECT_DOUBLE_EQ(Spans(doc)[0]["dur"].get<double>(), 5.0);
}

TEST(TraceStore, SamplesOneInRateAndNoneAtZero) {
  TraceOptions o;
  o.dir = TempDir("rate");
  o.rate = 4;
  auto store = TraceStore::Create(o);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  int sampled = 0;
  for (int i = 0; i < 100; ++i) sampled += (*store)->ShouldSample();
  EXPECT_EQ(sampled, 25);
  o.rate = 0;
  auto off = TraceStore::Create(o);
  ASSERT_TRUE(off.ok());
  for (int i = 0; i < 100; ++i) EXPECT_FALSE((*off)->ShouldSample());
  EXPECT_FALSE(fs::exists(o.dir)) << "the folder is created on the first trace only";
}

TEST(TraceStore, RotatesFilesAndFindsRecentTracesById) {
  TraceOptions o;
  o.dir = TempDir("rotate");
  o.max_files = 3;
  auto store = TraceStore::Create(o);
  ASSERT_TRUE(store.ok());
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) {
    auto t = (*store)->Begin(TraceClock::now());
    t->model = "m" + std::to_string(i);
    t->responded = t->received + microseconds(1);
    ids.push_back(t->id());
    (*store)->Finish(t);
  }
  (*store)->Flush();
  EXPECT_EQ((*store)->written(), 5);
  size_t files = 0;
  for (const auto& e : fs::directory_iterator(o.dir)) files += e.path().extension() == ".json";
  EXPECT_EQ(files, 3u);
  auto old = (*store)->Get(ids[1]);
  EXPECT_EQ(old.status().code(), StatusCode::kNotFound);
  EXPECT_NE(old.status().message().find("rotated"), std::string::npos);
  auto recent = (*store)->Get(ids[4]);
  ASSERT_TRUE(recent.ok()) << recent.status().ToString();
  EXPECT_EQ(json::parse(*recent)["traceEvents"][0]["args"]["name"], "inferd m4");
  fs::remove_all(o.dir);
}

TEST(TraceStore, GetWaitsForATraceStillRecording) {
  TraceOptions o;
  o.dir = TempDir("wait");
  auto store = TraceStore::Create(o);
  ASSERT_TRUE(store.ok());
  auto t = (*store)->Begin(TraceClock::now());
  EXPECT_EQ((*store)->Get(t->id(), std::chrono::milliseconds(0)).status().code(), StatusCode::kUnavailable);
  std::thread finisher([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // the request being answered
    (*store)->Finish(t);
  });
  auto got = (*store)->Get(t->id(), std::chrono::seconds(5));
  finisher.join();
  EXPECT_TRUE(got.ok()) << got.status().ToString();
  (*store)->Flush();
  fs::remove_all(o.dir);
}

TEST(TraceStore, RefusesBadOptions) {
  TraceOptions o;
  o.dir = TempDir("bad");
  o.rate = -1;
  EXPECT_EQ(TraceStore::Create(o).status().code(), StatusCode::kInvalidArgument);
  o.rate = 0;
  std::ofstream(o.dir) << "a file";
  auto s = TraceStore::Create(o);
  EXPECT_EQ(s.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.status().message().find("not a folder"), std::string::npos);
  fs::remove(o.dir);
}

}  // namespace
}  // namespace inferd::serving
