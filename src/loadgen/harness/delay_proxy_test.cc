#include "loadgen/harness/delay_proxy.h"

#include <gtest/gtest.h>

#include <chrono>

#include "loadgen/driver/bench.h"
#include "os/child_process.h"
#include "transport/common/ready_line.h"

namespace predictwire::loadgen {
namespace {

TEST(DelayProxyTest, EveryExchangeTakesAtLeastTheRoundTrip) {
  // A small keep-alive HTTP server (Python's http.server) behind a 40 ms proxy.
  auto server = os::ChildProcess::Start(
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
      {.upstream = transport::ParseReadyLine((*server)->ready_line(), "py: listening").at("http"),
       .round_trip = std::chrono::milliseconds(40)});
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
