// Fuzz target: the /predict and WebSocket-text JSON decoder must reject or accept any bytes
// without crashing, and what it accepts must be a consistent matrix.

#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "codec/predict_json.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto request = predictwire::codec::ParsePredictRequest(text);
  if (request.ok()) {
    const auto& input = request->input;
    if (input.shape.size() != 2 ||
        static_cast<size_t>(input.shape[0] * input.shape[1]) != input.values.size()) {
      std::abort();
    }
  }
  predictwire::codec::ExtractRequestId(text);
  return 0;
}
