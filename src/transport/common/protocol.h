#ifndef PREDICTWIRE_TRANSPORT_COMMON_PROTOCOL_H_
#define PREDICTWIRE_TRANSPORT_COMMON_PROTOCOL_H_

#include <chrono>
#include <cstddef>

namespace predictwire::transport {

// The protocol logic of one connection (HTTP/1.1, WebSocket, ...). A Connection owns the socket
// and its buffers and calls these on the connection's IO thread only; a protocol writes through
// the ProtocolConnection it was created for.
class Protocol {
 public:
  virtual ~Protocol() = default;

  // Parses as much of `data` (all unconsumed input) as it can and returns the bytes consumed.
  // It may modify the bytes in place (WebSocket unmasking). Unconsumed bytes are offered again,
  // with more after them, when more arrive or when the protocol calls ResumeInput.
  virtual size_t OnInput(char* data, size_t size) = 0;

  // The server is shutting down: answer what is in flight, then close.
  virtual void OnDrain() = 0;

  // True while a request is being computed; the idle sweep never closes such a connection.
  virtual bool HasWorkInFlight() const = 0;

  // How long the connection may go without input while nothing is in flight.
  virtual std::chrono::seconds IdleTimeout() const = 0;

  // The connection has been idle that long: a protocol that can say goodbye (HTTP/2's GOAWAY)
  // queues it and closes after writing; otherwise the connection closes at once.
  virtual void OnIdle() {}

  // The peer has gone, so requests still queued for it need not run: `half_close` when it sent
  // EOF (it may still be reading, which HTTP/1.1 allows), otherwise the connection is closed.
  // May be called more than once.
  virtual void OnPeerGone(bool half_close) { (void)half_close; }
};

}  // namespace predictwire::transport

#endif  // PREDICTWIRE_TRANSPORT_COMMON_PROTOCOL_H_
