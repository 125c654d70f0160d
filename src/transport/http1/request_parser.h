#ifndef PREDICTWIRE_TRANSPORT_HTTP1_REQUEST_PARSER_H_
#define PREDICTWIRE_TRANSPORT_HTTP1_REQUEST_PARSER_H_

// Includes Beast: only http1 sources include this header.

#include <boost/beast/http/basic_parser.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace predictwire::transport::http1 {

// An HTTP/1.1 request parser that keeps only what the server reads: method, target, the
// WebSocket handshake fields (with Host, on GET only), Origin (sent by browsers), If-None-Match,
// Expect, and the body. Beast's full parser keeps every field, which
// costs ~18% of throughput (docs/architecture.md). One parser per request.
//
// It also refuses the framing RFC 9112 forbids, which Beast lets through and a proxy in front
// could read differently (request smuggling): Transfer-Encoding with Content-Length, a transfer
// coding other than one final "chunked" (501), Transfer-Encoding on HTTP/1.0, and an HTTP/1.1
// request without exactly one Host, or with one that is no host. put() then fails and
// framing_error() says how to answer.
//
// The header limit bounds the whole head, request line to blank line, however the reads fall:
// Beast alone gives the request line and the fields a limit each, and a few bytes more or less
// depending on where reads split the head (a 4,100-byte head under a 4,096-byte limit was taken
// read whole and refused read a byte at a time). put() hands Beast no more of the head than the
// limit leaves, so the limit is exact.
class RequestParser : public boost::beast::http::basic_parser<true> {
 public:
  // The answer to a request whose framing is refused; the connection closes after it.
  struct FramingError {
    int status;  // 400 or 501
    std::string_view message;
  };

  RequestParser(size_t max_header_bytes, size_t max_body_bytes);

  // Beast's put(), with the head held to the header limit (http::error::header_limit past it).
  // It may take less than the buffer holds once the head ends; call again with the rest.
  size_t put(boost::asio::const_buffer buffer, boost::beast::error_code& error);

  const std::string& method() const { return method_; }
  // In origin form ("/path?query"), whatever form it came in: an absolute-form target
  // ("http://host/path") loses its scheme and authority, which then stand for Host.
  const std::string& target() const { return target_; }
  int version() const { return version_; }  // 10 or 11
  bool expects_continue() const { return expects_continue_; }
  // The Upgrade header named "websocket".
  bool upgrade_websocket() const { return upgrade_websocket_; }
  const std::string& websocket_key() const { return websocket_key_; }
  const std::string& websocket_version() const { return websocket_version_; }
  // Inference-Header-Content-Length (v2 binary tensor data), empty when absent.
  const std::string& inference_header_length() const { return inference_header_length_; }
  // Origin, empty when absent (clients other than browsers send none).
  const std::string& origin() const { return origin_; }
  // If-None-Match, empty when absent (a browser revalidating what it cached).
  const std::string& if_none_match() const { return if_none_match_; }
  // Host, kept for GET requests only (the WebSocket handshake's origin check); empty otherwise.
  const std::string& host() const { return host_; }
  std::string& body() { return body_; }
  // Set when put() failed on the request's framing.
  const std::optional<FramingError>& framing_error() const { return framing_error_; }

 private:
  void on_request_impl(boost::beast::http::verb method, boost::beast::string_view method_text,
                       boost::beast::string_view target, int version,
                       boost::beast::error_code& error) override;
  void on_response_impl(int, boost::beast::string_view, int, boost::beast::error_code&) override {}
  void on_field_impl(boost::beast::http::field name, boost::beast::string_view name_text,
                     boost::beast::string_view value, boost::beast::error_code& error) override;
  void on_header_impl(boost::beast::error_code& error) override;
  void on_body_init_impl(const boost::optional<std::uint64_t>& content_length,
                         boost::beast::error_code& error) override;
  size_t on_body_impl(boost::beast::string_view body, boost::beast::error_code& error) override;
  void on_chunk_header_impl(std::uint64_t, boost::beast::string_view,
                            boost::beast::error_code&) override {}
  size_t on_chunk_body_impl(std::uint64_t, boost::beast::string_view body,
                            boost::beast::error_code& error) override;
  void on_finish_impl(boost::beast::error_code&) override {}

  std::string method_;
  std::string target_;
  int version_ = 11;
  bool expects_continue_ = false;
  bool upgrade_websocket_ = false;
  std::string websocket_key_;
  std::string websocket_version_;
  std::string inference_header_length_;
  std::string origin_;
  std::string if_none_match_;
  std::string host_;
  std::string absolute_host_;  // the authority of an absolute-form target
  bool get_ = false;
  int host_fields_ = 0;
  bool host_valid_ = true;
  bool content_length_ = false;
  // Transfer-Encoding, every field's codings in order (RFC 9110 section 5.3 joins them).
  std::string transfer_encoding_;
  bool has_transfer_encoding_ = false;
  std::optional<FramingError> framing_error_;
  std::string body_;
  size_t header_limit_;
  size_t head_taken_ = 0;  // bytes of the head put() has consumed so far
};

}  // namespace predictwire::transport::http1

#endif  // PREDICTWIRE_TRANSPORT_HTTP1_REQUEST_PARSER_H_
