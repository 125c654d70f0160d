#include "loadgen/client/client_pipe.h"

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
  state_ = State::kConnecting;
  open_started_ = std::chrono::steady_clock::now();
  socket_->async_connect(endpoint_, [this, generation = generation_](const ErrorCode& error) {
    if (generation == generation_) OnConnect(error);
  });
}

void ClientPipe::Close() {
  ++generation_;
  if (tls_) {
    // The next connection resumes with the newest ticket this one received.
    KeepSessionForResumption(*tls_, *tls_client_);
    tls_.reset();
  }
  if (socket_) {
    ErrorCode ignored;
    socket_->close(ignored);
  }
  state_ = State::kClosed;
  input_end_ = 0;
  output_.clear();
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
    state_ = State::kHandshaking;
    StartRead();
    Flush();  // the ClientHello
    return;
  }
  state_ = State::kOpen;
  StartRead();
  handler_.OnPipeOpen();
}

void ClientPipe::Flush() {
  if (writing_now_ || !socket_ || state_ == State::kClosed) return;
  if (tls_) {
    if (!output_.empty()) {
      if (!tls_->Encrypt(output_).ok()) return Fail("tls");
      output_.clear();
    }
    writing_.clear();
    if (!tls_->TakeCiphertext(&writing_)) return;
  } else {
    if (output_.empty()) return;
    writing_.swap(output_);
    output_.clear();
  }
  writing_now_ = true;
  asio::async_write(*socket_, asio::buffer(writing_),
                    [this, generation = generation_](const ErrorCode& error, size_t) {
                      if (generation != generation_) return;
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
  if (reading_ || state_ == State::kClosed) return;
  reading_ = true;
  auto on_read = [this, generation = generation_](const ErrorCode& error, size_t bytes) {
    if (generation != generation_) return;
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
  if (state_ != State::kOpen || input_end_ == 0) return state_ != State::kClosed;
  const uint64_t generation = generation_;
  const size_t consumed = handler_.OnPipeInput(input_.data(), input_end_);
  if (generation != generation_) return false;
  input_end_ -= consumed;
  if (input_end_ > 0) std::memmove(input_.data(), input_.data() + consumed, input_end_);
  return true;
}

bool ClientPipe::DecryptInput(size_t bytes) {
  tls_->Feed(ciphertext_input_.data(), bytes);
  if (state_ == State::kHandshaking) {
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
    state_ = State::kOpen;
    const uint64_t generation = generation_;
    handler_.OnPipeOpen();
    if (generation != generation_) return false;
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

}  // namespace predictwire::loadgen
