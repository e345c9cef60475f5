#include "common/json_escape.h"

#include <gtest/gtest.h>

namespace inferd {
namespace {

TEST(JsonEscape, QuotesBackslashesAndControlBytes) {
  EXPECT_EQ(JsonEscaped("plain é"), "plain é");
  EXPECT_EQ(JsonEscaped("a\"b\\c"), "a\\\"b\\\\c");
  EXPECT_EQ(JsonEscaped("l1\nl2\r\t"), "l1\\nl2\\r\\t");
  EXPECT_EQ(JsonEscaped(std::string_view("\x01\x1f", 2)), "\\u0001\\u001f");
  std::string out = "x=";
  AppendJsonEscaped(out, "\"");
  EXPECT_EQ(out, "x=\\\"");
}

}  // namespace
}  // namespace inferd
