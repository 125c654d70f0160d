#include "codec/predict_json.h"

#include <fmt/format.h>

#include "codec/json_reader.h"
#include "codec/json_writer.h"

namespace predictwire::codec {

namespace json = boost::json;

namespace {

constexpr char kShapeHelp[] =
    "expected {\"features\": [numbers]} or {\"instances\": [[numbers], ...]}";

absl::Status ReadFeatures(const json::value& features, Tensor* input) {
  if (!features.is_array()) {
    return absl::InvalidArgumentError(
        fmt::format("\"features\" must be an array of numbers, got {}", JsonKindName(features)));
  }
  const json::array& row = features.get_array();
  if (row.empty()) return absl::InvalidArgumentError("\"features\" is empty");
  input->values.reserve(row.size());
  for (size_t i = 0; i < row.size(); ++i) {
    if (row[i].is_array()) {
      return absl::InvalidArgumentError(fmt::format(
          "features[{}] is an array; send several rows as \"instances\": [[...], ...]", i));
    }
  }
  std::string where = "features";
  if (absl::Status status = AppendNestedNumbers(features, where, &input->values); !status.ok()) {
    return status;
  }
  input->shape = {1, static_cast<int64_t>(row.size())};
  return absl::OkStatus();
}

absl::Status ReadInstances(const json::value& instances, Tensor* input) {
  if (!instances.is_array()) {
    return absl::InvalidArgumentError(
        fmt::format("\"instances\" must be an array of rows, got {}", JsonKindName(instances)));
  }
  const json::array& rows = instances.get_array();
  if (rows.empty()) return absl::InvalidArgumentError("\"instances\" is empty");
  size_t cols = 0;
  std::string where;
  for (size_t r = 0; r < rows.size(); ++r) {
    if (!rows[r].is_array()) {
      return absl::InvalidArgumentError(fmt::format(
          "instances[{}] must be an array of numbers, got {}", r, JsonKindName(rows[r])));
    }
    const json::array& row = rows[r].get_array();
    if (r == 0) {
      cols = row.size();
      if (cols == 0) return absl::InvalidArgumentError("instances[0] is empty");
      input->values.reserve(rows.size() * cols);
    } else if (row.size() != cols) {
      return absl::InvalidArgumentError(
          fmt::format("instances[{}] has {} values but instances[0] has {}", r, row.size(), cols));
    }
    for (size_t c = 0; c < row.size(); ++c) {
      if (row[c].is_array()) {
        return absl::InvalidArgumentError(
            fmt::format("instances[{}][{}] must be a number, got an array", r, c));
      }
    }
    where = fmt::format("instances[{}]", r);
    if (absl::Status status = AppendNestedNumbers(row, where, &input->values); !status.ok()) {
      return status;
    }
  }
  input->shape = {static_cast<int64_t>(rows.size()), static_cast<int64_t>(cols)};
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<PredictRequest> ParsePredictRequest(std::string_view text) {
  unsigned char stack[kJsonStackBytes];
  json::monotonic_resource resource(stack, sizeof(stack));
  json::value document;
  absl::StatusOr<json::object*> object = ParseJsonObject(text, &resource, &document);
  if (!object.ok()) return object.status();

  PredictRequest request;
  if (const json::value* model = (*object)->if_contains("model")) {
    if (!model->is_string()) {
      return absl::InvalidArgumentError(
          fmt::format("\"model\" must be a string, got {}", JsonKindName(*model)));
    }
    request.model = std::string(model->get_string());
  }
  if (const json::value* id = (*object)->if_contains("id")) {
    absl::StatusOr<std::string> id_text = ScalarToJsonText(*id, "\"id\"");
    if (!id_text.ok()) return id_text.status();
    request.id = std::move(*id_text);
  }
  const json::value* features = (*object)->if_contains("features");
  const json::value* instances = (*object)->if_contains("instances");
  if (features != nullptr && instances != nullptr) {
    return absl::InvalidArgumentError(
        fmt::format("give either \"features\" or \"instances\", not both; {}", kShapeHelp));
  }
  absl::Status status = features != nullptr ? ReadFeatures(*features, &request.input)
                        : instances != nullptr
                            ? ReadInstances(*instances, &request.input)
                            : absl::InvalidArgumentError(fmt::format("no input: {}", kShapeHelp));
  if (!status.ok()) return status;
  return request;
}

std::string ExtractRequestId(std::string_view text) {
  unsigned char stack[kJsonStackBytes];
  json::monotonic_resource resource(stack, sizeof(stack));
  boost::system::error_code error;
  json::value document = json::parse(text, error, &resource);
  if (error || !document.is_object()) return {};
  const json::value* id = document.get_object().if_contains("id");
  if (id == nullptr) return {};
  absl::StatusOr<std::string> id_text = ScalarToJsonText(*id, "id");
  return id_text.ok() ? *std::move(id_text) : std::string();
}

void AppendPredictResponse(std::string_view id, std::string_view model,
                           const InferResponse& response, std::string* out) {
  out->push_back('{');
  if (!id.empty()) {
    out->append("\"id\":");
    out->append(id);
    out->push_back(',');
  }
  out->append("\"model\":");
  AppendJsonString(model, out);
  out->append(",\"predictions\":");
  AppendJsonArray(response.output.values, out);
  out->append(",\"timing\":{\"queue_us\":");
  AppendJsonNumber(response.timing.queue_us, out);
  out->append(",\"compute_us\":");
  AppendJsonNumber(response.timing.compute_us, out);
  out->append("}}");
}

void AppendErrorJson(std::string_view id, std::string_view message, std::string* out) {
  out->push_back('{');
  if (!id.empty()) {
    out->append("\"id\":");
    out->append(id);
    out->push_back(',');
  }
  out->append("\"error\":");
  AppendJsonString(message, out);
  out->push_back('}');
}

}  // namespace predictwire::codec
