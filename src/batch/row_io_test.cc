// Row shapes, format detection and the .npy writer's header (resume relies
// on the header keeping its length while the row count grows).
#include <gtest/gtest.h>
#include <unistd.h>

#include "batch/row_reader.h"
#include "batch/row_writer.h"
#include "common/npy.h"

namespace inferd::batch {
namespace {

RowTarget Target(Shape dims) {
  RowTarget t;
  t.input_name = "x";
  t.rank_known = true;
  t.row_dims = std::move(dims);
  return t;
}

TEST(ResolveRowShape, TakesOpenDimsFromDataAndReshapesFixedOnes) {
  EXPECT_EQ(*ResolveRowShape(Target({-1, 3}), {5, 3}), (Shape{5, 3}));
  EXPECT_EQ(*ResolveRowShape(Target({1, 28, 28}), {28, 28}), (Shape{1, 28, 28}));
  EXPECT_FALSE(ResolveRowShape(Target({1, 28, 28}), {28, 27}).ok());
  RowTarget unknown;
  EXPECT_EQ(*ResolveRowShape(unknown, {7}), (Shape{7}));
}

TEST(ResolveRowShapeForWidth, SolvesOneOpenDimension) {
  EXPECT_EQ(*ResolveRowShapeForWidth(Target({4}), 4), (Shape{4}));
  EXPECT_FALSE(ResolveRowShapeForWidth(Target({4}), 3).ok());
  EXPECT_EQ(*ResolveRowShapeForWidth(Target({-1, 2}), 6), (Shape{3, 2}));
  EXPECT_FALSE(ResolveRowShapeForWidth(Target({-1, 2}), 5).ok());
  EXPECT_FALSE(ResolveRowShapeForWidth(Target({-1, -1}), 4).ok());
}

TEST(FormatFor, NamesAndFlags) {
  EXPECT_EQ(*InputFormatFor("a/t10k-images-idx3-ubyte.gz", ""), InputFormat::kIdx);
  EXPECT_EQ(*InputFormatFor("rows.CSV", ""), InputFormat::kCsv);
  EXPECT_EQ(*InputFormatFor("rows.txt", "jsonl"), InputFormat::kJsonl);
  EXPECT_FALSE(InputFormatFor("rows.txt", "").ok());
  EXPECT_FALSE(InputFormatFor("rows.npy", "parquet").ok());
  EXPECT_EQ(*OutputFormatFor("out.ndjson", ""), OutputFormat::kJsonl);
  EXPECT_FALSE(OutputFormatFor("out.bin", "").ok());
}

TEST(NpyWriter, HeaderKeepsItsLengthAndResumeContinues) {
  const std::string path = ::testing::TempDir() + "npy_writer_" + std::to_string(getpid()) + ".npy";
  OutputSpec spec{{"y"}, {DType::kFloat32}, {}};
  auto w = CreateRowWriter(OutputFormat::kNpy, path, spec);
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE((*w)->Open(0, 0).ok());
  Tensor a = Tensor::FromVector<float>({1, 2, 3, 4}, {2, 2});
  ASSERT_TRUE((*w)->Append({0, 1}, {a}).ok());
  const uint64_t after_one = (*w)->bytes();
  EXPECT_EQ(after_one % 16, 0u);  // 64-aligned header + 16 bytes of rows
  ASSERT_TRUE((*w)->Finish().ok());

  // Resume after the first batch, as a killed run would, and add one more row.
  auto again = CreateRowWriter(OutputFormat::kNpy, path, spec);
  ASSERT_TRUE((*again)->Open(after_one, 2).ok());
  Tensor b = Tensor::FromVector<float>({5, 6}, {1, 2});
  ASSERT_TRUE((*again)->Append({7}, {b}).ok());
  ASSERT_TRUE((*again)->Finish().ok());
  auto loaded = LoadNpyFile(path);
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  EXPECT_EQ(loaded->shape(), (Shape{3, 2}));
  EXPECT_EQ(loaded->data<float>()[4], 5.f);
  EXPECT_EQ((*again)->bytes(), after_one + 8);
  unlink(path.c_str());
}

TEST(TextFormat, ShortestNumbersAndJsonStrings) {
  std::string s;
  AppendNumber(0.1f, &s);
  s += ' ';
  AppendNumber(1e-7, &s);
  s += ' ';
  AppendJsonString("a\"b\n", &s);
  EXPECT_EQ(s, "0.1 1e-07 \"a\\\"b\\n\"");
}

}  // namespace
}  // namespace inferd::batch
