#include "loadgen/client/http_response_reader.h"

#include <boost/beast/core/string.hpp>

#include "loadgen/client/payload.h"

namespace predictwire::loadgen {

HttpResponseReader::HttpResponseReader(bool keep_body) : keep_body_(keep_body) {
  eager(true);
  body_limit(boost::none);
  header_limit(64 * 1024);
}

void HttpResponseReader::on_field_impl(boost::beast::http::field,
                                       boost::beast::string_view name_text,
                                       boost::beast::string_view value, boost::beast::error_code&) {
  if (boost::beast::iequals(name_text, "Server-Timing")) {
    timing_ = ParseServerTiming(std::string_view(value.data(), value.size()));
  }
}

size_t HttpResponseReader::on_body_impl(boost::beast::string_view body, boost::beast::error_code&) {
  if (keep_body_) body_.append(body.data(), body.size());
  return body.size();
}

size_t HttpResponseReader::on_chunk_body_impl(std::uint64_t, boost::beast::string_view body,
                                              boost::beast::error_code&) {
  if (keep_body_) body_.append(body.data(), body.size());
  return body.size();
}

}  // namespace predictwire::loadgen
