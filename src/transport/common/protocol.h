#ifndef PREDICTWIRE_TRANSPORT_COMMON_PROTOCOL_H_
#define PREDICTWIRE_TRANSPORT_COMMON_PROTOCOL_H_

#include <chrono>
#include <cstddef>

namespace predictwire::transport {

// The protocol logic of one connection (HTTP/1.1, WebSocket, ...). A Connection owns the socket
// and its buffers and calls these on the connection's IO thread only; a protocol writes through
// the ProtocolConnection it was created for.
// Why a connection is asked to go.
enum class GoAwayReason {
  kServerStopping,  // the server drains: an idle connection may close at once
  kMaxAge,          // the connection reached --max-connection-age: the server carries on
};

class Protocol {
 public:
  virtual ~Protocol() = default;

  // Parses as much of `data` (all unconsumed input) as it can and returns the bytes consumed.
  // It may modify the bytes in place (WebSocket unmasking). Unconsumed bytes are offered again,
  // with more after them, when more arrive or when the protocol calls ResumeInput.
  virtual size_t OnInput(char* data, size_t size) = 0;

  // The connection is asked to go, for `reason`: answer what is in flight without losing a
  // request, tell the client to go (HTTP/1.1: `Connection: close` on the next answer; HTTP/2:
  // GOAWAY; WebSocket: Close 1001 once the answers are out), then close. What the client sent
  // and got no answer for is what it must send again, on a new connection.
  virtual void OnGoAway(GoAwayReason reason) = 0;

  // The grace after OnGoAway is over: end what is still open (a gRPC stream with UNAVAILABLE),
  // queue any goodbye, and let the connection close. Called once, after OnGoAway.
  virtual void OnGraceOver() {}

  // How often the connection is pinged when no input has come for that long (zero: never): the
  // ping keeps proxies from timing out an idle connection and finds a peer that is gone. A
  // WebSocket is pinged whenever it is quiet, HTTP/2 while a stream is open. Read by the sweep.
  virtual std::chrono::seconds PingInterval() const { return std::chrono::seconds(0); }
  // Queues a ping (a WebSocket Ping frame, an HTTP/2 PING); any input after it shows the peer
  // is there.
  virtual void SendPing() {}

  // Whether the server reports ready has changed (it started, or it drains): a protocol that
  // streams health (gRPC's Watch) says so.
  virtual void OnReadinessChanged() {}

  // True while a request is being computed; the idle sweep never closes such a connection.
  virtual bool HasWorkInFlight() const = 0;

  // How long the connection may go without input while nothing is in flight.
  virtual std::chrono::seconds IdleTimeout() const = 0;

  // The connection has been idle that long: a protocol that can say goodbye (HTTP/2's GOAWAY)
  // queues it and closes after writing; otherwise the connection closes at once.
  virtual void OnIdle() {}

  // True while the connection waits for the rest of a request head (the connection's
  // --header-timeout then applies): HTTP/1.1 between a request's first byte and the end of its
  // fields, HTTP/2 until the client's preface and SETTINGS and while a stream's header block is
  // incomplete. Read by the sweep, once a second.
  virtual bool AwaitingRequestHead() const { return false; }
  // The head did not come in time: a protocol that can say so (HTTP/1.1's 408) queues it and
  // closes after writing; otherwise the connection closes at once.
  virtual void OnHeaderTimeout() {}

  // True while answers are held back by the peer's flow control (an HTTP/2 window at zero): the
  // connection's --write-timeout then applies, as to output the socket does not take.
  virtual bool HasParkedOutput() const { return false; }
  // The connection has been quiet for a sweep interval and gave back its own buffers: a
  // protocol gives back what memory of its own it can without losing state (HTTP/2: nghttp2's
  // frame buffer).
  virtual void ReleaseIdleMemory() {}
  // The peer has gone, so requests still queued for it need not run: `half_close` when it sent
  // EOF (it may still be reading, which HTTP/1.1 allows), otherwise the connection is closed.
  // May be called more than once.
  virtual void OnPeerGone(bool half_close) { (void)half_close; }
};

}  // namespace predictwire::transport

#endif  // PREDICTWIRE_TRANSPORT_COMMON_PROTOCOL_H_
