#include "loadgen/client/http1_connection.h"

#include <fmt/format.h>

#include <boost/beast/http/error.hpp>
#include <charconv>

#include "loadgen/client/client_pipe.h"
#include "loadgen/client/http_response_reader.h"

namespace predictwire::loadgen {

Http1RequestWriter::Http1RequestWriter(const Target& target, const RequestBody& body, bool close)
    : body_(body),
      head_(fmt::format("POST {} HTTP/1.1\r\nHost: {}:{}\r\nContent-Type: application/json\r\n{}"
                        "Content-Length: ",
                        body.path(), target.host, target.port,
                        close ? "Connection: close\r\n" : "")) {}

void Http1RequestWriter::Append(uint64_t id, std::string* out) const {
  out->append(head_);
  char digits[24];
  const auto length = std::to_chars(digits, digits + sizeof(digits), body_.SizeOf(id));
  out->append(digits, length.ptr);
  out->append("\r\n\r\n");
  body_.Append(id, out);
}

Http1Connection::Http1Connection(const ConnectionSetup& setup)
    : per_request_(setup.wire.new_connection_per_request),
      listener_(setup.listener),
      writer_(setup.target, setup.body, per_request_),
      pipe_(MakePipe(setup, *this)) {}

Http1Connection::~Http1Connection() = default;

bool Http1Connection::CanSend() const {
  if (per_request_) return pipe_->closed() && !has_pending_;
  return ready_ && in_flight_.empty();
}

void Http1Connection::Connect() {
  if (!per_request_ && pipe_->closed()) pipe_->Open();
}

void Http1Connection::Send(uint64_t tag) {
  if (per_request_) {
    pending_tag_ = tag;
    has_pending_ = true;
    pipe_->Open();
    return;
  }
  in_flight_.push_back(tag);
  writer_.Append(tag, &pipe_->output());
  pipe_->Flush();
}

void Http1Connection::OnPipeOpen() {
  listener_.OnConnected(*this, pipe_->SinceOpenStarted());
  reader_.reset();
  if (per_request_) {
    has_pending_ = false;
    in_flight_.push_back(pending_tag_);
    writer_.Append(pending_tag_, &pipe_->output());
    pipe_->Flush();
    return;
  }
  ready_ = true;
  listener_.OnReady(*this);
}

void Http1Connection::Abandon(uint64_t tag) {
  if (per_request_ && has_pending_ && pending_tag_ == tag) {
    has_pending_ = false;
    Close();
    listener_.OnReady(*this);  // the next request brings its own connection
    return;
  }
  for (auto it = in_flight_.begin(); it != in_flight_.end(); ++it) {
    if (*it != tag) continue;
    in_flight_.erase(it);
    // Its reply may still come and would be taken for the next request's: start over.
    Close();
    if (!per_request_) pipe_->Open();
    if (CanSend()) listener_.OnReady(*this);  // rest; a kept connection is ready once open
    return;
  }
}

void Http1Connection::Close() {
  pipe_->Close();
  ready_ = false;
  in_flight_.clear();
  reader_.reset();
}

void Http1Connection::OnPipeFailed(std::string_view kind) {
  std::vector<uint64_t> lost(in_flight_.begin(), in_flight_.end());
  if (has_pending_) lost.push_back(pending_tag_);
  has_pending_ = false;
  Close();
  listener_.OnFailed(*this, kind, lost);
}

size_t Http1Connection::OnPipeInput(char* data, size_t size) {
  const uint64_t generation = pipe_->generation();
  size_t consumed = 0;
  while (consumed < size) {
    if (!reader_) reader_ = std::make_unique<HttpResponseReader>();
    boost::beast::error_code error;
    const size_t parsed =
        reader_->put(boost::asio::buffer(data + consumed, size - consumed), error);
    consumed += parsed;
    if (error == boost::beast::http::error::need_more) error = {};
    if (error || (reader_->is_done() && in_flight_.empty())) {
      OnPipeFailed("bad_reply");  // unparseable, or a response nobody asked for
      return consumed;
    }
    if (!reader_->is_done()) {
      if (parsed == 0) break;
      continue;
    }
    ReplyInfo reply;
    const int status = reader_->status();
    if (status != 200) {
      reply.ok = false;
      reply.error = fmt::format("http_{}", status);
    }
    reply.timing = reader_->timing();
    const bool keep_alive = reader_->keep_alive();
    reader_.reset();
    const uint64_t tag = in_flight_.front();
    in_flight_.pop_front();
    if (!keep_alive || per_request_) {
      // The server closes after this reply: rest asked it to (Connection: close), which it
      // should but need not repeat in its answer; a kept connection's server may say so (or
      // answer in HTTP/1.0, or drain), an orderly end the driver reconnects after.
      Close();
      Complete(tag, reply);  // a rest connection is now free for the next request
      if (!per_request_) listener_.OnFailed(*this, "closed", {});
      return consumed;
    }
    Complete(tag, reply);
    if (pipe_->generation() != generation) return consumed;
  }
  return consumed;
}

void Http1Connection::Complete(uint64_t tag, const ReplyInfo& reply) {
  listener_.OnReply(*this, tag, reply);
  if (CanSend()) listener_.OnReady(*this);
}

std::unique_ptr<WireConnection> MakeHttp1Connection(const ConnectionSetup& setup) {
  return std::make_unique<Http1Connection>(setup);
}

}  // namespace predictwire::loadgen
