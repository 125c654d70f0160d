#ifndef PREDICTWIRE_TRANSPORT_WEBSOCKET_HANDSHAKE_H_
#define PREDICTWIRE_TRANSPORT_WEBSOCKET_HANDSHAKE_H_

#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace predictwire::transport::websocket {

// Checks the client's opening handshake fields (RFC 6455 §4.2.1): version 13 and a key that is
// 16 bytes in base64. The message says what is wrong.
absl::Status ValidateHandshake(std::string_view key, std::string_view version);

// Sec-WebSocket-Accept for a client's Sec-WebSocket-Key: base64(SHA-1(key + RFC 6455 GUID)).
std::string AcceptKey(std::string_view client_key);

// Appends the server's 101 Switching Protocols response.
void AppendSwitchingProtocols(std::string_view client_key, std::string* out);

}  // namespace predictwire::transport::websocket

#endif  // PREDICTWIRE_TRANSPORT_WEBSOCKET_HANDSHAKE_H_
