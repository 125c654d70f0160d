#include "codec/json_writer.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace predictwire::codec {
namespace {

std::string String(std::string_view text) {
  std::string out;
  AppendJsonString(text, &out);
  return out;
}

TEST(JsonWriterTest, EscapesStrings) {
  EXPECT_EQ(String("plain"), "\"plain\"");
  EXPECT_EQ(String("a\"b\\c"), "\"a\\\"b\\\\c\"");
  EXPECT_EQ(String("tab\tnew\nline"), "\"tab\\tnew\\nline\"");
  EXPECT_EQ(String(std::string_view("\x01\x1f", 2)), "\"\\u0001\\u001f\"");
  EXPECT_EQ(String("héllo"), "\"héllo\"");  // UTF-8 passes through
}

TEST(JsonWriterTest, BytesThatAreNotUtf8BecomeReplacementCharacters) {
  EXPECT_EQ(String("model\xFF\xFE"), "\"model\\ufffd\\ufffd\"");
  EXPECT_EQ(String("a\xE2\x82"), "\"a\\ufffd\\ufffd\"");                    // a truncated sequence
  EXPECT_EQ(String("\xC0\xAFok\xC3\xA9"), "\"\\ufffd\\ufffdok\xC3\xA9\"");  // overlong, then é
}

TEST(JsonWriterTest, FloatsRoundTripAndNonFiniteIsNull) {
  std::string out;
  AppendJsonArray(std::vector<float>{0.1f, -2.5f, 1e-30f, 3.0f}, &out);
  EXPECT_EQ(out, "[0.1,-2.5,1e-30,3]");
  out.clear();
  AppendJsonNumber(std::numeric_limits<float>::quiet_NaN(), &out);
  AppendJsonNumber(std::numeric_limits<float>::infinity(), &out);
  EXPECT_EQ(out, "nullnull");
  const float tricky = 0.0131836319f;
  out.clear();
  AppendJsonNumber(tricky, &out);
  EXPECT_EQ(std::stof(out), tricky);
}

TEST(JsonWriterTest, Integers) {
  std::string out;
  AppendJsonArray(std::vector<int64_t>{-1, 30, 0}, &out);
  AppendJsonNumber(uint64_t{18446744073709551615u}, &out);
  EXPECT_EQ(out, "[-1,30,0]18446744073709551615");
}

}  // namespace
}  // namespace predictwire::codec
