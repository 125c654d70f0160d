#include "transport/http1/request_parser.h"

#include <algorithm>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/beast/http/rfc7230.hpp>

namespace predictwire::transport::http1 {

namespace http = boost::beast::http;

namespace {

// Whether `value` could be a Host (RFC 9112 section 3.2: uri-host [":" port]): the characters
// of a reg-name, an IP literal or a port. Empty is allowed (a target with no authority).
bool IsValidHost(boost::beast::string_view value) {
  static constexpr std::string_view kAllowed = "-._~%!$&'()*+,;=:[]";
  for (const char c : value) {
    const bool alphanumeric =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    if (!alphanumeric && kAllowed.find(c) == std::string_view::npos) return false;
  }
  return true;
}

// The scheme and authority of an absolute-form target ("http://host:port/path?query"), or an
// empty view for any other form. RFC 9112 section 3.2.2: a server must accept the absolute form
// (clients send it to proxies) and take the host from it rather than from Host.
std::string_view AbsoluteFormPrefix(std::string_view target) {
  for (const std::string_view scheme : {"http://", "https://"}) {
    if (target.size() >= scheme.size() &&
        boost::beast::iequals(target.substr(0, scheme.size()), scheme)) {
      const size_t path = target.find_first_of("/?", scheme.size());
      return target.substr(0, path == std::string_view::npos ? target.size() : path);
    }
  }
  return {};
}

}  // namespace

RequestParser::RequestParser(size_t max_header_bytes, size_t max_body_bytes)
    : header_limit_(max_header_bytes) {
  header_limit(static_cast<std::uint32_t>(max_header_bytes));
  body_limit(max_body_bytes);
  eager(true);  // parse body bytes in the same put() as the header
}

size_t RequestParser::put(boost::asio::const_buffer buffer, boost::beast::error_code& error) {
  using Base = boost::beast::http::basic_parser<true>;
  if (is_header_done()) return Base::put(buffer, error);
  // Offer Beast no more than the limit leaves of the head: a head that does not end within it
  // never ends in what Beast sees.
  const size_t allowance = header_limit_ - head_taken_;
  const size_t offered = std::min(buffer.size(), allowance);
  const size_t taken = Base::put(boost::asio::const_buffer(buffer.data(), offered), error);
  if (!is_header_done()) {
    head_taken_ += taken;
    if (error == http::error::need_more && offered == allowance) error = http::error::header_limit;
  }
  return taken;
}

void RequestParser::on_request_impl(http::verb method, boost::beast::string_view method_text,
                                    boost::beast::string_view target, int version,
                                    boost::beast::error_code&) {
  method_.assign(method_text.data(), method_text.size());
  get_ = method == http::verb::get;
  target_.assign(target.data(), target.size());
  version_ = version;
  if (!target_.empty() && target_[0] != '/') {  // not the origin form every route reads
    const std::string_view prefix = AbsoluteFormPrefix(target_);
    if (!prefix.empty()) {
      const size_t scheme = prefix.find("://") + 3;
      absolute_host_.assign(prefix.substr(scheme));
      target_.erase(0, prefix.size());
      if (target_.empty() || target_[0] != '/') target_.insert(0, 1, '/');
    }
  }
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
    case http::field::if_none_match:
      if (!if_none_match_.empty()) if_none_match_ += ',';  // RFC 9110 section 5.3 joins them
      if_none_match_.append(value.data(), value.size());
      break;
    case http::field::host:
      ++host_fields_;
      host_valid_ = host_valid_ && IsValidHost(value);
      if (get_ && absolute_host_.empty()) host_.assign(value.data(), value.size());
      break;
    case http::field::content_length:
      content_length_ = true;
      break;
    case http::field::transfer_encoding:
      if (has_transfer_encoding_) transfer_encoding_ += ',';
      transfer_encoding_.append(value.data(), value.size());
      has_transfer_encoding_ = true;
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

void RequestParser::on_header_impl(boost::beast::error_code& error) {
  if (get_ && !absolute_host_.empty()) host_ = absolute_host_;
  if (version_ >= 11 && host_fields_ != 1) {
    framing_error_ = {400, host_fields_ == 0 ? "an HTTP/1.1 request needs a Host header"
                                             : "a request may have only one Host header"};
  } else if (host_fields_ > 1) {
    framing_error_ = {400, "a request may have only one Host header"};
  } else if (!host_valid_) {
    framing_error_ = {400, "the Host header is not a host name or address"};
  } else if (has_transfer_encoding_) {
    // RFC 9112 section 6: which of the two framings a proxy used is unknowable, so neither is.
    if (content_length_) {
      framing_error_ = {400, "a request may not have both Transfer-Encoding and Content-Length"};
    } else if (version_ < 11) {
      framing_error_ = {400, "Transfer-Encoding is not HTTP/1.0"};
    } else {
      const http::token_list codings{transfer_encoding_};
      size_t count = 0;
      bool chunked_last = false;
      bool unknown = false;  // a coding before the last that is not chunked
      for (const auto coding : codings) {
        unknown = unknown || (count > 0 && !chunked_last);
        ++count;
        chunked_last = boost::beast::iequals(coding, "chunked");
      }
      if (!chunked_last) {
        // RFC 9112 section 6.3: without chunked last the body's length is unknowable: 400.
        framing_error_ = {400, "Transfer-Encoding must end with chunked"};
      } else if (unknown) {
        framing_error_ = {501, "this server reads only the chunked transfer coding"};
      } else if (count != 1) {
        framing_error_ = {400, "Transfer-Encoding must be chunked, once"};
      }
    }
  }
  if (framing_error_) error = http::error::bad_transfer_encoding;
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
