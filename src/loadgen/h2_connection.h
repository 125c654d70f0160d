#ifndef PREDICTWIRE_LOADGEN_H2_CONNECTION_H_
#define PREDICTWIRE_LOADGEN_H2_CONNECTION_H_

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "loadgen/client_pipe.h"
#include "loadgen/payload.h"
#include "loadgen/wire_connection.h"

struct nghttp2_session;  // nghttp2 stays out of this header

namespace predictwire::loadgen {

// The h2 and h2-multiplexed wires: HTTP/2 (with prior knowledge in the clear, by ALPN over TLS)
// on one connection, each request a stream (a POST of the body), up to `depth` streams in
// flight. The handshake counted by OnConnected ends with the server's SETTINGS. An abandoned
// request's stream is reset (CANCEL); the connection carries on.
class H2Connection : public WireConnection, private ClientPipe::Handler {
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
  struct Exchange;
  class Callbacks;

  void OnPipeOpen() override;
  size_t OnPipeInput(char* data, size_t size) override;
  void OnPipeFailed(std::string_view kind) override;
  // Serializes what nghttp2 may send and writes it.
  void Pump();
  // Reports the replies and the handshake the last input completed (outside nghttp2 callbacks,
  // as the listener may call Send).
  void Deliver();
  // Every request in flight, for OnFailed.
  std::vector<uint64_t> InFlight() const;

  const RequestBody& body_;
  const size_t depth_;
  ConnectionListener& listener_;
  const std::string authority_;
  const bool tls_;
  ClientPipe pipe_;

  nghttp2_session* session_ = nullptr;  // owned
  bool ready_ = false;                  // the server's SETTINGS arrived
  bool settings_received_ = false;      // set in a callback, reported by Deliver
  std::unordered_map<int32_t, std::unique_ptr<Exchange>> streams_;
  std::vector<std::pair<uint64_t, ReplyInfo>> completed_;
};

std::unique_ptr<WireConnection> MakeH2Connection(const ConnectionSetup& setup);

}  // namespace predictwire::loadgen

#endif  // PREDICTWIRE_LOADGEN_H2_CONNECTION_H_
