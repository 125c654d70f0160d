#ifndef PREDICTWIRE_TRANSPORT_GRPC_GRPC_FORMATS_H_
#define PREDICTWIRE_TRANSPORT_GRPC_GRPC_FORMATS_H_

// The inference formats of inference.GRPCInferenceService (transport/common/inference_path.h):
// the Open Inference Protocol's protobuf messages. Only gRPC sources include this header.

#include <grpcpp/support/status.h>

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "codec/v2_json.h"
#include "core/infer.h"
#include "core/model_registry.h"
#include "grpc_service.pb.h"
#include "transport/common/inference_path.h"

namespace predictwire::transport::grpc_transport {

// The model a v2 request names at `version` (empty or "1"): InvalidArgument when it names none,
// NotFound when the server has no such model or version.
absl::StatusOr<const Model*> FindV2Model(const ModelRegistry& registry, const std::string& name,
                                         const std::string& version);

// ModelInfer: the answer fills the call's response message, and the reply is the call's status
// (ToGrpcStatus for an error).
struct GrpcInferFormat {
  struct Input {
    const inference::ModelInferRequest& request;  // used only while Decode runs
    inference::ModelInferResponse* response;      // gRPC's, valid until the call finishes
  };
  struct Context {
    codec::V2InferRequest request;  // with its input taken out
    inference::ModelInferResponse* response = nullptr;
  };
  using Reply = ::grpc::Status;

  static absl::Status Decode(const Input& input, const ModelRegistry& registry,
                             DecodedRequest& decoded, Context& context);
  static ::grpc::Status EncodeReply(Context& context, const Model& model,
                                    const InferResponse& response);
  static ::grpc::Status EncodeError(Context& context, const absl::Status& status);
};

// ModelStreamInfer: every request gets one ModelStreamInferResponse, the answer or an
// error_message whose infer_response holds only the request's id and model_name, so that the
// client can match it.
struct GrpcStreamInferFormat {
  using Input = const inference::ModelInferRequest&;  // used only while Decode runs
  struct Context {
    codec::V2InferRequest request;  // with its input taken out
    std::unique_ptr<inference::ModelStreamInferResponse> answer;
  };
  using Reply = std::unique_ptr<inference::ModelStreamInferResponse>;

  static absl::Status Decode(const inference::ModelInferRequest& request,
                             const ModelRegistry& registry, DecodedRequest& decoded,
                             Context& context);
  static Reply EncodeReply(Context& context, const Model& model, const InferResponse& response);
  static Reply EncodeError(Context& context, const absl::Status& status);
};

}  // namespace predictwire::transport::grpc_transport

#endif  // PREDICTWIRE_TRANSPORT_GRPC_GRPC_FORMATS_H_
