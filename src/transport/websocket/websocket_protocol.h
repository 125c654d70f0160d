#ifndef PREDICTWIRE_TRANSPORT_WEBSOCKET_WEBSOCKET_PROTOCOL_H_
#define PREDICTWIRE_TRANSPORT_WEBSOCKET_WEBSOCKET_PROTOCOL_H_

#include <array>
#include <atomic>
#include <memory>
#include <string>
#include <string_view>

#include "core/model_registry.h"
#include "core/scheduler.h"
#include "transport/common/inference_path.h"
#include "transport/common/limits.h"
#include "transport/common/memory_budget.h"
#include "transport/common/protocol.h"
#include "transport/common/protocol_connection.h"
#include "transport/websocket/frame.h"

namespace predictwire::transport::websocket {

// A WebSocket connection after the upgrade. Each text message is a /predict JSON request with an
// optional "id"; each binary message is the compact binary format (codec/binary_predict.h).
// Many requests may be in flight; replies go out as they complete, matched by id. An error on
// one message is answered on that message and the connection stays open; only a protocol
// violation closes it (with the RFC 6455 close code).
class WebSocketProtocol : public Protocol {
 public:
  // The reason a Close 1001 gives: the server drains, or the connection reached its age.
  static constexpr std::string_view kGoingAwayReason =
      "going away: send again on a new connection what was not answered";
  struct Options {
    size_t max_message_bytes = kDefaultMaxMessageBytes;
    std::chrono::seconds idle_timeout = kWebSocketIdleTimeout;
    // A quiet connection is pinged this often (zero: never); see Protocol::PingInterval.
    std::chrono::seconds ping_interval = kDefaultPingInterval;
    Metrics* metrics = nullptr;  // where requests are counted, if anywhere; outlives connections
    // Large messages are charged here while they arrive; one the budget has no room for is
    // skipped unread and answered RESOURCE_EXHAUSTED. Null: no budget.
    MemoryBudget* memory = nullptr;
    size_t max_response_bytes = SIZE_MAX;  // the largest answer (see InferencePath)
  };

  // All references must outlive the connection.
  WebSocketProtocol(ProtocolConnection& connection, const ModelRegistry& registry,
                    Scheduler& scheduler, const Options& options);

  size_t OnInput(char* data, size_t size) override;
  // Asked to go: messages that arrive from now on are not read (the client sends them again on
  // its next connection); once the answers in flight are out, Close 1001 (kGoingAwayReason).
  void OnGoAway(GoAwayReason reason) override;
  // The answers still in flight are not waited for: Close 1001 now.
  void OnGraceOver() override;
  std::chrono::seconds PingInterval() const override {
    return close_sent_ ? std::chrono::seconds(0) : options_.ping_interval;
  }
  void SendPing() override;
  bool HasWorkInFlight() const override { return in_flight_ > 0; }
  // A WebSocket client that closes its side sends nothing more, not even a close frame: its
  // requests still queued are dropped.
  void OnPeerGone(bool) override { client_gone_->store(true, std::memory_order_relaxed); }
  std::chrono::seconds IdleTimeout() const override { return options_.idle_timeout; }

 private:
  void OnFrame(const FrameHeader& header, std::string_view payload);
  void OnControlFrame(const FrameHeader& header, std::string_view payload);
  void OnMessage(Opcode opcode, std::string_view message);
  // Where the inference path hands a request's reply, on whichever thread completed it.
  struct ReplySink {
    WebSocketProtocol* protocol;
    Opcode opcode;
    std::shared_ptr<ProtocolConnection> connection;  // keeps the protocol alive
    void operator()(std::string payload) &&;
  };
  // On the IO thread: sends the reply to one request in flight.
  void OnReplyReady(Opcode opcode, std::string_view payload);
  void SendClose(uint16_t code, std::string_view reason);
  // The client broke the protocol: counted, and closed with `code`.
  void CloseForViolation(uint16_t code, std::string_view reason);
  // The message being skipped for want of memory is over: answer it RESOURCE_EXHAUSTED.
  void RefuseForMemory();
  // Keeps the first kSkippedHeadBytes of a skipped message: `size` more masked payload bytes.
  void KeepSkippedHead(const char* bytes, size_t size);
  static constexpr size_t kSkippedHeadBytes = 256;

  ProtocolConnection& connection_;
  const InferencePath path_;
  const Options options_;

  size_t in_flight_ = 0;
  bool input_paused_ = false;  // at the in-flight limit
  bool close_sent_ = false;
  bool going_away_ = false;
  // A fragmented message being reassembled.
  bool assembling_ = false;
  Opcode message_opcode_ = Opcode::kText;
  std::string message_;
  MemoryCharge message_charge_;  // the message being received, in message_ or the input
  // A message refused for want of memory: its payload bytes still to skip, whether the frame
  // being skipped is its last, and its opcode (for the error reply).
  bool skipping_message_ = false;
  uint64_t skip_bytes_ = 0;
  bool skip_ends_message_ = false;
  Opcode skipped_opcode_ = Opcode::kText;
  // Its first bytes, unmasked, for the request id the error reply carries; the frame being
  // skipped's mask, and how far into its payload the skipping is.
  std::string skipped_head_;
  std::array<uint8_t, 4> skip_mask_{};
  uint64_t skip_frame_offset_ = 0;
  // Shared with every request in flight (one per connection, not per message).
  const std::shared_ptr<std::atomic<bool>> client_gone_ = std::make_shared<std::atomic<bool>>();
};

}  // namespace predictwire::transport::websocket

#endif  // PREDICTWIRE_TRANSPORT_WEBSOCKET_WEBSOCKET_PROTOCOL_H_
