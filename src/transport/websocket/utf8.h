#ifndef PREDICTWIRE_TRANSPORT_WEBSOCKET_UTF8_H_
#define PREDICTWIRE_TRANSPORT_WEBSOCKET_UTF8_H_

#include <string_view>

namespace predictwire::transport::websocket {

// Whether `text` is well-formed UTF-8 (no overlong forms, surrogates or code points past
// U+10FFFF), as RFC 6455 requires of text messages and close reasons.
bool IsValidUtf8(std::string_view text);

}  // namespace predictwire::transport::websocket

#endif  // PREDICTWIRE_TRANSPORT_WEBSOCKET_UTF8_H_
