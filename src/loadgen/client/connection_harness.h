#ifndef PREDICTWIRE_LOADGEN_CLIENT_CONNECTION_HARNESS_H_
#define PREDICTWIRE_LOADGEN_CLIENT_CONNECTION_HARNESS_H_

// For tests only: one wire's connection class on a FakePipe, with a listener that writes down
// what the connection reports, so that a test plays the server byte by byte.

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "loadgen/client/fake_pipe.h"
#include "loadgen/client/wire.h"
#include "loadgen/client/wire_connection.h"
#include "transport/common/asio_types.h"

namespace predictwire::loadgen::testing {

// Writes every report down as a line (`log`) and keeps the replies and failures whole. A test
// may act inside a report, as the load driver does (on_ready: send the next request).
class RecordingListener final : public ConnectionListener {
 public:
  struct Reply {
    uint64_t tag;
    ReplyInfo info;
  };
  struct Failure {
    std::string error;
    std::vector<uint64_t> lost;  // sorted: a connection reports them in no particular order
  };

  void OnReady(WireConnection& connection) override {
    log.push_back("ready");
    if (on_ready) on_ready(connection);
  }
  void OnConnected(WireConnection&, std::chrono::nanoseconds elapsed) override {
    log.push_back("connected");
    connect_times.push_back(elapsed);
  }
  void OnReply(WireConnection& connection, uint64_t tag, const ReplyInfo& reply) override {
    std::string line = "reply " + std::to_string(tag) + " " + (reply.ok ? "ok" : reply.error);
    if (reply.timing) {
      line += " timing " + std::to_string(reply.timing->queue_us) + "/" +
              std::to_string(reply.timing->compute_us);
    }
    log.push_back(std::move(line));
    replies.push_back({tag, reply});
    if (on_reply) on_reply(connection, tag);
  }
  void OnFailed(WireConnection&, std::string_view error,
                const std::vector<uint64_t>& lost) override {
    std::vector<uint64_t> sorted = lost;
    std::sort(sorted.begin(), sorted.end());
    log.push_back(fmt::format("failed {} lost [{}]", error, fmt::join(sorted, ",")));
    failures.push_back({std::string(error), std::move(sorted)});
  }
  void OnGoingAway(WireConnection&) override { log.push_back("going away"); }
  // Kept apart from the log: a late answer changes nothing on the connection.
  void OnLateReply(WireConnection&, uint64_t tag) override { late_replies.push_back(tag); }

  // The log since the last TakeLog.
  std::vector<std::string> TakeLog() { return std::exchange(log, {}); }

  std::vector<std::string> log;
  std::vector<Reply> replies;
  std::vector<Failure> failures;
  std::vector<uint64_t> late_replies;
  std::vector<std::chrono::nanoseconds> connect_times;
  std::function<void(WireConnection&)> on_ready;
  std::function<void(WireConnection&, uint64_t tag)> on_reply;
};

// The connection of the wire named `wire_name` (its row in the wire table), made by the row's
// factory as the load driver makes it, to model.test:8080, `depth` requests deep, over TLS when
// `tls` is given (the fake pipe does no TLS; the connection knows only that it is asked for).
class ConnectionHarness {
 public:
  ConnectionHarness(std::string_view wire_name, RequestBody body, int depth = 1,
                    TlsClient* tls = nullptr)
      : wire_(WireNamed(wire_name)), body_(std::move(body)) {
    const ConnectionSetup setup{.context = context_,
                                .endpoint = {},
                                .wire = wire_,
                                .target = target_,
                                .body = body_,
                                .depth = depth,
                                .listener = listener,
                                .tls = tls,
                                .make_pipe = [this](BytePipe::Handler& handler) {
                                  auto pipe = std::make_unique<FakePipe>(handler);
                                  pipe_ = pipe.get();
                                  ++pipes_made_;
                                  return pipe;
                                }};
    connection_ = wire_.make_connection(setup);
  }

  WireConnection& connection() { return *connection_; }
  FakePipe& pipe() { return *pipe_; }
  const RequestBody& body() const { return body_; }
  // Pipes the connection asked for: one for its whole life, however often it reopens it.
  int pipes_made() const { return pipes_made_; }

  RecordingListener listener;

 private:
  static const Wire& WireNamed(std::string_view name) {
    absl::StatusOr<WireSpec> spec = ParseWire(name);
    EXPECT_TRUE(spec.ok()) << spec.status();
    return spec.ok() ? *spec->wire : DefaultWire();
  }

  transport::asio::io_context context_;  // never run: the fake pipe needs none
  const Wire& wire_;
  const Target target_{.host = "model.test", .port = 8080};
  const RequestBody body_;
  FakePipe* pipe_ = nullptr;  // owned by the connection
  int pipes_made_ = 0;
  std::unique_ptr<WireConnection> connection_;
};

}  // namespace predictwire::loadgen::testing

#endif  // PREDICTWIRE_LOADGEN_CLIENT_CONNECTION_HARNESS_H_
