#include "transport/grpc/grpc_formats.h"

#include <fmt/format.h>

#include "codec/v2_proto.h"
#include "grpc_service.pb.h"

namespace predictwire::transport::grpc_transport {
namespace {

// Resolves the model and decodes the tensor, in that order: an unknown model is NOT_FOUND
// whatever the tensor holds.
absl::Status DecodeModelInferRequest(const inference::ModelInferRequest& request,
                                     const ModelRegistry& registry, DecodedRequest& decoded,
                                     codec::V2InferRequest& context) {
  absl::StatusOr<const Model*> model =
      FindV2Model(registry, request.model_name(), request.model_version());
  if (!model.ok()) return model.status();
  absl::StatusOr<codec::V2InferRequest> parsed = codec::FromProto(request);
  if (!parsed.ok()) return parsed.status();
  context = *std::move(parsed);
  absl::StatusOr<Tensor> input = codec::TakeModelInput((*model)->name(), (*model)->info(), context);
  if (!input.ok()) return input.status();
  decoded.model = *model;
  decoded.request.input = *std::move(input);
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<const Model*> FindV2Model(const ModelRegistry& registry, const std::string& name,
                                         const std::string& version) {
  if (name.empty()) return absl::InvalidArgumentError("the request names no model");
  const Model* model = registry.Find(name);
  if (model == nullptr) return registry.Resolve(name).status();
  if (!version.empty() && version != codec::kV2ModelVersion) {
    return absl::NotFoundError(fmt::format("model '{}' has no version '{}'; it has version {}",
                                           name, version, codec::kV2ModelVersion));
  }
  return model;
}

namespace {

// A message that is not a ModelInferRequest (truncated, or a string that is not UTF-8) is the
// client's mistake: INVALID_ARGUMENT.
absl::StatusOr<inference::ModelInferRequest> ParseRequest(std::string_view message) {
  inference::ModelInferRequest request;
  if (!request.ParseFromArray(message.data(), static_cast<int>(message.size()))) {
    return absl::InvalidArgumentError("the message is not an inference.ModelInferRequest");
  }
  return request;
}

}  // namespace

absl::Status GrpcInferFormat::Decode(std::string_view message, const ModelRegistry& registry,
                                     DecodedRequest& decoded, Context& context) {
  absl::StatusOr<inference::ModelInferRequest> request = ParseRequest(message);
  if (!request.ok()) return request.status();
  return DecodeModelInferRequest(*request, registry, decoded, context.request);
}

GrpcInferFormat::Reply GrpcInferFormat::EncodeReply(Context& context, const Model& model,
                                                    const InferResponse& response) {
  inference::ModelInferResponse answer;
  codec::ToProto(model.name(), codec::kV2ModelVersion, context.request, model.info().output,
                 response, &answer);
  return Reply{absl::OkStatus(), answer.SerializeAsString()};
}

GrpcInferFormat::Reply GrpcInferFormat::EncodeError(Context&, const absl::Status& status) {
  return Reply{status, ""};
}

absl::Status GrpcStreamInferFormat::Decode(std::string_view message, const ModelRegistry& registry,
                                           DecodedRequest& decoded, Context& context) {
  absl::StatusOr<inference::ModelInferRequest> request = ParseRequest(message);
  if (!request.ok()) return request.status();
  // What an error answer carries; an answer proper sets both again.
  context.id = request->id();
  context.model_name = request->model_name();
  return DecodeModelInferRequest(*request, registry, decoded, context.request);
}

GrpcStreamInferFormat::Reply GrpcStreamInferFormat::EncodeReply(Context& context,
                                                                const Model& model,
                                                                const InferResponse& response) {
  inference::ModelStreamInferResponse answer;
  codec::ToProto(model.name(), codec::kV2ModelVersion, context.request, model.info().output,
                 response, answer.mutable_infer_response());
  return answer.SerializeAsString();
}

GrpcStreamInferFormat::Reply GrpcStreamInferFormat::EncodeError(Context& context,
                                                                const absl::Status& status) {
  inference::ModelStreamInferResponse answer;
  answer.set_error_message(std::string(status.message()));
  answer.mutable_infer_response()->set_id(context.id);
  answer.mutable_infer_response()->set_model_name(context.model_name);
  return answer.SerializeAsString();
}

}  // namespace predictwire::transport::grpc_transport
