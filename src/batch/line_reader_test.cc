#include "batch/line_reader.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <fstream>
#include <string>
#include <vector>

namespace inferd::batch {
namespace {

std::string WriteTemp(const std::string& text) {
  std::string path = ::testing::TempDir() + "line_reader_" + std::to_string(getpid()) + "_" +
                     ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".txt";
  std::ofstream(path, std::ios::binary) << text;
  return path;
}

std::vector<std::string> ReadAll(LineReader& r) {
  std::vector<std::string> lines;
  std::string_view line;
  for (;;) {
    auto got = r.Next(&line);
    EXPECT_TRUE(got.ok());
    if (!got.ok() || *got == LineReader::Got::kEnd) break;
    lines.emplace_back(line);
  }
  return lines;
}

TEST(ParseNumber, AcceptsWhatCsvWritersWrite) {
  double v = 0;
  ASSERT_TRUE(ParseNumber(" 1.5 ", &v));
  EXPECT_EQ(v, 1.5);
  ASSERT_TRUE(ParseNumber("+2e3", &v));
  EXPECT_EQ(v, 2000);
  ASSERT_TRUE(ParseNumber("-0.25", &v));
  EXPECT_EQ(v, -0.25);
  ASSERT_TRUE(ParseNumber("nan", &v));
  EXPECT_TRUE(std::isnan(v));
  ASSERT_TRUE(ParseNumber("-inf", &v));
  EXPECT_TRUE(std::isinf(v) && v < 0);
  ASSERT_TRUE(ParseNumber("1e999", &v));
  EXPECT_TRUE(std::isinf(v));
  for (const char* bad : {"", " ", "x", "1.5x", "--1", "+-1", "1 2", "0x10"}) EXPECT_FALSE(ParseNumber(bad, &v)) << bad;
}

TEST(LineReader, LinesOffsetsAndLineEndings) {
  const std::string path = WriteTemp("a,b\r\n1,2\n\nlast");
  auto r = LineReader::Open(path);
  ASSERT_TRUE(r.ok()) << r.status().message();
  std::string_view line;
  ASSERT_EQ(*r->Next(&line), LineReader::Got::kLine);
  EXPECT_EQ(line, "a,b");
  EXPECT_EQ(r->offset(), 5u);
  EXPECT_EQ(r->line_number(), 1);
  EXPECT_EQ(ReadAll(*r), (std::vector<std::string>{"1,2", "", "last"}));
  EXPECT_EQ(r->offset(), r->file_size());
  EXPECT_EQ(r->line_number(), 4);
}

TEST(LineReader, SeekContinuesAtALine) {
  const std::string path = WriteTemp("h\nr0\nr1\nr2\n");
  auto r = LineReader::Open(path);
  ASSERT_TRUE(r.ok());
  std::string_view line;
  ASSERT_EQ(*r->Next(&line), LineReader::Got::kLine);
  ASSERT_EQ(*r->Next(&line), LineReader::Got::kLine);
  const uint64_t at = r->offset();
  const int64_t line_no = r->line_number();
  auto again = LineReader::Open(path);
  ASSERT_TRUE(again.ok());
  ASSERT_TRUE(again->Seek(at, line_no).ok());
  EXPECT_EQ(ReadAll(*again), (std::vector<std::string>{"r1", "r2"}));
  EXPECT_EQ(again->line_number(), 4);
  EXPECT_FALSE(again->Seek(1000, 0).ok());
}

TEST(LineReader, LongLinesCrossTheBuffer) {
  std::string big(3 << 20, 'x');  // longer than the first buffer (1 MiB)
  const std::string path = WriteTemp("s\n" + big + "\nt\n");
  auto r = LineReader::Open(path);
  ASSERT_TRUE(r.ok());
  const auto lines = ReadAll(*r);
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[1].size(), big.size());
  EXPECT_EQ(lines[2], "t");
}

}  // namespace
}  // namespace inferd::batch
