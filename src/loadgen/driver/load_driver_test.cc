// bench's numbers are the product's output: RunBench against a server played by a script, so
// that each figure can be checked against what it was given. The script answers each request
// (by its place in the run) after a delay, with a status and the server's own timing, or never,
// or resets the connection; it runs on the load driver's io_context, under the real HTTP/1.1
// client (rest-keepalive's connection class) through the BytePipe seam
// (ConnectionSetup::make_pipe). Delays are real time: a figure is checked against the delays
// that bound it from below, and against other figures of the same run, never against a
// wall-clock ceiling.

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <boost/json.hpp>
#include <charconv>
#include <chrono>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <thread>

#include "loadgen/client/byte_pipe.h"
#include "loadgen/client/http1_connection.h"
#include "loadgen/client/wire_connection.h"
#include "loadgen/driver/bench.h"
#include "loadgen/driver/bench_output.h"
#include "transport/common/asio_types.h"

namespace predictwire::loadgen {
namespace {

using namespace std::chrono_literals;
using std::chrono::milliseconds;

// What the scripted server does with one request.
struct Answer {
  enum class Kind {
    kReply,  // answers after `delay`: `status`, and a Server-Timing of `queue` and `compute`
    kNever,  // never answers
    kReset,  // resets the connection after `delay`
  };
  Kind kind = Kind::kReply;
  milliseconds delay{0};
  int status = 200;
  std::chrono::microseconds queue{0};
  std::chrono::microseconds compute{0};
  // Holds the driver's thread this long when the request is read (it is sent from inside the
  // driver's handlers), as a busy machine would: its timers then fire late.
  milliseconds stall{0};
};

// The server a test scripts: the answer to the n-th request it reads (from 0, across every
// connection), and how many connections were opened to it.
struct ScriptedServer {
  std::function<Answer(uint64_t n)> script;
  std::atomic<uint64_t> requests{0};
  std::atomic<int> opens{0};
};

// The server the scripted wire's connections talk to (its factory is a plain function).
ScriptedServer* g_server = nullptr;

// A BytePipe whose far end is g_server, on the driver's io_context: it opens at once (on the
// next turn of the loop), reads each whole HTTP/1.1 request the connection flushes, and plays
// the script's answer to it. Nothing of a connection outlives its Close or reopening.
class ScriptedPipe final : public BytePipe {
 public:
  ScriptedPipe(transport::asio::io_context& context, Handler& handler, ScriptedServer& server)
      : context_(context), handler_(handler), server_(server) {}
  ~ScriptedPipe() override { CancelTimers(); }

  void Open() override {
    Forget();
    set_state(State::kOpening);
    ++server_.opens;
    transport::asio::post(context_, [this, generation = generation()] {
      if (generation != this->generation() || state() != State::kOpening) return;
      set_state(State::kOpen);
      handler_.OnPipeOpen();
    });
  }
  void Close() override { Forget(); }
  void Flush() override {
    if (!open()) return;
    requests_ += output();
    output().clear();
    for (;;) {
      const size_t head_end = requests_.find("\r\n\r\n");
      if (head_end == std::string::npos) return;
      constexpr std::string_view kLength = "Content-Length: ";
      const size_t field = requests_.find(kLength);
      size_t length = 0;
      if (field != std::string::npos && field < head_end) {
        const char* digits = requests_.data() + field + kLength.size();
        std::from_chars(digits, requests_.data() + head_end, length);
      }
      if (requests_.size() < head_end + 4 + length) return;
      requests_.erase(0, head_end + 4 + length);
      Play(server_.script(server_.requests++));
    }
  }
  std::chrono::nanoseconds SinceOpenStarted() const override { return 1ms; }
  std::string_view alpn() const override { return ""; }

 private:
  void Play(const Answer& answer) {
    if (answer.stall.count() > 0) std::this_thread::sleep_for(answer.stall);
    if (answer.kind == Answer::Kind::kNever) return;
    timers_.emplace_back(context_);
    const auto timer = std::prev(timers_.end());
    timer->expires_after(answer.delay);
    timer->async_wait(
        [this, timer, answer, generation = generation()](const transport::ErrorCode& error) {
          if (error) return;  // cancelled: the pipe may be gone
          timers_.erase(timer);
          if (generation != this->generation() || !open()) return;
          if (answer.kind == Answer::Kind::kReset) {
            Forget();
            handler_.OnPipeFailed("reset");
            return;
          }
          const std::string body = R"({"predictions":[1]})";
          input_ += fmt::format(
              "HTTP/1.1 {} Scripted\r\nContent-Type: application/json\r\n"
              "Server-Timing: queue;dur={:.3f}, compute;dur={:.3f}\r\nContent-Length: {}\r\n\r\n{}",
              answer.status, answer.queue.count() / 1000.0, answer.compute.count() / 1000.0,
              body.size(), body);
          const size_t consumed = handler_.OnPipeInput(input_.data(), input_.size());
          if (generation != this->generation()) return;  // closed or reopened: that input is gone
          input_.erase(0, consumed);
        });
  }

  void CancelTimers() {
    for (transport::SteadyTimer& timer : timers_) timer.cancel();
  }

  // Closed: what was queued, read or scheduled on this connection is dropped.
  void Forget() {
    MarkClosed();
    CancelTimers();
    requests_.clear();
    input_.clear();
  }

  transport::asio::io_context& context_;
  Handler& handler_;
  ScriptedServer& server_;
  std::string requests_;  // flushed, not yet a whole request
  std::string input_;     // delivered, not yet consumed
  std::list<transport::SteadyTimer> timers_;
};

// rest-keepalive's real connection class, on a ScriptedPipe.
std::unique_ptr<WireConnection> MakeScriptedConnection(const ConnectionSetup& setup) {
  ConnectionSetup scripted = setup;
  scripted.make_pipe = [&context = setup.context](BytePipe::Handler& handler) {
    return std::make_unique<ScriptedPipe>(context, handler, *g_server);
  };
  return MakeHttp1Connection(scripted);
}

// rest-keepalive's row with the scripted connection factory.
const Wire& ScriptedWire() {
  static const Wire wire = [] {
    Wire row = *ParseWire("rest-keepalive")->wire;
    row.name = "scripted";
    row.help = "rest-keepalive against a scripted server";
    row.make_connection = MakeScriptedConnection;
    return row;
  }();
  return wire;
}

class LoadDriverTest : public ::testing::Test {
 protected:
  LoadDriverTest() { g_server = &server_; }
  ~LoadDriverTest() override { g_server = nullptr; }

  // A closed loop of one user, `requests` measured, no warm-up.
  static BenchOptions Options(uint64_t requests) {
    BenchOptions options;
    options.wire = {&ScriptedWire(), false};
    options.target_url = "http://127.0.0.1:9";  // never connected to: the script answers
    options.requests = requests;
    options.warmup = std::chrono::nanoseconds(0);
    options.timeout = 10s;
    options.progress = false;
    return options;
  }

  ScriptedServer server_;
};

// Nanoseconds (the histograms' unit) in `ms` milliseconds.
constexpr uint64_t Ns(double ms) { return static_cast<uint64_t>(ms * 1e6); }
// `ms` milliseconds in nanoseconds, within a histogram bucket's width (under 1%).
MATCHER_P(NearMs, ms, "") { return arg >= Ns(ms) * 0.99 && arg <= Ns(ms) * 1.01; }

TEST_F(LoadDriverTest, ReportsTheLatencyAndServerTimeItWasGiven) {
  // Even requests: 10 ms, of which the server says 1 + 4; odd ones: 60 ms, of which 2 + 50.
  server_.script = [](uint64_t n) {
    return n % 2 == 0 ? Answer{.delay = 10ms, .queue = 1000us, .compute = 4000us}
                      : Answer{.delay = 60ms, .queue = 2000us, .compute = 50000us};
  };
  absl::StatusOr<BenchResult> result = RunBench(Options(40));
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->requests, 40u);
  EXPECT_EQ(result->errors, 0u);
  EXPECT_THAT(result->errors_by_kind, ::testing::IsEmpty());
  EXPECT_EQ(server_.requests, 40u);
  // One connection, opened once and timed as the pipe says.
  EXPECT_EQ(server_.opens, 1);
  EXPECT_EQ(result->connect.count(), 1u);
  EXPECT_THAT(result->connect.max(), NearMs(1));

  // Latency: no request faster than its delay; the fast half told apart from the slow half.
  const Histogram& latency = result->latency;
  EXPECT_EQ(latency.count(), 40u);
  EXPECT_GE(latency.min(), Ns(10));
  EXPECT_GE(latency.ValueAtPercentile(25), Ns(10) * 99 / 100);
  EXPECT_LT(latency.ValueAtPercentile(25), Ns(60));
  EXPECT_GE(latency.ValueAtPercentile(75), Ns(60) * 99 / 100);
  EXPECT_GE(latency.max(), Ns(60));
  // The server's own time is exactly what its answers said, the network the rest.
  EXPECT_EQ(result->server.count(), 40u);
  EXPECT_THAT(result->server.ValueAtPercentile(25), NearMs(5));
  EXPECT_THAT(result->server.ValueAtPercentile(75), NearMs(52));
  EXPECT_EQ(result->network.count(), 40u);
  EXPECT_GE(result->network.min(), Ns(5) * 99 / 100);  // 10 - 5 and 60 - 52 at least
  // The run took at least the 20 x 10 + 20 x 60 ms it was given, one request at a time.
  EXPECT_GE(result->measured_seconds, 1.4);
  EXPECT_NEAR(result->throughput_rps, 40 / result->measured_seconds, 1e-9);
  EXPECT_EQ(result->batch_p50_us.size(), 4u);

  // bench --json says the same.
  const boost::json::value json = boost::json::parse(ToJson(*result));
  EXPECT_EQ(json.at("requests").to_number<uint64_t>(), 40u);
  EXPECT_EQ(json.at("errors").to_number<uint64_t>(), 0u);
  EXPECT_DOUBLE_EQ(json.at("latency_us").at("p50").to_number<double>(),
                   latency.ValueAtPercentile(50) / 1000.0);
  EXPECT_DOUBLE_EQ(json.at("server_us").at("p50").to_number<double>(),
                   result->server.ValueAtPercentile(50) / 1000.0);
}

TEST_F(LoadDriverTest, ATimelineBinsEachMeasuredRequestByWhenItEnded) {
  // 30 requests one after another, 10 ms each, the 5th answered 503: in 50 ms bins each bin
  // holds about 5 of them, and together every one, answered or failed.
  server_.script = [](uint64_t n) {
    return n == 5 ? Answer{.delay = 10ms, .status = 503} : Answer{.delay = 10ms};
  };
  BenchOptions options = Options(30);
  options.timeline_bin = 50ms;
  absl::StatusOr<BenchResult> result = RunBench(options);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->requests, 29u);
  EXPECT_EQ(result->errors, 1u);
  uint64_t answered = 0, errors = 0, latencies = 0;
  for (const TimelineBin& bin : result->timeline) {
    answered += bin.answered;
    errors += bin.errors;
    latencies += bin.latencies_us.size();
    for (uint32_t latency : bin.latencies_us) EXPECT_GE(latency, 9900u);
  }
  EXPECT_EQ(answered, 29u);
  EXPECT_EQ(errors, 1u);
  EXPECT_EQ(latencies, 29u);
  // 300 ms of requests at least: 6 bins or more, none holding more than a bin's worth.
  EXPECT_GE(result->timeline.size(), 6u);
  for (const TimelineBin& bin : result->timeline) EXPECT_LE(bin.answered + bin.errors, 6u);
  EXPECT_GT(result->measure_start.time_since_epoch().count(), 0);
  // Without a bin, no timeline.
  EXPECT_TRUE(RunBench(Options(3))->timeline.empty());
}

TEST_F(LoadDriverTest, CountsErrorsAndTimeoutsByKindAndKeepsThemOutOfTheLatency) {
  // Of 30 requests, 3 answered 503, 3 never answered (timeout), 1 lost to a reset connection.
  server_.script = [](uint64_t n) {
    if (n == 15) return Answer{.kind = Answer::Kind::kReset, .delay = 5ms};
    if (n % 10 == 3) return Answer{.delay = 5ms, .status = 503};
    if (n % 10 == 7) return Answer{.kind = Answer::Kind::kNever};
    return Answer{.delay = 5ms, .compute = 1000us};
  };
  BenchOptions options = Options(30);
  options.timeout = 300ms;
  // --no-resend: the request a reset lost stays lost, and is counted by its kind
  // (reconnect_test.cc checks that it is otherwise sent again and answered).
  options.reconnect.resend = false;
  absl::StatusOr<BenchResult> result = RunBench(options);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(server_.requests, 30u);  // each request sent once
  EXPECT_EQ(result->requests, 23u);
  EXPECT_EQ(result->errors, 7u);
  EXPECT_EQ(result->errors_by_kind,
            (std::map<std::string, uint64_t>{{"http_503", 3}, {"reset", 1}, {"timeout", 3}}));
  EXPECT_EQ(result->resent, 0u);
  EXPECT_EQ(result->lost, 4u);  // the reset's and the three timeouts'
  // The reset is also the connection's failure, counted once by its kind.
  EXPECT_EQ(result->connection_errors, (std::map<std::string, uint64_t>{{"reset", 1}}));
  EXPECT_EQ(result->latency.count(), 23u);
  EXPECT_EQ(result->server.count(), 23u);
  EXPECT_GE(result->latency.min(), Ns(5));
  // A timed-out request is given up after its timeout (and its connection opened anew), as is
  // the one a reset lost (after the reconnect back-off): the first open, three after
  // timeouts, one after the reset.
  EXPECT_EQ(server_.opens, 5);
  EXPECT_EQ(result->connect.count(), 5u);
  EXPECT_GE(result->measured_seconds, 3 * 0.3);
  EXPECT_NEAR(result->throughput_rps, 23 / result->measured_seconds, 1e-9);

  const boost::json::value json = boost::json::parse(ToJson(*result));
  EXPECT_EQ(json.at("requests").to_number<uint64_t>(), 23u);
  EXPECT_EQ(json.at("errors").to_number<uint64_t>(), 7u);
  EXPECT_EQ(json.at("errors_by_kind").at("timeout").to_number<uint64_t>(), 3u);
  EXPECT_EQ(json.at("errors_by_kind").at("http_503").to_number<uint64_t>(), 3u);
  EXPECT_EQ(json.at("errors_by_kind").at("reset").to_number<uint64_t>(), 1u);
  EXPECT_THAT(FormatTable(*result), ::testing::HasSubstr("error timeout"));
}

TEST_F(LoadDriverTest, OpenLoopLatencyCountsFromWhenEachRequestWasDue) {
  // 100 requests a second on one connection that takes 40 ms a request: the n-th is due at
  // 10n ms and cannot be sent before the (n-1)-th is answered, so, counted from when it was due
  // (not from when it could be sent), it waits 40 + 30n ms at least; each request 30 ms longer
  // than the one before it. A driver counting from the send would see 40 ms every time.
  server_.script = [](uint64_t) { return Answer{.delay = 40ms, .compute = 40000us}; };
  BenchOptions options = Options(10);
  options.rate = 100;
  options.arrival = Arrival::kConstant;
  options.batches = 10;  // one request each: the latencies in order
  absl::StatusOr<BenchResult> result = RunBench(options);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->requests, 10u);
  EXPECT_EQ(result->errors, 0u);
  EXPECT_EQ(result->connections, 1);
  EXPECT_GE(result->latency.min(), Ns(40));
  EXPECT_GE(result->latency.max(), Ns(40 + 30 * 9));
  ASSERT_EQ(result->batch_p50_us.size(), 10u);
  for (size_t n = 0; n < 10; ++n) {
    EXPECT_GE(result->batch_p50_us[n], 1000 * (40.0 + 30 * n)) << n;
    if (n > 0) {
      EXPECT_GE(result->batch_p50_us[n], result->batch_p50_us[n - 1] + 30'000) << n;
    }
  }
  // The server's 40 ms is the same for all; the wait for the connection is the client's.
  EXPECT_THAT(result->server.ValueAtPercentile(100), NearMs(40));
  EXPECT_GE(result->network.max(), Ns(30 * 9) * 99 / 100);
}

TEST_F(LoadDriverTest, OpenLoopIssuesEveryArrivalDueInItsWindowThoughItsThreadRunsLate) {
  // 100 a second for 100 ms: ten requests due, at 0, 10, ... 90 ms. The sixth, sent at 50 ms,
  // holds the driver's thread for 150 ms, so the window ends while it is held: the four due
  // after it are late, not dropped, and their latency counts from when they were due.
  server_.script = [](uint64_t n) { return Answer{.stall = n == 5 ? 150ms : 0ms}; };
  BenchOptions options = Options(1);
  options.requests.reset();
  options.duration = 100ms;
  options.rate = 100;
  options.arrival = Arrival::kConstant;
  absl::StatusOr<BenchResult> result = RunBench(options);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(server_.requests, 10u);
  EXPECT_EQ(result->requests, 10u);
  EXPECT_EQ(result->errors, 0u);
  // The one due at 60 ms went out after 50 + 150 ms at the earliest.
  EXPECT_GE(result->latency.max(), Ns(140));
}

}  // namespace
}  // namespace predictwire::loadgen
