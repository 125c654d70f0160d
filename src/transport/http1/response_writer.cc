#include "transport/http1/response_writer.h"

#include "transport/common/reply_fields.h"

namespace predictwire::transport::http1 {

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
    case 304:
      return "HTTP/1.1 304 Not Modified\r\n";
    case 400:
      return "HTTP/1.1 400 Bad Request\r\n";
    case 403:
      return "HTTP/1.1 403 Forbidden\r\n";
    case 404:
      return "HTTP/1.1 404 Not Found\r\n";
    case 405:
      return "HTTP/1.1 405 Method Not Allowed\r\n";
    case 408:
      return "HTTP/1.1 408 Request Timeout\r\n";
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
  ReplyFieldText text;
  ForEachReplyField(reply, HttpVersion::kHttp1, &text, [out](const ReplyField& field) {
    if (field.http1_prefix.empty()) {
      out->append("\r\n");
      out->append(field.name);
      out->append(": ");
    } else {
      out->append(field.http1_prefix);
    }
    out->append(field.value);
  });
  if (framing.close) {
    out->append("\r\nConnection: close");
  } else if (framing.keep_alive_http10) {
    out->append("\r\nConnection: keep-alive");
  }
  out->append("\r\n\r\n");
  if (!framing.head && reply.status != 204 && reply.status != 304) out->append(reply.body);
}

}  // namespace predictwire::transport::http1
