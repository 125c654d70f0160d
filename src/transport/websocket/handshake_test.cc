#include "transport/websocket/handshake.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace predictwire::transport::websocket {
namespace {

TEST(HandshakeTest, AcceptKeyMatchesTheRfcExample) {
  // RFC 6455 §1.3.
  EXPECT_EQ(AcceptKey("dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

TEST(HandshakeTest, ValidatesVersionAndKey) {
  EXPECT_TRUE(ValidateHandshake("dGhlIHNhbXBsZSBub25jZQ==", "13").ok());
  EXPECT_FALSE(ValidateHandshake("dGhlIHNhbXBsZSBub25jZQ==", "8").ok());
  EXPECT_FALSE(ValidateHandshake("", "13").ok());
  EXPECT_FALSE(ValidateHandshake("short==", "13").ok());
  EXPECT_FALSE(ValidateHandshake("dGhlIHNhbXBsZSBub25jZQ!!", "13").ok());
}

TEST(HandshakeTest, SwitchingProtocolsResponse) {
  std::string out;
  AppendSwitchingProtocols("dGhlIHNhbXBsZSBub25jZQ==", &out);
  EXPECT_THAT(out, ::testing::StartsWith("HTTP/1.1 101 Switching Protocols\r\n"));
  EXPECT_THAT(out, ::testing::HasSubstr("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"));
  EXPECT_THAT(out, ::testing::EndsWith("\r\n\r\n"));
}

}  // namespace
}  // namespace predictwire::transport::websocket
