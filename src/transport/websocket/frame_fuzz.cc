// Fuzz target: a stream of WebSocket frames, parsed header by header as the server does,
// unmasked, and text payloads checked as UTF-8. Unmask (many bytes a step) must agree with
// unmasking byte by byte, and IsValidUtf8 (ASCII runs many bytes a step) with the sequence-by-
// sequence reading that ToValidUtf8 does.

#include <cstdint>
#include <cstdlib>
#include <string>

#include "codec/utf8.h"
#include "transport/websocket/frame.h"

using namespace predictwire::transport::websocket;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string bytes(reinterpret_cast<const char*>(data), size);
  size_t offset = 0;
  while (offset < bytes.size()) {
    FrameHeader header;
    std::string error;
    const ParseStatus status =
        ParseFrameHeader(bytes.data() + offset, bytes.size() - offset, &header, &error);
    if (status != ParseStatus::kOk) break;
    if (header.header_length > bytes.size() - offset) std::abort();
    const size_t available = bytes.size() - offset - header.header_length;
    if (header.payload_length > available) break;
    char* payload = bytes.data() + offset + header.header_length;
    std::string expected(payload, header.payload_length);
    for (size_t i = 0; i < expected.size(); ++i) expected[i] ^= header.mask[i % 4];
    Unmask(payload, header.payload_length, header.mask);
    if (expected != std::string_view(payload, header.payload_length)) std::abort();
    if (header.opcode == Opcode::kText)
      predictwire::codec::IsValidUtf8(std::string_view(payload, header.payload_length));
    offset += header.header_length + header.payload_length;
  }
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  if (predictwire::codec::IsValidUtf8(text) != (predictwire::codec::ToValidUtf8(text) == text)) {
    std::abort();
  }
  return 0;
}
