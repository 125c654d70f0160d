#include "codec/utf8.h"

#include <gtest/gtest.h>

namespace predictwire::codec {
namespace {

TEST(Utf8Test, AcceptsWellFormedText) {
  EXPECT_TRUE(IsValidUtf8(""));
  EXPECT_TRUE(IsValidUtf8("{\"features\": [1, 2, 3]} and some more ASCII"));
  EXPECT_TRUE(IsValidUtf8("héllo wörld ✓ 𝄞"));
  EXPECT_TRUE(IsValidUtf8("\xF4\x8F\xBF\xBF"));  // U+10FFFF
}

TEST(Utf8Test, RejectsMalformedText) {
  EXPECT_FALSE(IsValidUtf8("\xC0\xAF"));          // overlong '/'
  EXPECT_FALSE(IsValidUtf8("\xED\xA0\x80"));      // surrogate
  EXPECT_FALSE(IsValidUtf8("\xF4\x90\x80\x80"));  // past U+10FFFF
  EXPECT_FALSE(IsValidUtf8("abc\xE2\x82"));       // truncated
  EXPECT_FALSE(IsValidUtf8("\x80"));              // lone continuation
  EXPECT_FALSE(IsValidUtf8("12345678\xFF"));      // after an ASCII run
}

// Long ASCII runs are checked many bytes at a time: a sequence anywhere in one, at every place
// and length around those blocks, is still seen.
TEST(Utf8Test, SeesASequenceAnywhereInALongRun) {
  for (size_t length = 1; length < 200; ++length) {
    for (size_t at = 0; at + 2 <= length; at += 3) {
      std::string text(length, 'a');
      text[at] = '\xC3';  // é
      text[at + 1] = '\xA9';
      EXPECT_TRUE(IsValidUtf8(text)) << length << " " << at;
      text[at + 1] = 'b';  // a lead byte without its continuation
      EXPECT_FALSE(IsValidUtf8(text)) << length << " " << at;
    }
  }
}

TEST(Utf8Test, ToValidUtf8ReplacesWhatIsNot) {
  EXPECT_EQ(ToValidUtf8("h\xC3\xA9llo"), "h\xC3\xA9llo");
  EXPECT_EQ(ToValidUtf8("m\xFF\xFE"), "m\xEF\xBF\xBD\xEF\xBF\xBD");
}

TEST(Utf8Test, SequenceLength) {
  EXPECT_EQ(Utf8SequenceLength(""), 0u);
  EXPECT_EQ(Utf8SequenceLength("a\xFF"), 1u);
  EXPECT_EQ(Utf8SequenceLength("\xC3\xA9x"), 2u);         // é
  EXPECT_EQ(Utf8SequenceLength("\xF0\x9D\x84\x9E"), 4u);  // U+1D11E
  EXPECT_EQ(Utf8SequenceLength("\xFF\xFE"), 0u);
  EXPECT_EQ(Utf8SequenceLength("\xE2\x82"), 0u);  // truncated
}

}  // namespace
}  // namespace predictwire::codec
