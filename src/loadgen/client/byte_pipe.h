#ifndef PREDICTWIRE_LOADGEN_CLIENT_BYTE_PIPE_H_
#define PREDICTWIRE_LOADGEN_CLIENT_BYTE_PIPE_H_

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace predictwire::loadgen {

// The bytes under one client connection, as its protocol sees them: open, queue output and
// flush it, take input through a Handler, close. ClientPipe (client_pipe.h) is the real one, on a
// socket; a test puts a FakePipe (fake_pipe.h) in its place through ConnectionSetup::make_pipe,
// so each connection class is unit-tested without sockets.
//
// What a protocol asks of its pipe for every request (output, open, closed, generation) is
// state kept here and read inline; only opening, closing, flushing and what is asked once a
// connection (SinceOpenStarted, alpn) are virtual. An implementation keeps that state with
// set_state and MarkClosed. Used on one thread; the handler must outlive the pipe.
class BytePipe {
 public:
  class Handler {
   public:
    virtual ~Handler() = default;
    // The pipe is open (TCP connected and, over TLS, the handshake done): the protocol may write.
    virtual void OnPipeOpen() = 0;
    // Input arrived: `data` holds everything not yet consumed. Returns the bytes consumed; the
    // rest is offered again with what comes next. May write, or Close (and even Open again):
    // the pipe then delivers nothing more from this connection.
    virtual size_t OnPipeInput(char* data, size_t size) = 0;
    // The connection failed or the server closed it; the pipe is closed already. `kind` is
    // refused, reset, closed, tls, tls_handshake or io_<message>.
    virtual void OnPipeFailed(std::string_view kind) = 0;
  };

  virtual ~BytePipe() = default;
  BytePipe(const BytePipe&) = delete;
  BytePipe& operator=(const BytePipe&) = delete;

  // Starts opening (closing any earlier connection first): OnPipeOpen follows, or OnPipeFailed.
  virtual void Open() = 0;
  // Closes at once: queued output is dropped and nothing more of this connection is delivered.
  virtual void Close() = 0;
  // Sends what output() holds: at once, or after the write in progress.
  virtual void Flush() = 0;
  // How long ago the last Open began: connect plus any handshake, once OnPipeOpen runs.
  virtual std::chrono::nanoseconds SinceOpenStarted() const = 0;
  // The protocol TLS agreed on (ALPN), empty in the clear.
  virtual std::string_view alpn() const = 0;

  // Output queued for the next Flush; appending in place avoids a copy.
  std::string& output() { return output_; }
  bool open() const { return state_ == State::kOpen; }
  bool closed() const { return state_ == State::kClosed; }
  // Changes at every Open and Close: a handler that saw it change while it worked (the listener
  // it called closed or reopened the connection) must stop using the input it was given.
  uint64_t generation() const { return generation_; }

 protected:
  // kOpening: from Open until OnPipeOpen (connecting, then any TLS handshake).
  enum class State { kClosed, kOpening, kOpen };

  BytePipe() = default;

  State state() const { return state_; }
  void set_state(State state) { state_ = state; }
  // For Close: a new generation, closed, and the queued output dropped.
  void MarkClosed() {
    ++generation_;
    state_ = State::kClosed;
    output_.clear();
  }

 private:
  State state_ = State::kClosed;
  uint64_t generation_ = 0;
  std::string output_;
};

}  // namespace predictwire::loadgen

#endif  // PREDICTWIRE_LOADGEN_CLIENT_BYTE_PIPE_H_
