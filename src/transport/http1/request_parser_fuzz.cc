// Fuzz target: HTTP/1.1 requests through the server's lean parser, several requests per
// connection, fed as reads deliver them. Checked, as the server relies on them:
//
// - Readers agree: the input read in one piece, in pieces of the size the first byte picks and a
//   byte at a time gives the same requests (every field the parser keeps, the body) and, when
//   each refuses the input, the same refusal (error, framing error, the byte it stopped at).
// - Limits hold: no finished request's head passes the header limit, nor any body the body limit.

#include <boost/beast/http/error.hpp>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "transport/http1/request_parser.h"

using predictwire::transport::http1::RequestParser;

namespace {

constexpr size_t kHeaderLimit = 4096;
constexpr size_t kBodyLimit = 65536;

// Everything the parser kept of a request it finished (or of the one it stopped in), one line.
std::string Describe(RequestParser& parser, bool done) {
  std::string line = done ? "request " : "unfinished ";
  if (parser.got_some()) {
    line += parser.method() + " " + parser.target() + " " + std::to_string(parser.version());
  }
  if (!parser.is_header_done()) return line;
  line += " continue=" + std::to_string(parser.expects_continue());
  line += " upgrade=" + std::to_string(parser.upgrade_websocket());
  line += " key=" + parser.websocket_key() + " version=" + parser.websocket_version();
  line += " ihcl=" + parser.inference_header_length() + " origin=" + parser.origin();
  line += " host=" + parser.host();
  line += " body=" + std::to_string(parser.body().size()) + ":" + parser.body();
  if (parser.body().size() > kBodyLimit) std::abort();
  return line;
}

// How a connection's input parsed: every request finished, then the refusal that ended it (the
// error, any framing error, and where), if one did; otherwise it waits for more.
struct Parsed {
  std::vector<std::string> requests;
  std::string refusal;
};

// Parses `input` handed over `step` bytes more at a time, as reads deliver it.
Parsed Parse(std::string_view input, size_t step) {
  Parsed parsed_input;
  size_t offset = 0;
  size_t available = std::min(step, input.size());
  auto parser = std::make_unique<RequestParser>(kHeaderLimit, kBodyLimit);
  size_t request_start = 0;
  while (offset < input.size()) {
    boost::beast::error_code error;
    const size_t parsed =
        parser->put(boost::asio::buffer(input.data() + offset, available - offset), error);
    offset += parsed;
    if (error == boost::beast::http::error::need_more) error = {};
    if (error) {
      parsed_input.refusal = Describe(*parser, false) + " error " + error.message();
      if (const auto& framing = parser->framing_error()) {
        parsed_input.refusal +=
            " framing " + std::to_string(framing->status) + " " + std::string(framing->message);
      }
      parsed_input.refusal += " at " + std::to_string(offset);
      return parsed_input;
    }
    if (parser->is_done()) {
      // Its head, up to the blank line, is within the limit.
      const size_t head_end = input.find("\r\n\r\n", request_start);
      if (head_end == std::string_view::npos || head_end + 4 - request_start > kHeaderLimit) {
        std::abort();
      }
      parsed_input.requests.push_back(Describe(*parser, true));
      parser = std::make_unique<RequestParser>(kHeaderLimit, kBodyLimit);
      request_start = offset;
      continue;
    }
    if (parsed == 0) {
      if (available == input.size()) break;
      available = std::min(available + step, input.size());
    }
  }
  return parsed_input;
}

// Two readings of one input agree: the same requests, then the same refusal. One reader may
// still wait where the other has refused already: Beast checks a request line as soon as a read
// holds all of it, but one that came in pieces only once the head's blank line arrives (which a
// truncated input never brings); either way that request is never taken.
void CheckAgree(const Parsed& a, const Parsed& b) {
  if (a.requests != b.requests) std::abort();
  if (a.refusal != b.refusal && !a.refusal.empty() && !b.refusal.empty()) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const size_t step = 1 + data[0] % 64;
  const std::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);
  const Parsed whole = Parse(input, input.size() + 1);
  CheckAgree(whole, Parse(input, step));
  CheckAgree(whole, Parse(input, 1));
  return 0;
}
