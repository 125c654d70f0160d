#ifndef PREDICTWIRE_TRANSPORT_HTTP1_HTTP1_PROTOCOL_H_
#define PREDICTWIRE_TRANSPORT_HTTP1_HTTP1_PROTOCOL_H_

#include <atomic>
#include <functional>
#include <memory>
#include <optional>

#include "transport/common/limits.h"
#include "transport/common/memory_budget.h"
#include "transport/common/protocol.h"
#include "transport/common/protocol_connection.h"
#include "transport/common/rest_router.h"

namespace predictwire::transport::http1 {

class RequestParser;

// HTTP/1.1 (and 1.0) on one connection: keep-alive by default, Connection: close honoured, one
// request at a time (pipelined requests wait in the buffer and are answered in order). A GET on
// RestRouter::kWebSocketPath with a valid upgrade handshake switches the connection to the
// protocol `make_websocket` returns, unless its Origin is refused (CorsPolicy::AcceptsWebSocket):
// 403.
class Http1Protocol : public Protocol {
 public:
  using WebSocketFactory = std::function<std::unique_ptr<Protocol>(ProtocolConnection&)>;

  struct Options {
    size_t max_body_bytes = kDefaultMaxBodyBytes;
    std::chrono::seconds idle_timeout = kHttpIdleTimeout;
    Metrics* metrics = nullptr;      // counts refused requests, if set; outlives connections
    MemoryBudget* memory = nullptr;  // large bodies are charged here (null: no budget)
  };

  // `router` and `make_websocket` must outlive the connection.
  Http1Protocol(ProtocolConnection& connection, const RestRouter& router,
                const WebSocketFactory& make_websocket, const Options& options);
  ~Http1Protocol() override;

  size_t OnInput(char* data, size_t size) override;
  // An idle connection closes at once when the server stops; past its age it stays for its
  // next request, answered with Connection: close (closing it now could cross a request on the
  // way), until the grace is over.
  void OnGoAway(GoAwayReason reason) override;
  void OnGraceOver() override;
  bool HasWorkInFlight() const override { return in_flight_; }
  // A half-closed HTTP/1.1 client may still read its answers; a closed one cannot.
  void OnPeerGone(bool half_close) override {
    if (!half_close) client_gone_->store(true, std::memory_order_relaxed);
  }
  std::chrono::seconds IdleTimeout() const override { return options_.idle_timeout; }
  bool AwaitingRequestHead() const override;
  void OnHeaderTimeout() override;

 private:
  // Handles the request the parser completed. Returns false if the connection no longer speaks
  // HTTP/1.1 (upgraded or closing).
  bool Dispatch();
  bool Upgrade();
  void SendReply(RestReply reply);
  // Answers `refusal` (an error reply) and closes the connection: a request the parser
  // rejected, or a WebSocket handshake refused.
  void Reject(RestReply refusal);

  ProtocolConnection& connection_;
  const RestRouter& router_;
  const WebSocketFactory& make_websocket_;
  const Options options_;

  std::unique_ptr<RequestParser> parser_;  // the request being read; null between requests
  MemoryCharge body_charge_;               // its body, from its header until it is answered
  bool continue_sent_ = false;
  bool in_flight_ = false;   // a request is being answered
  bool keep_alive_ = true;   // of the request in flight
  bool http10_ = false;      // of the request in flight
  bool head_ = false;        // of the request in flight
  bool going_away_ = false;  // the next answer carries Connection: close
  // Set once the client has gone; shared with the request in flight so its queued run is
  // dropped (one per connection: a request never outlives its connection's client).
  const std::shared_ptr<std::atomic<bool>> client_gone_ = std::make_shared<std::atomic<bool>>();
};

}  // namespace predictwire::transport::http1

#endif  // PREDICTWIRE_TRANSPORT_HTTP1_HTTP1_PROTOCOL_H_
