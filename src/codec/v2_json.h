#ifndef PREDICTWIRE_CODEC_V2_JSON_H_
#define PREDICTWIRE_CODEC_V2_JSON_H_

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "core/backend.h"
#include "core/infer.h"

namespace predictwire::codec {

// The Open Inference Protocol ("KServe v2") REST payloads, as Triton, KServe and MLServer speak
// them. Numeric tensors of every datatype are accepted and converted to float32; BYTES is not.

struct V2Input {
  std::string name;
  std::string datatype;  // as sent, e.g. "FP32"
  Tensor tensor;         // shape as sent, values converted to float32
};

struct V2InferRequest {
  bool has_id = false;
  std::string id;                              // the request's "id", unescaped
  std::vector<V2Input> inputs;                 // at least one
  std::vector<std::string> requested_outputs;  // names from "outputs"; empty means all
};

// Decodes an inference request body. Errors are InvalidArgument naming the offending member.
absl::StatusOr<V2InferRequest> ParseV2InferRequest(std::string_view json);

// Appends the inference response:
//   {"model_name":..., "model_version":..., "id":...?, "parameters": {"queue_us":N,
//   "compute_us":N},
//    "outputs": [{"name":..., "datatype": "FP32", "shape": [...], "data": [...]}]}
void AppendV2InferResponse(std::string_view model_name, std::string_view model_version,
                           const V2InferRequest& request, const TensorSpec& output,
                           const InferResponse& response, std::string* out);

// Appends {"name", "versions", "platform", "inputs": [...], "outputs": [...]}.
void AppendV2ModelMetadata(std::string_view model_name, std::span<const std::string> versions,
                           const BackendInfo& info, std::string* out);

// Appends {"name", "version", "extensions": [...]}.
void AppendV2ServerMetadata(std::string_view name, std::string_view version,
                            std::span<const std::string_view> extensions, std::string* out);

// The number of elements a shape holds, or an error for negative dimensions or overflow.
absl::StatusOr<uint64_t> ElementCount(std::span<const int64_t> shape);

}  // namespace predictwire::codec

#endif  // PREDICTWIRE_CODEC_V2_JSON_H_
