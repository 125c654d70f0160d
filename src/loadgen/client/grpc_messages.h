#ifndef PREDICTWIRE_LOADGEN_CLIENT_GRPC_MESSAGES_H_
#define PREDICTWIRE_LOADGEN_CLIENT_GRPC_MESSAGES_H_

// The Open Inference Protocol's gRPC messages as the load generator sends and reads them: a
// request made once and given each call's id by appending a field, and replies scanned for the
// few fields a benchmark needs rather than parsed. Protobuf stays in grpc_messages.cc.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "core/infer.h"
#include "loadgen/client/payload.h"

namespace predictwire::loadgen {

// The gRPC wires' methods.
inline constexpr std::string_view kModelInferPath = "/inference.GRPCInferenceService/ModelInfer";
inline constexpr std::string_view kModelStreamInferPath =
    "/inference.GRPCInferenceService/ModelStreamInfer";

// The body of the gRPC wires: a serialized inference.ModelInferRequest naming the model (which
// it needs) with a [rows, features] FP32 tensor in raw_input_contents, as high-throughput v2
// clients send it, and no id: each call appends its own (AppendRequestId).
absl::StatusOr<RequestBody> GrpcRequestBody(const PayloadOptions& options);

// Appends ModelInferRequest's id field (3) holding `id` in decimal. Protobuf lets a field come
// after the others, so the template plus this is the request with that id.
void AppendRequestId(uint64_t id, std::string* out);

// What a benchmark needs of a reply.
struct ScannedReply {
  std::string_view id;                 // ModelInferResponse.id
  std::optional<ServerTiming> timing;  // from its queue_us and compute_us parameters
  bool stream_error = false;           // ModelStreamInferResponse.error_message is set
};

// Scans a serialized ModelInferResponse; none when the bytes are not protobuf.
std::optional<ScannedReply> ScanInferResponse(std::string_view bytes);
// Scans a serialized ModelStreamInferResponse (the answer within it, or its error).
std::optional<ScannedReply> ScanStreamInferResponse(std::string_view bytes);

}  // namespace predictwire::loadgen

#endif  // PREDICTWIRE_LOADGEN_CLIENT_GRPC_MESSAGES_H_
