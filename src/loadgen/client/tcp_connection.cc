#include "loadgen/client/tcp_connection.h"

#include <fmt/format.h>

#include "loadgen/client/client_pipe.h"
#include "transport/common/tcp_echo.h"

namespace predictwire::loadgen {
namespace {

// The reply size an echo request asks for (its header's second u32).
size_t ReplyBytesOf(const RequestBody& body) {
  const std::string_view header = body.fixed();
  if (header.size() < transport::kEchoHeaderBytes) return 0;
  uint32_t value = 0;
  for (int i = 7; i >= 4; --i) value = (value << 8) | static_cast<uint8_t>(header[i]);
  return value;
}

}  // namespace

TcpConnection::TcpConnection(const ConnectionSetup& setup)
    : per_request_(setup.wire.new_connection_per_request),
      body_(setup.body),
      reply_bytes_(ReplyBytesOf(setup.body)),
      listener_(setup.listener),
      pipe_(MakePipe(setup, *this)) {}

TcpConnection::~TcpConnection() = default;

void TcpConnection::Connect() {
  if (!per_request_ && pipe_->closed()) pipe_->Open();
}

bool TcpConnection::CanSend() const {
  if (per_request_) return pipe_->closed() && !has_pending_;
  return pipe_->open() && !in_flight_;
}

void TcpConnection::Send(uint64_t tag) {
  tag_ = tag;
  received_ = 0;
  if (per_request_) {
    has_pending_ = true;
    pipe_->Open();
    return;
  }
  in_flight_ = true;
  body_.Append(tag, &pipe_->output());
  pipe_->Flush();
}

void TcpConnection::OnPipeOpen() {
  listener_.OnConnected(*this, pipe_->SinceOpenStarted());
  if (!per_request_) return listener_.OnReady(*this);
  has_pending_ = false;
  in_flight_ = true;
  body_.Append(tag_, &pipe_->output());
  pipe_->Flush();
}

size_t TcpConnection::OnPipeInput(char*, size_t size) {
  if (!in_flight_ || received_ + size > reply_bytes_) {
    OnPipeFailed("bad_reply");  // more than the reply asked for
    return size;
  }
  received_ += size;
  if (received_ < reply_bytes_) return size;
  in_flight_ = false;
  if (per_request_) Close();  // the next exchange opens its own connection
  listener_.OnReply(*this, tag_, ReplyInfo{});
  if (CanSend()) listener_.OnReady(*this);
  return size;
}

void TcpConnection::Abandon(uint64_t tag) {
  if (tag != tag_ || (!in_flight_ && !has_pending_)) return;
  Close();
  if (!per_request_) pipe_->Open();         // a late reply would be taken for the next one's
  if (CanSend()) listener_.OnReady(*this);  // tcp-new: the next exchange opens its own
}

void TcpConnection::Close() {
  pipe_->Close();
  in_flight_ = false;
  has_pending_ = false;
}

void TcpConnection::OnPipeFailed(std::string_view kind) {
  std::vector<uint64_t> lost;
  if (in_flight_ || has_pending_) lost.push_back(tag_);
  Close();
  listener_.OnFailed(*this, kind, lost);
}

std::unique_ptr<WireConnection> MakeTcpConnection(const ConnectionSetup& setup) {
  return std::make_unique<TcpConnection>(setup);
}

absl::StatusOr<RequestBody> TcpEchoBody(const PayloadOptions& options) {
  if (options.echo_request_bytes < transport::kEchoHeaderBytes ||
      options.echo_request_bytes > transport::kMaxEchoBytes || options.echo_reply_bytes < 1 ||
      options.echo_reply_bytes > transport::kMaxEchoBytes) {
    return absl::InvalidArgumentError(fmt::format("the tcp wires exchange {} to {} bytes each way",
                                                  transport::kEchoHeaderBytes,
                                                  transport::kMaxEchoBytes));
  }
  std::string request;
  transport::AppendEchoHeader(static_cast<uint32_t>(options.echo_request_bytes),
                              static_cast<uint32_t>(options.echo_reply_bytes), &request);
  request.resize(options.echo_request_bytes, 'q');
  return RequestBody("", std::move(request), "", RequestBody::IdSlot::kNone, 0,
                     /*binary=*/true);
}

}  // namespace predictwire::loadgen
