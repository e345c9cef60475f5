#include "common/npy.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>

namespace inferd {
namespace {

// Builds .npy bytes by hand: magic, version, little-endian header length,
// header text (unpadded unless the caller pads it), then `data`.
std::string MakeNpy(const std::string& header, const std::string& data, int major = 1) {
  std::string out("\x93NUMPY", 6);
  out += static_cast<char>(major);
  out += '\0';
  const size_t len = header.size();
  const int len_bytes = major == 1 ? 2 : 4;
  for (int i = 0; i < len_bytes; ++i) out += static_cast<char>((len >> (8 * i)) & 0xff);
  return out + header + data;
}

template <class T>
std::string Bytes(const std::vector<T>& v) {
  return std::string(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(T));
}

std::string ErrorOf(const Result<Tensor>& r) {
  EXPECT_FALSE(r.ok());
  return r.ok() ? std::string() : r.status().message();
}

#define EXPECT_HAS(haystack, needle) EXPECT_NE((haystack).find(needle), std::string::npos) << (haystack)

TEST(Npy, ReadsVersion1Float32Matrix) {
  auto t = ParseNpy(
      MakeNpy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }\n", Bytes<float>({1, 2, 3, 4, 5, 6.5f})));
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(t->dtype(), DType::kFloat32);
  EXPECT_EQ(t->shape(), (Shape{2, 3}));
  EXPECT_EQ(t->data<float>()[0], 1.0f);
  EXPECT_EQ(t->data<float>()[5], 6.5f);
}

TEST(Npy, ReadsVersion2And3Headers) {
  auto t2 = ParseNpy(
      MakeNpy("{'descr': '<i8', 'fortran_order': False, 'shape': (3,), }", Bytes<int64_t>({-1, 0, 1LL << 40}), 2));
  ASSERT_TRUE(t2.ok()) << t2.status().ToString();
  EXPECT_EQ(t2->shape(), (Shape{3}));
  EXPECT_EQ(t2->data<int64_t>()[2], int64_t{1} << 40);
  auto t3 =
      ParseNpy(MakeNpy("{'descr': '<u2', 'fortran_order': False, 'shape': (1, 1), }", Bytes<uint16_t>({65535}), 3));
  ASSERT_TRUE(t3.ok()) << t3.status().ToString();
  EXPECT_EQ(t3->dtype(), DType::kUint16);
  EXPECT_EQ(t3->data<uint16_t>()[0], 65535);
}

TEST(Npy, AcceptsPython2LongsDoubleQuotesAndAnyKeyOrder) {
  auto t = ParseNpy(MakeNpy("{\"shape\": (2L, 1L), \"fortran_order\": False, \"descr\": \"|u1\"}", "\x07\x08"));
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(t->shape(), (Shape{2, 1}));
  EXPECT_EQ(t->data<uint8_t>()[1], 8);
}

TEST(Npy, ScalarAndEmptyArrays) {
  auto scalar = ParseNpy(MakeNpy("{'descr': '<f8', 'fortran_order': False, 'shape': (), }", Bytes<double>({2.25})));
  ASSERT_TRUE(scalar.ok()) << scalar.status().ToString();
  EXPECT_EQ(scalar->rank(), 0);
  EXPECT_EQ(scalar->data<double>()[0], 2.25);
  auto empty = ParseNpy(MakeNpy("{'descr': '<f4', 'fortran_order': False, 'shape': (0, 4), }", ""));
  ASSERT_TRUE(empty.ok()) << empty.status().ToString();
  EXPECT_EQ(empty->shape(), (Shape{0, 4}));
  EXPECT_EQ(empty->numel(), 0);
}

TEST(Npy, BoolBytesAreNormalised) {
  auto t =
      ParseNpy(MakeNpy("{'descr': '|b1', 'fortran_order': False, 'shape': (3,), }", std::string("\x00\x01\x05", 3)));
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  const auto* p = static_cast<const uint8_t*>(t->raw());
  EXPECT_EQ(p[0], 0);
  EXPECT_EQ(p[1], 1);
  EXPECT_EQ(p[2], 1);
}

TEST(Npy, WriterMatchesNumpyByteForByte) {
  // np.save of np.zeros((2, 3), np.float32): header padded to 118 bytes.
  std::string dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
  dict.append(117 - dict.size(), ' ');
  dict += '\n';
  const std::string want = MakeNpy(dict, std::string(24, '\0'));
  auto got = SerializeNpy(Tensor::Zeros(DType::kFloat32, {2, 3}).value());
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(*got, want);
  auto one_d = SerializeNpy(Tensor::FromVector<int8_t>({1, 2, 3, 4, 5}, {5}));
  ASSERT_TRUE(one_d.ok());
  EXPECT_HAS(*one_d, "'descr': '|i1', 'fortran_order': False, 'shape': (5,), }");
  EXPECT_EQ((one_d->size() - 5) % 64, 0u);
}

template <class T>
void RoundTrip(const std::vector<T>& values, Shape shape) {
  const Tensor t = Tensor::FromVector<T>(values, shape);
  auto bytes = SerializeNpy(t);
  ASSERT_TRUE(bytes.ok()) << bytes.status().ToString();
  auto back = ParseNpy(*bytes);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->dtype(), t.dtype());
  EXPECT_EQ(back->shape(), t.shape());
  ASSERT_EQ(back->nbytes(), t.nbytes());
  EXPECT_EQ(std::memcmp(back->raw(), t.raw(), t.nbytes()), 0) << DTypeName(t.dtype());
}

TEST(Npy, RoundTripsEveryDtype) {
  RoundTrip<float>({1.5f, -2, 3e10f, 0}, {2, 2});
  RoundTrip<double>({1e-300, -2}, {2});
  RoundTrip<Float16>({Float16::FromFloat(1.5f), Float16::FromFloat(-0.25f)}, {2, 1});
  RoundTrip<int8_t>({-128, 127, 0}, {3});
  RoundTrip<int16_t>({-32768, 32767}, {1, 2});
  RoundTrip<int32_t>({-5, 7, 9}, {3, 1, 1});
  RoundTrip<int64_t>({INT64_MIN, INT64_MAX}, {2});
  RoundTrip<uint8_t>({0, 255}, {2});
  RoundTrip<uint16_t>({65535}, {});
  RoundTrip<uint32_t>({4000000000u}, {1});
  RoundTrip<uint64_t>({UINT64_MAX}, {1});
  RoundTrip<bool>({true, false, true}, {3});
  RoundTrip<float>({}, {0});
}

TEST(Npy, HighRankShapes) {
  Shape shape(64, 1);
  auto small = SerializeNpy(Tensor::Zeros(DType::kUint8, shape).value());
  ASSERT_TRUE(small.ok());
  auto back = ParseNpy(*small);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->rank(), 64);
  shape.push_back(1);
  EXPECT_FALSE(SerializeNpy(Tensor::Zeros(DType::kUint8, shape).value()).ok());
  std::string dict = "{'descr': '|u1', 'fortran_order': False, 'shape': (";
  for (int i = 0; i < 65; ++i) dict += "1,";
  EXPECT_HAS(ErrorOf(ParseNpy(MakeNpy(dict + "), }", "x"))), "more than 64 dimensions");
}

TEST(Npy, FileRoundTrip) {
  const auto path =
      (std::filesystem::temp_directory_path() / ("inferd_npy_test_" + std::to_string(::getpid()) + ".npy")).string();
  const Tensor t = Tensor::FromVector<float>({1, 2, 3, 4, 5, 6}, {3, 2});
  ASSERT_TRUE(SaveNpyFile(t, path).ok());
  auto back = LoadNpyFile(path);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->shape(), (Shape{3, 2}));
  EXPECT_EQ(back->data<float>()[5], 6.0f);
  std::filesystem::remove(path);
  EXPECT_HAS(ErrorOf(LoadNpyFile(path)), "cannot read");
}

// ---- hostile files

const char kF4x2[] = "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }";

TEST(NpyHostile, BadMagic) {
  EXPECT_HAS(ErrorOf(ParseNpy("PK\x03\x04 this is a zip file")), "not an .npy file");
  EXPECT_HAS(ErrorOf(ParseNpy("")), "not an .npy file");
}

TEST(NpyHostile, UnknownVersion) {
  EXPECT_HAS(ErrorOf(ParseNpy(MakeNpy(kF4x2, Bytes<float>({1, 2}), 4))), "version 4.0 is not supported");
}

TEST(NpyHostile, TruncatedHeaderAndData) {
  const std::string whole = MakeNpy(kF4x2, Bytes<float>({1, 2}));
  EXPECT_HAS(ErrorOf(ParseNpy(whole.substr(0, 9))), "truncated");
  EXPECT_HAS(ErrorOf(ParseNpy(whole.substr(0, 30))), "truncated");
  EXPECT_HAS(ErrorOf(ParseNpy(whole.substr(0, whole.size() - 1))), "(8 bytes of data) but the file has 7 bytes");
}

TEST(NpyHostile, HeaderLyingAboutShape) {
  EXPECT_HAS(ErrorOf(ParseNpy(
                 MakeNpy("{'descr': '<f4', 'fortran_order': False, 'shape': (1000, 1000), }", Bytes<float>({1})))),
             "shape [1000,1000] of <f4 (4000000 bytes of data) but the file has 4 bytes");
  // More data than the shape needs is also a lie.
  EXPECT_HAS(ErrorOf(ParseNpy(MakeNpy(kF4x2, Bytes<float>({1, 2, 3})))), "but the file has 12 bytes");
}

TEST(NpyHostile, HugeShapesFailBeforeAllocating) {
  EXPECT_HAS(ErrorOf(ParseNpy(
                 MakeNpy("{'descr': '<f4', 'fortran_order': False, 'shape': (1000000000000, 1000000000000), }", ""))),
             "overflows");
  EXPECT_HAS(ErrorOf(ParseNpy(
                 MakeNpy("{'descr': '<f8', 'fortran_order': False, 'shape': (4611686018427387903,), }", "12345678"))),
             "(more bytes of data) but the file has 8 bytes");
  EXPECT_HAS(
      ErrorOf(ParseNpy(MakeNpy("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,), }", ""))),
      "too large");
}

TEST(NpyHostile, FortranOrderBigEndianAndUnsupportedTypes) {
  EXPECT_HAS(
      ErrorOf(ParseNpy(MakeNpy("{'descr': '<f4', 'fortran_order': True, 'shape': (2,), }", Bytes<float>({1, 2})))),
      "Fortran");
  EXPECT_HAS(
      ErrorOf(ParseNpy(MakeNpy("{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }", Bytes<float>({1, 2})))),
      "big-endian");
  // Single-byte types have no byte order.
  EXPECT_TRUE(ParseNpy(MakeNpy("{'descr': '>i1', 'fortran_order': False, 'shape': (2,), }", "ab")).ok());
  EXPECT_HAS(ErrorOf(ParseNpy(MakeNpy("{'descr': '<c8', 'fortran_order': False, 'shape': (1,), }", "12345678"))),
             "dtype '<c8' is not supported");
  EXPECT_HAS(ErrorOf(ParseNpy(MakeNpy("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,), }", "1234"))),
             "structured array");
}

TEST(NpyHostile, MalformedHeaders) {
  EXPECT_HAS(ErrorOf(ParseNpy(MakeNpy("{'descr': '<f4', 'fortran_order': False}", "1234"))), "are all required");
  EXPECT_HAS(ErrorOf(ParseNpy(MakeNpy("{'descr': '<f4', 'fortran_order': False, 'shape': (-1,), }", "1234"))),
             "negative dimension");
  EXPECT_HAS(ErrorOf(ParseNpy(MakeNpy("{'descr': '<f4', 'evil': 1, 'shape': (1,), }", "1234"))),
             "unexpected key 'evil'");
  EXPECT_HAS(ErrorOf(ParseNpy(MakeNpy("{'descr': '<f4, 'fortran_order': False, 'shape': (1,)}", "1234"))),
             "bad .npy header");
  EXPECT_HAS(ErrorOf(ParseNpy(MakeNpy("{'descr': '<f4', 'fortran_order': False, 'shape': (1,)} x", "1234"))),
             "text after the dictionary");
  EXPECT_HAS(ErrorOf(ParseNpy(MakeNpy("{'descr': '<f4', 'fortran_order': Maybe, 'shape': (1,)}", "1234"))),
             "True or False");
}

TEST(NpyHostile, HeaderLengthPastEndOfFileOnDisk) {
  // A 4 GiB header length in a tiny file: must not allocate 4 GiB.
  std::string bytes("\x93NUMPY\x02\x00\xff\xff\xff\xff{}", 14);
  const auto path =
      (std::filesystem::temp_directory_path() / ("inferd_npy_hostile_" + std::to_string(::getpid()) + ".npy")).string();
  { std::ofstream(path, std::ios::binary) << bytes; }
  const std::string err = ErrorOf(LoadNpyFile(path));
  EXPECT_HAS(err, "over the 1048576-byte limit");
  EXPECT_HAS(err, path);
  std::filesystem::remove(path);
}

TEST(NpyHostile, WriterRefusesTypesNpyCannotHold) {
  auto r = SerializeNpy(Tensor::FromVector<std::string>({"a"}, {1}));
  ASSERT_FALSE(r.ok());
  EXPECT_HAS(r.status().message(), "BYTES");
  EXPECT_FALSE(SerializeNpy(Tensor::Zeros(DType::kBFloat16, {1}).value()).ok());
}

}  // namespace
}  // namespace inferd
