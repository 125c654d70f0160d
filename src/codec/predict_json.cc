#include "codec/predict_json.h"

#include <fmt/format.h>

#include <boost/json/basic_parser_impl.hpp>

#include "codec/json_reader.h"
#include "codec/json_writer.h"
#include "codec/predict_json_fast.h"
#include "codec/predict_json_handler.h"

namespace predictwire::codec {

namespace json = boost::json;

absl::StatusOr<PredictRequest> ParsePredictRequest(std::string_view text) {
  PredictRequest request;
  if (ParsePredictRequestFast(text, &request)) return request;
  return ParsePredictRequestWithEvents(text);
}

absl::StatusOr<PredictRequest> ParsePredictRequestWithEvents(std::string_view text) {
  if (text.empty()) return absl::InvalidArgumentError("the body is empty; expected a JSON object");
  PredictRequest request;
  json::parse_options options;
  options.max_depth = 64;
  // About one value per 8 bytes of text: enough room that a large request rarely regrows.
  json::basic_parser<PredictJsonHandler> parser(options, &request, text.size() / 8);
  json::error_code error;
  const size_t consumed = parser.write_some(false, text.data(), text.size(), error);
  PredictJsonHandler& handler = parser.handler();
  if (!handler.error().empty()) return absl::InvalidArgumentError(handler.error());
  if (error) {
    return absl::InvalidArgumentError(
        fmt::format("malformed JSON at byte {}: {}", consumed, error.message()));
  }
  const size_t trailing = text.find_first_not_of(" \t\r\n", consumed);
  if (trailing != std::string_view::npos) {
    return absl::InvalidArgumentError(
        fmt::format("malformed JSON at byte {}: more data after the JSON value", trailing));
  }
  if (!handler.Finish()) return absl::InvalidArgumentError(handler.error());
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

std::string LeadingRequestId(std::string_view head) {
  size_t at = 0;
  const auto skip_space = [&] {
    while (at < head.size() &&
           (head[at] == ' ' || head[at] == '\n' || head[at] == '\r' || head[at] == '\t')) {
      ++at;
    }
  };
  const auto take = [&](std::string_view text) {
    skip_space();
    if (head.substr(at, text.size()) != text) return false;
    at += text.size();
    return true;
  };
  if (!take("{") || !take("\"id\"") || !take(":")) return {};
  skip_space();
  const size_t start = at;
  if (at < head.size() && head[at] == '"') {
    for (++at; at < head.size() && head[at] != '"'; ++at) {
      if (head[at] == '\\') ++at;  // an escaped character, whatever it is
    }
    if (at >= head.size()) return {};
    ++at;  // the closing quote
  } else {
    while (at < head.size() && head[at] != ',' && head[at] != '}' && head[at] != ' ' &&
           head[at] != '\n' && head[at] != '\r' && head[at] != '\t') {
      ++at;
    }
  }
  const std::string_view value = head.substr(start, at - start);
  // Whole only if what follows it is in `head` too; then the full decoder judges the value.
  if (value.empty() || !(take(",") || take("}"))) return {};
  return ExtractRequestId("{\"id\":" + std::string(value) + "}");
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

namespace {

// {"id": ID, "error": MESSAGE, without the closing brace.
void AppendErrorMembers(std::string_view id, std::string_view message, std::string* out) {
  out->push_back('{');
  if (!id.empty()) {
    out->append("\"id\":");
    out->append(id);
    out->push_back(',');
  }
  out->append("\"error\":");
  AppendJsonString(message, out);
}

}  // namespace

void AppendErrorJson(std::string_view id, std::string_view message, std::string* out) {
  AppendErrorMembers(id, message, out);
  out->push_back('}');
}

void AppendErrorJson(std::string_view id, std::string_view message, int code, std::string* out) {
  AppendErrorMembers(id, message, out);
  out->append(",\"code\":");
  AppendJsonNumber(code, out);
  out->push_back('}');
}

}  // namespace predictwire::codec
