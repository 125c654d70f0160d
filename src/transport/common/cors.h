#ifndef PREDICTWIRE_TRANSPORT_COMMON_CORS_H_
#define PREDICTWIRE_TRANSPORT_COMMON_CORS_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "transport/common/header_field.h"

namespace predictwire::transport {

// Which web pages, by origin, may read the server's answers from a browser (serve
// --cors-origin), and the headers that tell the browser so (the Fetch standard's CORS protocol).
// Immutable after Create: shared by every IO thread without a lock.
//
// A page's Origin is allowed when it is listed, or when "*" is. An allowed origin's answers carry
// Access-Control-Allow-Origin (the origin itself), Timing-Allow-Origin, Access-Control-Expose-
// Headers (Server-Timing, Inference-Header-Content-Length) and Vary: Origin; its preflights are
// answered with the route's methods, the request headers the API reads, and a Max-Age. Any other
// origin gets none of these, so the browser keeps the answer from the page.
class CorsPolicy {
 public:
  // How long a browser may cache a preflight's answer (Chromium caps it at 2 hours).
  static constexpr int kMaxAgeSeconds = 600;
  // The request headers a page may send beyond the CORS-safelisted ones.
  static constexpr std::string_view kAllowedHeaders =
      "content-type, inference-header-content-length";
  // The response headers a page may read beyond the CORS-safelisted ones.
  static constexpr std::string_view kExposedHeaders =
      "server-timing, inference-header-content-length";

  // Allows no origin: every browser request from another origin is refused.
  CorsPolicy() = default;

  // `origins`: each "*" (any origin), "null" (pages with an opaque origin, such as file://), or
  // an origin as browsers send it, "http://host[:port]" or "https://host[:port]" with no path.
  // Scheme and host are compared case-insensitively. An origin of another form is an error that
  // says which.
  static absl::StatusOr<CorsPolicy> Create(const std::vector<std::string>& origins);

  // Whether any origin is allowed at all (false: the router skips CORS entirely).
  bool enabled() const { return any_origin_ || !origins_.empty(); }

  // Whether a page of `origin` (an Origin header's value) may read answers; false when empty.
  bool Allows(std::string_view origin) const;

  // Whether a WebSocket handshake may be served: a client that sends no Origin (not a browser)
  // may, as may a page of the server itself (the Origin's host and port are the handshake's
  // Host) and a page of an allowed origin. Others are refused, so that no site a user visits can
  // open a socket to the server with the user's network position (cross-site WebSocket
  // hijacking).
  bool AcceptsWebSocket(std::string_view origin, std::string_view host) const;

  // Appends the headers of an answer to an allowed `origin`.
  static void AppendAnswerHeaders(std::string_view origin, std::vector<HeaderField>* headers);
  // Appends the headers of a preflight's answer to an allowed `origin`, on a route that takes
  // `methods` (e.g. "POST").
  static void AppendPreflightHeaders(std::string_view origin, std::string_view methods,
                                     std::vector<HeaderField>* headers);

 private:
  bool any_origin_ = false;
  std::vector<std::string> origins_;  // lowercase
};

// Whether `origin` ("http://host:port") names the same host and port as `host` (a Host header,
// "host:port"), counting a missing port as the scheme's default (80 for http, 443 for https).
bool OriginIsHost(std::string_view origin, std::string_view host);

}  // namespace predictwire::transport

#endif  // PREDICTWIRE_TRANSPORT_COMMON_CORS_H_
