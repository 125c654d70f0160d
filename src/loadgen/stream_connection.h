#ifndef PREDICTWIRE_LOADGEN_STREAM_CONNECTION_H_
#define PREDICTWIRE_LOADGEN_STREAM_CONNECTION_H_

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "loadgen/payload.h"
#include "loadgen/wire.h"
#include "loadgen/wire_connection.h"
#include "transport/common/asio_types.h"

namespace predictwire::loadgen {

class HttpResponseReader;

// HTTP/1.1 and WebSocket over one TCP connection: every wire `bench` has today. Persistent
// wires connect once (Connect) and carry up to `depth` requests at a time; the `rest` wire opens
// a new TCP connection for every request, inside Send, so its latency includes the handshake.
class StreamConnection : public WireConnection {
 public:
  StreamConnection(transport::asio::io_context& context,
                   const transport::asio::ip::tcp::endpoint& endpoint, WireKind wire,
                   RequestEncoder& encoder, int depth, ConnectionListener& listener,
                   TlsClient* tls);
  ~StreamConnection() override;

  void Connect() override;
  bool CanSend() const override;
  void Send(uint64_t tag) override;
  // A one-at-a-time connection is closed and reconnected, as its late reply would be taken for
  // the next request's.
  void Abandon(uint64_t tag) override;
  void Close() override;

 private:
  enum class State { kClosed, kConnecting, kHandshaking, kUpgrading, kReady };

  void StartConnect();
  void OnConnect(const transport::ErrorCode& error);
  // TCP (and TLS) is up: upgrade to WebSocket, send rest's request, or report ready.
  void OnTransportReady();
  // TLS: the handshake and decryption of `bytes` of ciphertext; false if the connection failed.
  bool DecryptInput(size_t bytes);
  void StartRead();
  void OnRead(const transport::ErrorCode& error, size_t bytes);
  void Flush();
  void Fail(std::string_view error);
  // Parse what has arrived; false if the connection failed meanwhile.
  bool ParseHttp();
  bool ParseWebSocket();
  void Complete(uint64_t tag, const ReplyInfo& reply);
  void CompleteById(const ReplyInfo& reply);

  transport::asio::io_context& context_;
  const transport::asio::ip::tcp::endpoint endpoint_;
  const WireKind wire_;
  RequestEncoder& encoder_;
  const size_t depth_;
  ConnectionListener& listener_;
  TlsClient* const tls_client_;  // null: plain TCP

  std::unique_ptr<transport::TcpSocket> socket_;
  State state_ = State::kClosed;
  uint64_t generation_ = 0;  // bumped on close: completions of an old socket are ignored
  std::chrono::steady_clock::time_point connect_started_;
  std::deque<uint64_t> in_flight_;
  uint64_t pending_tag_ = 0;  // rest: the request waiting for its connection
  bool has_pending_ = false;

  std::unique_ptr<transport::TlsEngine> tls_;
  std::vector<char> ciphertext_input_;
  bool tls_peer_closed_ = false;  // close_notify arrived

  std::vector<char> input_;
  size_t input_end_ = 0;
  std::string output_;
  std::string writing_;
  bool writing_now_ = false;
  bool reading_ = false;
  std::unique_ptr<HttpResponseReader> http_reader_;
  std::string websocket_key_;
};

}  // namespace predictwire::loadgen

#endif  // PREDICTWIRE_LOADGEN_STREAM_CONNECTION_H_
