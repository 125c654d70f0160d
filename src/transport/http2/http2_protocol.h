#ifndef PREDICTWIRE_TRANSPORT_HTTP2_HTTP2_PROTOCOL_H_
#define PREDICTWIRE_TRANSPORT_HTTP2_HTTP2_PROTOCOL_H_

#include <functional>
#include <memory>

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "transport/common/limits.h"
#include "transport/common/memory_budget.h"
#include "transport/common/protocol.h"
#include "transport/common/protocol_connection.h"
#include "transport/common/rest_router.h"

namespace predictwire::transport::http2 {

class ServerSession;

class GrpcCallHandler;

// HTTP/2 on one connection (h2c with prior knowledge, or h2 by ALPN over TLS): every REST route
// of RestRouter and, given a GrpcCallHandler per connection, gRPC calls (content-type
// application/grpc), many streams at once, each answered as soon as its model completes.
// Completions come back through ProtocolConnection::Complete; a stream the client reset meanwhile
// is skipped. Input is never paused: SETTINGS_MAX_CONCURRENT_STREAMS bounds the work in flight. An
// idle connection gets GOAWAY before it is closed.
class Http2Protocol : public Protocol {
 public:
  struct Options {
    size_t max_body_bytes = kDefaultMaxBodyBytes;  // per stream
    std::chrono::seconds idle_timeout = kHttpIdleTimeout;
    // While a stream is open, a quiet connection is pinged this often (zero: never).
    std::chrono::seconds ping_interval = kDefaultPingInterval;
    Metrics* metrics = nullptr;      // counts protocol errors, if set; outlives connections
    MemoryBudget* memory = nullptr;  // see ServerSession::Options
  };

  // The gRPC calls of one connection (grpc_transport::GrpcCalls), given the connection and how
  // to send what its session has queued. Kept apart so that this library needs no protobuf.
  using GrpcFactory = std::function<std::unique_ptr<GrpcCallHandler>(
      ProtocolConnection& connection, absl::AnyInvocable<void()> flush)>;

  // `router` must outlive the connection; without `make_grpc` gRPC calls get UNIMPLEMENTED. The
  // connection's input starts with the client preface.
  static absl::StatusOr<std::unique_ptr<Http2Protocol>> Create(ProtocolConnection& connection,
                                                               const RestRouter& router,
                                                               const GrpcFactory& make_grpc,
                                                               const Options& options);
  ~Http2Protocol() override;

  size_t OnInput(char* data, size_t size) override;
  // GOAWAY with the last stream received: streams open are answered (a gRPC stream carries on
  // until the grace is over), streams the client opens later are refused unprocessed, which a
  // client may always send again; the connection closes once the last stream is done.
  void OnGoAway(GoAwayReason reason) override;
  // gRPC calls still open end with UNAVAILABLE, REST streams still waiting are cancelled.
  void OnGraceOver() override;
  std::chrono::seconds PingInterval() const override;
  void SendPing() override;
  void OnReadinessChanged() override;
  bool HasWorkInFlight() const override;
  std::chrono::seconds IdleTimeout() const override { return options_.idle_timeout; }
  void OnIdle() override;
  bool AwaitingRequestHead() const override;
  bool HasParkedOutput() const override;
  void OnPeerGone(bool half_close) override;
  void ReleaseIdleMemory() override;

 private:
  Http2Protocol(ProtocolConnection& connection, const RestRouter& router, const Options& options);
  void Route(int32_t stream_id, RestRequest request);
  // Queues what the session may send, and closes the connection once the session is over.
  void SendPending();

  ProtocolConnection& connection_;
  const RestRouter& router_;
  const Options options_;
  std::unique_ptr<GrpcCallHandler> grpc_calls_;  // null without a GrpcFactory
  std::unique_ptr<ServerSession> session_;
  bool receiving_ = false;  // inside OnInput: replies made now are sent when it returns
};

}  // namespace predictwire::transport::http2

#endif  // PREDICTWIRE_TRANSPORT_HTTP2_HTTP2_PROTOCOL_H_
