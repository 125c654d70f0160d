#include "transport/http1/http1_protocol.h"

#include <fmt/format.h>

#include <algorithm>
#include <boost/beast/http/error.hpp>

#include "core/status.h"
#include "transport/http1/request_parser.h"
#include "transport/http1/response_writer.h"
#include "transport/websocket/handshake.h"

namespace predictwire::transport::http1 {

namespace http = boost::beast::http;

Http1Protocol::Http1Protocol(ProtocolConnection& connection, const RestRouter& router,
                             const WebSocketFactory& make_websocket, const Options& options)
    : connection_(connection),
      router_(router),
      make_websocket_(make_websocket),
      options_(options),
      body_charge_(options.memory) {}

Http1Protocol::~Http1Protocol() = default;

size_t Http1Protocol::OnInput(char* data, size_t size) {
  size_t consumed = 0;
  while (consumed < size && !in_flight_ && !connection_.closing()) {
    if (!parser_) {
      parser_ = std::make_unique<RequestParser>(kMaxHeaderBytes, options_.max_body_bytes);
      continue_sent_ = false;
    }
    boost::beast::error_code error;
    const size_t parsed =
        parser_->put(boost::asio::buffer(data + consumed, size - consumed), error);
    consumed += parsed;
    if (error == http::error::need_more) error = {};
    if (error == http::error::body_limit) {
      Reject(RestRouter::BodyTooLargeReply(options_.max_body_bytes));
      return size;
    }
    if (error == http::error::header_limit) {
      Reject(RestRouter::HeaderTooLargeReply());
      return size;
    }
    if (error && parser_->framing_error()) {
      const RequestParser::FramingError refused = *parser_->framing_error();
      Reject(RestRouter::ErrorReply(refused.status, refused.message));
      return size;
    }
    if (error) {
      Reject(
          RestRouter::ErrorReply(400, fmt::format("malformed HTTP request: {}", error.message())));
      return size;
    }
    // A large body is charged from its header on (all of its declared length, which the parser
    // reserves at once) and refused when the server's memory budget has no room for it.
    if (parser_->is_header_done() &&
        !body_charge_.GrowTo(
            std::max<size_t>(parser_->content_length().value_or(0), parser_->body().size()))) {
      Reject(RestRouter::BodyRefusedForMemoryReply());
      return size;
    }
    if (!parser_->is_done()) {
      if (parser_->is_header_done() && parser_->expects_continue() && !continue_sent_) {
        connection_.Write("HTTP/1.1 100 Continue\r\n\r\n");
        continue_sent_ = true;
      }
      if (parsed == 0) break;  // the rest of the request has not arrived
      continue;
    }
    if (!Dispatch()) break;
  }
  return consumed;
}

bool Http1Protocol::Dispatch() {
  std::unique_ptr<RequestParser> parser = std::move(parser_);
  if (going_away_ && parser->upgrade_websocket() && parser->upgrade()) {
    // No new WebSocket on a connection asked to go: the client opens a new connection.
    RestReply reply = RestRouter::ErrorReply(503, "this connection is closing: connect again");
    keep_alive_ = false;
    in_flight_ = true;
    SendReply(std::move(reply));
    return false;
  }
  if (parser->upgrade_websocket() && parser->upgrade()) {
    const std::string_view target = parser->target();
    if (target.substr(0, target.find('?')) == RestRouter::kWebSocketPath &&
        parser->method() == "GET") {
      parser_ = std::move(parser);
      return Upgrade();
    }
  }
  keep_alive_ = parser->keep_alive();
  http10_ = parser->version() == 10;
  head_ = parser->method() == "HEAD";
  in_flight_ = true;
  RestRequest request{parser->method(),          parser->target(),
                      std::move(parser->body()), parser->inference_header_length(),
                      parser->origin(),          parser->if_none_match(),
                      RequestProtocol::kHttp1,   client_gone_};
  router_.Handle(std::move(request),
                 [this, connection = connection_.KeepAlive()](RestReply reply) mutable {
                   connection->Complete(
                       [this, reply = std::move(reply)]() mutable { SendReply(std::move(reply)); });
                 });
  if (in_flight_) connection_.PauseInput();  // answered later, on a worker's completion
  return !in_flight_;
}

bool Http1Protocol::Upgrade() {
  std::unique_ptr<RequestParser> parser = std::move(parser_);
  if (absl::Status valid =
          websocket::ValidateHandshake(parser->websocket_key(), parser->websocket_version());
      !valid.ok()) {
    Reject(RestRouter::ErrorReply(400, MessageOf(valid)));
    return false;
  }
  if (!router_.cors().AcceptsWebSocket(parser->origin(), parser->host())) {
    Reject(RestRouter::ErrorReply(
        403, fmt::format("a page of {} may not open a WebSocket here: only the "
                         "server's own pages and --cors-origin origins may",
                         parser->origin())));
    return false;
  }
  websocket::AppendSwitchingProtocols(parser->websocket_key(), &connection_.output());
  connection_.SwitchProtocol(make_websocket_(connection_));
  return false;
}

void Http1Protocol::SendReply(RestReply reply) {
  in_flight_ = false;
  body_charge_.Reset();  // the answer, if large, is charged by the connection while it is sent
  const bool close = !keep_alive_ || going_away_;
  AppendResponse(reply, {.close = close, .keep_alive_http10 = http10_ && !close, .head = head_},
                 &connection_.output());
  if (close) {
    connection_.CloseAfterWrite();
  } else {
    connection_.ResumeInput();
  }
}

void Http1Protocol::Reject(RestReply refusal) {
  parser_.reset();
  if (options_.metrics != nullptr) {
    options_.metrics->RecordProtocolError(RequestProtocol::kHttp1, ProtocolError::kMalformed);
  }
  body_charge_.Reset();
  AppendResponse(refusal, {.close = true}, &connection_.output());
  connection_.CloseAfterWrite();
}

bool Http1Protocol::AwaitingRequestHead() const {
  return !in_flight_ && parser_ != nullptr && !parser_->is_header_done();
}

void Http1Protocol::OnHeaderTimeout() {
  Reject(RestRouter::ErrorReply(408, "the request head did not arrive in time"));
}

void Http1Protocol::OnGoAway(GoAwayReason reason) {
  going_away_ = true;
  // A stopping server's idle keep-alive connection has nothing to lose: it closes now. One whose
  // request is in flight, or half read, is answered with Connection: close (the grace bounds a
  // client that never finishes its request).
  if (reason == GoAwayReason::kServerStopping && !in_flight_ && !parser_) connection_.Close();
}

void Http1Protocol::OnGraceOver() {
  if (!in_flight_) connection_.Close();
}

}  // namespace predictwire::transport::http1
