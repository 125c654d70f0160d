#ifndef PREDICTWIRE_CODEC_UTF8_H_
#define PREDICTWIRE_CODEC_UTF8_H_

#include <cstddef>
#include <string>
#include <string_view>

namespace predictwire::codec {

// Well-formed UTF-8 as RFC 3629 defines it: no overlong forms, surrogates or code points past
// U+10FFFF. WebSocket text messages and close reasons must be (RFC 6455), and every JSON string
// the server writes is, whatever bytes a client sent.

// Whether all of `text` is well-formed.
bool IsValidUtf8(std::string_view text);

// The length (1 to 4) of the well-formed sequence `text` starts with; 0 when it starts with a
// byte that begins none (or `text` is empty).
size_t Utf8SequenceLength(std::string_view text);

// `text` with each byte that begins no well-formed sequence replaced by U+FFFD, as a decoder
// shows what it cannot read.
std::string ToValidUtf8(std::string_view text);

}  // namespace predictwire::codec

#endif  // PREDICTWIRE_CODEC_UTF8_H_
