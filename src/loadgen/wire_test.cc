#include "loadgen/wire.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace predictwire::loadgen {
namespace {

using ::testing::HasSubstr;

TEST(WireTest, NamesRoundTrip) {
  for (const std::string& name : AllWireNames()) {
    auto wire = ParseWire(name);
    ASSERT_TRUE(wire.ok()) << name;
    EXPECT_EQ(WireLabel(wire->kind, wire->tls), name);
    EXPECT_EQ(wire->tls, name.ends_with("+tls"));
  }
  EXPECT_EQ(AllWireNames().size(), 2 * WireNames().size());  // every wire runs over TLS too
  EXPECT_TRUE(ParseWire("h2+tls")->tls);
  EXPECT_THAT(ParseWire("carrier-pigeon").status().message(), HasSubstr("rest-keepalive"));
  EXPECT_FALSE(ParseWire("+tls").ok());
  EXPECT_EQ(PipelineDepth(WireKind::kWebSocketPipelined, 8), 8);
  EXPECT_EQ(PipelineDepth(WireKind::kWebSocket, 8), 1);
  EXPECT_EQ(PipelineDepth(WireKind::kHttp2Multiplexed, 8), 8);
  EXPECT_EQ(PipelineDepth(WireKind::kHttp2, 8), 1);
  EXPECT_EQ(ParseWire("h2-multiplexed")->kind, WireKind::kHttp2Multiplexed);
}

TEST(WireTest, ParsesTargets) {
  auto plain = ParseTarget("http://127.0.0.1:8000");
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->host, "127.0.0.1");
  EXPECT_EQ(plain->port, 8000);
  EXPECT_EQ(plain->path, "");
  auto with_path = ParseTarget("ws://localhost:5001/");
  ASSERT_TRUE(with_path.ok());
  EXPECT_EQ(with_path->path, "/");
  auto v6 = ParseTarget("http://[::1]:9000/predict");
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->port, 9000);
  EXPECT_EQ(v6->path, "/predict");
  auto secure = ParseTarget("https://127.0.0.1");
  ASSERT_TRUE(secure.ok());
  EXPECT_TRUE(secure->tls);
  EXPECT_EQ(secure->port, 443);
  EXPECT_FALSE(plain->tls);
  EXPECT_TRUE(ParseTarget("wss://127.0.0.1:8443/ws")->tls);
  EXPECT_TRUE(ParseTarget("grpcs://127.0.0.1:8444")->tls);
  EXPECT_FALSE(ParseTarget("grpc://127.0.0.1:8001")->tls);
  for (const char* bad :
       {"127.0.0.1:8000", "ftp://x:1", "http://:80", "http://x:0", "http://x:y"}) {
    EXPECT_FALSE(ParseTarget(bad).ok()) << bad;
  }
}

TEST(WireTest, GrpcWires) {
  EXPECT_EQ(ParseWire("grpc")->kind, WireKind::kGrpc);
  EXPECT_EQ(ParseWire("grpc-stream")->kind, WireKind::kGrpcStream);
  EXPECT_TRUE(ParseWire("grpc+tls")->tls);
  EXPECT_TRUE(IsGrpc(WireKind::kGrpcStream));
  EXPECT_FALSE(IsGrpc(WireKind::kHttp2));
  EXPECT_EQ(PipelineDepth(WireKind::kGrpcStream, 8), 8);
  EXPECT_EQ(PipelineDepth(WireKind::kGrpc, 8), 1);
}

}  // namespace
}  // namespace predictwire::loadgen
