#ifndef PREDICTWIRE_LOADGEN_CLIENT_WEBSOCKET_CONNECTION_H_
#define PREDICTWIRE_LOADGEN_CLIENT_WEBSOCKET_CONNECTION_H_

#include <cstdint>
#include <deque>
#include <memory>
#include <string>

#include "loadgen/client/byte_pipe.h"
#include "loadgen/client/payload.h"
#include "loadgen/client/wire_connection.h"

namespace predictwire::loadgen {

class HttpResponseReader;

// The WebSocket wires: one connection, upgraded on the body's path, carrying each request as one
// masked message (text for JSON bodies, binary for binary ones) and up to `depth` at a time.
// Replies are matched by the id they echo when several are in flight, else taken in order (an
// answer whose id is not in flight is reported as late). The handshake counted by OnConnected
// ends with the server's 101. A Close from the server is answered with a Close echoing its code
// and ends the connection (OnFailed ws_close_<code>), losing what was in flight: a server sends
// nothing after its Close.
class WebSocketConnection : public WireConnection, private BytePipe::Handler {
 public:
  explicit WebSocketConnection(const ConnectionSetup& setup);
  ~WebSocketConnection() override;

  void Connect() override;
  bool CanSend() const override;
  void Send(uint64_t tag) override;
  // One at a time: the connection is closed and reopened, as a late reply would be taken for the
  // next request's. Several in flight: the late reply is recognised by its id and dropped, and
  // the freed slot reported (OnReady).
  void Abandon(uint64_t tag) override;
  void Close() override;

 private:
  void OnPipeOpen() override;
  size_t OnPipeInput(char* data, size_t size) override;
  void OnPipeFailed(std::string_view kind) override;
  // The server's answer to the upgrade; false when it refused.
  bool ReadUpgrade(char* data, size_t size, size_t* consumed);
  void OnReplyMessage(const ReplyInfo& reply);

  const Target& target_;
  const RequestBody& body_;
  const size_t depth_;
  ConnectionListener& listener_;
  const std::unique_ptr<BytePipe> pipe_;
  bool ready_ = false;  // upgraded
  std::deque<uint64_t> in_flight_;
  std::unique_ptr<HttpResponseReader> upgrade_reader_;
  std::string message_;  // the request being framed
  uint64_t mask_state_;  // xorshift64: a fresh masking key per frame
};

std::unique_ptr<WireConnection> MakeWebSocketConnection(const ConnectionSetup& setup);

}  // namespace predictwire::loadgen

#endif  // PREDICTWIRE_LOADGEN_CLIENT_WEBSOCKET_CONNECTION_H_
