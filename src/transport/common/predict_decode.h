#ifndef PREDICTWIRE_TRANSPORT_COMMON_PREDICT_DECODE_H_
#define PREDICTWIRE_TRANSPORT_COMMON_PREDICT_DECODE_H_

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "core/model_registry.h"
#include "core/tensor.h"
#include "transport/common/inference_path.h"

namespace predictwire::transport {

// The resolve step of the formats whose requests may leave the model out (the seed's JSON,
// WebSocket binary): fills `decoded` with the model named `model_name` (empty: the default
// model) and `input`, or returns NotFound naming the models there are.
absl::Status ResolveModel(const ModelRegistry& registry, std::string_view model_name, Tensor input,
                          DecodedRequest& decoded);

// The decode step for the seed's JSON request (codec/predict_json.h), which REST /predict and
// WebSocket text messages both carry: decodes `json` and resolves the model it names (none: the
// default model). With `id`, it receives the request's "id" as JSON text, also when decoding
// fails (best effort), so that an error reply can name the request. Errors are InvalidArgument
// (the JSON) and NotFound (the model).
absl::Status DecodePredictJson(std::string_view json, const ModelRegistry& registry,
                               DecodedRequest& decoded, std::string* id = nullptr);

}  // namespace predictwire::transport

#endif  // PREDICTWIRE_TRANSPORT_COMMON_PREDICT_DECODE_H_
