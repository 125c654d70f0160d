#ifndef PREDICTWIRE_CODEC_V2_JSON_H_
#define PREDICTWIRE_CODEC_V2_JSON_H_

#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "core/backend.h"
#include "core/infer.h"

namespace predictwire::codec {

// The Open Inference Protocol ("KServe v2") REST payloads, as Triton, KServe and MLServer speak
// them. Numeric tensors of every datatype are accepted and converted to float32; BYTES is not.

// Every model is served at one version; v2 clients may name it or leave it empty.
inline constexpr std::string_view kV2ModelVersion = "1";

struct V2Input {
  std::string name;
  std::string datatype;  // as sent, e.g. "FP32"
  Tensor tensor;         // shape as sent, values converted to float32
  // Binary tensor data extension: the values came as this many raw bytes after the JSON.
  bool binary = false;
  uint64_t binary_data_size = 0;
};

struct V2InferRequest {
  bool has_id = false;
  std::string id;                              // the request's "id", unescaped
  std::vector<V2Input> inputs;                 // at least one
  std::vector<std::string> requested_outputs;  // names from "outputs"; empty means all
  // Binary tensor data extension: answer with raw output bytes after the JSON
  // ("binary_data_output": true, or "binary_data": true on a requested output).
  bool binary_output = false;
};

// Decodes an inference request body. Errors are InvalidArgument naming the offending member.
// With the binary tensor data extension, `json` is the body's first Inference-Header-Content-
// Length bytes and `binary` the rest: the raw values of every input whose parameters give a
// binary_data_size, in input order, with nothing left over.
absl::StatusOr<V2InferRequest> ParseV2InferRequest(std::string_view json,
                                                   std::string_view binary = {});

// The one input a model takes, moved out of `request` as [rows, features]: the request must
// carry exactly one input (a vector is one row) and may ask only for the model's output. Errors
// are InvalidArgument, naming the model. Shared by every transport that carries v2 requests.
absl::StatusOr<Tensor> TakeModelInput(std::string_view model_name, const BackendInfo& info,
                                      V2InferRequest& request);

// Appends the inference response:
//   {"model_name":..., "model_version":..., "id":...?, "parameters": {"queue_us":N,
//   "compute_us":N},
//    "outputs": [{"name":..., "datatype": "FP32", "shape": [...], "data": [...]}]}
// With request.binary_output the output carries "parameters": {"binary_data_size": N} instead
// of "data", and its N raw bytes follow the JSON. Returns the length of the JSON part (the
// Inference-Header-Content-Length of a binary answer).
size_t AppendV2InferResponse(std::string_view model_name, std::string_view model_version,
                             const V2InferRequest& request, const TensorSpec& output,
                             const InferResponse& response, std::string* out);

// A model's optional properties (name, value), as model metadata reports them.
using ModelProperties = std::span<const std::pair<std::string, std::string>>;

// Appends {"name", "versions", "platform", "inputs": [...], "outputs": [...]} and, when there
// are any, "properties": {name: value, ...}.
void AppendV2ModelMetadata(std::string_view model_name, std::span<const std::string> versions,
                           const BackendInfo& info, std::string* out,
                           ModelProperties properties = {});

// Appends {"name", "version", "extensions": [...]}.
void AppendV2ServerMetadata(std::string_view name, std::string_view version,
                            std::span<const std::string_view> extensions, std::string* out);

// The number of elements a shape holds, or an error for negative dimensions or overflow.
absl::StatusOr<uint64_t> ElementCount(std::span<const int64_t> shape);

}  // namespace predictwire::codec

#endif  // PREDICTWIRE_CODEC_V2_JSON_H_
