#include "transport/common/reply_fields.h"

#include <algorithm>
#include <charconv>

namespace predictwire::transport {
namespace {

// Writes `value`'s decimal digits at `out`; returns the end of what it wrote. `end` must leave
// room for them.
char* WriteNumber(uint64_t value, char* out, char* end) {
  return std::to_chars(out, end, value).ptr;
}

// Microseconds as milliseconds with three decimals, the unit Server-Timing's dur uses.
char* WriteMilliseconds(uint32_t microseconds, char* out, char* end) {
  out = WriteNumber(microseconds / 1000, out, end);
  const uint32_t fraction = microseconds % 1000;
  *out++ = '.';
  *out++ = static_cast<char>('0' + fraction / 100);
  *out++ = static_cast<char>('0' + fraction / 10 % 10);
  *out++ = static_cast<char>('0' + fraction % 10);
  return out;
}

char* WriteText(std::string_view text, char* out) {
  return std::copy(text.begin(), text.end(), out);
}

template <size_t N>
std::string_view FormatNumber(uint64_t value, char (&buffer)[N]) {
  static_assert(N >= 20, "a uint64_t has up to 20 digits");
  return std::string_view(buffer, WriteNumber(value, buffer, buffer + N) - buffer);
}

// A field of the reply's own members, both spellings of its name fixed at compile time.
struct NamedField {
  std::string_view name;
  std::string_view http1_prefix;

  ReplyField With(std::string_view value) const { return {name, http1_prefix, value}; }
};

constexpr char Lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

// Whether `field`'s HTTP/1.1 prefix is "\r\n", its name (in any case) and ": ".
constexpr bool SpeltAlike(const NamedField& field) {
  const std::string_view prefix = field.http1_prefix;
  if (prefix.size() != field.name.size() + 4 || !prefix.starts_with("\r\n") ||
      !prefix.ends_with(": ")) {
    return false;
  }
  for (size_t i = 0; i < field.name.size(); ++i) {
    if (Lower(prefix[i + 2]) != field.name[i]) return false;
  }
  return true;
}

constexpr NamedField kContentType{"content-type", "\r\nContent-Type: "};
constexpr NamedField kContentLength{"content-length", "\r\nContent-Length: "};
constexpr NamedField kServerTiming{"server-timing", "\r\nServer-Timing: "};
constexpr NamedField kAllow{"allow", "\r\nAllow: "};
constexpr NamedField kUpgrade{"upgrade", "\r\nUpgrade: "};
constexpr NamedField kInferenceHeaderLength{"inference-header-content-length",
                                            "\r\nInference-Header-Content-Length: "};
static_assert(SpeltAlike(kContentType) && SpeltAlike(kContentLength) && SpeltAlike(kServerTiming) &&
              SpeltAlike(kAllow) && SpeltAlike(kUpgrade) && SpeltAlike(kInferenceHeaderLength));

}  // namespace

std::string_view WriteServerTiming(const ServerTiming& timing,
                                   std::span<char, kServerTimingMaxBytes> buffer) {
  char* const start = buffer.data();
  char* const end = start + buffer.size();
  char* out = WriteText("queue;dur=", start);
  out = WriteMilliseconds(timing.queue_us, out, end);
  out = WriteText(", compute;dur=", out);
  out = WriteMilliseconds(timing.compute_us, out, end);
  return std::string_view(start, out - start);
}

void ForEachReplyField(const RestReply& reply, HttpVersion version, ReplyFieldText* text,
                       absl::FunctionRef<void(const ReplyField&)> visit) {
  // A 204 has no content, so neither of its headers (RFC 9110 section 8.6); a 304 describes
  // content it does not send, so it says nothing of it either (section 15.4.5).
  if (reply.status != 204 && reply.status != 304) {
    visit(kContentType.With(reply.content_type));
    visit(kContentLength.With(FormatNumber(reply.body.size(), text->content_length)));
  }
  if (reply.timing) {
    visit(kServerTiming.With(WriteServerTiming(*reply.timing, text->server_timing)));
  }
  if (!reply.allow.empty()) visit(kAllow.With(reply.allow));
  // Upgrade is a connection-level field, which HTTP/2 forbids (RFC 9113 section 8.2.2).
  if (!reply.upgrade.empty() && version == HttpVersion::kHttp1) {
    visit(kUpgrade.With(reply.upgrade));
  }
  if (reply.inference_header_length) {
    visit(kInferenceHeaderLength.With(
        FormatNumber(*reply.inference_header_length, text->inference_header_length)));
  }
  const size_t headers = std::min(reply.headers.size(), RestReply::kMaxHeaders);
  for (size_t i = 0; i < headers; ++i) {
    const HeaderField& field = reply.headers[i];
    visit({field.name, {}, field.value});
  }
}

}  // namespace predictwire::transport
