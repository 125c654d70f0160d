#ifndef PREDICTWIRE_CODEC_JSON_WRITER_H_
#define PREDICTWIRE_CODEC_JSON_WRITER_H_

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace predictwire::codec {

// Small appenders for writing JSON straight into a response buffer, with no DOM in between.

// Appends `text` as a quoted JSON string, escaping quotes, backslashes and control characters.
// Bytes that are not well-formed UTF-8 are written as \ufffd, so the result is valid JSON
// whatever `text` holds.
void AppendJsonString(std::string_view text, std::string* out);
// The same, as a string of its own (for reports, not the request path).
inline std::string JsonQuoted(std::string_view text) {
  std::string out;
  AppendJsonString(text, &out);
  return out;
}

// Appends the shortest decimal form that reads back as the same float; NaN and infinities,
// which JSON cannot express, are written as null.
void AppendJsonNumber(float value, std::string* out);
void AppendJsonNumber(int64_t value, std::string* out);
void AppendJsonNumber(uint64_t value, std::string* out);
inline void AppendJsonNumber(uint32_t value, std::string* out) {
  AppendJsonNumber(static_cast<uint64_t>(value), out);
}
inline void AppendJsonNumber(int value, std::string* out) {
  AppendJsonNumber(static_cast<int64_t>(value), out);
}

// Appends [v0,v1,...].
void AppendJsonArray(std::span<const float> values, std::string* out);
void AppendJsonArray(std::span<const int64_t> values, std::string* out);

}  // namespace predictwire::codec

#endif  // PREDICTWIRE_CODEC_JSON_WRITER_H_
