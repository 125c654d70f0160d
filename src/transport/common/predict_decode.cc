#include "transport/common/predict_decode.h"

#include "codec/predict_json.h"

namespace predictwire::transport {

absl::Status ResolveModel(const ModelRegistry& registry, std::string_view model_name, Tensor input,
                          DecodedRequest& decoded) {
  absl::StatusOr<const Model*> model = registry.Resolve(model_name);
  if (!model.ok()) return model.status();
  decoded.model = *model;
  decoded.request.input = std::move(input);
  return absl::OkStatus();
}

absl::Status DecodePredictJson(std::string_view json, const ModelRegistry& registry,
                               DecodedRequest& decoded, std::string* id) {
  absl::StatusOr<codec::PredictRequest> parsed = codec::ParsePredictRequest(json);
  if (!parsed.ok()) {
    if (id != nullptr) *id = codec::ExtractRequestId(json);
    return parsed.status();
  }
  if (id != nullptr) *id = std::move(parsed->id);
  return ResolveModel(registry, parsed->model, std::move(parsed->input), decoded);
}

}  // namespace predictwire::transport
