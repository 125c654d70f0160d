#ifndef PREDICTWIRE_LOADGEN_CLIENT_FAKE_PIPE_H_
#define PREDICTWIRE_LOADGEN_CLIENT_FAKE_PIPE_H_

// For tests only: a BytePipe in memory, so that the client connection classes are unit-tested
// without sockets, as the server's protocols are against transport/common/fake_connection.h.

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>
#include <utility>

#include "loadgen/client/byte_pipe.h"

namespace predictwire::loadgen::testing {

// Opens when the test says (FinishOpen), keeps what the connection flushes, and offers the bytes
// a test feeds it the way ClientPipe offers a read: everything not yet consumed, once per
// arrival, only while open, and nothing more once the handler closed or reopened the pipe.
// Counts the connection's Open and Close calls.
class FakePipe final : public BytePipe {
 public:
  // What SinceOpenStarted reports: a fixed figure, so that tests may compare it.
  static constexpr std::chrono::nanoseconds kOpenTime{1234567};

  explicit FakePipe(Handler& handler) : handler_(handler) {}

  // BytePipe.
  void Open() override {
    ++opens_;
    Forget();
    set_state(State::kOpening);
  }
  void Close() override {
    ++closes_;
    Forget();
  }
  void Flush() override {
    if (closed()) return;
    ++flushes_;
    written_ += output();
    output().clear();
  }
  std::chrono::nanoseconds SinceOpenStarted() const override { return kOpenTime; }
  std::string_view alpn() const override { return alpn_; }

  // Connecting (and any TLS handshake) finished: the handler hears OnPipeOpen.
  void FinishOpen() {
    if (state() != State::kOpening) return;
    set_state(State::kOpen);
    handler_.OnPipeOpen();
  }

  // Bytes arrive from the server, in one read. Dropped unless open, as a closed socket's are.
  void Receive(std::string_view bytes) {
    if (!open() || bytes.empty()) return;
    input_.append(bytes);
    const uint64_t delivered_in = generation();
    const size_t consumed = handler_.OnPipeInput(input_.data(), input_.size());
    if (delivered_in != generation()) return;  // closed or reopened: that input is gone
    input_.erase(0, consumed);
  }

  // Bytes arrive in reads of at most `chunk` (> 0) bytes each (1: a byte at a time).
  void ReceiveInChunks(std::string_view bytes, size_t chunk) {
    if (chunk == 0 || chunk >= bytes.size()) return Receive(bytes);
    for (size_t at = 0; at < bytes.size(); at += chunk) Receive(bytes.substr(at, chunk));
  }

  // The connection fails (`kind`: reset, closed, refused...): the pipe closes, then the handler
  // hears OnPipeFailed, as from ClientPipe.
  void Fail(std::string_view kind) {
    if (closed()) return;
    Forget();
    handler_.OnPipeFailed(kind);
  }

  void set_alpn(std::string alpn) { alpn_ = std::move(alpn); }

  // What the connection has flushed since the last TakeWritten.
  std::string TakeWritten() { return std::exchange(written_, std::string()); }
  const std::string& written() const { return written_; }
  // Input offered and not consumed yet.
  std::string_view unconsumed() const { return input_; }
  int opens() const { return opens_; }
  int closes() const { return closes_; }
  int flushes() const { return flushes_; }

 private:
  // Closes without counting a Close call: what came in and what was queued is dropped.
  void Forget() {
    MarkClosed();
    input_.clear();
  }

  Handler& handler_;
  std::string alpn_;
  std::string input_;
  std::string written_;
  int opens_ = 0;
  int closes_ = 0;
  int flushes_ = 0;
};

}  // namespace predictwire::loadgen::testing

#endif  // PREDICTWIRE_LOADGEN_CLIENT_FAKE_PIPE_H_
