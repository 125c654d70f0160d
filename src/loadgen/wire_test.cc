#include "loadgen/wire.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace predictwire::loadgen {
namespace {

using ::testing::HasSubstr;

TEST(WireTest, NamesRoundTrip) {
  for (const std::string& name : WireNames()) {
    auto wire = ParseWireName(name);
    ASSERT_TRUE(wire.ok()) << name;
    EXPECT_EQ(WireName(*wire), name);
  }
  EXPECT_THAT(ParseWireName("carrier-pigeon").status().message(), HasSubstr("rest-keepalive"));
  EXPECT_EQ(PipelineDepth(WireKind::kWebSocketPipelined, 8), 8);
  EXPECT_EQ(PipelineDepth(WireKind::kWebSocket, 8), 1);
  EXPECT_EQ(PipelineDepth(WireKind::kHttp2Multiplexed, 8), 8);
  EXPECT_EQ(PipelineDepth(WireKind::kHttp2, 8), 1);
  EXPECT_EQ(*ParseWireName("h2-multiplexed"), WireKind::kHttp2Multiplexed);
}

TEST(WireTest, CompareLeavesTheHttp2WiresOutByDefault) {
  for (const std::string& name : DefaultCompareWireNames()) {
    EXPECT_EQ(name.find("h2"), std::string::npos) << name;
  }
  EXPECT_EQ(DefaultCompareWireNames().size() + 2, WireNames().size());
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
  for (const char* bad :
       {"127.0.0.1:8000", "ftp://x:1", "http://:80", "http://x:0", "http://x:y"}) {
    EXPECT_FALSE(ParseTarget(bad).ok()) << bad;
  }
}

}  // namespace
}  // namespace predictwire::loadgen
