// Fuzz target: the /predict and WebSocket-text JSON decoder must reject or accept any bytes
// without crashing, and what it accepts must be a consistent matrix. Its fast path must agree
// with the full decoder to the bit whenever it decides on its own.

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string_view>

#include "codec/predict_json.h"
#include "codec/predict_json_fast.h"
#include "codec/predict_json_handler.h"

using namespace predictwire::codec;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto request = ParsePredictRequest(text);
  if (request.ok()) {
    const auto& input = request->input;
    if (input.shape.size() != 2 ||
        static_cast<size_t>(input.shape[0] * input.shape[1]) != input.values.size()) {
      std::abort();
    }
  }
  PredictRequest fast;
  if (ParsePredictRequestFast(text, &fast)) {
    auto full = ParsePredictRequestWithEvents(text);
    if (!full.ok() || full->model != fast.model || full->id != fast.id ||
        full->input.shape != fast.input.shape ||
        full->input.values.size() != fast.input.values.size() ||
        std::memcmp(full->input.values.data(), fast.input.values.data(),
                    fast.input.values.size() * sizeof(float)) != 0) {
      std::abort();
    }
  }
  ExtractRequestId(text);
  return 0;
}
