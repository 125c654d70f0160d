// Fuzz target: the Open Inference Protocol v2 JSON decoder, with and without the binary tensor
// data extension. An input containing a NUL byte is split there: JSON before, raw bytes after.
//
// Differential check: the decoder reads each input's "data" as the text streams past
// (v2_json_handler.h). Whatever it decodes must equal, bit for bit, what walking a whole
// Boost.JSON document of the same text gives (the decoder's former way).

#include <boost/json.hpp>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "codec/json_reader.h"
#include "codec/v2_json.h"

namespace {

namespace json = boost::json;
using predictwire::codec::V2InferRequest;

// BOOL data: booleans, nested in arrays or alone.
bool AppendBooleans(const json::value& value, std::vector<float>* out) {
  if (value.is_bool()) {
    out->push_back(value.get_bool() ? 1.0f : 0.0f);
    return true;
  }
  if (!value.is_array()) return false;
  for (const json::value& item : value.get_array()) {
    if (!AppendBooleans(item, out)) return false;
  }
  return true;
}

// Aborts unless every JSON-valued input of `request` holds what a document walk finds.
void CheckAgainstDocument(std::string_view text, const V2InferRequest& request) {
  json::error_code error;
  json::parse_options options;
  options.max_depth = predictwire::codec::kJsonMaxDepth;
  const json::value document = json::parse(text, error, {}, options);
  if (error) std::abort();  // the decoder accepted what a document parse refuses
  const json::array& inputs = document.at("inputs").as_array();
  for (size_t i = 0; i < request.inputs.size(); ++i) {
    const auto& input = request.inputs[i];
    if (input.binary) continue;
    std::vector<float> expected;
    std::string where = "data";
    const json::value& data = inputs.at(i).at("data");
    const bool ok = input.datatype == "BOOL"
                        ? AppendBooleans(data, &expected)
                        : predictwire::codec::AppendNestedNumbers(data, where, &expected).ok();
    if (!ok || expected.size() != input.tensor.values.size() ||
        std::memcmp(expected.data(), input.tensor.values.data(), expected.size() * sizeof(float)) !=
            0) {
      std::abort();
    }
  }
}

}  // namespace

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
    CheckAgainstDocument(json, *request);
  }
  return 0;
}
