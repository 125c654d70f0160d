#ifndef PREDICTWIRE_LOADGEN_CLIENT_TCP_CONNECTION_H_
#define PREDICTWIRE_LOADGEN_CLIENT_TCP_CONNECTION_H_

#include <cstdint>
#include <memory>

#include "loadgen/client/byte_pipe.h"
#include "loadgen/client/payload.h"
#include "loadgen/client/wire_connection.h"

namespace predictwire::loadgen {

// The tcp wires, the floor under every protocol: a raw exchange with the server's TCP echo
// (transport/common/tcp_echo.h) of the body's request and reply sizes, through the same pipe,
// driver and histogram as every other wire. tcp keeps one connection; tcp-new
// (Wire::new_connection_per_request) opens one per exchange, as the rest wire does.
class TcpConnection : public WireConnection, private BytePipe::Handler {
 public:
  explicit TcpConnection(const ConnectionSetup& setup);
  ~TcpConnection() override;

  void Connect() override;
  bool CanSend() const override;
  void Send(uint64_t tag) override;
  void Abandon(uint64_t tag) override;
  void Close() override;

 private:
  void OnPipeOpen() override;
  size_t OnPipeInput(char* data, size_t size) override;
  void OnPipeFailed(std::string_view kind) override;

  const bool per_request_;
  const RequestBody& body_;
  const size_t reply_bytes_;
  ConnectionListener& listener_;
  const std::unique_ptr<BytePipe> pipe_;
  bool in_flight_ = false;
  bool has_pending_ = false;  // tcp-new: the exchange waiting for its connection
  uint64_t tag_ = 0;          // the exchange in flight or pending
  size_t received_ = 0;       // of its reply
};

std::unique_ptr<WireConnection> MakeTcpConnection(const ConnectionSetup& setup);

// The tcp wires' body: an echo request of options.echo_request_bytes asking for
// options.echo_reply_bytes back.
absl::StatusOr<RequestBody> TcpEchoBody(const PayloadOptions& options);

}  // namespace predictwire::loadgen

#endif  // PREDICTWIRE_LOADGEN_CLIENT_TCP_CONNECTION_H_
