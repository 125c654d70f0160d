#include "transport/common/rest_formats.h"

#include <fmt/format.h>

#include <charconv>

#include "codec/predict_json.h"
#include "transport/common/predict_decode.h"

namespace predictwire::transport {

absl::Status RestPredictFormat::Decode(std::string_view body, const ModelRegistry& registry,
                                       DecodedRequest& decoded, Context&) {
  return DecodePredictJson(body, registry, decoded);
}

RestReply RestPredictFormat::EncodeReply(Context&, const Model& model,
                                         const InferResponse& response) {
  RestReply reply;
  codec::AppendPredictResponse("", model.name(), response, &reply.body);
  reply.timing = response.timing;
  return reply;
}

RestReply RestPredictFormat::EncodeError(Context&, const absl::Status& status) {
  return RestRouter::ErrorReply(status);
}

absl::Status RestV2InferFormat::Decode(const Input& input, const ModelRegistry&,
                                       DecodedRequest& decoded, Context& context) {
  std::string_view json = input.body;
  std::string_view binary;
  if (!input.inference_header_length.empty()) {
    size_t length = 0;
    const std::string_view text = input.inference_header_length;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), length);
    if (error != std::errc() || end != text.data() + text.size() || length > json.size()) {
      return absl::InvalidArgumentError(fmt::format(
          "Inference-Header-Content-Length '{}' is not a length within the {}-byte body", text,
          json.size()));
    }
    binary = json.substr(length);
    json = json.substr(0, length);
  }
  absl::StatusOr<codec::V2InferRequest> parsed = codec::ParseV2InferRequest(json, binary);
  if (!parsed.ok()) return parsed.status();
  context = *std::move(parsed);
  absl::StatusOr<Tensor> tensor =
      codec::TakeModelInput(input.model.name(), input.model.info(), context);
  if (!tensor.ok()) return tensor.status();
  decoded.model = &input.model;
  decoded.request.input = *std::move(tensor);
  return absl::OkStatus();
}

RestReply RestV2InferFormat::EncodeReply(Context& context, const Model& model,
                                         const InferResponse& response) {
  RestReply reply;
  const size_t json_length = codec::AppendV2InferResponse(
      model.name(), codec::kV2ModelVersion, context, model.info().output, response, &reply.body);
  if (context.binary_output) {
    reply.content_type = "application/octet-stream";
    reply.inference_header_length = json_length;
  }
  reply.timing = response.timing;
  return reply;
}

RestReply RestV2InferFormat::EncodeError(Context&, const absl::Status& status) {
  return RestRouter::ErrorReply(status);
}

}  // namespace predictwire::transport
