// Fuzz target: a gRPC call's request stream as a client may send it. The first byte picks the
// encoding and where the stream is split; the rest is the stream. Corpus files hold the selector
// byte, then the stream. Checked, as the server relies on them:
//
// - Readers agree: the stream read whole, in the two pieces the selector picks and a byte at a
//   time gives the same messages and ends the same way (an error, a message cut off, or clean).
// - The messages round-trip: walking the stream by its prefixes (flag byte, 4-byte big-endian
//   length) gives exactly the messages read, each flagged compressed when its flag byte is not
//   0; a clean end is the stream's end, and an error is a prefix declaring more than the limit.
// - Limits hold: no message is longer than the limit, nor does one inflate past it; what gzip
//   compresses inflates back to itself.
// - A grpc-timeout parsed from the stream's opening bytes is within [0, kMaxGrpcTimeout].

#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "transport/grpc/grpc_framing.h"

using namespace predictwire::transport::grpc_transport;

namespace {

constexpr size_t kLimit = 64 * 1024;

// How a stream read: its messages, then an error (its code), a message begun and not finished,
// or neither.
struct Reading {
  std::vector<MessageReader::Message> messages;
  std::optional<absl::StatusCode> error;
  bool partial = false;

  bool operator==(const Reading& other) const {
    if (messages.size() != other.messages.size() || error != other.error ||
        partial != other.partial) {
      return false;
    }
    for (size_t i = 0; i < messages.size(); ++i) {
      if (messages[i].compressed != other.messages[i].compressed ||
          messages[i].bytes != other.messages[i].bytes) {
        return false;
      }
    }
    return true;
  }
};

// Reads `stream` fed as `pieces` (which add up to it), taking messages after every piece as
// GrpcCalls does; stops at the first error, as the call ends there.
Reading Read(const std::vector<std::string_view>& pieces) {
  Reading reading;
  MessageReader reader(kLimit);
  for (const std::string_view piece : pieces) {
    reader.Feed(piece);
    for (;;) {
      absl::StatusOr<std::optional<MessageReader::Message>> next = reader.Next();
      if (!next.ok()) {
        reading.error = next.status().code();
        return reading;
      }
      if (!next->has_value()) break;
      reading.messages.push_back(**std::move(next));
    }
  }
  reading.partial = reader.has_partial_message();
  return reading;
}

uint32_t DeclaredLength(std::string_view prefix) {
  const auto* bytes = reinterpret_cast<const uint8_t*>(prefix.data());
  return (uint32_t{bytes[1]} << 24) | (uint32_t{bytes[2]} << 16) | (uint32_t{bytes[3]} << 8) |
         uint32_t{bytes[4]};
}

// The round trip: the stream, walked prefix by prefix, is the messages read and how it ended.
void CheckAgainstTheStream(std::string_view stream, const Reading& reading) {
  size_t at = 0;
  for (const MessageReader::Message& message : reading.messages) {
    if (stream.size() - at < kMessagePrefixBytes) std::abort();
    const std::string_view prefix = stream.substr(at, kMessagePrefixBytes);
    const uint32_t length = DeclaredLength(prefix);
    if (message.compressed != (prefix[0] != 0)) std::abort();
    if (message.bytes.size() != length || message.bytes.size() > kLimit) std::abort();
    if (stream.substr(at + kMessagePrefixBytes, length) != message.bytes) std::abort();
    at += kMessagePrefixBytes + length;
  }
  if (reading.error) {
    // Only a prefix past the limit ends a call without a memory budget.
    if (*reading.error != absl::StatusCode::kResourceExhausted) std::abort();
    if (stream.size() - at < kMessagePrefixBytes) std::abort();
    if (DeclaredLength(stream.substr(at, kMessagePrefixBytes)) <= kLimit) std::abort();
  } else if (reading.partial != (at < stream.size())) {
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view encodings[] = {"gzip", "deflate", "identity", ""};
  const std::string_view encoding = encodings[data[0] % 4];
  const std::string_view stream(reinterpret_cast<const char*>(data + 1), size - 1);
  const size_t split = stream.empty() ? 0 : (data[0] / 4) % (stream.size() + 1);

  if (const auto timeout = ParseGrpcTimeout(stream.substr(0, 10))) {
    if (timeout->count() < 0 || *timeout > kMaxGrpcTimeout) std::abort();
  }

  const Reading whole = Read({stream});
  std::vector<std::string_view> bytes;
  for (size_t i = 0; i < stream.size(); ++i) bytes.push_back(stream.substr(i, 1));
  if (!(Read({stream.substr(0, split), stream.substr(split)}) == whole)) std::abort();
  if (!(Read(bytes) == whole)) std::abort();
  CheckAgainstTheStream(stream, whole);

  for (const MessageReader::Message& message : whole.messages) {
    if (message.compressed) {
      absl::StatusOr<std::string> inflated = Decompress(encoding, message.bytes, kLimit);
      if (inflated.ok() && inflated->size() > kLimit) std::abort();
    }
    absl::StatusOr<std::string> back = Decompress("gzip", GzipCompress(message.bytes), kLimit);
    if (!back.ok() || *back != message.bytes) std::abort();
  }
  return 0;
}
