// Fuzz target: a gRPC call's request stream as a client may send it. The first byte picks the
// encoding and where the stream is split; the rest is the stream, read message by message, each
// compressed one inflated, as GrpcCalls does. Also parses the stream's opening bytes as a
// grpc-timeout value. Corpus files hold the selector byte, then the stream.

#include <cstdint>
#include <string>
#include <string_view>

#include "transport/grpc/grpc_framing.h"

using namespace predictwire::transport::grpc_transport;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view encodings[] = {"gzip", "deflate", "identity", ""};
  const std::string_view encoding = encodings[data[0] % 4];
  const std::string_view stream(reinterpret_cast<const char*>(data + 1), size - 1);
  const size_t split = stream.empty() ? 0 : (data[0] / 4) % (stream.size() + 1);
  ParseGrpcTimeout(stream.substr(0, 10));

  MessageReader reader(64 * 1024);
  for (const std::string_view piece : {stream.substr(0, split), stream.substr(split)}) {
    reader.Feed(piece);
    for (;;) {
      absl::StatusOr<std::optional<MessageReader::Message>> next = reader.Next();
      if (!next.ok()) return 0;  // the call ends here
      if (!next->has_value()) break;
      if ((*next)->compressed) Decompress(encoding, (*next)->bytes, 64 * 1024).IgnoreError();
    }
  }
  reader.has_partial_message();
  return 0;
}
