#include "transport/http1/response_writer.h"

#include <charconv>

namespace predictwire::transport::http1 {
namespace {

void AppendNumber(uint64_t value, std::string* out) {
  char digits[24];
  const auto result = std::to_chars(digits, digits + sizeof(digits), value);
  out->append(digits, result.ptr);
}

// Microseconds as milliseconds with three decimals, the unit Server-Timing's dur uses.
void AppendMilliseconds(uint32_t microseconds, std::string* out) {
  AppendNumber(microseconds / 1000, out);
  out->push_back('.');
  const uint32_t fraction = microseconds % 1000;
  out->push_back(static_cast<char>('0' + fraction / 100));
  out->push_back(static_cast<char>('0' + fraction / 10 % 10));
  out->push_back(static_cast<char>('0' + fraction % 10));
}

}  // namespace

std::string_view StatusLine(int status) {
  switch (status) {
    case 100:
      return "HTTP/1.1 100 Continue\r\n";
    case 101:
      return "HTTP/1.1 101 Switching Protocols\r\n";
    case 200:
      return "HTTP/1.1 200 OK\r\n";
    case 204:
      return "HTTP/1.1 204 No Content\r\n";
    case 400:
      return "HTTP/1.1 400 Bad Request\r\n";
    case 403:
      return "HTTP/1.1 403 Forbidden\r\n";
    case 404:
      return "HTTP/1.1 404 Not Found\r\n";
    case 405:
      return "HTTP/1.1 405 Method Not Allowed\r\n";
    case 413:
      return "HTTP/1.1 413 Content Too Large\r\n";
    case 426:
      return "HTTP/1.1 426 Upgrade Required\r\n";
    case 431:
      return "HTTP/1.1 431 Request Header Fields Too Large\r\n";
    case 500:
      return "HTTP/1.1 500 Internal Server Error\r\n";
    case 501:
      return "HTTP/1.1 501 Not Implemented\r\n";
    case 503:
      return "HTTP/1.1 503 Service Unavailable\r\n";
    case 504:
      return "HTTP/1.1 504 Gateway Timeout\r\n";
    default:
      if (status >= 500) return "HTTP/1.1 500 Internal Server Error\r\n";
      if (status >= 400) return "HTTP/1.1 400 Bad Request\r\n";
      return "HTTP/1.1 200 OK\r\n";
  }
}

void AppendResponse(const RestReply& reply, const ResponseFraming& framing, std::string* out) {
  out->append(StatusLine(reply.status));
  out->append("Server: predictwire\r\nDate: ");
  out->append(HttpDate());
  // A 204 has no content, so neither of its headers (RFC 9110 section 8.6).
  if (reply.status != 204) {
    out->append("\r\nContent-Type: ");
    out->append(reply.content_type);
    out->append("\r\nContent-Length: ");
    AppendNumber(reply.body.size(), out);
  }
  if (reply.timing) {
    out->append("\r\nServer-Timing: queue;dur=");
    AppendMilliseconds(reply.timing->queue_us, out);
    out->append(", compute;dur=");
    AppendMilliseconds(reply.timing->compute_us, out);
  }
  if (!reply.allow.empty()) {
    out->append("\r\nAllow: ");
    out->append(reply.allow);
  }
  if (!reply.upgrade.empty()) {
    out->append("\r\nUpgrade: ");
    out->append(reply.upgrade);
  }
  if (reply.inference_header_length) {
    out->append("\r\nInference-Header-Content-Length: ");
    AppendNumber(*reply.inference_header_length, out);
  }
  for (const HeaderField& field : reply.headers) {
    out->append("\r\n");
    out->append(field.name);
    out->append(": ");
    out->append(field.value);
  }
  if (framing.close) {
    out->append("\r\nConnection: close");
  } else if (framing.keep_alive_http10) {
    out->append("\r\nConnection: keep-alive");
  }
  out->append("\r\n\r\n");
  if (!framing.head && reply.status != 204) out->append(reply.body);
}

}  // namespace predictwire::transport::http1
