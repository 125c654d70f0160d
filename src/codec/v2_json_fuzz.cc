// Fuzz target: the Open Inference Protocol v2 JSON decoder.

#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "codec/v2_json.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto request = predictwire::codec::ParseV2InferRequest(
      std::string_view(reinterpret_cast<const char*>(data), size));
  if (request.ok()) {
    for (const auto& input : request->inputs) {
      auto count = predictwire::codec::ElementCount(input.tensor.shape);
      if (!count.ok() || *count != input.tensor.values.size()) std::abort();
    }
  }
  return 0;
}
