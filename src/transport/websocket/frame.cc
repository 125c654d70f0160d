#include "transport/websocket/frame.h"

#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace predictwire::transport::websocket {
namespace {

constexpr size_t kMaxControlPayload = 125;

void AppendLength(uint8_t first_byte, bool masked, uint64_t length, std::string* out) {
  out->push_back(static_cast<char>(first_byte));
  const uint8_t mask_bit = masked ? 0x80 : 0;
  if (length < 126) {
    out->push_back(static_cast<char>(mask_bit | length));
  } else if (length <= 0xFFFF) {
    out->push_back(static_cast<char>(mask_bit | 126));
    out->push_back(static_cast<char>(length >> 8));
    out->push_back(static_cast<char>(length & 0xFF));
  } else {
    out->push_back(static_cast<char>(mask_bit | 127));
    for (int shift = 56; shift >= 0; shift -= 8) {
      out->push_back(static_cast<char>((length >> shift) & 0xFF));
    }
  }
}

}  // namespace

ParseStatus ParseFrameHeader(const char* data, size_t size, FrameHeader* header,
                             std::string* error) {
  if (size < 2) return ParseStatus::kNeedMore;
  const auto* bytes = reinterpret_cast<const uint8_t*>(data);
  header->fin = (bytes[0] & 0x80) != 0;
  if ((bytes[0] & 0x70) != 0) {
    *error = "reserved bits are set but no extension was negotiated";
    return ParseStatus::kProtocolError;
  }
  const uint8_t opcode = bytes[0] & 0x0F;
  switch (opcode) {
    case 0x0:
    case 0x1:
    case 0x2:
    case 0x8:
    case 0x9:
    case 0xA:
      break;
    default:
      *error = "unknown opcode " + std::to_string(opcode);
      return ParseStatus::kProtocolError;
  }
  header->opcode = static_cast<Opcode>(opcode);
  header->masked = (bytes[1] & 0x80) != 0;
  uint64_t length = bytes[1] & 0x7F;
  size_t offset = 2;
  if (length == 126) {
    if (size < 4) return ParseStatus::kNeedMore;
    length = (uint64_t{bytes[2]} << 8) | bytes[3];
    offset = 4;
  } else if (length == 127) {
    if (size < 10) return ParseStatus::kNeedMore;
    length = 0;
    for (int i = 0; i < 8; ++i) length = (length << 8) | bytes[2 + i];
    if ((length >> 63) != 0) {
      *error = "the payload length has its most significant bit set";
      return ParseStatus::kProtocolError;
    }
    offset = 10;
  }
  if (IsControl(header->opcode) && (!header->fin || length > kMaxControlPayload)) {
    *error = "control frames must be unfragmented and at most 125 bytes";
    return ParseStatus::kProtocolError;
  }
  if (header->masked) {
    if (size < offset + 4) return ParseStatus::kNeedMore;
    std::memcpy(header->mask.data(), bytes + offset, 4);
    offset += 4;
  }
  header->payload_length = length;
  header->header_length = offset;
  return ParseStatus::kOk;
}

void Unmask(char* data, size_t size, const std::array<uint8_t, 4>& mask) {
  uint32_t mask_word;
  std::memcpy(&mask_word, mask.data(), 4);
  const uint64_t mask_wide = (uint64_t{mask_word} << 32) | mask_word;
  size_t i = 0;
#if defined(__SSE2__)
  const __m128i mask_block = _mm_set1_epi32(static_cast<int>(mask_word));
  for (; i + 64 <= size; i += 64) {  // 64 bytes at a time, a multiple of the key's four
    auto* block = reinterpret_cast<__m128i*>(data + i);
    for (int k = 0; k < 4; ++k) {
      _mm_storeu_si128(block + k, _mm_xor_si128(_mm_loadu_si128(block + k), mask_block));
    }
  }
#endif
  for (; i + 8 <= size; i += 8) {  // eight bytes at a time; the key repeats every four
    uint64_t chunk;
    std::memcpy(&chunk, data + i, 8);
    chunk ^= mask_wide;
    std::memcpy(data + i, &chunk, 8);
  }
  for (; i < size; ++i) data[i] = static_cast<char>(data[i] ^ mask[i & 3]);
}

void AppendFrameHeader(Opcode opcode, uint64_t payload_length, std::string* out) {
  AppendLength(0x80 | static_cast<uint8_t>(opcode), false, payload_length, out);
}

void AppendCloseFrame(uint16_t code, std::string_view reason, std::string* out) {
  if (reason.size() > kMaxControlPayload - 2) reason = reason.substr(0, kMaxControlPayload - 2);
  AppendFrameHeader(Opcode::kClose, 2 + reason.size(), out);
  out->push_back(static_cast<char>(code >> 8));
  out->push_back(static_cast<char>(code & 0xFF));
  out->append(reason);
}

void AppendClientFrame(Opcode opcode, std::string_view payload, const std::array<uint8_t, 4>& mask,
                       bool fin, std::string* out) {
  AppendLength((fin ? 0x80 : 0) | static_cast<uint8_t>(opcode), true, payload.size(), out);
  out->append(reinterpret_cast<const char*>(mask.data()), 4);
  const size_t start = out->size();
  out->append(payload);
  Unmask(out->data() + start, payload.size(), mask);  // XOR masks as it unmasks
}

bool IsValidReceivedCloseCode(uint16_t code) {
  if (code >= 3000 && code <= 4999) return true;
  switch (code) {
    case 1000:
    case 1001:
    case 1002:
    case 1003:
    case 1007:
    case 1008:
    case 1009:
    case 1010:
    case 1011:
    case 1012:
    case 1013:
    case 1014:
      return true;
    default:
      return false;
  }
}

}  // namespace predictwire::transport::websocket
