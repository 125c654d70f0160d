#include "transport/http1/request_parser.h"

#include <boost/beast/core/string.hpp>
#include <boost/beast/http/field.hpp>

namespace predictwire::transport::http1 {

namespace http = boost::beast::http;

RequestParser::RequestParser(size_t max_header_bytes, size_t max_body_bytes) {
  header_limit(static_cast<std::uint32_t>(max_header_bytes));
  body_limit(max_body_bytes);
  eager(true);  // parse body bytes in the same put() as the header
}

void RequestParser::on_request_impl(http::verb method, boost::beast::string_view method_text,
                                    boost::beast::string_view target, int version,
                                    boost::beast::error_code&) {
  method_.assign(method_text.data(), method_text.size());
  get_ = method == http::verb::get;
  target_.assign(target.data(), target.size());
  version_ = version;
}

void RequestParser::on_field_impl(http::field name, boost::beast::string_view name_text,
                                  boost::beast::string_view value, boost::beast::error_code&) {
  switch (name) {
    case http::field::expect:
      expects_continue_ = boost::beast::iequals(value, "100-continue");
      break;
    case http::field::upgrade:
      upgrade_websocket_ = boost::beast::iequals(value, "websocket");
      break;
    case http::field::sec_websocket_key:
      websocket_key_.assign(value.data(), value.size());
      break;
    case http::field::sec_websocket_version:
      websocket_version_.assign(value.data(), value.size());
      break;
    case http::field::origin:
      origin_.assign(value.data(), value.size());
      break;
    case http::field::host:
      if (get_) host_.assign(value.data(), value.size());
      break;
    case http::field::unknown:
      if (boost::beast::iequals(name_text, "Inference-Header-Content-Length")) {
        inference_header_length_.assign(value.data(), value.size());
      }
      break;
    default:
      break;
  }
}

void RequestParser::on_body_init_impl(const boost::optional<std::uint64_t>& content_length,
                                      boost::beast::error_code&) {
  if (content_length) body_.reserve(*content_length);  // already checked against body_limit
}

size_t RequestParser::on_body_impl(boost::beast::string_view body, boost::beast::error_code&) {
  body_.append(body.data(), body.size());
  return body.size();
}

size_t RequestParser::on_chunk_body_impl(std::uint64_t, boost::beast::string_view body,
                                         boost::beast::error_code&) {
  body_.append(body.data(), body.size());
  return body.size();
}

}  // namespace predictwire::transport::http1
