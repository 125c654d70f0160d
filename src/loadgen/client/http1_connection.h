#ifndef PREDICTWIRE_LOADGEN_CLIENT_HTTP1_CONNECTION_H_
#define PREDICTWIRE_LOADGEN_CLIENT_HTTP1_CONNECTION_H_

#include <cstdint>
#include <deque>
#include <memory>
#include <string>

#include "loadgen/client/byte_pipe.h"
#include "loadgen/client/payload.h"
#include "loadgen/client/wire_connection.h"

namespace predictwire::loadgen {

class HttpResponseReader;

// The bytes of an HTTP/1.1 POST of `body` to `target`, as the REST wires send it: the head is
// built once, each request appends the head, its length and the body.
class Http1RequestWriter {
 public:
  // `close`: ask the server to close after answering (Connection: close).
  Http1RequestWriter(const Target& target, const RequestBody& body, bool close);
  void Append(uint64_t id, std::string* out) const;

 private:
  const RequestBody& body_;
  std::string head_;  // request line and headers up to "Content-Length: "
};

// The REST wires over HTTP/1.1: rest-keepalive keeps one connection and sends one request at a
// time on it; rest (Wire::new_connection_per_request) opens a new connection for every request,
// inside Send, so its latency includes the handshake, and asks the server to close after it.
// A kept connection whose server closes it after an answer (`Connection: close`) reports the
// answer, then its end (OnFailed "closed", nothing lost): the driver reconnects it.
class Http1Connection : public WireConnection, private BytePipe::Handler {
 public:
  explicit Http1Connection(const ConnectionSetup& setup);
  ~Http1Connection() override;

  void Connect() override;
  bool CanSend() const override;
  void Send(uint64_t tag) override;
  // The connection is closed (and a kept one reconnected), as a late reply would be taken for
  // the next request's. rest is then free for the next request at once: OnReady.
  void Abandon(uint64_t tag) override;
  void Close() override;

 private:
  void OnPipeOpen() override;
  size_t OnPipeInput(char* data, size_t size) override;
  void OnPipeFailed(std::string_view kind) override;
  void Complete(uint64_t tag, const ReplyInfo& reply);

  const bool per_request_;
  ConnectionListener& listener_;
  const Http1RequestWriter writer_;
  const std::unique_ptr<BytePipe> pipe_;
  bool ready_ = false;  // open and able to take requests
  std::deque<uint64_t> in_flight_;
  uint64_t pending_tag_ = 0;  // rest: the request waiting for its connection
  bool has_pending_ = false;
  std::unique_ptr<HttpResponseReader> reader_;
};

std::unique_ptr<WireConnection> MakeHttp1Connection(const ConnectionSetup& setup);

}  // namespace predictwire::loadgen

#endif  // PREDICTWIRE_LOADGEN_CLIENT_HTTP1_CONNECTION_H_
