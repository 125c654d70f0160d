#ifndef PREDICTWIRE_TRANSPORT_HTTP1_RESPONSE_WRITER_H_
#define PREDICTWIRE_TRANSPORT_HTTP1_RESPONSE_WRITER_H_

#include <string>
#include <string_view>

#include "transport/common/http_date.h"
#include "transport/common/rest_router.h"

namespace predictwire::transport::http1 {

// How the response ends the exchange.
struct ResponseFraming {
  bool close = false;              // send "Connection: close" (the server closes after it)
  bool keep_alive_http10 = false;  // an HTTP/1.0 client asked to keep the connection
  bool head = false;               // a HEAD request: headers only
};

// Appends a complete HTTP/1.1 response: the status line, Server and Date, the reply's fields
// (ForEachReplyField), Connection when `framing` asks for it, and the body. Header bytes are
// written straight into `out` from precomputed status lines and field prefixes and a Date cached
// per second, with no header container and no allocation of their own (Beast's serializer and
// fields cost ~35% of throughput).
void AppendResponse(const RestReply& reply, const ResponseFraming& framing, std::string* out);

// "HTTP/1.1 200 OK\r\n" for the status codes the server sends; others get a generic reason.
std::string_view StatusLine(int status);

}  // namespace predictwire::transport::http1

#endif  // PREDICTWIRE_TRANSPORT_HTTP1_RESPONSE_WRITER_H_
