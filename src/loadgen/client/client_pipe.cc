#include "loadgen/client/client_pipe.h"

#include <atomic>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <cstring>

#include "loadgen/client/client_tls.h"

namespace predictwire::loadgen {

namespace asio = transport::asio;
using transport::ErrorCode;

namespace {

// Free space offered to each read; the buffer grows when a message needs more.
constexpr size_t kReadChunk = 16 * 1024;
// TLS: ciphertext read per call (one record is at most 16 KiB plus its overhead).
constexpr size_t kTlsReadChunk = kReadChunk + 1024;

std::string ErrorKind(const ErrorCode& error) {
  if (error == asio::error::connection_refused) return "refused";
  if (error == asio::error::connection_reset || error == asio::error::broken_pipe) return "reset";
  if (error == asio::error::eof) return "closed";
  return "io_" + error.message();
}

}  // namespace

ClientPipe::ClientPipe(asio::io_context& context, const asio::ip::tcp::endpoint& endpoint,
                       TlsClient* tls, Handler& handler)
    : context_(context), endpoint_(endpoint), tls_client_(tls), handler_(handler) {}

ClientPipe::~ClientPipe() { Close(); }

std::string_view ClientPipe::alpn() const { return tls_ ? tls_->alpn() : std::string_view(); }

void ClientPipe::Open() {
  Close();
  socket_ = std::make_unique<transport::TcpSocket>(context_.get_executor());
  set_state(State::kOpening);
  open_started_ = std::chrono::steady_clock::now();
  if (source_) {
    ErrorCode error;
    socket_->open(asio::ip::tcp::v4(), error);
    if (!error) socket_->bind(asio::ip::tcp::endpoint(*source_, 0), error);
    if (error) {
      // Reported as the connect's failure, once the caller has returned.
      asio::post(context_, [this, started_in = generation(), error] {
        if (started_in == generation()) Fail("bind_" + error.message());
      });
      return;
    }
  }
  // Every completion checks the generation it began in: an old socket's are ignored.
  socket_->async_connect(endpoint_, [this, started_in = generation()](const ErrorCode& error) {
    if (started_in == generation()) OnConnect(error);
  });
}

void ClientPipe::Close() {
  MarkClosed();  // a new generation, and the queued output dropped
  if (tls_) {
    // The next connection resumes with the newest ticket this one received.
    KeepSessionForResumption(*tls_, *tls_client_);
    tls_.reset();
  }
  if (socket_) {
    ErrorCode ignored;
    socket_->close(ignored);
  }
  input_end_ = 0;
  writing_.clear();
  writing_now_ = false;
  reading_ = false;
}

void ClientPipe::Fail(std::string_view kind) {
  Close();
  handler_.OnPipeFailed(kind);
}

void ClientPipe::OnConnect(const ErrorCode& error) {
  if (error) return Fail(ErrorKind(error));
  ErrorCode ignored;
  socket_->set_option(asio::ip::tcp::no_delay(true), ignored);
  if (tls_client_ != nullptr) {
    tls_ = StartClientHandshake(*tls_client_);
    if (!tls_) return Fail("tls");
    tls_peer_closed_ = false;
    // The pipe stays kOpening until the handshake is done.
    StartRead();
    Flush();  // the ClientHello
    return;
  }
  set_state(State::kOpen);
  StartRead();
  handler_.OnPipeOpen();
}

void ClientPipe::Flush() {
  if (writing_now_ || !socket_ || closed()) return;
  if (tls_) {
    if (!output().empty()) {
      if (!tls_->Encrypt(output()).ok()) return Fail("tls");
      output().clear();
    }
    writing_.clear();
    if (!tls_->TakeCiphertext(&writing_)) return;
  } else {
    if (output().empty()) return;
    writing_.swap(output());
    output().clear();
  }
  writing_now_ = true;
  asio::async_write(*socket_, asio::buffer(writing_),
                    [this, started_in = generation()](const ErrorCode& error, size_t) {
                      if (started_in != generation()) return;
                      writing_now_ = false;
                      writing_.clear();
                      if (error) return Fail(ErrorKind(error));
                      Flush();
                    });
}

void ClientPipe::MakeReadSpace() {
  if (input_.size() - input_end_ < kReadChunk) input_.resize(input_end_ + kReadChunk);
}

void ClientPipe::StartRead() {
  if (reading_ || closed()) return;
  reading_ = true;
  auto on_read = [this, started_in = generation()](const ErrorCode& error, size_t bytes) {
    if (started_in != generation()) return;
    reading_ = false;
    OnRead(error, bytes);
  };
  if (tls_) {
    if (ciphertext_input_.empty()) ciphertext_input_.resize(kTlsReadChunk);
    socket_->async_read_some(asio::buffer(ciphertext_input_), std::move(on_read));
    return;
  }
  MakeReadSpace();
  socket_->async_read_some(asio::buffer(input_.data() + input_end_, input_.size() - input_end_),
                           std::move(on_read));
}

void ClientPipe::OnRead(const ErrorCode& error, size_t bytes) {
  if (error) return Fail(ErrorKind(error));
  if (tls_) {
    if (!DecryptInput(bytes)) return;
  } else {
    input_end_ += bytes;
  }
  if (!Deliver()) return;
  if (tls_peer_closed_) return Fail("closed");
  StartRead();
}

bool ClientPipe::Deliver() {
  if (!open() || input_end_ == 0) return !closed();
  const uint64_t delivered_in = generation();
  const size_t consumed = handler_.OnPipeInput(input_.data(), input_end_);
  if (delivered_in != generation()) return false;
  input_end_ -= consumed;
  if (input_end_ > 0) std::memmove(input_.data(), input_.data() + consumed, input_end_);
  return true;
}

bool ClientPipe::DecryptInput(size_t bytes) {
  tls_->Feed(ciphertext_input_.data(), bytes);
  // Reads start once TCP is connected: a pipe still opening is in its TLS handshake.
  if (state() == State::kOpening) {
    absl::StatusOr<bool> done = ContinueClientHandshake(*tls_, *tls_client_);
    if (!done.ok()) {
      Fail("tls_handshake");
      return false;
    }
    Flush();  // the client's next flight
    if (!*done) {
      StartRead();
      return false;
    }
    set_state(State::kOpen);
    const uint64_t opened_in = generation();
    handler_.OnPipeOpen();
    if (opened_in != generation()) return false;
  }
  while (true) {
    MakeReadSpace();
    absl::StatusOr<size_t> plaintext =
        tls_->Decrypt(input_.data() + input_end_, input_.size() - input_end_);
    if (!plaintext.ok()) {
      if (absl::IsOutOfRange(plaintext.status())) {
        tls_peer_closed_ = true;  // deliver what came before the close
        return true;
      }
      Fail("tls");
      return false;
    }
    if (*plaintext == 0) return true;
    input_end_ += *plaintext;
  }
}

std::unique_ptr<BytePipe> MakePipe(const ConnectionSetup& setup, BytePipe::Handler& handler) {
  if (setup.make_pipe) return setup.make_pipe(handler);
  auto pipe = std::make_unique<ClientPipe>(setup.context, setup.endpoint, setup.tls, handler);
  const asio::ip::address& address = setup.endpoint.address();
  if (setup.source_addresses > 1 && address.is_v4() && address.is_loopback()) {
    static std::atomic<uint32_t> next{0};
    const uint32_t host = 1 + next.fetch_add(1, std::memory_order_relaxed) %
                                  static_cast<uint32_t>(setup.source_addresses);
    pipe->BindSource(asio::ip::address_v4((127u << 24) | host));
  }
  return pipe;
}

}  // namespace predictwire::loadgen
