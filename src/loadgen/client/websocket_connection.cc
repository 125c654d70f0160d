#include "loadgen/client/websocket_connection.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <boost/beast/http/error.hpp>
#include <cstring>

#include "loadgen/client/client_pipe.h"
#include "loadgen/client/http_response_reader.h"
#include "transport/websocket/frame.h"

namespace predictwire::loadgen {

namespace ws = transport::websocket;

namespace {

// 16 bytes ("predictwire-benc") in base64: any key will do, the server only echoes a hash of it.
constexpr std::string_view kWebSocketKey = "cHJlZGljdHdpcmUtYmVuYw==";

std::array<uint8_t, 4> NextMask(uint64_t& state) {
  state ^= state << 13;
  state ^= state >> 7;
  state ^= state << 17;
  std::array<uint8_t, 4> mask;
  std::memcpy(mask.data(), &state, mask.size());
  return mask;
}

}  // namespace

WebSocketConnection::WebSocketConnection(const ConnectionSetup& setup)
    : target_(setup.target),
      body_(setup.body),
      depth_(static_cast<size_t>(std::max(1, setup.depth))),
      listener_(setup.listener),
      pipe_(MakePipe(setup, *this)),
      mask_state_(0x9E3779B97F4A7C15ull) {}

WebSocketConnection::~WebSocketConnection() = default;

bool WebSocketConnection::CanSend() const { return ready_ && in_flight_.size() < depth_; }

void WebSocketConnection::Connect() {
  if (pipe_->closed()) pipe_->Open();
}

void WebSocketConnection::OnPipeOpen() {
  upgrade_reader_ = std::make_unique<HttpResponseReader>();
  pipe_->output() += fmt::format(
      "GET {} HTTP/1.1\r\nHost: {}:{}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
      "Sec-WebSocket-Key: {}\r\nSec-WebSocket-Version: 13\r\n\r\n",
      body_.path(), target_.host, target_.port, kWebSocketKey);
  pipe_->Flush();
}

void WebSocketConnection::Send(uint64_t tag) {
  in_flight_.push_back(tag);
  message_.clear();
  body_.Append(tag, &message_);
  ws::AppendClientFrame(body_.binary() ? ws::Opcode::kBinary : ws::Opcode::kText, message_,
                        NextMask(mask_state_), true, &pipe_->output());
  pipe_->Flush();
}

void WebSocketConnection::Abandon(uint64_t tag) {
  const auto it = std::find(in_flight_.begin(), in_flight_.end(), tag);
  if (it == in_flight_.end()) return;
  in_flight_.erase(it);
  if (depth_ > 1) {
    if (CanSend()) listener_.OnReady(*this);  // its slot is free
    return;
  }
  Close();
  pipe_->Open();
}

void WebSocketConnection::Close() {
  pipe_->Close();
  ready_ = false;
  in_flight_.clear();
  upgrade_reader_.reset();
}

void WebSocketConnection::OnPipeFailed(std::string_view kind) {
  std::vector<uint64_t> lost(in_flight_.begin(), in_flight_.end());
  Close();
  listener_.OnFailed(*this, kind, lost);
}

bool WebSocketConnection::ReadUpgrade(char* data, size_t size, size_t* consumed) {
  boost::beast::error_code error;
  *consumed = upgrade_reader_->put(boost::asio::buffer(data, size), error);
  if (error == boost::beast::http::error::need_more) return true;
  const int status = upgrade_reader_->status();
  if (error || !upgrade_reader_->is_done() || status != 101) {
    OnPipeFailed(status > 0 ? fmt::format("http_{}", status) : std::string("bad_reply"));
    return false;
  }
  upgrade_reader_.reset();
  ready_ = true;
  listener_.OnConnected(*this, pipe_->SinceOpenStarted());
  listener_.OnReady(*this);
  return true;
}

size_t WebSocketConnection::OnPipeInput(char* data, size_t size) {
  const uint64_t generation = pipe_->generation();
  size_t consumed = 0;
  if (upgrade_reader_) {
    if (!ReadUpgrade(data, size, &consumed) || pipe_->generation() != generation) return consumed;
    if (upgrade_reader_) return consumed;  // the 101 is not complete yet
  }
  while (consumed < size) {
    ws::FrameHeader header;
    std::string error;
    const ws::ParseStatus status =
        ws::ParseFrameHeader(data + consumed, size - consumed, &header, &error);
    if (status == ws::ParseStatus::kNeedMore) break;
    if (status == ws::ParseStatus::kProtocolError) {
      OnPipeFailed("bad_reply");
      return consumed;
    }
    if (size - consumed - header.header_length < header.payload_length) break;
    char* payload = data + consumed + header.header_length;
    if (header.masked) ws::Unmask(payload, header.payload_length, header.mask);
    consumed += header.header_length + header.payload_length;
    const std::string_view message(payload, header.payload_length);
    switch (header.opcode) {
      case ws::Opcode::kText:
        OnReplyMessage(ScanJsonReply(message, "ws"));
        break;
      case ws::Opcode::kBinary:
        OnReplyMessage(ScanBinaryReply(message));
        break;
      case ws::Opcode::kPing:
        ws::AppendClientFrame(ws::Opcode::kPong, message, NextMask(mask_state_), true,
                              &pipe_->output());
        pipe_->Flush();
        break;
      case ws::Opcode::kClose: {
        const int code = message.size() >= 2 ? (static_cast<uint8_t>(message[0]) << 8) |
                                                   static_cast<uint8_t>(message[1])
                                             : 1005;
        // RFC 6455 5.5.1: answer with a Close of our own, echoing the code. The server sends
        // no message after its Close, so whatever is in flight is lost (and sent again).
        ws::AppendClientFrame(ws::Opcode::kClose,
                              message.substr(0, std::min<size_t>(2, message.size())),
                              NextMask(mask_state_), true, &pipe_->output());
        pipe_->Flush();
        OnPipeFailed(fmt::format("ws_close_{}", code));
        return consumed;
      }
      default:
        break;  // pong, or a continuation this client never asks for
    }
    if (pipe_->generation() != generation) return consumed;
  }
  return consumed;
}

void WebSocketConnection::OnReplyMessage(const ReplyInfo& reply) {
  uint64_t tag = 0;
  if (depth_ > 1 && reply.has_id) {
    const auto it = std::find(in_flight_.begin(), in_flight_.end(), reply.id);
    if (it == in_flight_.end()) {  // abandoned after a timeout, or answered twice
      listener_.OnLateReply(*this, reply.id);
      return;
    }
    tag = *it;
    in_flight_.erase(it);
  } else {
    if (in_flight_.empty()) return;  // a late reply to an abandoned request
    tag = in_flight_.front();
    in_flight_.pop_front();  // one at a time, or a server that does not echo ids: in order
  }
  listener_.OnReply(*this, tag, reply);
  if (CanSend()) listener_.OnReady(*this);
}

std::unique_ptr<WireConnection> MakeWebSocketConnection(const ConnectionSetup& setup) {
  return std::make_unique<WebSocketConnection>(setup);
}

}  // namespace predictwire::loadgen
