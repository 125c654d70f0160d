#ifndef PREDICTWIRE_TRANSPORT_COMMON_PROTOCOL_CONNECTION_H_
#define PREDICTWIRE_TRANSPORT_COMMON_PROTOCOL_CONNECTION_H_

#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "transport/common/completion_task.h"

namespace predictwire::transport {

class Protocol;

// The connection as a Protocol sees it: bytes out, pausing bytes in, closing, switching
// protocol, and the hop back to the IO thread for work that completes elsewhere.
// transport::Connection implements it over a socket; protocol tests use a fake in memory
// (fake_connection.h). Every member must be called on the connection's IO thread, except
// KeepAlive's result and Complete, which any thread may use.
class ProtocolConnection {
 public:
  virtual ~ProtocolConnection() = default;

  // Queues bytes to send. Output is flushed once at the end of each event (input handled, a
  // completion run), so replies produced together leave in one send.
  virtual void Write(std::string_view bytes) = 0;
  // The output buffer itself, for encoders that append in place; flushed like Write.
  virtual std::string& output() = 0;

  // Stops offering input to the protocol (it is at its in-flight limit) / offers the unconsumed
  // input again, with whatever arrived meanwhile.
  virtual void PauseInput() = 0;
  virtual void ResumeInput() = 0;

  // Sends what is queued, then closes.
  virtual void CloseAfterWrite() = 0;
  // Closes at once; queued output is dropped.
  virtual void Close() = 0;
  // True once CloseAfterWrite or Close has been called; no more input is offered.
  virtual bool closing() const = 0;

  // Replaces the protocol (an HTTP upgrade, or the first bytes chose one). Input not yet
  // consumed goes to the new protocol. The old one stays alive until the connection is
  // destroyed, as it may be on the call stack.
  virtual void SwitchProtocol(std::unique_ptr<Protocol> protocol) = 0;

  // Shares ownership of the connection, and so of its protocols. Work that completes on another
  // thread (a model on a worker) holds one so the connection is still there to Complete on.
  virtual std::shared_ptr<ProtocolConnection> KeepAlive() = 0;

  // The one hop back to the IO thread. Called on the IO thread (the model ran inline, inside
  // the protocol's OnInput) it runs `function` at once, and the event under way flushes the
  // output. Called on any other thread it posts `function` to the IO thread, which runs it
  // unless the connection has closed meanwhile and flushes afterwards; the post keeps the
  // connection alive until then. The caller must hold the connection alive (KeepAlive) for the
  // call itself. Thread-safe.
  template <typename Function>
  void Complete(Function&& function) {
    if (OnIoThread()) {
      std::forward<Function>(function)();
      return;
    }
    Post(CompletionTask(std::forward<Function>(function)));
  }

 protected:
  // For Complete; both thread-safe. Whether the calling thread is this connection's IO thread.
  virtual bool OnIoThread() const = 0;
  // Runs `function` on the IO thread as Complete describes.
  virtual void Post(CompletionTask&& function) = 0;
};

}  // namespace predictwire::transport

#endif  // PREDICTWIRE_TRANSPORT_COMMON_PROTOCOL_CONNECTION_H_
