#ifndef PREDICTWIRE_LOADGEN_H2_CONNECTION_H_
#define PREDICTWIRE_LOADGEN_H2_CONNECTION_H_

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "loadgen/payload.h"
#include "loadgen/wire.h"
#include "loadgen/wire_connection.h"
#include "transport/common/asio_types.h"
#include "transport/common/tls.h"

struct nghttp2_session;  // nghttp2 stays out of this header

namespace predictwire::loadgen {

// The h2 and h2-multiplexed wires: HTTP/2 with prior knowledge over one TCP connection, each
// request a stream (POST of the encoder's body), up to `depth` streams in flight. The handshake
// counted by OnConnected ends with the server's SETTINGS. An abandoned request's stream is reset
// (CANCEL); the connection carries on.
class H2Connection : public WireConnection {
 public:
  // Over TLS when `tls` is given (its context must offer ALPN "h2"); `tls` must outlive it.
  H2Connection(transport::asio::io_context& context,
               const transport::asio::ip::tcp::endpoint& endpoint, RequestEncoder& encoder,
               int depth, ConnectionListener& listener, TlsClient* tls);
  ~H2Connection() override;

  void Connect() override;
  bool CanSend() const override;
  void Send(uint64_t tag) override;
  void Abandon(uint64_t tag) override;
  void Close() override;

 private:
  struct Exchange;
  class Callbacks;

  void OnConnect(const transport::ErrorCode& error);
  // Opens the HTTP/2 session once the transport (TCP, or TLS after its handshake) is ready.
  bool StartSession();
  // Hands received HTTP/2 bytes to nghttp2; false when the connection failed.
  bool Receive(const char* data, size_t size);
  void StartRead();
  void OnRead(const transport::ErrorCode& error, size_t bytes);
  // Serializes what nghttp2 may send and writes it.
  void Pump();
  void Flush();
  void Fail(std::string_view error);
  // Reports the replies and the handshake the last input completed (outside nghttp2 callbacks,
  // as the listener may call Send).
  void Deliver();

  transport::asio::io_context& context_;
  const transport::asio::ip::tcp::endpoint endpoint_;
  RequestEncoder& encoder_;
  const size_t depth_;
  ConnectionListener& listener_;
  const std::string authority_;
  TlsClient* const tls_client_;  // null: h2c in the clear

  std::unique_ptr<transport::TcpSocket> socket_;
  nghttp2_session* session_ = nullptr;  // owned
  // kTlsHandshaking: TLS first; kHandshaking: waiting for the server's HTTP/2 SETTINGS.
  enum class State {
    kClosed,
    kConnecting,
    kTlsHandshaking,
    kHandshaking,
    kReady
  } state_ = State::kClosed;
  bool settings_received_ = false;  // set in a callback, reported by Deliver
  uint64_t generation_ = 0;         // bumped on close: completions of an old socket are ignored
  std::chrono::steady_clock::time_point connect_started_;
  std::unordered_map<int32_t, std::unique_ptr<Exchange>> streams_;
  std::vector<std::pair<uint64_t, ReplyInfo>> completed_;
  bool failed_in_callback_ = false;

  std::unique_ptr<transport::TlsEngine> tls_;
  std::vector<char> plaintext_;  // decrypted input, handed to nghttp2 chunk by chunk
  std::vector<char> input_;
  std::string output_;
  std::string writing_;
  bool writing_now_ = false;
};

}  // namespace predictwire::loadgen

#endif  // PREDICTWIRE_LOADGEN_H2_CONNECTION_H_
