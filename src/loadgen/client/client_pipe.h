#ifndef PREDICTWIRE_LOADGEN_CLIENT_CLIENT_PIPE_H_
#define PREDICTWIRE_LOADGEN_CLIENT_CLIENT_PIPE_H_

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "loadgen/client/wire_connection.h"
#include "transport/common/asio_types.h"
#include "transport/common/tls.h"

namespace predictwire::loadgen {

// The bytes of one client connection: TCP connect, the TLS handshake when asked (offering the
// last session, counted in TlsClient), coalesced writes, reads handed to a handler, and close or
// failure with a short error kind. Every stream-based client wire (HTTP/1.1, WebSocket, HTTP/2)
// sits on one, as the server's protocols sit on transport::Connection, so that each speaks only
// its protocol. Used on one io_context's thread; the handler must outlive the pipe.
class ClientPipe {
 public:
  class Handler {
   public:
    virtual ~Handler() = default;
    // TCP is connected and, over TLS, the handshake is done: the protocol may write.
    virtual void OnPipeOpen() = 0;
    // Plaintext arrived: `data` holds everything not yet consumed. Returns the bytes consumed;
    // the rest is offered again with what comes next. May write, or Close (and even Open
    // again): the pipe then delivers nothing more from this connection.
    virtual size_t OnPipeInput(char* data, size_t size) = 0;
    // The connection failed or the server closed it; the pipe is closed already. `kind` is
    // refused, reset, closed, tls, tls_handshake or io_<message>.
    virtual void OnPipeFailed(std::string_view kind) = 0;
  };

  // Over TLS when `tls` is given.
  ClientPipe(transport::asio::io_context& context,
             const transport::asio::ip::tcp::endpoint& endpoint, TlsClient* tls, Handler& handler);
  ~ClientPipe();

  ClientPipe(const ClientPipe&) = delete;
  ClientPipe& operator=(const ClientPipe&) = delete;

  // Starts connecting (closing any earlier connection first).
  void Open();
  // Closes at once: queued output is dropped and completions still due are ignored. Over TLS,
  // keeps the newest session for the next Open to resume.
  void Close();

  // Output queued for the next Flush; appending in place avoids a copy.
  std::string& output() { return output_; }
  // Sends what is queued: at once when no write is in progress, else when it completes.
  void Flush();

  bool open() const { return state_ == State::kOpen; }
  // Changes at every Open and Close: a handler that saw it change while it worked (the listener
  // it called closed or reopened the connection) must stop using the input it was given.
  uint64_t generation() const { return generation_; }
  bool closed() const { return state_ == State::kClosed; }
  // How long ago the last Open began: connect plus TLS handshake, once OnPipeOpen runs.
  std::chrono::nanoseconds SinceOpenStarted() const {
    return std::chrono::steady_clock::now() - open_started_;
  }
  // The protocol TLS agreed on (ALPN), empty in the clear.
  std::string_view alpn() const;

 private:
  enum class State { kClosed, kConnecting, kHandshaking, kOpen };

  void OnConnect(const transport::ErrorCode& error);
  void StartRead();
  void OnRead(const transport::ErrorCode& error, size_t bytes);
  // TLS: advances the handshake and decrypts into the input buffer; false if the connection
  // failed or was closed meanwhile.
  bool DecryptInput(size_t bytes);
  // Hands the input to the handler; false if it closed the connection meanwhile.
  bool Deliver();
  void Fail(std::string_view kind);
  void MakeReadSpace();

  transport::asio::io_context& context_;
  const transport::asio::ip::tcp::endpoint endpoint_;
  TlsClient* const tls_client_;  // null: plain TCP
  Handler& handler_;

  std::unique_ptr<transport::TcpSocket> socket_;
  State state_ = State::kClosed;
  uint64_t generation_ = 0;  // bumped on close: completions of an old socket are ignored
  std::chrono::steady_clock::time_point open_started_;

  std::unique_ptr<transport::TlsEngine> tls_;
  std::vector<char> ciphertext_input_;
  bool tls_peer_closed_ = false;  // close_notify arrived

  std::vector<char> input_;
  size_t input_end_ = 0;
  std::string output_;
  std::string writing_;
  bool writing_now_ = false;
  bool reading_ = false;
};

}  // namespace predictwire::loadgen

#endif  // PREDICTWIRE_LOADGEN_CLIENT_CLIENT_PIPE_H_
