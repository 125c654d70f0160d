#ifndef PREDICTWIRE_TRANSPORT_GRPC_GRPC_FORMATS_H_
#define PREDICTWIRE_TRANSPORT_GRPC_GRPC_FORMATS_H_

// The inference formats of inference.GRPCInferenceService (transport/common/inference_path.h):
// the Open Inference Protocol's protobuf messages, as the bytes a call carries. Only gRPC
// sources include this header: it brings protobuf.

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "codec/v2_json.h"
#include "core/infer.h"
#include "core/model_registry.h"
#include "transport/common/inference_path.h"

namespace predictwire::transport::grpc_transport {

// The model a v2 request names at `version` (empty or "1"): InvalidArgument when it names none,
// NotFound when the server has no such model or version.
absl::StatusOr<const Model*> FindV2Model(const ModelRegistry& registry, const std::string& name,
                                         const std::string& version);

// ModelInfer: a serialized ModelInferRequest in; the serialized ModelInferResponse, or the
// status the call ends with, out.
struct GrpcInferFormat {
  using Input = std::string_view;
  struct Context {
    codec::V2InferRequest request;  // with its input taken out
  };
  struct Reply {
    absl::Status status;
    std::string message;  // when status is OK
  };

  static absl::Status Decode(std::string_view message, const ModelRegistry& registry,
                             DecodedRequest& decoded, Context& context);
  static Reply EncodeReply(Context& context, const Model& model, const InferResponse& response);
  static Reply EncodeError(Context& context, const absl::Status& status);
};

// ModelStreamInfer: every request message gets one serialized ModelStreamInferResponse, the
// answer, or an error_message whose infer_response holds only the request's id and model name
// so that the client can match it.
struct GrpcStreamInferFormat {
  using Input = std::string_view;
  struct Context {
    codec::V2InferRequest request;  // with its input taken out
    std::string id;
    std::string model_name;
  };
  using Reply = std::string;

  static absl::Status Decode(std::string_view message, const ModelRegistry& registry,
                             DecodedRequest& decoded, Context& context);
  static Reply EncodeReply(Context& context, const Model& model, const InferResponse& response);
  static Reply EncodeError(Context& context, const absl::Status& status);
};

}  // namespace predictwire::transport::grpc_transport

#endif  // PREDICTWIRE_TRANSPORT_GRPC_GRPC_FORMATS_H_
