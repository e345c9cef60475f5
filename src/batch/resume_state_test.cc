#include "batch/resume_state.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>

namespace inferd::batch {
namespace {

std::string TempPath() {
  return ::testing::TempDir() + "resume_state_" + std::to_string(getpid()) + "_" +
         ::testing::UnitTest::GetInstance()->current_test_info()->name();
}

TEST(ResumeState, NewestSaveWinsAndResumingKeepsCounting) {
  const std::string path = TempPath();
  std::remove(path.c_str());
  auto f = ResumeStateFile::Open(path, 0);
  ASSERT_TRUE(f.ok());
  ResumeState s;
  s.fingerprint = "model=m";
  for (int64_t rows : {64, 128, 192}) {
    s.rows_read = rows;
    ASSERT_TRUE(f->Save(s).ok());
  }
  auto loaded = LoadResumeState(path);
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  EXPECT_EQ(loaded->rows_read, 192);
  EXPECT_EQ(loaded->fingerprint, "model=m");

  // A resumed run numbers its saves after the loaded one.
  auto resumed = ResumeStateFile::Open(path, loaded->seq);
  ASSERT_TRUE(resumed.ok());
  s.rows_read = 256;
  ASSERT_TRUE(resumed->Save(s).ok());
  EXPECT_EQ(LoadResumeState(path)->rows_read, 256);
  std::remove(path.c_str());
}

TEST(ResumeState, ATornSlotLeavesTheOlderOne) {
  const std::string path = TempPath();
  std::remove(path.c_str());
  auto f = ResumeStateFile::Open(path, 0);
  ResumeState s;
  s.rows_read = 10;
  ASSERT_TRUE(f->Save(s).ok());  // seq 1: slot 1
  s.rows_read = 20;
  ASSERT_TRUE(f->Save(s).ok());  // seq 2: slot 0
  {
    std::fstream io(path, std::ios::in | std::ios::out | std::ios::binary);
    io.seekp(20);
    io.write("XXXX", 4);  // damage the newest slot
  }
  auto loaded = LoadResumeState(path);
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(loaded->rows_read, 10);
  {
    std::fstream io(path, std::ios::in | std::ios::out | std::ios::binary);
    io.seekp(4096 + 20);
    io.write("XXXX", 4);
  }
  EXPECT_EQ(LoadResumeState(path).status().code(), StatusCode::kDataLoss);
  std::remove(path.c_str());
  EXPECT_EQ(LoadResumeState(path).status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace inferd::batch
