// The pieces compare runs beside the load: the TCP floor, the delay proxy, child processes.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "loadgen/bench.h"
#include "loadgen/child_process.h"
#include "loadgen/delay_proxy.h"
#include "transport/common/tcp_echo.h"

namespace predictwire::loadgen {
namespace {

using ::testing::HasSubstr;

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

TEST(ChildProcessTest, ReadsTheReadyLineAndStops) {
  auto child = ChildProcess::Start({.argv = {"/bin/sh", "-c",
                                             "echo starting; echo 'srv: up http=127.0.0.1:4242 x'; "
                                             "exec sleep 30"},
                                    .ready_prefix = "srv: up"});
  ASSERT_TRUE(child.ok()) << child.status();
  EXPECT_EQ((*child)->address(), "127.0.0.1:4242");
  EXPECT_GT((*child)->ResidentMiB(), 0);
  const auto start = std::chrono::steady_clock::now();
  (*child)->Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
}

TEST(ChildProcessTest, ReportsAProcessThatNeverGetsReady) {
  const std::string log = ::testing::TempDir() + "child.log";
  auto child = ChildProcess::Start({.argv = {"/bin/sh", "-c", "echo 'it broke' >&2; exit 3"},
                                    .stderr_path = log,
                                    .ready_prefix = "never"});
  ASSERT_FALSE(child.ok());
  EXPECT_THAT(child.status().message(), HasSubstr("it broke"));
}

TEST(DelayProxyTest, EveryExchangeTakesAtLeastTheRoundTrip) {
  // A small keep-alive HTTP server (Python's http.server) behind a 40 ms proxy.
  auto server = ChildProcess::Start(
      {.argv = {"/usr/bin/python3", "-c",
                "import http.server, socketserver\n"
                "class H(http.server.BaseHTTPRequestHandler):\n"
                "  protocol_version = 'HTTP/1.1'\n"
                "  def do_POST(self):\n"
                "    self.rfile.read(int(self.headers['Content-Length']))\n"
                "    self.send_response(200); self.send_header('Content-Length', '2')\n"
                "    self.end_headers(); self.wfile.write(b'{}')\n"
                "  def log_message(self, *a): pass\n"
                "s = http.server.HTTPServer(('127.0.0.1', 0), H)\n"
                "print('py: listening http=127.0.0.1:%d' % s.server_port, flush=True)\n"
                "s.serve_forever()\n"},
       .ready_prefix = "py: listening"});
  ASSERT_TRUE(server.ok()) << server.status();
  auto proxy = DelayProxy::Start(
      {.upstream = (*server)->address(), .round_trip = std::chrono::milliseconds(40)});
  ASSERT_TRUE(proxy.ok()) << proxy.status();
  BenchOptions options;
  options.wire = *ParseWire("rest-keepalive");
  options.target_url = "http://" + (*proxy)->address();
  options.requests = 5;
  options.warmup = std::chrono::nanoseconds(0);
  options.progress = false;
  auto result = RunBench(options);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->requests, 5u);
  // Timers never fire early, so every exchange waited at least one round trip (a lower bound
  // only: a busy machine may add any amount).
  EXPECT_GE(result->latency.min(), 40'000'000u);
}

}  // namespace
}  // namespace predictwire::loadgen
