#include "codec/json_reader.h"

#include <fmt/format.h>

#include <cmath>
#include <limits>

#include "codec/json_writer.h"

namespace predictwire::codec {

namespace json = boost::json;

absl::StatusOr<json::value> ParseJsonDocument(std::string_view text, json::storage_ptr resource) {
  if (text.empty()) return absl::InvalidArgumentError("the body is empty; expected a JSON object");
  json::parse_options options;
  options.max_depth = kJsonMaxDepth;
  json::parser parser(std::move(resource), options);
  boost::system::error_code error;
  const size_t consumed = parser.write(text.data(), text.size(), error);
  if (error) {
    return absl::InvalidArgumentError(
        fmt::format("malformed JSON at byte {}: {}", consumed, error.message()));
  }
  return parser.release();
}

absl::StatusOr<json::object*> ParseJsonObject(std::string_view text, json::storage_ptr resource,
                                              json::value* document) {
  absl::StatusOr<json::value> parsed = ParseJsonDocument(text, std::move(resource));
  if (!parsed.ok()) return parsed.status();
  *document = std::move(*parsed);
  if (!document->is_object()) {
    return absl::InvalidArgumentError(
        fmt::format("expected a JSON object, got {}", JsonKindName(*document)));
  }
  return &document->get_object();
}

std::string_view JsonKindName(const json::value& value) {
  switch (value.kind()) {
    case json::kind::null:
      return "null";
    case json::kind::bool_:
      return "a boolean";
    case json::kind::int64:
    case json::kind::uint64:
    case json::kind::double_:
      return "a number";
    case json::kind::string:
      return "a string";
    case json::kind::array:
      return "an array";
    case json::kind::object:
      return "an object";
  }
  return "an unknown value";
}

absl::StatusOr<float> JsonToFloat(const json::value& value, std::string_view where) {
  double number;
  switch (value.kind()) {
    case json::kind::int64:
      number = static_cast<double>(value.get_int64());
      break;
    case json::kind::uint64:
      number = static_cast<double>(value.get_uint64());
      break;
    case json::kind::double_:
      number = value.get_double();
      break;
    default:
      return absl::InvalidArgumentError(
          fmt::format("{} must be a number, got {}", where, JsonKindName(value)));
  }
  if (!std::isfinite(number) || std::fabs(number) > std::numeric_limits<float>::max()) {
    return absl::InvalidArgumentError(fmt::format("{} is outside the float32 range", where));
  }
  return static_cast<float>(number);
}

absl::Status AppendNestedNumbers(const json::value& value, std::string& where,
                                 std::vector<float>* out) {
  if (!value.is_array()) {
    absl::StatusOr<float> number = JsonToFloat(value, where);
    if (!number.ok()) return number.status();
    out->push_back(*number);
    return absl::OkStatus();
  }
  const json::array& array = value.get_array();
  const size_t where_length = where.size();
  for (size_t i = 0; i < array.size(); ++i) {
    const json::value& item = array[i];
    if (item.is_double()) {  // the common case, without building a position string
      const double number = item.get_double();
      if (std::isfinite(number) && std::fabs(number) <= std::numeric_limits<float>::max()) {
        out->push_back(static_cast<float>(number));
        continue;
      }
    } else if (item.is_int64()) {
      out->push_back(static_cast<float>(item.get_int64()));
      continue;
    }
    fmt::format_to(std::back_inserter(where), "[{}]", i);
    absl::Status status = AppendNestedNumbers(item, where, out);
    if (!status.ok()) return status;
    where.resize(where_length);
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> ScalarToJsonText(const json::value& value, std::string_view where) {
  std::string text;
  switch (value.kind()) {
    case json::kind::string:
      AppendJsonString(value.get_string(), &text);
      return text;
    case json::kind::int64:
    case json::kind::uint64:
    case json::kind::double_:
    case json::kind::bool_:
    case json::kind::null:
      return json::serialize(value);
    default:
      return absl::InvalidArgumentError(
          fmt::format("{} must be a string or a number, got {}", where, JsonKindName(value)));
  }
}

}  // namespace predictwire::codec
