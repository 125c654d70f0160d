#ifndef PREDICTWIRE_TRANSPORT_WEBSOCKET_FRAME_H_
#define PREDICTWIRE_TRANSPORT_WEBSOCKET_FRAME_H_

// RFC 6455 framing, as pure functions over bytes: no sockets, so the parser can be fuzzed.

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace predictwire::transport::websocket {

enum class Opcode : uint8_t {
  kContinuation = 0x0,
  kText = 0x1,
  kBinary = 0x2,
  kClose = 0x8,
  kPing = 0x9,
  kPong = 0xA,
};

// Close codes the server sends (RFC 6455 §7.4.1).
enum CloseCode : uint16_t {
  kCloseNormal = 1000,
  kCloseGoingAway = 1001,
  kCloseProtocolError = 1002,
  kCloseInvalidPayload = 1007,
  kClosePolicyViolation = 1008,
  kCloseTooBig = 1009,
  kCloseInternalError = 1011,
};

struct FrameHeader {
  bool fin = false;
  Opcode opcode = Opcode::kContinuation;
  bool masked = false;
  std::array<uint8_t, 4> mask{};
  uint64_t payload_length = 0;
  size_t header_length = 0;  // bytes before the payload
};

enum class ParseStatus { kNeedMore, kOk, kProtocolError };

// Parses the frame header at the start of `data`. kProtocolError (with `error` set) for reserved
// bits (no extension is negotiated), unknown opcodes, fragmented or oversized control frames and
// 64-bit lengths with the top bit set.
ParseStatus ParseFrameHeader(const char* data, size_t size, FrameHeader* header,
                             std::string* error);

inline bool IsControl(Opcode opcode) { return (static_cast<uint8_t>(opcode) & 0x8) != 0; }

// XORs `size` bytes with the masking key, in place.
void Unmask(char* data, size_t size, const std::array<uint8_t, 4>& mask);

// Appends a server frame header (FIN set, unmasked) for a payload of `payload_length` bytes.
void AppendFrameHeader(Opcode opcode, uint64_t payload_length, std::string* out);

// Appends a complete close frame (reason truncated to fit 125 bytes).
void AppendCloseFrame(uint16_t code, std::string_view reason, std::string* out);

// Appends a complete masked frame, as a client sends (tests and the load generator).
void AppendClientFrame(Opcode opcode, std::string_view payload, const std::array<uint8_t, 4>& mask,
                       bool fin, std::string* out);

// Whether a close code received from a peer is one RFC 6455 allows on the wire.
bool IsValidReceivedCloseCode(uint16_t code);

}  // namespace predictwire::transport::websocket

#endif  // PREDICTWIRE_TRANSPORT_WEBSOCKET_FRAME_H_
