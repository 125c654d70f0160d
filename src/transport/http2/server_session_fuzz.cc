// Fuzz target: the bytes a client sends after the HTTP/2 preface, fed to a ServerSession in two
// pieces (the first byte picks the split), with every request answered at once and the session's
// output produced after each piece, as Http2Protocol does. gRPC calls (content-type
// application/grpc) go to a handler that acknowledges their bytes, answers a message of what it
// got when the client half-closes, and ends each call. Corpus files hold the frames only.
// Checked, as the server and its clients rely on them:
//
// - The body limit holds: no request handed to the handler has a body past max_body_bytes (the
//   session answers 413 itself).
// - No request is dropped in silence: every request handed to the handler, and every gRPC call
//   the client half-closed, has response headers on its stream in the output, unless its stream
//   was reset (by either side) or the session ended for an error.
// - The output is whole frames, the server's SETTINGS first, none larger than the default frame
//   size, none a push, every stream frame on a stream the client may open (odd).

#include <cstdint>
#include <cstdlib>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "transport/http2/preface.h"
#include "transport/http2/server_session.h"

using namespace predictwire::transport;

namespace {

constexpr size_t kMaxBody = 1024;

// HTTP/2 frame types and sizes (RFC 9113).
constexpr uint8_t kData = 0, kHeaders = 1, kRstStream = 3, kSettings = 4, kPushPromise = 5;
constexpr uint8_t kGoaway = 7;
constexpr size_t kFrameHeaderBytes = 9;
constexpr size_t kDefaultMaxFrameBytes = 16384;

struct Frame {
  uint8_t type;
  uint8_t flags;
  uint32_t stream;
  std::string_view payload;
};

// The whole frames at the start of `bytes`; `rest` gets the bytes after them.
std::vector<Frame> Frames(std::string_view bytes, std::string_view* rest) {
  std::vector<Frame> frames;
  const auto* data = reinterpret_cast<const uint8_t*>(bytes.data());
  size_t at = 0;
  while (bytes.size() - at >= kFrameHeaderBytes) {
    const size_t length = (size_t{data[at]} << 16) | (size_t{data[at + 1]} << 8) | data[at + 2];
    if (bytes.size() - at - kFrameHeaderBytes < length) break;
    const uint32_t stream = ((uint32_t{data[at + 5]} << 24) | (uint32_t{data[at + 6]} << 16) |
                             (uint32_t{data[at + 7]} << 8) | data[at + 8]) &
                            0x7fffffff;
    frames.push_back(
        {data[at + 3], data[at + 4], stream, bytes.substr(at + kFrameHeaderBytes, length)});
    at += kFrameHeaderBytes + length;
  }
  *rest = bytes.substr(at);
  return frames;
}

class EchoCalls : public http2::GrpcCallHandler {
 public:
  void OnCallBegin(int32_t stream_id, const http2::GrpcCallHeaders&) override {}
  void OnCallData(int32_t stream_id, std::string_view bytes) override {
    received_ += bytes.size();
    session_->GrpcConsumed(stream_id, bytes.size());
  }
  void OnCallHalfClosed(int32_t stream_id) override {
    half_closed.insert(stream_id);
    session_->GrpcWrite(stream_id, std::string("\0\0\0\0\1x", 6));
    session_->GrpcFinish(stream_id, received_ % 17, "done\n");
  }
  void OnCallClosed(int32_t, bool) override {}
  void Attach(http2::ServerSession* session) override { session_ = session; }
  void GoAway() override {}
  void EndCalls() override {}
  size_t open_calls() const override { return 0; }

  std::set<uint32_t> half_closed;

 private:
  http2::ServerSession* session_ = nullptr;
  size_t received_ = 0;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string input(http2::kClientPreface);
  input.append(reinterpret_cast<const char*>(data), size);
  http2::ServerSession* session_pointer = nullptr;
  EchoCalls calls;
  std::set<uint32_t> handed;  // streams whose request the handler got
  auto session = http2::ServerSession::Create(
      {.max_body_bytes = kMaxBody},
      [&session_pointer, &handed](int32_t stream_id, RestRequest request) {
        if (request.body.size() > kMaxBody) std::abort();
        handed.insert(stream_id);
        RestReply reply;
        reply.body = "{\"echo\":" + std::to_string(request.body.size()) + "}";
        reply.timing = predictwire::ServerTiming{1, 2};
        session_pointer->Reply(stream_id, std::move(reply));
      },
      &calls);
  if (!session.ok()) return 0;
  session_pointer = session->get();
  calls.Attach(session_pointer);
  const size_t split = size == 0 ? input.size() : http2::kClientPreface.size() + data[0] % size;
  std::string output;
  bool accepted = (*session)->Receive(input.data(), split);
  if (accepted) {
    (*session)->Send(&output);
    accepted = (*session)->Receive(input.data() + split, input.size() - split);
  }
  (*session)->Send(&output);
  (*session)->Shutdown();
  (*session)->Send(&output);
  (*session)->Finished();

  // The output: whole frames, well formed.
  std::string_view rest;
  const std::vector<Frame> sent = Frames(output, &rest);
  if (!rest.empty() || sent.empty()) std::abort();
  if (sent.front().type != kSettings || sent.front().stream != 0) std::abort();
  bool ended_for_an_error = !accepted;
  std::set<uint32_t> answered, reset;
  for (const Frame& frame : sent) {
    if (frame.payload.size() > kDefaultMaxFrameBytes || frame.type == kPushPromise) std::abort();
    if ((frame.type == kHeaders || frame.type == kData || frame.type == kRstStream) &&
        (frame.stream == 0 || frame.stream % 2 == 0)) {
      std::abort();
    }
    if (frame.type == kHeaders) answered.insert(frame.stream);
    if (frame.type == kRstStream) reset.insert(frame.stream);
    if (frame.type == kGoaway && frame.payload.size() >= 8 &&
        (frame.payload[4] | frame.payload[5] | frame.payload[6] | frame.payload[7]) != 0) {
      ended_for_an_error = true;
    }
  }
  if (ended_for_an_error) return 0;
  // The session took all the input as frames: the client's resets are among them.
  for (const Frame& frame :
       Frames(std::string_view(input).substr(http2::kClientPreface.size()), &rest)) {
    if (frame.type == kRstStream) reset.insert(frame.stream);
  }
  for (const std::set<uint32_t>* streams : {&handed, &calls.half_closed}) {
    for (const uint32_t stream : *streams) {
      if (!answered.contains(stream) && !reset.contains(stream)) std::abort();
    }
  }
  return 0;
}
