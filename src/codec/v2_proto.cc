#include "codec/v2_proto.h"

#include <fmt/format.h>

#include "codec/v2_raw.h"
#include "core/status.h"

namespace predictwire::codec {
namespace {

// Appends a typed contents field's values as float32, after checking there are `count`.
template <typename Repeated>
absl::Status AppendTyped(const Repeated& values, uint64_t count, std::string_view what,
                         std::string_view field, std::vector<float>* out) {
  if (static_cast<uint64_t>(values.size()) != count) {
    return absl::InvalidArgumentError(
        fmt::format("{} has {} values in contents.{}, but its shape holds {}", what,
                    values.size(), field, count));
  }
  out->reserve(out->size() + count);
  for (const auto value : values) out->push_back(static_cast<float>(value));
  return absl::OkStatus();
}

// The number of values an input sent in its contents, across every typed field.
uint64_t ContentsCount(const inference::InferTensorContents& contents) {
  return static_cast<uint64_t>(contents.bool_contents_size()) + contents.int_contents_size() +
         contents.int64_contents_size() + contents.uint_contents_size() +
         contents.uint64_contents_size() + contents.fp32_contents_size() +
         contents.fp64_contents_size() + contents.bytes_contents_size();
}

absl::Status AppendContents(const inference::ModelInferRequest::InferInputTensor& input,
                            uint64_t count, std::string_view what, std::vector<float>* out) {
  const std::string& type = input.datatype();
  const inference::InferTensorContents& contents = input.contents();
  if (type == "FP32") return AppendTyped(contents.fp32_contents(), count, what, "fp32_contents", out);
  if (type == "FP64") return AppendTyped(contents.fp64_contents(), count, what, "fp64_contents", out);
  if (type == "INT8" || type == "INT16" || type == "INT32") {
    return AppendTyped(contents.int_contents(), count, what, "int_contents", out);
  }
  if (type == "INT64") return AppendTyped(contents.int64_contents(), count, what, "int64_contents", out);
  if (type == "UINT8" || type == "UINT16" || type == "UINT32") {
    return AppendTyped(contents.uint_contents(), count, what, "uint_contents", out);
  }
  if (type == "UINT64") {
    return AppendTyped(contents.uint64_contents(), count, what, "uint64_contents", out);
  }
  if (type == "BOOL") return AppendTyped(contents.bool_contents(), count, what, "bool_contents", out);
  if (type == "FP16" || type == "BF16") {
    return absl::InvalidArgumentError(
        fmt::format("{} is {}, which travels only in raw_input_contents", what, type));
  }
  return absl::InvalidArgumentError(fmt::format(
      "{} has datatype '{}'; the models here take numbers (FP32, FP64, INT8-64, UINT8-64, BOOL)",
      what, type));
}

void SetTimingParameters(const ServerTiming& timing,
                         google::protobuf::Map<std::string, inference::InferParameter>* out) {
  (*out)["queue_us"].set_int64_param(timing.queue_us);
  (*out)["compute_us"].set_int64_param(timing.compute_us);
}

void ToProto(const TensorSpec& spec, inference::ModelMetadataResponse::TensorMetadata* out) {
  out->set_name(spec.name);
  out->set_datatype(spec.datatype);
  for (const int64_t dimension : spec.shape) out->add_shape(dimension);
}

}  // namespace

absl::StatusOr<V2InferRequest> FromProto(const inference::ModelInferRequest& request) {
  V2InferRequest decoded;
  decoded.has_id = !request.id().empty();
  decoded.id = request.id();
  if (request.inputs_size() == 0) {
    return absl::InvalidArgumentError("the request has no inputs");
  }
  const bool raw = request.raw_input_contents_size() > 0;
  if (raw && request.raw_input_contents_size() != request.inputs_size()) {
    return absl::InvalidArgumentError(
        fmt::format("the request has {} inputs but {} raw_input_contents; give one per input or "
                    "none",
                    request.inputs_size(), request.raw_input_contents_size()));
  }
  decoded.binary_output = raw;
  decoded.inputs.reserve(request.inputs_size());
  for (int i = 0; i < request.inputs_size(); ++i) {
    const inference::ModelInferRequest::InferInputTensor& input = request.inputs(i);
    const std::string what = fmt::format("input '{}'", input.name());
    V2Input& out = decoded.inputs.emplace_back();
    out.name = input.name();
    out.datatype = input.datatype();
    out.tensor.shape.assign(input.shape().begin(), input.shape().end());
    if (out.tensor.shape.empty()) {
      return absl::InvalidArgumentError(fmt::format("{} has no shape", what));
    }
    absl::StatusOr<uint64_t> count = ElementCount(out.tensor.shape);
    if (!count.ok()) {
      return absl::InvalidArgumentError(fmt::format("{}: {}", what, MessageOf(count.status())));
    }
    if (raw) {
      if (input.has_contents() && ContentsCount(input.contents()) > 0) {
        return absl::InvalidArgumentError(fmt::format(
            "{} has values both in contents and in raw_input_contents; send one", what));
      }
      const std::string& bytes = request.raw_input_contents(i);
      if (absl::Status status = AppendRawValues(input.datatype(), bytes, *count, what,
                                                &out.tensor.values);
          !status.ok()) {
        return status;
      }
      out.binary = true;
      out.binary_data_size = bytes.size();
    } else if (absl::Status status = AppendContents(input, *count, what, &out.tensor.values);
               !status.ok()) {
      return status;
    }
  }
  for (const auto& output : request.outputs()) decoded.requested_outputs.push_back(output.name());
  return decoded;
}

void ToProto(std::string_view model_name, std::string_view model_version,
             const V2InferRequest& request, const TensorSpec& output,
             const InferResponse& response, inference::ModelInferResponse* out) {
  out->set_model_name(std::string(model_name));
  out->set_model_version(std::string(model_version));
  if (request.has_id) out->set_id(request.id);
  SetTimingParameters(response.timing, out->mutable_parameters());
  inference::ModelInferResponse::InferOutputTensor* tensor = out->add_outputs();
  tensor->set_name(output.name);
  tensor->set_datatype("FP32");
  for (const int64_t dimension : response.output.shape) tensor->add_shape(dimension);
  const std::vector<float>& values = response.output.values;
  if (request.binary_output) {
    AppendRawFloats(values, out->add_raw_output_contents());
  } else {
    tensor->mutable_contents()->mutable_fp32_contents()->Add(values.begin(), values.end());
  }
}

void ToProto(std::string_view model_name, std::string_view model_version, const BackendInfo& info,
             inference::ModelMetadataResponse* out, ModelProperties properties) {
  out->set_name(std::string(model_name));
  out->add_versions(std::string(model_version));
  out->set_platform(info.platform);
  ToProto(info.input, out->add_inputs());
  ToProto(info.output, out->add_outputs());
  for (const auto& [name, value] : properties) (*out->mutable_properties())[name] = value;
}

}  // namespace predictwire::codec
