#include "transport/websocket/websocket_protocol.h"

#include <fmt/format.h>

#include <algorithm>

#include "codec/binary_predict.h"
#include "codec/predict_json.h"
#include "codec/utf8.h"
#include "transport/websocket/websocket_formats.h"

namespace predictwire::transport::websocket {

WebSocketProtocol::WebSocketProtocol(ProtocolConnection& connection, const ModelRegistry& registry,
                                     Scheduler& scheduler, const Options& options)
    : connection_(connection),
      path_(registry, scheduler, options.metrics, RequestProtocol::kWebSocket,
            options.max_response_bytes),
      options_(options),
      message_charge_(options.memory) {}

size_t WebSocketProtocol::OnInput(char* data, size_t size) {
  size_t consumed = 0;
  while (!close_sent_) {
    if (skip_bytes_ > 0) {
      const size_t skipped = static_cast<size_t>(std::min<uint64_t>(skip_bytes_, size - consumed));
      KeepSkippedHead(data + consumed, skipped);
      consumed += skipped;
      skip_bytes_ -= skipped;
      if (skip_bytes_ > 0) break;
      if (skip_ends_message_) RefuseForMemory();
      continue;
    }
    if (in_flight_ >= kMaxInFlightPerConnection) {
      input_paused_ = true;
      connection_.PauseInput();
      break;
    }
    FrameHeader header;
    std::string error;
    const ParseStatus status = ParseFrameHeader(data + consumed, size - consumed, &header, &error);
    if (status == ParseStatus::kNeedMore) break;
    if (status == ParseStatus::kProtocolError) {
      CloseForViolation(kCloseProtocolError, error);
      return size;
    }
    if (!header.masked) {
      CloseForViolation(kCloseProtocolError, "client frames must be masked");
      return size;
    }
    const uint64_t assembled = (assembling_ ? message_.size() : 0) + header.payload_length;
    if (assembled > options_.max_message_bytes) {
      CloseForViolation(kCloseTooBig, fmt::format("message exceeds the {}-byte limit",
                                                  options_.max_message_bytes));
      return size;
    }
    if (!IsControl(header.opcode)) {
      if (skipping_message_ && header.opcode != Opcode::kContinuation) {
        SendClose(kCloseProtocolError, "a new message started before the last one ended");
        return size;
      }
      if (!skipping_message_ && !message_charge_.GrowTo(assembled)) {
        // No room in the memory budget: skip the message's bytes as they come, unbuffered.
        skipping_message_ = true;
        skipped_opcode_ = assembling_ ? message_opcode_ : header.opcode;
        skipped_head_.assign(assembling_ ? std::string_view(message_).substr(0, kSkippedHeadBytes)
                                         : std::string_view());
        assembling_ = false;
        std::string().swap(message_);
        message_charge_.Reset();
      }
      if (skipping_message_) {
        consumed += header.header_length;
        skip_mask_ = header.mask;
        skip_frame_offset_ = 0;
        skip_bytes_ = header.payload_length;
        skip_ends_message_ = header.fin;
        if (skip_bytes_ == 0 && skip_ends_message_) RefuseForMemory();
        continue;
      }
    }
    if (size - consumed - header.header_length < header.payload_length) break;  // wait for it
    char* payload = data + consumed + header.header_length;
    Unmask(payload, header.payload_length, header.mask);
    consumed += header.header_length + header.payload_length;
    OnFrame(header, std::string_view(payload, header.payload_length));
    if (!assembling_) message_charge_.Reset();  // decoded, or answered
  }
  return close_sent_ ? size : consumed;
}

void WebSocketProtocol::OnFrame(const FrameHeader& header, std::string_view payload) {
  if (IsControl(header.opcode)) return OnControlFrame(header, payload);
  if (header.opcode == Opcode::kContinuation) {
    if (!assembling_)
      return CloseForViolation(kCloseProtocolError, "continuation without a message");
    message_.append(payload);
    if (!header.fin) return;
    assembling_ = false;
    OnMessage(message_opcode_, message_);
    message_.clear();
    return;
  }
  if (assembling_) {
    return CloseForViolation(kCloseProtocolError,
                             "a new message started before the last one ended");
  }
  if (header.fin) return OnMessage(header.opcode, payload);
  assembling_ = true;
  message_opcode_ = header.opcode;
  message_.assign(payload);
}

void WebSocketProtocol::OnControlFrame(const FrameHeader& header, std::string_view payload) {
  switch (header.opcode) {
    case Opcode::kPing:
      AppendFrameHeader(Opcode::kPong, payload.size(), &connection_.output());
      connection_.Write(payload);
      return;
    case Opcode::kPong:
      return;
    case Opcode::kClose: {
      if (payload.empty()) return SendClose(kCloseNormal, "");
      if (payload.size() == 1)
        return CloseForViolation(kCloseProtocolError, "close payload of 1 byte");
      const uint16_t code = static_cast<uint16_t>((uint8_t(payload[0]) << 8) | uint8_t(payload[1]));
      if (!IsValidReceivedCloseCode(code)) {
        return CloseForViolation(kCloseProtocolError, "invalid close code");
      }
      if (!codec::IsValidUtf8(payload.substr(2))) {
        return CloseForViolation(kCloseInvalidPayload, "close reason is not UTF-8");
      }
      return SendClose(code, "");
    }
    default:
      return;
  }
}

void WebSocketProtocol::OnMessage(Opcode opcode, std::string_view message) {
  if (opcode == Opcode::kText && !codec::IsValidUtf8(message)) {
    return CloseForViolation(kCloseInvalidPayload, "text is not UTF-8");
  }
  // Asked to go: the message is not read. The Close that follows the answers in flight tells
  // the client to send again, on a new connection, every request it got no answer for.
  if (going_away_) return;
  ++in_flight_;
  ReplySink sink{this, opcode, connection_.KeepAlive()};
  if (message.size() >= kOffloadDecodeBytes) {
    // Decoded off this thread, from a copy: the message lives in buffers reused for the next.
    const auto view = [](std::string_view bytes) { return bytes; };
    if (opcode == Opcode::kText) {
      path_.RunOwned<WebSocketTextFormat>(std::string(message), view, std::move(sink),
                                          {.cancelled = client_gone_});
    } else {
      path_.RunOwned<WebSocketBinaryFormat>(std::string(message), view, std::move(sink),
                                            {.cancelled = client_gone_});
    }
    return;
  }
  if (opcode == Opcode::kText) {
    path_.Run<WebSocketTextFormat>(message, std::move(sink), {.cancelled = client_gone_});
  } else {
    path_.Run<WebSocketBinaryFormat>(message, std::move(sink), {.cancelled = client_gone_});
  }
}

void WebSocketProtocol::ReplySink::operator()(std::string payload) && {
  connection->Complete([protocol = protocol, opcode = opcode, payload = std::move(payload)] {
    protocol->OnReplyReady(opcode, payload);
  });
}

void WebSocketProtocol::OnReplyReady(Opcode opcode, std::string_view payload) {
  --in_flight_;
  if (!close_sent_) {
    AppendFrameHeader(opcode, payload.size(), &connection_.output());
    connection_.Write(payload);
  }
  if (input_paused_ && in_flight_ < kMaxInFlightPerConnection) {
    input_paused_ = false;
    connection_.ResumeInput();
  }
  if (going_away_ && in_flight_ == 0) SendClose(kCloseGoingAway, kGoingAwayReason);
}

void WebSocketProtocol::OnGoAway(GoAwayReason) {
  going_away_ = true;
  if (in_flight_ == 0) SendClose(kCloseGoingAway, kGoingAwayReason);
}

void WebSocketProtocol::OnGraceOver() { SendClose(kCloseGoingAway, kGoingAwayReason); }

void WebSocketProtocol::SendPing() {
  if (close_sent_) return;
  AppendFrameHeader(Opcode::kPing, 0, &connection_.output());
}

void WebSocketProtocol::CloseForViolation(uint16_t code, std::string_view reason) {
  if (options_.metrics != nullptr) {
    options_.metrics->RecordProtocolError(RequestProtocol::kWebSocket, ProtocolError::kViolation);
  }
  SendClose(code, reason);
}

void WebSocketProtocol::KeepSkippedHead(const char* bytes, size_t size) {
  const size_t kept =
      std::min(size, kSkippedHeadBytes - std::min(kSkippedHeadBytes, skipped_head_.size()));
  for (size_t i = 0; i < kept; ++i) {
    skipped_head_.push_back(
        static_cast<char>(bytes[i] ^ skip_mask_[(skip_frame_offset_ + i) % skip_mask_.size()]));
  }
  skip_frame_offset_ += size;
}

void WebSocketProtocol::RefuseForMemory() {
  skipping_message_ = false;
  skip_ends_message_ = false;
  const absl::Status status =
      absl::ResourceExhaustedError("the server is short of memory for this message; retry later");
  // The id from the message's first bytes, when they hold it, so a client with several
  // messages in flight knows which one this is.
  std::string payload;
  if (skipped_opcode_ == Opcode::kBinary) {
    uint64_t id = codec::PeekBinaryRequestId(skipped_head_);
    payload = WebSocketBinaryFormat::EncodeError(id, status);
  } else {
    std::string id = codec::LeadingRequestId(skipped_head_);
    payload = WebSocketTextFormat::EncodeError(id, status);
  }
  skipped_head_.clear();
  AppendFrameHeader(skipped_opcode_, payload.size(), &connection_.output());
  connection_.Write(payload);
}

void WebSocketProtocol::SendClose(uint16_t code, std::string_view reason) {
  if (!close_sent_) {
    close_sent_ = true;
    AppendCloseFrame(code, reason, &connection_.output());
  }
  connection_.CloseAfterWrite();
}

}  // namespace predictwire::transport::websocket
