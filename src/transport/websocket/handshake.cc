#include "transport/websocket/handshake.h"

#include <openssl/evp.h>
#include <openssl/sha.h>

namespace predictwire::transport::websocket {
namespace {

constexpr std::string_view kGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

bool IsBase64Character(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
         c == '/';
}

}  // namespace

absl::Status ValidateHandshake(std::string_view key, std::string_view version) {
  if (version != "13") {
    return absl::InvalidArgumentError("WebSocket upgrade needs 'Sec-WebSocket-Version: 13'");
  }
  // 16 random bytes in base64 are 22 characters and "==".
  bool valid = key.size() == 24 && key.substr(22) == "==";
  for (size_t i = 0; valid && i < 22; ++i) valid = IsBase64Character(key[i]);
  if (!valid) {
    return absl::InvalidArgumentError(
        "WebSocket upgrade needs a Sec-WebSocket-Key of 16 base64-encoded bytes");
  }
  return absl::OkStatus();
}

std::string AcceptKey(std::string_view client_key) {
  std::string input(client_key);
  input.append(kGuid);
  unsigned char digest[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(input.data()), input.size(), digest);
  unsigned char encoded[4 * ((SHA_DIGEST_LENGTH + 2) / 3) + 1];
  const int length = EVP_EncodeBlock(encoded, digest, SHA_DIGEST_LENGTH);
  return std::string(reinterpret_cast<const char*>(encoded), length);
}

void AppendSwitchingProtocols(std::string_view client_key, std::string* out) {
  out->append(
      "HTTP/1.1 101 Switching Protocols\r\n"
      "Upgrade: websocket\r\n"
      "Connection: Upgrade\r\n"
      "Sec-WebSocket-Accept: ");
  out->append(AcceptKey(client_key));
  out->append("\r\n\r\n");
}

}  // namespace predictwire::transport::websocket
