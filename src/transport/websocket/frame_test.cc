#include "transport/websocket/frame.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace predictwire::transport::websocket {
namespace {

constexpr std::array<uint8_t, 4> kMask = {0x12, 0x34, 0x56, 0x78};

FrameHeader ParseOk(const std::string& bytes) {
  FrameHeader header;
  std::string error;
  EXPECT_EQ(ParseFrameHeader(bytes.data(), bytes.size(), &header, &error), ParseStatus::kOk)
      << error;
  return header;
}

TEST(FrameTest, ClientFramesRoundTripAtEveryLengthEncoding) {
  for (size_t length : {0, 1, 125, 126, 65535, 65536, 200000}) {
    const std::string payload(length, 'x');
    std::string frame;
    AppendClientFrame(Opcode::kText, payload, kMask, true, &frame);
    const FrameHeader header = ParseOk(frame);
    EXPECT_TRUE(header.fin);
    EXPECT_TRUE(header.masked);
    EXPECT_EQ(header.opcode, Opcode::kText);
    ASSERT_EQ(header.payload_length, length);
    ASSERT_EQ(frame.size(), header.header_length + length);
    Unmask(frame.data() + header.header_length, length, header.mask);
    EXPECT_EQ(frame.substr(header.header_length), payload) << length;
  }
}

TEST(FrameTest, ServerHeaderIsUnmaskedWithFin) {
  std::string frame;
  AppendFrameHeader(Opcode::kBinary, 300, &frame);
  ASSERT_EQ(frame.size(), 4u);
  EXPECT_EQ(static_cast<uint8_t>(frame[0]), 0x82);
  EXPECT_EQ(static_cast<uint8_t>(frame[1]), 126);
  EXPECT_EQ(static_cast<uint8_t>(frame[2]), 1);
  EXPECT_EQ(static_cast<uint8_t>(frame[3]), 44);
}

TEST(FrameTest, NeedsMoreUntilTheHeaderIsComplete) {
  std::string frame;
  AppendClientFrame(Opcode::kBinary, std::string(70000, 'a'), kMask, true, &frame);
  FrameHeader header;
  std::string error;
  for (size_t size = 0; size < 14; ++size) {
    EXPECT_EQ(ParseFrameHeader(frame.data(), size, &header, &error), ParseStatus::kNeedMore)
        << size;
  }
  EXPECT_EQ(ParseFrameHeader(frame.data(), 14, &header, &error), ParseStatus::kOk);
  EXPECT_EQ(header.header_length, 14u);
}

TEST(FrameTest, RejectsProtocolViolations) {
  const std::vector<std::string> bad = {
      std::string("\xC1\x80\0\0\0\0", 6),                     // RSV1 without an extension
      std::string("\x83\x80\0\0\0\0", 6),                     // opcode 3
      std::string("\x09\x80\0\0\0\0", 6),                     // fragmented ping
      std::string("\x89\xFE\0\x7E\0\0\0\0", 8),               // 126-byte ping
      std::string("\x82\xFF\x80\0\0\0\0\0\0\0\0\0\0\0", 14),  // 64-bit length, top bit set
  };
  for (const std::string& bytes : bad) {
    FrameHeader header;
    std::string error;
    EXPECT_EQ(ParseFrameHeader(bytes.data(), bytes.size(), &header, &error),
              ParseStatus::kProtocolError);
    EXPECT_FALSE(error.empty());
  }
}

TEST(FrameTest, CloseFrameCarriesCodeAndTruncatedReason) {
  std::string frame;
  AppendCloseFrame(kCloseGoingAway, std::string(300, 'r'), &frame);
  EXPECT_EQ(static_cast<uint8_t>(frame[0]), 0x88);
  EXPECT_EQ(static_cast<uint8_t>(frame[1]), 125);
  EXPECT_EQ(static_cast<uint8_t>(frame[2]), 0x03);
  EXPECT_EQ(static_cast<uint8_t>(frame[3]), 0xE9);
  EXPECT_EQ(frame.size(), 127u);
}

TEST(FrameTest, UnmaskHandlesEveryAlignment) {
  for (size_t length = 0; length < 200; ++length) {
    std::string original;
    for (size_t i = 0; i < length; ++i) original.push_back(static_cast<char>(i * 7));
    std::string data = original;
    Unmask(data.data(), data.size(), kMask);
    for (size_t i = 0; i < length; ++i) {
      ASSERT_EQ(static_cast<uint8_t>(data[i]), static_cast<uint8_t>(original[i] ^ kMask[i % 4]));
    }
  }
}

TEST(FrameTest, ReceivedCloseCodes) {
  EXPECT_TRUE(IsValidReceivedCloseCode(1000));
  EXPECT_TRUE(IsValidReceivedCloseCode(4000));
  EXPECT_FALSE(IsValidReceivedCloseCode(1005));
  EXPECT_FALSE(IsValidReceivedCloseCode(1006));
  EXPECT_FALSE(IsValidReceivedCloseCode(999));
  EXPECT_FALSE(IsValidReceivedCloseCode(5000));
}

}  // namespace
}  // namespace predictwire::transport::websocket
