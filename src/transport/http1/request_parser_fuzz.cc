// Fuzz target: HTTP/1.1 requests through the server's lean parser, fed in pieces as reads
// deliver them (the first byte picks the piece size), several requests per connection.

#include <boost/beast/http/error.hpp>
#include <cstdint>
#include <memory>

#include "transport/http1/request_parser.h"

using predictwire::transport::http1::RequestParser;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const size_t step = 1 + data[0] % 64;
  const char* input = reinterpret_cast<const char*>(data + 1);
  const size_t length = size - 1;
  size_t offset = 0;
  size_t available = std::min(step, length);
  auto parser = std::make_unique<RequestParser>(4096, 65536);
  while (offset < length) {
    boost::beast::error_code error;
    const size_t parsed =
        parser->put(boost::asio::buffer(input + offset, available - offset), error);
    offset += parsed;
    if (error == boost::beast::http::error::need_more) error = {};
    if (error) break;
    if (parser->is_done()) {
      parser = std::make_unique<RequestParser>(4096, 65536);
      continue;
    }
    if (parsed == 0) {
      if (available == length) break;
      available = std::min(available + step, length);
    }
  }
  return 0;
}
