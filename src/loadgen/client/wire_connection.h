#ifndef PREDICTWIRE_LOADGEN_CLIENT_WIRE_CONNECTION_H_
#define PREDICTWIRE_LOADGEN_CLIENT_WIRE_CONNECTION_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "loadgen/client/byte_pipe.h"
#include "loadgen/client/payload.h"
#include "loadgen/client/wire.h"
#include "transport/common/asio_types.h"
#include "transport/common/tls.h"

namespace predictwire::loadgen {

class WireConnection;

// What a connection reports to the load driver that owns it. All calls on the driver's thread.
class ConnectionListener {
 public:
  virtual ~ConnectionListener() = default;
  // The connection can take another request (it connected, or a reply or Abandon freed a slot).
  virtual void OnReady(WireConnection& connection) = 0;
  // Connect (and any protocol handshake) took this long.
  virtual void OnConnected(WireConnection& connection, std::chrono::nanoseconds elapsed) = 0;
  // Request `tag` was answered. With `reply.unprocessed` the server says it never processed it:
  // the request is free to go again, as if lost with its connection.
  virtual void OnReply(WireConnection& connection, uint64_t tag, const ReplyInfo& reply) = 0;
  // The connection ended: it failed, or the server closed it; it is closed now and takes no
  // request until Connect. `lost` were in flight on it and will never be answered. `error` is a
  // short kind: refused, reset, closed (the server closed it, or said so: HTTP/1.1
  // `Connection: close`), goaway (HTTP/2 GOAWAY without an error, once its streams were done),
  // goaway_<code>, http_<code>, ws_close_<code>, bad_reply, tls, ... IsOrderlyEnd tells the
  // ends a server means from the failures.
  virtual void OnFailed(WireConnection& connection, std::string_view error,
                        const std::vector<uint64_t>& lost) = 0;
  // The server will take no new request on this connection (HTTP/2 GOAWAY without an error):
  // from now CanSend() is false, the requests in flight are still answered (or reported lost)
  // and the connection then ends (OnFailed). A client opens another one at once meanwhile.
  virtual void OnGoingAway(WireConnection&) {}
  // An answer to request `tag` came that was not in flight on this connection: one answered
  // already (a duplicate), or one given up (Abandon). Nothing else changes.
  virtual void OnLateReply(WireConnection&, uint64_t) {}
};

// Whether a connection's end (OnFailed's `error`, and whether anything was `lost` with it) is
// one a server means: a close it announced (ws_close_1000, ws_close_1001 going away,
// ws_close_1012 service restart, goaway), or a plain close with nothing in flight (an idle
// keep-alive closed, HTTP/1.1 `Connection: close` after its answer). Other ends are failures.
inline bool IsOrderlyEnd(std::string_view error, bool lost_any) {
  if (error == "closed") return !lost_any;
  return error == "goaway" || error == "ws_close_1000" || error == "ws_close_1001" ||
         error == "ws_close_1012";
}

// One client connection of one wire: the load driver's only view of a protocol. Each wire's row
// in the wire table (wire.h) names the factory of its class. Used on one io_context's thread.
class WireConnection {
 public:
  virtual ~WireConnection() = default;

  // Persistent wires: connects (and handshakes); reports OnConnected and OnReady, or OnFailed.
  // Wires that connect per request do nothing here.
  virtual void Connect() = 0;
  virtual bool CanSend() const = 0;
  // Sends request `tag`; CanSend() must be true.
  virtual void Send(uint64_t tag) = 0;
  // Gives up on request `tag` (timed out); a late reply to it is ignored. A connection that can
  // then send at once reports OnReady (from inside Abandon); one that reconnects instead, once
  // it is open again.
  virtual void Abandon(uint64_t tag) = 0;
  virtual void Close() = 0;

  // The driver's bookkeeping: whether it is in the driver's queue of ready connections, which
  // of its connections this is (-1: one being let go), and whether it answered since it last
  // connected.
  bool queued_as_ready = false;
  int slot = -1;
  bool answered = false;
};

// TLS for one driver's connections: the context they share, the session the next connection
// offers to resume, and how the handshakes went. Used on the driver's thread.
struct TlsClient {
  const transport::TlsContext* context = nullptr;
  bool resume = true;  // offer the last session; false: a full handshake every time
  transport::TlsSession session;
  uint64_t full_handshakes = 0;
  uint64_t resumed_handshakes = 0;
};

// Everything a wire's connection factory gets. All references outlive the connection.
struct ConnectionSetup {
  // Makes the one pipe a connection sits on, once, in its constructor (MakePipe, client_pipe.h).
  using PipeFactory = std::function<std::unique_ptr<BytePipe>(BytePipe::Handler&)>;

  transport::asio::io_context& context;
  transport::asio::ip::tcp::endpoint endpoint;
  const Wire& wire;
  const Target& target;
  const RequestBody& body;
  int depth;  // requests one connection may have in flight (Wire::Depth)
  ConnectionListener& listener;
  TlsClient* tls;  // null: in the clear
  // Empty: a ClientPipe to `endpoint` (over `tls` when given). Tests hand in fakes here.
  PipeFactory make_pipe = {};
  // A loopback IPv4 `endpoint`: pipes bind round robin to 127.0.0.1 ... 127.0.0.N before they
  // connect, so that more connections than one address's ephemeral ports reach one port.
  int source_addresses = 1;
};

}  // namespace predictwire::loadgen

#endif  // PREDICTWIRE_LOADGEN_CLIENT_WIRE_CONNECTION_H_
