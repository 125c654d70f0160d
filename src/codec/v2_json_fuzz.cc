// Fuzz target: the Open Inference Protocol v2 JSON decoder, with and without the binary tensor
// data extension. An input containing a NUL byte is split there: JSON before, raw bytes after.

#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "codec/v2_json.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view json(reinterpret_cast<const char*>(data), size);
  std::string_view binary;
  if (const size_t nul = json.find('\0'); nul != std::string_view::npos) {
    binary = json.substr(nul + 1);
    json = json.substr(0, nul);
  }
  auto request = predictwire::codec::ParseV2InferRequest(json, binary);
  if (request.ok()) {
    for (const auto& input : request->inputs) {
      auto count = predictwire::codec::ElementCount(input.tensor.shape);
      if (!count.ok() || *count != input.tensor.values.size()) std::abort();
    }
  }
  return 0;
}
