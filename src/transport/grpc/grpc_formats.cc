#include "transport/grpc/grpc_formats.h"

#include <fmt/format.h>

#include "codec/v2_proto.h"
#include "transport/grpc/grpc_status.h"

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

absl::Status GrpcInferFormat::Decode(const Input& input, const ModelRegistry& registry,
                                     DecodedRequest& decoded, Context& context) {
  context.response = input.response;
  return DecodeModelInferRequest(input.request, registry, decoded, context.request);
}

::grpc::Status GrpcInferFormat::EncodeReply(Context& context, const Model& model,
                                            const InferResponse& response) {
  codec::ToProto(model.name(), codec::kV2ModelVersion, context.request, model.info().output,
                 response, context.response);
  return ::grpc::Status::OK;
}

::grpc::Status GrpcInferFormat::EncodeError(Context&, const absl::Status& status) {
  return ToGrpcStatus(status);
}

absl::Status GrpcStreamInferFormat::Decode(const inference::ModelInferRequest& request,
                                           const ModelRegistry& registry, DecodedRequest& decoded,
                                           Context& context) {
  context.answer = std::make_unique<inference::ModelStreamInferResponse>();
  // What an error answer carries; an answer proper sets both again.
  inference::ModelInferResponse* named = context.answer->mutable_infer_response();
  named->set_id(request.id());
  named->set_model_name(request.model_name());
  return DecodeModelInferRequest(request, registry, decoded, context.request);
}

GrpcStreamInferFormat::Reply GrpcStreamInferFormat::EncodeReply(Context& context,
                                                                const Model& model,
                                                                const InferResponse& response) {
  codec::ToProto(model.name(), codec::kV2ModelVersion, context.request, model.info().output,
                 response, context.answer->mutable_infer_response());
  return std::move(context.answer);
}

GrpcStreamInferFormat::Reply GrpcStreamInferFormat::EncodeError(Context& context,
                                                                const absl::Status& status) {
  context.answer->set_error_message(std::string(status.message()));
  return std::move(context.answer);
}

}  // namespace predictwire::transport::grpc_transport
