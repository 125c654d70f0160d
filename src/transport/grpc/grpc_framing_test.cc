#include "transport/grpc/grpc_framing.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace predictwire::transport::grpc_transport {
namespace {

using ::testing::HasSubstr;

TEST(GrpcFramingTest, MessagesComeWholeFromBytesSplitAnywhere) {
  std::string stream;
  AppendFramedMessage("hello", &stream);
  AppendFramedMessage("", &stream);
  AppendFramedMessage(std::string(70000, 'x'), &stream);
  ASSERT_EQ(stream.size(), 3 * kMessagePrefixBytes + 5 + 70000);
  EXPECT_EQ(stream.substr(0, kMessagePrefixBytes), std::string("\0\0\0\0\5", 5));

  MessageReader reader(100000);
  std::vector<std::string> messages;
  for (char byte : stream) {
    reader.Feed(std::string_view(&byte, 1));
    for (;;) {
      absl::StatusOr<std::optional<MessageReader::Message>> next = reader.Next();
      ASSERT_TRUE(next.ok()) << next.status();
      if (!next->has_value()) break;
      EXPECT_FALSE((*next)->compressed);
      messages.push_back((*next)->bytes);
    }
  }
  ASSERT_EQ(messages.size(), 3u);
  EXPECT_EQ(messages[0], "hello");
  EXPECT_EQ(messages[1], "");
  EXPECT_EQ(messages[2].size(), 70000u);
  EXPECT_FALSE(reader.has_partial_message());
  reader.Feed(std::string("\0\0\0", 3));
  EXPECT_TRUE(reader.has_partial_message());
}

TEST(GrpcFramingTest, AnOversizedMessageIsRefusedFromItsPrefix) {
  MessageReader reader(10);
  reader.Feed(std::string("\0\x7f\xff\xff\xff", 5));  // 2 GiB announced, nothing sent
  absl::StatusOr<std::optional<MessageReader::Message>> next = reader.Next();
  ASSERT_FALSE(next.ok());
  EXPECT_EQ(next.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(next.status().message(), HasSubstr("limit of 10"));
}

TEST(GrpcFramingTest, GzipAndDeflateInflate) {
  const std::string text(5000, 'a');
  const std::string gzip = GzipCompress(text);
  EXPECT_LT(gzip.size(), text.size());
  absl::StatusOr<std::string> inflated = Decompress("gzip", gzip, 10000);
  ASSERT_TRUE(inflated.ok()) << inflated.status();
  EXPECT_EQ(*inflated, text);

  // A gzip stream cut short, or not gzip at all.
  EXPECT_EQ(Decompress("gzip", gzip.substr(0, gzip.size() / 2), 10000).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Decompress("deflate", "not deflate", 10000).status().code(),
            absl::StatusCode::kInvalidArgument);
  // A small message that inflates past the limit (a zip bomb) stops at the limit.
  EXPECT_EQ(Decompress("gzip", gzip, 1000).status().code(), absl::StatusCode::kResourceExhausted);
  // An encoding we do not read.
  absl::Status unknown = Decompress("snappy", gzip, 10000).status();
  EXPECT_EQ(unknown.code(), absl::StatusCode::kUnimplemented);
  EXPECT_THAT(unknown.message(), HasSubstr("snappy"));
  // The compressed flag with no compression named breaks the protocol.
  EXPECT_EQ(Decompress("", gzip, 10000).status().code(), absl::StatusCode::kInternal);
  EXPECT_EQ(Decompress("identity", gzip, 10000).status().code(), absl::StatusCode::kInternal);
}

TEST(GrpcFramingTest, Timeouts) {
  using std::chrono::nanoseconds;
  EXPECT_EQ(ParseGrpcTimeout("100m"), nanoseconds(100'000'000));
  EXPECT_EQ(ParseGrpcTimeout("2S"), nanoseconds(2'000'000'000));
  EXPECT_EQ(ParseGrpcTimeout("50u"), nanoseconds(50'000));
  EXPECT_EQ(ParseGrpcTimeout("7n"), nanoseconds(7));
  EXPECT_EQ(ParseGrpcTimeout("1M"), std::chrono::minutes(1));
  EXPECT_EQ(ParseGrpcTimeout("99999999H"), kMaxGrpcTimeout);  // would overflow
  EXPECT_EQ(ParseGrpcTimeout(""), std::nullopt);
  EXPECT_EQ(ParseGrpcTimeout("m"), std::nullopt);
  EXPECT_EQ(ParseGrpcTimeout("10"), std::nullopt);
  EXPECT_EQ(ParseGrpcTimeout("10x"), std::nullopt);
  EXPECT_EQ(ParseGrpcTimeout("-5S"), std::nullopt);
  EXPECT_EQ(ParseGrpcTimeout("123456789S"), std::nullopt);  // nine digits
}

}  // namespace
}  // namespace predictwire::transport::grpc_transport
