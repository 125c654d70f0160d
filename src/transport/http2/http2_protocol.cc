#include "transport/http2/http2_protocol.h"

#include "transport/http2/server_session.h"

namespace predictwire::transport::http2 {

Http2Protocol::Http2Protocol(ProtocolConnection& connection, const RestRouter& router,
                             const Options& options)
    : connection_(connection), router_(router), options_(options) {}

Http2Protocol::~Http2Protocol() = default;

absl::StatusOr<std::unique_ptr<Http2Protocol>> Http2Protocol::Create(ProtocolConnection& connection,
                                                                     const RestRouter& router,
                                                                     const GrpcFactory& make_grpc,
                                                                     const Options& options) {
  std::unique_ptr<Http2Protocol> protocol(new Http2Protocol(connection, router, options));
  Http2Protocol* raw = protocol.get();
  if (make_grpc) {
    protocol->grpc_calls_ = make_grpc(connection, [raw] {
      // Inside OnInput, nghttp2 is in a callback: OnInput sends when it is done.
      if (!raw->receiving_) raw->SendPending();
    });
  }
  absl::StatusOr<std::unique_ptr<ServerSession>> session = ServerSession::Create(
      {.max_body_bytes = options.max_body_bytes,
       .metrics = options.metrics,
       .memory = options.memory},
      [raw](int32_t stream_id, RestRequest request) { raw->Route(stream_id, std::move(request)); },
      protocol->grpc_calls_.get());
  if (!session.ok()) return session.status();
  protocol->session_ = *std::move(session);
  if (protocol->grpc_calls_) protocol->grpc_calls_->Attach(protocol->session_.get());
  return protocol;
}

size_t Http2Protocol::OnInput(char* data, size_t size) {
  receiving_ = true;
  const bool acceptable = session_->Receive(data, size);
  receiving_ = false;
  SendPending();
  if (!acceptable) connection_.CloseAfterWrite();
  return size;
}

void Http2Protocol::Route(int32_t stream_id, RestRequest request) {
  router_.Handle(std::move(request),
                 [this, stream_id, connection = connection_.KeepAlive()](RestReply reply) mutable {
                   connection->Complete([this, stream_id, reply = std::move(reply)]() mutable {
                     session_->Reply(stream_id, std::move(reply));
                     // Inside OnInput, nghttp2 is in a callback: OnInput sends when it is done.
                     if (!receiving_) SendPending();
                   });
                 });
}

void Http2Protocol::SendPending() {
  session_->Send(&connection_.output());
  if (session_->Finished()) connection_.CloseAfterWrite();
}

void Http2Protocol::OnGoAway(GoAwayReason) {
  session_->Shutdown();
  if (grpc_calls_) grpc_calls_->GoAway();
  SendPending();
}

void Http2Protocol::OnGraceOver() {
  if (grpc_calls_) grpc_calls_->EndCalls();
  session_->CancelAll();
  SendPending();
}

std::chrono::seconds Http2Protocol::PingInterval() const {
  return session_->open_streams() > 0 ? options_.ping_interval : std::chrono::seconds(0);
}

void Http2Protocol::OnReadinessChanged() {
  if (!grpc_calls_) return;
  grpc_calls_->OnReadinessChanged();
  SendPending();
}

void Http2Protocol::SendPing() {
  session_->SendPing();
  SendPending();
}

void Http2Protocol::OnIdle() {
  // GOAWAY tells the client the connection is let go on purpose (gRPC clients reconnect
  // quietly); nothing is in flight, so the session is over once it is sent.
  session_->Shutdown();
  SendPending();
  connection_.CloseAfterWrite();
}

bool Http2Protocol::AwaitingRequestHead() const { return session_->AwaitingRequestHead(); }

bool Http2Protocol::HasParkedOutput() const { return session_->HasParkedOutput(); }
void Http2Protocol::OnPeerGone(bool) {
  // An HTTP/2 client that closes its side cannot even send WINDOW_UPDATE: it is gone.
  session_->CancelAll();
}

void Http2Protocol::ReleaseIdleMemory() { session_->ReleaseIdleMemory(); }

bool Http2Protocol::HasWorkInFlight() const {
  return session_->requests_in_flight() > 0 || (grpc_calls_ && grpc_calls_->open_calls() > 0);
}

}  // namespace predictwire::transport::http2
