#ifndef PREDICTWIRE_LOADGEN_CLIENT_HTTP_RESPONSE_READER_H_
#define PREDICTWIRE_LOADGEN_CLIENT_HTTP_RESPONSE_READER_H_

// Includes Beast: only loadgen sources include this header.

#include <boost/beast/http/basic_parser.hpp>
#include <optional>
#include <string>

#include "core/infer.h"

namespace predictwire::loadgen {

// Parses one HTTP/1.1 response, keeping the status, Server-Timing and whether the server will
// close, and skipping the body unless asked to keep it. One reader per response.
class HttpResponseReader : public boost::beast::http::basic_parser<false> {
 public:
  explicit HttpResponseReader(bool keep_body = false);

  int status() const { return status_; }
  const std::optional<ServerTiming>& timing() const { return timing_; }
  const std::string& body() const { return body_; }

 private:
  void on_request_impl(boost::beast::http::verb, boost::beast::string_view,
                       boost::beast::string_view, int, boost::beast::error_code&) override {}
  void on_response_impl(int code, boost::beast::string_view, int,
                        boost::beast::error_code&) override {
    status_ = code;
  }
  void on_field_impl(boost::beast::http::field name, boost::beast::string_view name_text,
                     boost::beast::string_view value, boost::beast::error_code&) override;
  void on_header_impl(boost::beast::error_code&) override {}
  void on_body_init_impl(const boost::optional<std::uint64_t>&,
                         boost::beast::error_code&) override {}
  size_t on_body_impl(boost::beast::string_view body, boost::beast::error_code&) override;
  void on_chunk_header_impl(std::uint64_t, boost::beast::string_view,
                            boost::beast::error_code&) override {}
  size_t on_chunk_body_impl(std::uint64_t, boost::beast::string_view body,
                            boost::beast::error_code&) override;
  void on_finish_impl(boost::beast::error_code&) override {}

  const bool keep_body_;
  int status_ = 0;
  std::optional<ServerTiming> timing_;
  std::string body_;
};

}  // namespace predictwire::loadgen

#endif  // PREDICTWIRE_LOADGEN_CLIENT_HTTP_RESPONSE_READER_H_
