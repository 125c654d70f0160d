// Fuzz target: the bytes a client sends after the HTTP/2 preface, fed to a ServerSession in two
// pieces (the first byte picks the split), with every request answered at once and the session's
// output produced after each piece, as Http2Protocol does. gRPC calls (content-type
// application/grpc) go to a handler that acknowledges their bytes, answers a message of what it
// got when the client half-closes, and ends each call. Corpus files hold the frames only.

#include <cstdint>
#include <string>

#include "transport/http2/preface.h"
#include "transport/http2/server_session.h"

using namespace predictwire::transport;

namespace {

class EchoCalls : public http2::GrpcCallHandler {
 public:
  void OnCallBegin(int32_t stream_id, const http2::GrpcCallHeaders&) override {}
  void OnCallData(int32_t stream_id, std::string_view bytes) override {
    received_ += bytes.size();
    session_->GrpcConsumed(stream_id, bytes.size());
  }
  void OnCallHalfClosed(int32_t stream_id) override {
    session_->GrpcWrite(stream_id, std::string("\0\0\0\0\1x", 6));
    session_->GrpcFinish(stream_id, received_ % 17, "done\n");
  }
  void OnCallClosed(int32_t, bool) override {}
  void Attach(http2::ServerSession* session) override { session_ = session; }
  void GoAway() override {}
  void EndCalls() override {}
  size_t open_calls() const override { return 0; }

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
  auto session = http2::ServerSession::Create(
      {.max_body_bytes = 1024},
      [&session_pointer](int32_t stream_id, RestRequest request) {
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
  if ((*session)->Receive(input.data(), split)) {
    (*session)->Send(&output);
    (*session)->Receive(input.data() + split, input.size() - split);
  }
  (*session)->Send(&output);
  (*session)->Shutdown();
  (*session)->Send(&output);
  (*session)->Finished();
  return 0;
}
