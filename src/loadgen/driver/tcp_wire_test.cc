// The raw TCP floor's wires, measured by bench's own driver against the server's echo.

#include <gtest/gtest.h>

#include <chrono>

#include "loadgen/driver/bench.h"
#include "transport/common/tcp_echo.h"

namespace predictwire::loadgen {
namespace {

TEST(TcpWireTest, BenchMeasuresTheRawExchangeThroughItsOwnDriver) {
  auto echo = transport::TcpEchoServer::Start("127.0.0.1", 0);
  ASSERT_TRUE(echo.ok()) << echo.status();
  for (const char* wire : {"tcp", "tcp-new"}) {
    BenchOptions options;
    options.wire = *ParseWire(wire);
    options.target_url = "tcp://127.0.0.1:" + std::to_string((*echo)->port());
    options.requests = 200;
    options.warmup = std::chrono::nanoseconds(0);
    options.progress = false;
    options.echo_request_bytes = 700;
    options.echo_reply_bytes = 3000;
    auto result = RunBench(options);
    ASSERT_TRUE(result.ok()) << result.status();
    EXPECT_EQ(result->requests, 200u) << wire;
    EXPECT_EQ(result->errors, 0u) << wire;
    // One connection for tcp, one per exchange for tcp-new.
    EXPECT_EQ(result->connect.count(), std::string_view(wire) == "tcp" ? 1u : 200u) << wire;
  }
}

TEST(TcpWireTest, LoadsRunTogetherTakeTheArrivalsInTurn) {
  auto echo = transport::TcpEchoServer::Start("127.0.0.1", 0);
  ASSERT_TRUE(echo.ok()) << echo.status();
  std::vector<BenchOptions> loads;
  for (const char* wire : {"tcp", "tcp-new", "tcp"}) {
    BenchOptions options;
    options.wire = *ParseWire(wire);
    options.target_url = "tcp://127.0.0.1:" + std::to_string((*echo)->port());
    options.rate = 100;  // each; 300/s in all
    options.arrival = Arrival::kConstant;
    options.duration = std::chrono::milliseconds(400);
    options.warmup = std::chrono::nanoseconds(0);
    options.progress = false;
    loads.push_back(options);
  }
  auto results = RunBenchTogether(loads);
  ASSERT_TRUE(results.ok()) << results.status();
  ASSERT_EQ(results->size(), 3u);
  for (const BenchResult& result : *results) {
    // 400 ms of a constant 300/s stream dealt three ways: 40 each.
    EXPECT_EQ(result.requests, 40u) << WireLabel(result.options.wire);
    EXPECT_EQ(result.errors, 0u);
  }
  EXPECT_EQ((*results)[1].connect.count(), 40u);  // tcp-new: a connection per exchange
  loads[1].rate = 50;
  EXPECT_FALSE(RunBenchTogether(loads).ok());  // one stream: one rate
}

}  // namespace
}  // namespace predictwire::loadgen
