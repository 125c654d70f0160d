#include "loadgen/payload.h"

#include <fmt/format.h>

#include <charconv>
#include <cstring>

#include "codec/binary_predict.h"
#include "codec/json_writer.h"
#include "transport/websocket/frame.h"

namespace predictwire::loadgen {
namespace {

namespace ws = transport::websocket;

// xorshift64: a cheap, fresh masking key per WebSocket frame.
uint64_t NextRandom(uint64_t& state) {
  state ^= state << 13;
  state ^= state >> 7;
  state ^= state << 17;
  return state;
}

void AppendDecimal(uint64_t value, std::string* out) {
  char digits[24];
  const auto result = std::to_chars(digits, digits + sizeof(digits), value);
  out->append(digits, result.ptr);
}

std::string JsonRows(int rows, int features, bool nested_rows) {
  std::string out;
  if (nested_rows) out.push_back('[');
  for (int r = 0; r < rows; ++r) {
    if (r) out.push_back(',');
    out.push_back('[');
    for (int f = 0; f < features; ++f) {
      if (f) out.push_back(',');
      codec::AppendJsonNumber(FeatureValue(r * features + f), &out);
    }
    out.push_back(']');
  }
  if (nested_rows) out.push_back(']');
  return out;
}

// Finds `"key":` and reads the unsigned integer after it.
std::optional<uint64_t> FindNumber(std::string_view json, std::string_view key) {
  const size_t at = json.find(key);
  if (at == std::string_view::npos) return std::nullopt;
  size_t position = at + key.size();
  while (position < json.size() && (json[position] == ' ' || json[position] == ':')) ++position;
  uint64_t value = 0;
  const auto [end, error] =
      std::from_chars(json.data() + position, json.data() + json.size(), value);
  if (error != std::errc()) return std::nullopt;
  return value;
}

}  // namespace

float FeatureValue(int index) {
  // Spread over a few orders of magnitude like real features; never zero.
  return static_cast<float>((index % 17) * 1.37 + (index % 5) * 21.5 + 0.25);
}

RequestEncoder::RequestEncoder(const Options& options)
    : options_(options), mask_state_(0x9E3779B97F4A7C15ull) {
  const Target& target = options.target;
  const bool v2 = options.shape == PayloadShape::kV2;
  const std::string model = options.model.empty() && v2 ? "breast_cancer" : options.model;
  http_path_ = !target.path.empty() && target.path != "/" ? target.path
               : v2 ? fmt::format("/v2/models/{}/infer", model)
                    : std::string("/predict");
  websocket_path_ = !target.path.empty() ? target.path : std::string("/ws");

  if (options.wire == WireKind::kWebSocketBinary) {
    Tensor input;
    input.shape = {options.rows, options.features};
    for (int i = 0; i < options.rows * options.features; ++i)
      input.values.push_back(FeatureValue(i));
    codec::AppendBinaryPredictRequest(0, model, input, &body_prefix_);  // id patched per request
    return;
  }
  std::string body;
  const bool with_id = IsWebSocket(options.wire);
  std::string model_member;
  if (!model.empty()) {
    model_member = "\"model\":";
    codec::AppendJsonString(model, &model_member);
    model_member += ",";
  }
  if (v2) {
    body_prefix_ = with_id ? "{\"id\":\"" : "{";
    body_suffix_ = fmt::format(
        "{}\"inputs\":[{{\"name\":\"features\",\"shape\":[{},{}],\"datatype\":\"FP32\","
        "\"data\":{}}}]}}",
        with_id ? "\"," : "", options.rows, options.features,
        JsonRows(options.rows, options.features, true));
  } else {
    body_prefix_ = with_id ? "{\"id\":" : "{";
    body_suffix_ = fmt::format("{}{}\"{}\":{}}}", with_id ? "," : "", model_member,
                               options.rows == 1 ? "features" : "instances",
                               options.rows == 1 ? JsonRows(1, options.features, false)
                                                 : JsonRows(options.rows, options.features, true));
  }
  if (!with_id) {
    body_prefix_ += body_suffix_;
    body_suffix_.clear();
  }
  if (!IsWebSocket(options.wire)) {
    http_head_ = fmt::format(
        "POST {} HTTP/1.1\r\nHost: {}:{}\r\nContent-Type: application/json\r\n{}"
        "Content-Length: ",
        http_path_, target.host, target.port,
        options.wire == WireKind::kRest ? "Connection: close\r\n" : "");
  }
}

void RequestEncoder::Append(uint64_t id, std::string* out) {
  switch (options_.wire) {
    case WireKind::kRest:
    case WireKind::kRestKeepAlive:
      out->append(http_head_);
      AppendDecimal(body_prefix_.size(), out);
      out->append("\r\n\r\n");
      out->append(body_prefix_);
      return;
    case WireKind::kHttp2:
    case WireKind::kHttp2Multiplexed:
      out->append(body_prefix_);
      return;
    case WireKind::kWebSocketBinary: {
      std::string message = body_prefix_;
      std::memcpy(message.data() + 12, &id, sizeof(id));
      const uint64_t random = NextRandom(mask_state_);
      std::array<uint8_t, 4> mask;
      std::memcpy(mask.data(), &random, 4);
      ws::AppendClientFrame(ws::Opcode::kBinary, message, mask, true, out);
      return;
    }
    case WireKind::kWebSocket:
    case WireKind::kWebSocketPipelined: {
      std::string message = body_prefix_;
      AppendDecimal(id, &message);
      message += body_suffix_;
      const uint64_t random = NextRandom(mask_state_);
      std::array<uint8_t, 4> mask;
      std::memcpy(mask.data(), &random, 4);
      ws::AppendClientFrame(ws::Opcode::kText, message, mask, true, out);
      return;
    }
    case WireKind::kGrpc:
    case WireKind::kGrpcStream:
      return;  // protobuf messages: the gRPC connection builds its own from options()
  }
}

std::optional<ServerTiming> ParseServerTiming(std::string_view value) {
  ServerTiming timing;
  bool found = false;
  for (const auto& [name, field] : {std::pair{std::string_view("queue"), &timing.queue_us},
                                    std::pair{std::string_view("compute"), &timing.compute_us}}) {
    const size_t at = value.find(std::string(name) + ";dur=");
    if (at == std::string_view::npos) continue;
    const char* begin = value.data() + at + name.size() + 5;
    double milliseconds = 0;
    const auto [end, error] = std::from_chars(begin, value.data() + value.size(), milliseconds);
    if (error != std::errc()) continue;
    *field = static_cast<uint32_t>(milliseconds * 1000 + 0.5);
    found = true;
  }
  if (!found) return std::nullopt;
  return timing;
}

ReplyInfo ScanJsonReply(std::string_view json) {
  ReplyInfo info;
  if (json.find("\"error\"") != std::string_view::npos) {
    info.ok = false;
    info.error = "app_error";
  }
  if (std::optional<uint64_t> id = FindNumber(json, "\"id\":")) {
    info.has_id = true;
    info.id = *id;
  } else if (const size_t at = json.find("\"id\":\""); at != std::string_view::npos) {
    uint64_t value = 0;  // a v2 id is a string of digits here
    const char* begin = json.data() + at + 6;
    const auto [end, error] = std::from_chars(begin, json.data() + json.size(), value);
    if (error == std::errc()) {
      info.has_id = true;
      info.id = value;
    }
  }
  const std::optional<uint64_t> queue = FindNumber(json, "\"queue_us\":");
  const std::optional<uint64_t> compute = FindNumber(json, "\"compute_us\":");
  if (queue && compute) {
    info.timing = ServerTiming{static_cast<uint32_t>(*queue), static_cast<uint32_t>(*compute)};
  }
  return info;
}

ReplyInfo ScanBinaryReply(std::string_view message) {
  ReplyInfo info;
  absl::StatusOr<codec::BinaryPredictResponse> response =
      codec::ParseBinaryPredictResponse(message);
  if (!response.ok()) {
    info.ok = false;
    info.error = "bad_reply";
    return info;
  }
  info.has_id = true;
  info.id = response->id;
  if (!response->ok) {
    info.ok = false;
    info.error = "app_error";
    return info;
  }
  info.timing = response->timing;
  return info;
}

}  // namespace predictwire::loadgen
