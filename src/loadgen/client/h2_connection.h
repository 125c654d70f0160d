#ifndef PREDICTWIRE_LOADGEN_CLIENT_H2_CONNECTION_H_
#define PREDICTWIRE_LOADGEN_CLIENT_H2_CONNECTION_H_

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "loadgen/client/byte_pipe.h"
#include "loadgen/client/payload.h"
#include "loadgen/client/wire_connection.h"

struct nghttp2_session;  // nghttp2 stays out of this header

namespace predictwire::loadgen {

// The wires on HTTP/2 (with prior knowledge in the clear, by ALPN over TLS), one connection
// each, its handshake (counted by OnConnected) ending with the server's SETTINGS:
//  - h2 and h2-multiplexed: each request a stream, a POST of the body, up to `depth` at once;
//  - grpc: each request a ModelInfer call (a stream: the body's message with the request's id,
//    gRPC-framed; the reply's status in trailers), up to `depth` at once;
//  - grpc-stream: one ModelStreamInfer call for the connection's life, up to `depth` request
//    messages in flight on it, each answer matched by its id.
// An abandoned request's stream is reset (CANCEL), or on grpc-stream its late answer dropped
// (reported as late); the connection carries on, its freed slot reported (OnReady).
// A GOAWAY without an error makes the connection go away (OnGoingAway, CanSend false): the
// streams it accepted are answered, those past its last stream come back unprocessed (as a
// refused stream does), and once all are done the connection ends with "goaway"; grpc-stream's
// call ending with OK after the GOAWAY is that end too.
class H2Connection : public WireConnection, private BytePipe::Handler {
 public:
  // Over TLS the pipe's context must offer ALPN "h2".
  explicit H2Connection(const ConnectionSetup& setup);
  ~H2Connection() override;

  void Connect() override;
  bool CanSend() const override;
  void Send(uint64_t tag) override;
  void Abandon(uint64_t tag) override;
  void Close() override;

 private:
  enum class Dialect { kRest, kGrpcUnary, kGrpcStream };
  // Bytes of one request body: `head`, the body's shared bytes, then `tail`.
  struct Outgoing {
    std::string head;
    std::string tail;
    size_t sent = 0;
  };
  struct Exchange;
  class Callbacks;

  void OnPipeOpen() override;
  size_t OnPipeInput(char* data, size_t size) override;
  void OnPipeFailed(std::string_view kind) override;
  // Submits a stream to `path` whose body `exchange` provides; its id, or < 0.
  int32_t Submit(std::string_view path, Exchange* exchange);
  // The gRPC framing of request `tag`: prefix before the body, its id field after.
  Outgoing GrpcMessage(uint64_t tag) const;
  // Copies up to `length` bytes of `outgoing` from where it stands into `buffer`.
  size_t Copy(Outgoing& outgoing, uint8_t* buffer, size_t length) const;
  size_t SizeOf(const Outgoing& outgoing) const;
  // A gRPC reply message arrived on `exchange`'s stream.
  void OnGrpcMessage(Exchange& exchange, std::string_view message);
  // Serializes what nghttp2 may send and writes it.
  void Pump();
  // Reports the replies and the handshake the last input completed (outside nghttp2 callbacks,
  // as the listener may call Send).
  void Deliver();
  // Every request in flight, for OnFailed.
  std::vector<uint64_t> InFlight() const;
  // How a connection ends after the server's GOAWAY: goaway, or goaway_<code> for an error.
  std::string GoAwayKind() const;

  const Dialect dialect_;
  const RequestBody& body_;
  const size_t depth_;
  ConnectionListener& listener_;
  const std::string authority_;
  const bool tls_;
  const std::unique_ptr<BytePipe> pipe_;

  nghttp2_session* session_ = nullptr;  // owned
  bool ready_ = false;                  // the server's SETTINGS arrived
  bool settings_received_ = false;      // set in a callback, reported by Deliver
  bool goaway_received_ = false;        // the server said GOAWAY
  uint32_t goaway_error_ = 0;           // with this code
  bool going_away_unreported_ = false;  // set in a callback, reported by Deliver
  std::unordered_map<int32_t, std::unique_ptr<Exchange>> streams_;
  std::vector<std::pair<uint64_t, ReplyInfo>> completed_;
  // Answers to requests not in flight, reported by Deliver, each after the completed_ before it.
  std::vector<std::pair<size_t, uint64_t>> late_tags_;
  // grpc-stream: the call, the requests in flight on it, and why it ended (when it has).
  Exchange* call_ = nullptr;      // null once the call ended
  int32_t call_stream_id_ = 0;    // 0: no call (another dialect, or closed)
  std::set<uint64_t> call_tags_;  // oldest first
  std::optional<std::string> call_ended_;
};

std::unique_ptr<WireConnection> MakeH2Connection(const ConnectionSetup& setup);

}  // namespace predictwire::loadgen

#endif  // PREDICTWIRE_LOADGEN_CLIENT_H2_CONNECTION_H_
