#include "common/idx.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

namespace inferd {
namespace {

std::string TempPath(const std::string& name) {
  return (std::filesystem::temp_directory_path() / ("inferd_idx_test_" + name)).string();
}

void WriteBytes(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

TEST(Idx, ReadsBigEndianInt32Tensor) {
  // type 0x0C (int32), rank 2, dims 2x1, values 1 and -2.
  const std::string bytes("\0\0\x0c\x02\0\0\0\x02\0\0\0\x01\0\0\0\x01\xff\xff\xff\xfe", 20);
  const auto path = TempPath("int32.idx");
  WriteBytes(path, bytes);
  auto t = ReadIdxFile(path);
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(t->dtype(), DType::kInt32);
  EXPECT_EQ(t->shape(), (Shape{2, 1}));
  EXPECT_EQ(t->data<int32_t>()[0], 1);
  EXPECT_EQ(t->data<int32_t>()[1], -2);
}

TEST(Idx, ReadsGzipCompressedUint8) {
  const std::string bytes("\0\0\x08\x01\0\0\0\x03\x07\x08\x09", 11);
  const auto path = TempPath("u8.idx.gz");
  gzFile f = gzopen(path.c_str(), "wb");
  ASSERT_NE(f, nullptr);
  gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size()));
  gzclose(f);
  auto t = ReadIdxFile(path);
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(t->shape(), (Shape{3}));
  EXPECT_EQ(t->data<uint8_t>()[2], 9);
}

TEST(Idx, HugeHeaderIsRefusedBeforeAllocating) {
  // uint8, rank 3, dims 0xffffffff each: far past the limit.
  const std::string bytes("\0\0\x08\x03\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff", 16);
  const auto path = TempPath("huge.idx");
  WriteBytes(path, bytes);
  auto t = ReadIdxFile(path);
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.status().message().find("limit"), std::string::npos) << t.status().message();
}

TEST(Idx, ShortDataNamesTheShape) {
  const std::string bytes("\0\0\x08\x01\0\0\0\x10\x01", 9);
  const auto path = TempPath("short.idx");
  WriteBytes(path, bytes);
  auto t = ReadIdxFile(path);
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.status().message().find("[16]"), std::string::npos) << t.status().message();
}

TEST(Idx, BadMagicIsRefused) {
  const auto path = TempPath("bad.idx");
  WriteBytes(path, "hello world");
  EXPECT_FALSE(ReadIdxFile(path).ok());
  EXPECT_EQ(ReadIdxFile(TempPath("missing.idx")).status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace inferd
