// Fuzz target: HTTP/1.1 requests through the server's lean parser, several requests per
// connection, fed as reads deliver them. Checked, as the server relies on them:
//
// - Readers agree: the input read in one piece, in pieces of the size the first byte picks and a
//   byte at a time gives the same requests (every field the parser keeps, the body) and, when
//   each refuses the input, the same refusal (the error and any framing error; where each
//   stopped and how much of the refused request it had read may differ with the reads).
// - Limits hold both ways: no finished request's head (request line to blank line) passes the
//   header limit, nor any body the body limit; and a request refused for its head is one whose
//   head passes the limit, one refused for its body one that declares more than the body limit
//   (or is chunked, whose chunks declare their sizes as they come).

#include <algorithm>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/error.hpp>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "transport/http1/request_parser.h"

using predictwire::transport::http1::RequestParser;

namespace {

// A property does not hold: says which, then aborts (the fuzzer's and the replay's failure).
[[noreturn]] void Fail(const char* property, std::string_view detail = {}) {
  std::fprintf(stderr, "http1_request_parser_fuzz: %s%s%.*s\n", property,
               detail.empty() ? "" : ": ", static_cast<int>(std::min<size_t>(detail.size(), 300)),
               detail.data());
  std::abort();
}

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
  if (parser.body().size() > kBodyLimit) Fail("a body passed the body limit");
  return line;
}

// How a connection's input parsed: every request finished, then the refusal that ended it (the
// error and any framing error), if one did; otherwise it waits for more.
struct Parsed {
  std::vector<std::string> requests;
  std::string refusal;
  bool over_head_limit = false;    // refused for the header limit
  boost::beast::error_code error;  // why it refused, if it did
  std::string_view refused;        // the refused request and whatever followed it
};

// The value of the first Content-Length field in `head`, or -1 without one (or an unreadable one).
long long DeclaredLength(std::string_view head) {
  constexpr std::string_view kName = "\r\ncontent-length:";
  for (size_t at = 0; at + kName.size() <= head.size(); ++at) {
    if (!boost::beast::iequals(head.substr(at, kName.size()), kName)) continue;
    size_t digit = at + kName.size();
    while (digit < head.size() && (head[digit] == ' ' || head[digit] == '\t')) ++digit;
    long long value = -1;
    while (digit < head.size() && head[digit] >= '0' && head[digit] <= '9' && value < (1LL << 40)) {
      value = (value < 0 ? 0 : value * 10) + (head[digit++] - '0');
    }
    return value;
  }
  return -1;
}

// A refusal for a limit is due: `request` (the refused request and whatever followed it) has a
// head longer than the header limit, or a body declared or sent longer than the body limit.
void CheckRefusalWasDue(std::string_view request, boost::beast::error_code error) {
  const size_t head_end = request.find("\r\n\r\n");
  const size_t head = head_end == std::string_view::npos ? request.size() : head_end + 4;
  if (error == boost::beast::http::error::header_limit && head <= kHeaderLimit) {
    Fail("a head within the header limit was refused for it", request.substr(0, head));
  }
  if (error == boost::beast::http::error::body_limit) {
    if (head_end == std::string_view::npos) Fail("a body refused before its head ended");
    const long long declared = DeclaredLength(request.substr(0, head));
    // A declared length within the limit is never refused for it (a chunked body, whose chunks
    // declare their sizes as they come, carries no Content-Length: Beast refuses both at once).
    if (declared >= 0 && static_cast<size_t>(declared) <= kBodyLimit) {
      Fail("a body declared within the body limit was refused for it", request.substr(0, head));
    }
  }
}

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
      parsed_input.error = error;
      parsed_input.refused = input.substr(request_start);
      (void)Describe(*parser, false);  // what it kept of the refused request is within the limits
      parsed_input.refusal = "error " + error.message();
      parsed_input.over_head_limit = error == boost::beast::http::error::header_limit;
      if (const auto& framing = parser->framing_error()) {
        parsed_input.refusal +=
            " framing " + std::to_string(framing->status) + " " + std::string(framing->message);
      }
      return parsed_input;
    }
    if (parser->is_done()) {
      // Its head, up to the blank line, is within the limit.
      const size_t head_end = input.find("\r\n\r\n", request_start);
      if (head_end == std::string_view::npos || head_end + 4 - request_start > kHeaderLimit) {
        Fail("a request whose head passed the header limit was taken",
             input.substr(request_start, 200));
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

// Two readings of one input agree: the same requests, then the same refusal (the same error; one
// reader may stop earlier in the input than another, or have read more of the refused request's
// head before it stopped, as its reads fall). One reader may still wait where the other has refused
// already: Beast checks a request line as soon as a read holds all of it, but one that came in
// pieces only once the head's blank line arrives (which a truncated input never brings); either way
// that request is never taken.
void CheckAgree(const Parsed& a, const Parsed& b) {
  if (a.requests != b.requests) Fail("two readers took different requests");
  // A malformed head may be refused for the limit as reads fall: Beast checks each field as it
  // arrives, but a request line read in pieces only once the head's end is in sight (which a
  // head past the limit never brings).
  if (a.over_head_limit != b.over_head_limit) return;
  if (a.refusal != b.refusal && !a.refusal.empty() && !b.refusal.empty()) {
    Fail("two readers refused differently", a.refusal + " / " + b.refusal);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const size_t step = 1 + data[0] % 64;
  const std::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);
  const Parsed whole = Parse(input, input.size() + 1);
  // Read whole, a head that ends within the limit is seen to end, so a refusal for the limit is
  // due. (Read in pieces, Beast may wait for a malformed request line to end until the limit.)
  if (whole.error) CheckRefusalWasDue(whole.refused, whole.error);
  CheckAgree(whole, Parse(input, step));
  CheckAgree(whole, Parse(input, 1));
  return 0;
}
