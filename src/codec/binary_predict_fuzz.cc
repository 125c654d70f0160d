// Fuzz target: the binary WebSocket request decoder, and the client-side reply decoder.

#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "codec/binary_predict.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view message(reinterpret_cast<const char*>(data), size);
  auto request = predictwire::codec::ParseBinaryPredictRequest(message);
  if (request.ok() && static_cast<size_t>(request->input.rows() * request->input.cols()) !=
                          request->input.values.size()) {
    std::abort();
  }
  predictwire::codec::PeekBinaryRequestId(message);
  (void)predictwire::codec::ParseBinaryPredictResponse(message);  // must not crash; any answer
  return 0;
}
