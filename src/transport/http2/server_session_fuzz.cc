// Fuzz target: the bytes a client sends after the HTTP/2 preface, fed to a ServerSession in two
// pieces (the first byte picks the split), with every request answered at once and the session's
// output produced after each piece, as Http2Protocol does. Corpus files hold the frames only.

#include <cstdint>
#include <string>

#include "transport/http2/preface.h"
#include "transport/http2/server_session.h"

using namespace predictwire::transport;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string input(http2::kClientPreface);
  input.append(reinterpret_cast<const char*>(data), size);
  http2::ServerSession* session_pointer = nullptr;
  auto session = http2::ServerSession::Create(
      {.max_body_bytes = 1024}, [&session_pointer](int32_t stream_id, RestRequest request) {
        RestReply reply;
        reply.body = "{\"echo\":" + std::to_string(request.body.size()) + "}";
        reply.timing = predictwire::ServerTiming{1, 2};
        session_pointer->Reply(stream_id, std::move(reply));
      });
  if (!session.ok()) return 0;
  session_pointer = session->get();
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
