#include "codec/v2_json.h"

#include <fmt/format.h>

#include <boost/json/basic_parser_impl.hpp>
#include <optional>

#include "codec/json_reader.h"
#include "codec/json_writer.h"
#include "codec/v2_json_handler.h"
#include "codec/v2_raw.h"
#include "core/status.h"

namespace predictwire::codec {

namespace json = boost::json;

namespace {

constexpr std::string_view kNumericDatatypes[] = {"BOOL",   "UINT8", "UINT16", "UINT32",
                                                  "UINT64", "INT8",  "INT16",  "INT32",
                                                  "INT64",  "FP16",  "FP32",   "FP64"};

bool IsNumericDatatype(std::string_view datatype) {
  for (std::string_view known : kNumericDatatypes) {
    if (datatype == known) return true;
  }
  return false;
}

absl::StatusOr<std::string_view> RequiredString(const json::object& object, std::string_view key,
                                                std::string_view where) {
  const json::value* value = object.if_contains(key);
  if (value == nullptr) {
    return absl::InvalidArgumentError(fmt::format("{} has no \"{}\"", where, key));
  }
  if (!value->is_string()) {
    return absl::InvalidArgumentError(
        fmt::format("{}.{} must be a string, got {}", where, key, JsonKindName(*value)));
  }
  return std::string_view(value->get_string());
}

// `streamed` is the input's "data", read as the document was parsed (the document holds null
// in its place); null when the input has none.
absl::StatusOr<V2Input> ParseInput(const json::value& value, size_t index, StreamedData* streamed) {
  const std::string where = fmt::format("inputs[{}]", index);
  if (!value.is_object()) {
    return absl::InvalidArgumentError(
        fmt::format("{} must be an object, got {}", where, JsonKindName(value)));
  }
  const json::object& object = value.get_object();
  V2Input input;
  absl::StatusOr<std::string_view> name = RequiredString(object, "name", where);
  if (!name.ok()) return name.status();
  input.name = std::string(*name);
  absl::StatusOr<std::string_view> datatype = RequiredString(object, "datatype", where);
  if (!datatype.ok()) return datatype.status();
  input.datatype = std::string(*datatype);
  if (input.datatype == "BYTES") {
    return absl::InvalidArgumentError(fmt::format(
        "{} ('{}') has datatype BYTES; the models served take numbers", where, input.name));
  }
  if (input.datatype == "BF16") {
    return absl::InvalidArgumentError(
        fmt::format("{} ('{}') has datatype BF16, a v2 datatype this server does not support; "
                    "send FP32, FP16 or FP64",
                    where, input.name));
  }
  if (!IsNumericDatatype(input.datatype)) {
    return absl::InvalidArgumentError(
        fmt::format("{}.datatype '{}' is not a v2 datatype", where, input.datatype));
  }

  const json::value* shape = object.if_contains("shape");
  if (shape == nullptr || !shape->is_array()) {
    return absl::InvalidArgumentError(fmt::format("{} needs \"shape\": [dimensions]", where));
  }
  for (const json::value& dimension : shape->get_array()) {
    if (!dimension.is_int64() && !dimension.is_uint64()) {
      return absl::InvalidArgumentError(
          fmt::format("{}.shape must hold non-negative integers", where));
    }
    const int64_t size =
        dimension.is_int64() ? dimension.get_int64() : static_cast<int64_t>(dimension.get_uint64());
    if (size < 0) {
      return absl::InvalidArgumentError(
          fmt::format("{}.shape must hold non-negative integers", where));
    }
    input.tensor.shape.push_back(size);
  }
  absl::StatusOr<uint64_t> expected = ElementCount(input.tensor.shape);
  if (!expected.ok()) {
    return absl::InvalidArgumentError(
        fmt::format("{}.shape: {}", where, MessageOf(expected.status())));
  }

  if (const json::value* parameters = object.if_contains("parameters")) {
    if (!parameters->is_object()) {
      return absl::InvalidArgumentError(fmt::format("{}.parameters must be an object", where));
    }
    if (const json::value* size = parameters->get_object().if_contains("binary_data_size")) {
      if (!size->is_uint64() && !(size->is_int64() && size->get_int64() >= 0)) {
        return absl::InvalidArgumentError(fmt::format(
            "{}.parameters.binary_data_size must be a non-negative integer", where));
      }
      input.binary = true;
      input.binary_data_size =
          size->is_uint64() ? size->get_uint64() : static_cast<uint64_t>(size->get_int64());
    }
  }
  const json::value* data = object.if_contains("data");
  if (input.binary) {
    if (data != nullptr) {
      return absl::InvalidArgumentError(fmt::format(
          "{} ('{}') has both \"data\" and a binary_data_size; send one", where, input.name));
    }
    absl::StatusOr<size_t> element = RawElementSize(input.datatype);
    if (!element.ok()) return element.status();
    if (*expected > input.binary_data_size / *element ||
        *expected * *element != input.binary_data_size) {
      return absl::InvalidArgumentError(fmt::format(
          "{} ('{}'): binary_data_size {} does not fit shape {} of {}", where, input.name,
          input.binary_data_size, fmt::join(input.tensor.shape, "x"), input.datatype));
    }
    return input;  // the values follow the JSON
  }
  if (data == nullptr) {
    return absl::InvalidArgumentError(fmt::format("{} ('{}') has no \"data\"", where, input.name));
  }
  if (streamed == nullptr || !streamed->present) {
    return absl::InternalError(fmt::format("{} ('{}'): its data was not read", where, input.name));
  }
  // BOOL data are JSON booleans; every other datatype's are numbers.
  const bool numbers = input.datatype != "BOOL";
  const std::optional<Refusal>& refused =
      numbers ? streamed->number_refusal : streamed->boolean_refusal;
  if (refused) return absl::InvalidArgumentError(refused->Message(index, numbers));
  input.tensor.values = std::move(streamed->values);
  if (input.tensor.values.size() != *expected) {
    return absl::InvalidArgumentError(fmt::format("{} ('{}') has {} values but its shape holds {}",
                                                  where, input.name, input.tensor.values.size(),
                                                  *expected));
  }
  return input;
}

void AppendTensorSpec(const TensorSpec& spec, std::string* out) {
  out->append("{\"name\":");
  AppendJsonString(spec.name, out);
  out->append(",\"datatype\":");
  AppendJsonString(spec.datatype, out);
  out->append(",\"shape\":");
  AppendJsonArray(spec.shape, out);
  out->push_back('}');
}

}  // namespace

absl::StatusOr<uint64_t> ElementCount(std::span<const int64_t> shape) {
  uint64_t count = 1;
  for (int64_t dimension : shape) {
    if (dimension < 0) return absl::InvalidArgumentError("a dimension is negative");
    if (dimension != 0 && count > UINT64_MAX / static_cast<uint64_t>(dimension)) {
      return absl::InvalidArgumentError("the shape holds too many elements");
    }
    count *= static_cast<uint64_t>(dimension);
  }
  return count;
}

absl::StatusOr<V2InferRequest> ParseV2InferRequest(std::string_view text,
                                                   std::string_view binary) {
  if (text.empty()) return absl::InvalidArgumentError("the body is empty; expected a JSON object");
  unsigned char stack[kJsonStackBytes];
  json::monotonic_resource resource(stack, sizeof(stack));
  json::parse_options options;
  options.max_depth = kJsonMaxDepth;
  json::basic_parser<V2JsonHandler> parser(options, json::storage_ptr(&resource), text.size());
  json::error_code error;
  const size_t consumed = parser.write_some(false, text.data(), text.size(), error);
  if (!error && consumed < text.size()) error = json::error::extra_data;
  if (error) {
    return absl::InvalidArgumentError(
        fmt::format("malformed JSON at byte {}: {}", consumed, error.message()));
  }
  json::value document = parser.handler().ReleaseDocument();
  if (!document.is_object()) {
    return absl::InvalidArgumentError(
        fmt::format("expected a JSON object, got {}", JsonKindName(document)));
  }
  const json::object& object = document.get_object();
  absl::InlinedVector<StreamedData, 1>& streamed = parser.handler().data();

  V2InferRequest request;
  if (const json::value* id = object.if_contains("id")) {
    if (!id->is_string()) {
      return absl::InvalidArgumentError(
          fmt::format("\"id\" must be a string, got {}", JsonKindName(*id)));
    }
    request.has_id = true;
    request.id = std::string(id->get_string());
  }
  const json::value* inputs = object.if_contains("inputs");
  if (inputs == nullptr || !inputs->is_array() || inputs->get_array().empty()) {
    return absl::InvalidArgumentError(
        "expected \"inputs\": [{\"name\", \"shape\", \"datatype\", \"data\"}, ...]");
  }
  const json::array& input_array = inputs->get_array();
  for (size_t i = 0; i < input_array.size(); ++i) {
    absl::StatusOr<V2Input> input =
        ParseInput(input_array[i], i, i < streamed.size() ? &streamed[i] : nullptr);
    if (!input.ok()) return input.status();
    request.inputs.push_back(*std::move(input));
  }
  // An output's own "binary_data", true or false, wins over the request's "binary_data_output"
  // (the binary tensor data extension: the output's parameter is the more specific).
  std::optional<bool> output_binary;
  if (const json::value* outputs = object.if_contains("outputs")) {
    if (!outputs->is_array()) {
      return absl::InvalidArgumentError("\"outputs\" must be an array of {\"name\": ...}");
    }
    const json::array& output_array = outputs->get_array();
    for (size_t i = 0; i < output_array.size(); ++i) {
      if (!output_array[i].is_object()) {
        return absl::InvalidArgumentError(fmt::format("outputs[{}] must be an object", i));
      }
      const json::object& output = output_array[i].get_object();
      absl::StatusOr<std::string_view> name =
          RequiredString(output, "name", fmt::format("outputs[{}]", i));
      if (!name.ok()) return name.status();
      request.requested_outputs.emplace_back(*name);
      if (const json::value* parameters = output.if_contains("parameters");
          parameters != nullptr && parameters->is_object()) {
        if (const json::value* flag = parameters->get_object().if_contains("binary_data");
            flag != nullptr && flag->is_bool()) {
          output_binary = flag->get_bool();
        }
      }
    }
  }
  if (const json::value* parameters = object.if_contains("parameters");
      parameters != nullptr && parameters->is_object()) {
    if (const json::value* flag = parameters->get_object().if_contains("binary_data_output");
        flag != nullptr && flag->is_bool() && flag->get_bool()) {
      request.binary_output = true;
    }
  }
  if (output_binary) request.binary_output = *output_binary;
  // The binary section: each binary input's bytes, in input order, and nothing else.
  size_t offset = 0;
  for (V2Input& input : request.inputs) {
    if (!input.binary) continue;
    if (binary.size() - offset < input.binary_data_size) {
      return absl::InvalidArgumentError(fmt::format(
          "input '{}' needs {} bytes of binary data, {} are left after the JSON", input.name,
          input.binary_data_size, binary.size() - offset));
    }
    const std::string what = fmt::format("input '{}'", input.name);
    absl::StatusOr<uint64_t> count = ElementCount(input.tensor.shape);
    if (absl::Status status =
            AppendRawValues(input.datatype, binary.substr(offset, input.binary_data_size), *count,
                            what, &input.tensor.values);
        !status.ok()) {
      return status;
    }
    offset += input.binary_data_size;
  }
  if (offset != binary.size()) {
    return absl::InvalidArgumentError(
        fmt::format("{} bytes after the JSON belong to no input (Inference-Header-Content-Length "
                    "and the inputs' binary_data_size disagree)",
                    binary.size() - offset));
  }
  return request;
}

size_t AppendV2InferResponse(std::string_view model_name, std::string_view model_version,
                             const V2InferRequest& request, const TensorSpec& output,
                             const InferResponse& response, std::string* out) {
  const size_t start = out->size();
  out->append("{\"model_name\":");
  AppendJsonString(model_name, out);
  out->append(",\"model_version\":");
  AppendJsonString(model_version, out);
  if (request.has_id) {
    out->append(",\"id\":");
    AppendJsonString(request.id, out);
  }
  out->append(",\"parameters\":{\"queue_us\":");
  AppendJsonNumber(response.timing.queue_us, out);
  out->append(",\"compute_us\":");
  AppendJsonNumber(response.timing.compute_us, out);
  out->append("},\"outputs\":[{\"name\":");
  AppendJsonString(output.name, out);
  out->append(",\"datatype\":\"FP32\",\"shape\":");
  AppendJsonArray(response.output.shape, out);
  if (request.binary_output) {
    out->append(",\"parameters\":{\"binary_data_size\":");
    AppendJsonNumber(response.output.values.size() * sizeof(float), out);
    out->append("}}]}");
    const size_t json_length = out->size() - start;
    AppendRawFloats(response.output.values, out);
    return json_length;
  }
  out->append(",\"data\":");
  AppendJsonArray(response.output.values, out);
  out->append("}]}");
  return out->size() - start;
}

void AppendV2ModelMetadata(std::string_view model_name, std::span<const std::string> versions,
                           const BackendInfo& info, std::string* out, ModelProperties properties) {
  out->append("{\"name\":");
  AppendJsonString(model_name, out);
  out->append(",\"versions\":[");
  for (size_t i = 0; i < versions.size(); ++i) {
    if (i != 0) out->push_back(',');
    AppendJsonString(versions[i], out);
  }
  out->append("],\"platform\":");
  AppendJsonString(info.platform, out);
  out->append(",\"inputs\":[");
  AppendTensorSpec(info.input, out);
  out->append("],\"outputs\":[");
  AppendTensorSpec(info.output, out);
  out->push_back(']');
  if (!properties.empty()) {
    out->append(",\"properties\":{");
    for (size_t i = 0; i < properties.size(); ++i) {
      if (i != 0) out->push_back(',');
      AppendJsonString(properties[i].first, out);
      out->push_back(':');
      AppendJsonString(properties[i].second, out);
    }
    out->push_back('}');
  }
  out->push_back('}');
}

void AppendV2ServerMetadata(std::string_view name, std::string_view version,
                            std::span<const std::string_view> extensions, std::string* out) {
  out->append("{\"name\":");
  AppendJsonString(name, out);
  out->append(",\"version\":");
  AppendJsonString(version, out);
  out->append(",\"extensions\":[");
  for (size_t i = 0; i < extensions.size(); ++i) {
    if (i != 0) out->push_back(',');
    AppendJsonString(extensions[i], out);
  }
  out->append("]}");
}

absl::StatusOr<Tensor> TakeModelInput(std::string_view model_name, const BackendInfo& info,
                                      V2InferRequest& request) {
  if (request.inputs.size() != 1) {
    return absl::InvalidArgumentError(
        fmt::format("model '{}' takes one input ('{}'), the request has {}", model_name,
                    info.input.name, request.inputs.size()));
  }
  for (const std::string& output : request.requested_outputs) {
    if (output != info.output.name) {
      return absl::InvalidArgumentError(
          fmt::format("model '{}' has no output '{}'; its output is '{}'", model_name, output,
                      info.output.name));
    }
  }
  Tensor input = std::move(request.inputs[0].tensor);
  if (input.shape.size() == 1) {
    input.shape = {1, input.shape[0]};  // one row given as a vector
  } else if (input.shape.size() != 2) {
    return absl::InvalidArgumentError(
        fmt::format("model '{}' takes input '{}' of shape [rows, features]; got {} dimensions",
                    model_name, info.input.name, input.shape.size()));
  }
  return input;
}

}  // namespace predictwire::codec
