#include "codec/json_writer.h"

#include <charconv>
#include <cmath>

#include "codec/utf8.h"

namespace predictwire::codec {
namespace {

constexpr char kHexDigits[] = "0123456789abcdef";

template <typename Number>
void AppendWithToChars(Number value, std::string* out) {
  char buffer[32];
  const std::to_chars_result result = std::to_chars(buffer, buffer + sizeof(buffer), value);
  out->append(buffer, result.ptr);
}

}  // namespace

void AppendJsonString(std::string_view text, std::string* out) {
  out->push_back('"');
  size_t clean_from = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (c >= 0x80) {
      const size_t length = Utf8SequenceLength(text.substr(i));
      if (length > 0) {
        i += length - 1;
        continue;
      }
      // Not UTF-8 (a client's bytes quoted in an error, say): JSON text must be, so the byte
      // becomes U+FFFD, as a decoder replaces what it cannot read.
      out->append(text.substr(clean_from, i - clean_from));
      clean_from = i + 1;
      out->append("\\ufffd");
      continue;
    }
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out->append(text.substr(clean_from, i - clean_from));
    clean_from = i + 1;
    switch (c) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\r':
        out->append("\\r");
        break;
      case '\t':
        out->append("\\t");
        break;
      default:
        out->append("\\u00");
        out->push_back(kHexDigits[c >> 4]);
        out->push_back(kHexDigits[c & 0xf]);
    }
  }
  out->append(text.substr(clean_from));
  out->push_back('"');
}

void AppendJsonNumber(float value, std::string* out) {
  if (!std::isfinite(value)) {
    out->append("null");
    return;
  }
  AppendWithToChars(value, out);
}

void AppendJsonNumber(int64_t value, std::string* out) { AppendWithToChars(value, out); }
void AppendJsonNumber(uint64_t value, std::string* out) { AppendWithToChars(value, out); }

void AppendJsonArray(std::span<const float> values, std::string* out) {
  out->push_back('[');
  for (size_t i = 0; i < values.size(); ++i) {
    if (i != 0) out->push_back(',');
    AppendJsonNumber(values[i], out);
  }
  out->push_back(']');
}

void AppendJsonArray(std::span<const int64_t> values, std::string* out) {
  out->push_back('[');
  for (size_t i = 0; i < values.size(); ++i) {
    if (i != 0) out->push_back(',');
    AppendJsonNumber(values[i], out);
  }
  out->push_back(']');
}

}  // namespace predictwire::codec
