#ifndef PREDICTWIRE_TRANSPORT_COMMON_REPLY_FIELDS_H_
#define PREDICTWIRE_TRANSPORT_COMMON_REPLY_FIELDS_H_

// The header fields a RestReply makes, decided once for every HTTP version: HTTP/1.1 writes them
// as bytes into its output (response_writer.h), HTTP/2 as the stream's header list
// (server_session.cc). Neither allocates for them.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "absl/functional/function_ref.h"
#include "core/infer.h"
#include "transport/common/rest_router.h"

namespace predictwire::transport {

// The HTTP version a reply is framed in: HTTP/2 carries no connection-specific fields (RFC 9113
// section 8.2.2).
enum class HttpVersion : uint8_t { kHttp1, kHttp2 };

// One header field of a reply. Views only: names are literals (for RestReply::headers, the
// reply's own), values point into the reply or its ReplyFieldText.
struct ReplyField {
  // Lower-case, as HTTP/2 requires (RFC 9113 section 8.2.1): "content-type".
  std::string_view name;
  // What HTTP/1.1 writes before the value, fixed at compile time: the end of the previous line,
  // the name in Title-Case, colon and space ("\r\nContent-Type: "). Empty for a
  // RestReply::headers field, whose (lower-case) name HTTP/1.1 writes as given.
  std::string_view http1_prefix;
  std::string_view value;
};

// The longest value WriteServerTiming writes: both durations at UINT32_MAX microseconds.
inline constexpr size_t kServerTimingMaxBytes =
    sizeof("queue;dur=4294967.295, compute;dur=4294967.295") - 1;
// The most fields ForEachReplyField yields: content-type, content-length, server-timing, allow,
// upgrade, inference-header-content-length and RestReply::kMaxHeaders more.
inline constexpr size_t kMaxReplyFields = 6 + RestReply::kMaxHeaders;

// Where ForEachReplyField writes the values it formats. The fields it yields point into it, so
// it must outlive their use (HTTP/2 keeps it in the stream until the stream closes).
struct ReplyFieldText {
  char content_length[20];  // the digits of a uint64_t
  char inference_header_length[20];
  char server_timing[kServerTimingMaxBytes];
};

// Writes `timing` as a Server-Timing value, "queue;dur=1.234, compute;dur=50.001" (each duration
// in milliseconds with three decimals), into `buffer`; returns the view of `buffer` written.
std::string_view WriteServerTiming(const ServerTiming& timing,
                                   std::span<char, kServerTimingMaxBytes> buffer);

// Calls `visit` once for each header field of `reply`, in the order they are sent:
// content-type and content-length (not for a 204 or a 304: RFC 9110 sections 8.6 and 15.4.5),
// server-timing (when
// the reply has a timing), allow, upgrade (only HTTP/1.1), inference-header-content-length, then
// RestReply::headers as given, at most RestReply::kMaxHeaders of them. Not the status, nor the
// fields an HTTP version adds on its own (Date, Server, Connection). `text` receives the
// formatted values; `reply` and `text` must outlive the fields' use.
void ForEachReplyField(const RestReply& reply, HttpVersion version, ReplyFieldText* text,
                       absl::FunctionRef<void(const ReplyField&)> visit);

}  // namespace predictwire::transport

#endif  // PREDICTWIRE_TRANSPORT_COMMON_REPLY_FIELDS_H_
