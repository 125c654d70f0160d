#ifndef PREDICTWIRE_TRANSPORT_GRPC_GRPC_FRAMING_H_
#define PREDICTWIRE_TRANSPORT_GRPC_GRPC_FRAMING_H_

// gRPC's framing on HTTP/2 (gRPC's PROTOCOL-HTTP2 spec), with no protobuf and no socket: the
// length-prefixed messages of a call's request stream, the compression they may carry, and the
// grpc-timeout header. Shared by the server's calls and the load generator's gRPC wires.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace predictwire::transport::grpc_transport {

// Each message: a compressed flag byte, a 4-byte big-endian length, then the message.
inline constexpr size_t kMessagePrefixBytes = 5;

// Appends `message` with its prefix (uncompressed).
void AppendFramedMessage(std::string_view message, std::string* out);

// The request stream's messages, from bytes split anywhere. A message longer than
// `max_message_bytes` (compressed or not) is an error, found from its prefix alone so that its
// bytes are never buffered. Each message's bytes are copied once, into a string of its size.
class MessageReader {
 public:
  struct Message {
    bool compressed = false;
    std::string bytes;
  };

  explicit MessageReader(size_t max_message_bytes) : max_message_bytes_(max_message_bytes) {}

  // Takes more of the stream.
  void Feed(std::string_view bytes);
  // The next whole message, none while it is incomplete, or ResourceExhausted for one past the
  // limit (the stream cannot go on after it).
  absl::StatusOr<std::optional<Message>> Next();
  // Bytes of a message begun and not finished: the stream ended in the middle of one.
  bool has_partial_message() const { return prefix_size_ > 0; }

 private:
  const size_t max_message_bytes_;
  std::deque<Message> complete_;
  absl::Status error_;  // after the complete messages
  char prefix_[kMessagePrefixBytes] = {};
  size_t prefix_size_ = 0;  // of the message being read; 0 between messages
  size_t length_ = 0;       // its length, once the prefix is whole
  Message reading_;
};

// The message a compressed one stands for, under `encoding` (grpc-encoding: "gzip" or
// "deflate"; "identity" never compresses). Unimplemented for another encoding, Internal for
// none or "identity" (the protocol forbids the flag then), InvalidArgument for bytes that do
// not inflate, ResourceExhausted past `max_bytes`.
absl::StatusOr<std::string> Decompress(std::string_view encoding, std::string_view compressed,
                                       size_t max_bytes);

// Compresses `message` with gzip (for tests and clients that send compressed messages).
std::string GzipCompress(std::string_view message);

// The longest deadline kept; a later one is as good as none.
inline constexpr std::chrono::nanoseconds kMaxGrpcTimeout = std::chrono::hours(24 * 365);

// A grpc-timeout value ("100m", "2S", "50u": an integer of at most 8 digits and a unit of H, M,
// S, m, u or n), at most kMaxGrpcTimeout; none when it is not one.
std::optional<std::chrono::nanoseconds> ParseGrpcTimeout(std::string_view value);

}  // namespace predictwire::transport::grpc_transport

#endif  // PREDICTWIRE_TRANSPORT_GRPC_GRPC_FRAMING_H_
