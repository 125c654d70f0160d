#include "loadgen/stream_connection.h"

#include <fmt/format.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/error.hpp>

#include "loadgen/client_tls.h"
#include "loadgen/grpc_connection.h"
#include "loadgen/h2_connection.h"
#include "loadgen/http_response_reader.h"
#include "transport/websocket/frame.h"

namespace predictwire::loadgen {

namespace asio = transport::asio;
namespace ws = transport::websocket;
using transport::ErrorCode;

namespace {

constexpr size_t kReadChunk = 16 * 1024;

std::string ErrorKind(const ErrorCode& error) {
  if (error == asio::error::connection_refused) return "refused";
  if (error == asio::error::connection_reset || error == asio::error::broken_pipe) return "reset";
  if (error == asio::error::eof) return "closed";
  return "io_" + error.message();
}

}  // namespace

StreamConnection::StreamConnection(asio::io_context& context,
                                   const asio::ip::tcp::endpoint& endpoint, WireKind wire,
                                   RequestEncoder& encoder, int depth, ConnectionListener& listener,
                                   TlsClient* tls)
    : context_(context),
      endpoint_(endpoint),
      wire_(wire),
      encoder_(encoder),
      depth_(static_cast<size_t>(std::max(1, depth))),
      listener_(listener),
      tls_client_(tls) {}

StreamConnection::~StreamConnection() = default;

bool StreamConnection::CanSend() const {
  if (wire_ == WireKind::kRest) return state_ == State::kClosed && !has_pending_;
  return state_ == State::kReady && in_flight_.size() < depth_;
}

void StreamConnection::Connect() {
  if (wire_ != WireKind::kRest && state_ == State::kClosed) StartConnect();
}

void StreamConnection::StartConnect() {
  ++generation_;
  socket_ = std::make_unique<transport::TcpSocket>(context_.get_executor());
  state_ = State::kConnecting;
  connect_started_ = std::chrono::steady_clock::now();
  input_end_ = 0;
  output_.clear();
  http_reader_.reset();
  socket_->async_connect(endpoint_, [this, generation = generation_](const ErrorCode& error) {
    if (generation == generation_) OnConnect(error);
  });
}

void StreamConnection::OnConnect(const ErrorCode& error) {
  if (error) return Fail(ErrorKind(error));
  ErrorCode ignored;
  socket_->set_option(asio::ip::tcp::no_delay(true), ignored);
  if (tls_client_ != nullptr) {
    tls_ = StartClientHandshake(*tls_client_);
    tls_peer_closed_ = false;
    state_ = State::kHandshaking;
    if (!tls_) return Fail("tls");
    StartRead();
    Flush();  // the ClientHello
    return;
  }
  StartRead();
  OnTransportReady();
}

void StreamConnection::OnTransportReady() {
  if (IsWebSocket(wire_)) {
    state_ = State::kUpgrading;
    websocket_key_ = "cHJlZGljdHdpcmUtYmVuYw==";  // 16 bytes ("predictwire-benc") in base64
    output_ += fmt::format(
        "GET {} HTTP/1.1\r\nHost: {}:{}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Key: {}\r\nSec-WebSocket-Version: 13\r\n\r\n",
        encoder_.websocket_path(), endpoint_.address().to_string(), endpoint_.port(),
        websocket_key_);
    http_reader_ = std::make_unique<HttpResponseReader>();
    Flush();
    return;
  }
  state_ = State::kReady;
  listener_.OnConnected(*this, std::chrono::steady_clock::now() - connect_started_);
  if (wire_ == WireKind::kRest) {
    has_pending_ = false;
    in_flight_.push_back(pending_tag_);
    encoder_.Append(pending_tag_, &output_);
    Flush();
    return;
  }
  listener_.OnReady(*this);
}

void StreamConnection::Send(uint64_t tag) {
  if (wire_ == WireKind::kRest) {
    pending_tag_ = tag;
    has_pending_ = true;
    StartConnect();
    return;
  }
  in_flight_.push_back(tag);
  encoder_.Append(tag, &output_);
  Flush();
}

void StreamConnection::Abandon(uint64_t tag) {
  if (wire_ == WireKind::kRest && has_pending_ && pending_tag_ == tag) {
    has_pending_ = false;
    Close();
    return;
  }
  for (auto it = in_flight_.begin(); it != in_flight_.end(); ++it) {
    if (*it != tag) continue;
    in_flight_.erase(it);
    if (depth_ == 1 || wire_ == WireKind::kRest) {
      // Its reply may still come and would be taken for the next request's: start over.
      std::vector<uint64_t> others(in_flight_.begin(), in_flight_.end());
      Close();
      if (wire_ != WireKind::kRest) {
        if (!others.empty()) listener_.OnFailed(*this, "reset", others);
        StartConnect();
      }
    }
    return;
  }
}

void StreamConnection::Close() {
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
  in_flight_.clear();
  writing_now_ = false;
  reading_ = false;
  output_.clear();
  writing_.clear();
}

void StreamConnection::Fail(std::string_view error) {
  std::vector<uint64_t> lost(in_flight_.begin(), in_flight_.end());
  if (has_pending_) lost.push_back(pending_tag_);
  has_pending_ = false;
  Close();
  listener_.OnFailed(*this, error, lost);
}

void StreamConnection::Flush() {
  if (writing_now_ || !socket_) return;
  if (tls_) {
    if (!output_.empty()) {
      if (!tls_->Encrypt(output_).ok()) return Fail("tls");
      output_.clear();
    }
    writing_.clear();  // no write is in flight: whatever is left belongs to a closed socket
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

void StreamConnection::StartRead() {
  if (reading_) return;
  reading_ = true;
  auto on_read = [this, generation = generation_](const ErrorCode& error, size_t bytes) {
    if (generation != generation_) return;
    reading_ = false;
    OnRead(error, bytes);
  };
  if (tls_) {
    if (ciphertext_input_.empty()) ciphertext_input_.resize(kReadChunk + 1024);
    socket_->async_read_some(asio::buffer(ciphertext_input_), std::move(on_read));
    return;
  }
  if (input_.size() - input_end_ < kReadChunk) input_.resize(input_end_ + kReadChunk);
  socket_->async_read_some(asio::buffer(input_.data() + input_end_, input_.size() - input_end_),
                           std::move(on_read));
}

void StreamConnection::OnRead(const ErrorCode& error, size_t bytes) {
  if (error) return Fail(ErrorKind(error));
  if (tls_) {
    if (!DecryptInput(bytes)) return;
  } else {
    input_end_ += bytes;
  }
  const uint64_t generation = generation_;
  const bool alive = IsWebSocket(wire_) ? ParseWebSocket() : ParseHttp();
  if (!alive || generation != generation_ || state_ == State::kClosed) return;
  if (tls_peer_closed_) return Fail("closed");
  if (socket_) StartRead();
}

bool StreamConnection::DecryptInput(size_t bytes) {
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
    const uint64_t generation = generation_;
    OnTransportReady();
    if (generation != generation_ || !tls_) return false;
  }
  while (true) {
    if (input_.size() - input_end_ < kReadChunk) input_.resize(input_end_ + kReadChunk);
    absl::StatusOr<size_t> plaintext =
        tls_->Decrypt(input_.data() + input_end_, input_.size() - input_end_);
    if (!plaintext.ok()) {
      if (absl::IsOutOfRange(plaintext.status())) {
        tls_peer_closed_ = true;  // parse what came before the close
        return true;
      }
      Fail("tls");
      return false;
    }
    if (*plaintext == 0) return true;
    input_end_ += *plaintext;
  }
}

bool StreamConnection::ParseHttp() {
  size_t consumed = 0;
  while (consumed < input_end_) {
    if (!http_reader_) http_reader_ = std::make_unique<HttpResponseReader>();
    boost::beast::error_code error;
    const size_t parsed =
        http_reader_->put(asio::buffer(input_.data() + consumed, input_end_ - consumed), error);
    consumed += parsed;
    if (error == boost::beast::http::error::need_more) error = {};
    if (error) {
      Fail("bad_reply");
      return false;
    }
    if (!http_reader_->is_done()) {
      if (parsed == 0) break;
      continue;
    }
    if (in_flight_.empty()) {
      Fail("bad_reply");  // a response nobody asked for
      return false;
    }
    ReplyInfo reply;
    const int status = http_reader_->status();
    if (status != 200) {
      reply.ok = false;
      reply.error = fmt::format("http_{}", status);
    }
    reply.timing = http_reader_->timing();
    const bool keep_alive = http_reader_->keep_alive();
    http_reader_.reset();
    const uint64_t tag = in_flight_.front();
    in_flight_.pop_front();
    const uint64_t generation = generation_;
    if (!keep_alive) {
      // The server closes after this reply (always for rest; for keep-alive, e.g. HTTP/1.0).
      Close();
      if (wire_ != WireKind::kRest) StartConnect();
      Complete(tag, reply);  // a rest connection is now free for the next request
      return false;
    }
    Complete(tag, reply);
    if (generation != generation_) return false;
  }
  input_end_ -= consumed;
  std::memmove(input_.data(), input_.data() + consumed, input_end_);
  return true;
}

bool StreamConnection::ParseWebSocket() {
  size_t consumed = 0;
  if (state_ == State::kUpgrading) {
    boost::beast::error_code error;
    consumed = http_reader_->put(asio::buffer(input_.data(), input_end_), error);
    if (error == boost::beast::http::error::need_more) return true;
    if (error || !http_reader_->is_done() || http_reader_->status() != 101) {
      Fail(http_reader_->status() > 0 ? fmt::format("http_{}", http_reader_->status())
                                      : std::string("bad_reply"));
      return false;
    }
    http_reader_.reset();
    state_ = State::kReady;
    listener_.OnConnected(*this, std::chrono::steady_clock::now() - connect_started_);
    const uint64_t generation = generation_;
    listener_.OnReady(*this);
    if (generation != generation_) return false;
  }
  while (consumed < input_end_) {
    ws::FrameHeader header;
    std::string error;
    const ws::ParseStatus status =
        ws::ParseFrameHeader(input_.data() + consumed, input_end_ - consumed, &header, &error);
    if (status == ws::ParseStatus::kNeedMore) break;
    if (status == ws::ParseStatus::kProtocolError) {
      Fail("bad_reply");
      return false;
    }
    if (input_end_ - consumed - header.header_length < header.payload_length) break;
    char* payload = input_.data() + consumed + header.header_length;
    if (header.masked) ws::Unmask(payload, header.payload_length, header.mask);
    consumed += header.header_length + header.payload_length;
    const std::string_view message(payload, header.payload_length);
    const uint64_t generation = generation_;
    switch (header.opcode) {
      case ws::Opcode::kText:
        CompleteById(ScanJsonReply(message));
        break;
      case ws::Opcode::kBinary:
        CompleteById(ScanBinaryReply(message));
        break;
      case ws::Opcode::kPing: {
        std::array<uint8_t, 4> mask = {1, 2, 3, 4};
        ws::AppendClientFrame(ws::Opcode::kPong, message, mask, true, &output_);
        Flush();
        break;
      }
      case ws::Opcode::kClose: {
        const int code = message.size() >= 2 ? (static_cast<uint8_t>(message[0]) << 8) |
                                                   static_cast<uint8_t>(message[1])
                                             : 1005;
        Fail(fmt::format("ws_close_{}", code));
        return false;
      }
      default:
        break;  // pong, or a continuation this client never asks for
    }
    if (generation != generation_) return false;
  }
  input_end_ -= consumed;
  std::memmove(input_.data(), input_.data() + consumed, input_end_);
  return true;
}

void StreamConnection::CompleteById(const ReplyInfo& reply) {
  if (in_flight_.empty()) return;  // a late reply to an abandoned request
  uint64_t tag = in_flight_.front();
  if (depth_ > 1 && reply.has_id) {
    auto it = std::find(in_flight_.begin(), in_flight_.end(), reply.id);
    if (it == in_flight_.end()) return;  // abandoned after a timeout
    tag = *it;
    in_flight_.erase(it);
  } else {
    in_flight_.pop_front();  // one at a time, or a server that does not echo ids: in order
  }
  Complete(tag, reply);
}

void StreamConnection::Complete(uint64_t tag, const ReplyInfo& reply) {
  const uint64_t generation = generation_;
  listener_.OnReply(*this, tag, reply);
  if (generation == generation_ && CanSend()) listener_.OnReady(*this);
}

std::unique_ptr<WireConnection> MakeWireConnection(asio::io_context& context,
                                                   const asio::ip::tcp::endpoint& endpoint,
                                                   WireKind wire, RequestEncoder& encoder,
                                                   int depth, ConnectionListener& listener,
                                                   TlsClient* tls) {
  if (IsHttp2(wire)) {
    return std::make_unique<H2Connection>(context, endpoint, encoder, depth, listener, tls);
  }
  if (IsGrpc(wire)) {
    const bool v6 = endpoint.address().is_v6();
    const std::string address = fmt::format("{}{}{}:{}", v6 ? "[" : "", endpoint.address().to_string(),
                                            v6 ? "]" : "", endpoint.port());
    return MakeGrpcConnection(context, address, wire, encoder, depth, listener, tls);
  }
  return std::make_unique<StreamConnection>(context, endpoint, wire, encoder, depth, listener,
                                            tls);
}

}  // namespace predictwire::loadgen
