#ifndef PREDICTWIRE_LOADGEN_CLIENT_CLIENT_PIPE_H_
#define PREDICTWIRE_LOADGEN_CLIENT_CLIENT_PIPE_H_

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "loadgen/client/byte_pipe.h"
#include "loadgen/client/wire_connection.h"
#include "transport/common/asio_types.h"
#include "transport/common/tls.h"

namespace predictwire::loadgen {

// The bytes of one client connection on a socket: TCP connect, the TLS handshake when asked
// (offering the last session, counted in TlsClient), coalesced writes, reads handed to the
// handler, and close or failure with a short error kind. Every stream-based client wire
// (HTTP/1.1, WebSocket, HTTP/2) sits on one (as a BytePipe, made by MakePipe), as the server's
// protocols sit on transport::Connection, so that each speaks only its protocol. Used on one
// io_context's thread; the handler must outlive the pipe.
class ClientPipe final : public BytePipe {
 public:
  // Over TLS when `tls` is given.
  ClientPipe(transport::asio::io_context& context,
             const transport::asio::ip::tcp::endpoint& endpoint, TlsClient* tls, Handler& handler);
  ~ClientPipe() override;

  // Connects from `source` (port chosen by the kernel) instead of the address routing picks.
  void BindSource(const transport::asio::ip::address_v4& source) { source_ = source; }
  // Starts connecting (closing any earlier connection first).
  void Open() override;
  // Closes at once: queued output is dropped and completions still due are ignored. Over TLS,
  // keeps the newest session for the next Open to resume.
  void Close() override;
  // Sends what is queued: at once when no write is in progress, else when it completes.
  void Flush() override;
  std::chrono::nanoseconds SinceOpenStarted() const override {
    return std::chrono::steady_clock::now() - open_started_;
  }
  std::string_view alpn() const override;

 private:
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
  std::optional<transport::asio::ip::address_v4> source_;  // BindSource
  const transport::asio::ip::tcp::endpoint endpoint_;
  TlsClient* const tls_client_;  // null: plain TCP
  Handler& handler_;

  std::unique_ptr<transport::TcpSocket> socket_;
  std::chrono::steady_clock::time_point open_started_;

  std::unique_ptr<transport::TlsEngine> tls_;
  std::vector<char> ciphertext_input_;
  bool tls_peer_closed_ = false;  // close_notify arrived

  std::vector<char> input_;
  size_t input_end_ = 0;
  std::string writing_;
  bool writing_now_ = false;
  bool reading_ = false;
};

// The pipe `setup` asks for: its make_pipe's, or a ClientPipe to its endpoint (over TLS when
// it has a TlsClient).
std::unique_ptr<BytePipe> MakePipe(const ConnectionSetup& setup, BytePipe::Handler& handler);

}  // namespace predictwire::loadgen

#endif  // PREDICTWIRE_LOADGEN_CLIENT_CLIENT_PIPE_H_
