#ifndef PREDICTWIRE_CODEC_V2_PROTO_H_
#define PREDICTWIRE_CODEC_V2_PROTO_H_

// The Open Inference Protocol's protobuf messages (proto/grpc_service.proto) to and from the
// protocol-neutral v2 request and response. Included only by gRPC sources: it brings protobuf.

#include <string_view>

#include "absl/status/statusor.h"
#include "codec/v2_json.h"
#include "core/backend.h"
#include "core/infer.h"
#include "grpc_service.pb.h"

namespace predictwire::codec {

// Decodes a ModelInferRequest. Values come from raw_input_contents (one entry per input, packed
// little-endian) or from each input's typed contents field for its datatype, and are converted
// to float32. A request that sent raw bytes gets raw bytes back: binary_output is set. Errors
// are InvalidArgument naming the input.
absl::StatusOr<V2InferRequest> FromProto(const inference::ModelInferRequest& request);

// Fills `out` with the answer to `request`: model name and version, the request's id, the
// server timing as int64 parameters "queue_us" and "compute_us", and one FP32 output whose
// values are in raw_output_contents when request.binary_output, else in fp32_contents.
void ToProto(std::string_view model_name, std::string_view model_version,
             const V2InferRequest& request, const TensorSpec& output,
             const InferResponse& response, inference::ModelInferResponse* out);

// Fills `out` with a model's metadata and its properties.
void ToProto(std::string_view model_name, std::string_view model_version, const BackendInfo& info,
             inference::ModelMetadataResponse* out, ModelProperties properties = {});

}  // namespace predictwire::codec

#endif  // PREDICTWIRE_CODEC_V2_PROTO_H_
