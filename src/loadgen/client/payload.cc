#include "loadgen/client/payload.h"

#include <fmt/format.h>

#include <array>
#include <charconv>
#include <cstring>

#include "codec/binary_predict.h"
#include "codec/json_writer.h"

namespace predictwire::loadgen {
namespace {

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

// The seed's /predict body: {"model":M,"features":[...]} or, for several rows, "instances".
std::string PredictMembers(const PayloadOptions& options) {
  std::string members;
  if (!options.model.empty()) {
    members = "\"model\":";
    codec::AppendJsonString(options.model, &members);
    members += ",";
  }
  members += options.rows == 1
                 ? fmt::format("\"features\":{}", JsonRows(1, options.features, false))
                 : fmt::format("\"instances\":{}", JsonRows(options.rows, options.features, true));
  return members;
}

absl::Status CheckShape(const PayloadOptions& options) {
  if (options.features < 1 || options.rows < 1) {
    return absl::InvalidArgumentError("--features and --rows must be >= 1");
  }
  return absl::OkStatus();
}

absl::Status PredictShapeOnly(const PayloadOptions& options, std::string_view wire) {
  if (options.shape != PayloadShape::kPredict) {
    return absl::InvalidArgumentError(
        fmt::format("--payload v2 is for the rest wires; {} messages use the predict shape", wire));
  }
  return CheckShape(options);
}

}  // namespace

std::string_view PayloadShapeName(PayloadShape shape) {
  return shape == PayloadShape::kV2 ? "v2" : "predict";
}

bool ParsePayloadShape(std::string_view name, PayloadShape* shape) {
  for (PayloadShape known : {PayloadShape::kPredict, PayloadShape::kV2}) {
    if (name == PayloadShapeName(known)) {
      *shape = known;
      return true;
    }
  }
  return false;
}

float FeatureValue(int index) {
  // Spread over a few orders of magnitude like real features; never zero.
  return static_cast<float>((index % 17) * 1.37 + (index % 5) * 21.5 + 0.25);
}

RequestBody::RequestBody(std::string path, std::string prefix, std::string suffix, IdSlot slot,
                         size_t id_offset, bool binary)
    : path_(std::move(path)),
      prefix_(std::move(prefix)),
      suffix_(std::move(suffix)),
      slot_(slot),
      id_offset_(id_offset),
      binary_(binary) {}

void RequestBody::Append(uint64_t id, std::string* out) const {
  switch (slot_) {
    case IdSlot::kNone:
      out->append(prefix_);
      return;
    case IdSlot::kJsonNumber:
      out->append(prefix_);
      AppendDecimal(id, out);
      out->append(suffix_);
      return;
    case IdSlot::kLittleEndian64: {
      const size_t start = out->size();
      out->append(prefix_);
      std::memcpy(out->data() + start + id_offset_, &id, sizeof(id));
      return;
    }
  }
}

size_t RequestBody::SizeOf(uint64_t id) const {
  size_t digits = 0;
  if (slot_ == IdSlot::kJsonNumber) {
    do {
      ++digits;
      id /= 10;
    } while (id != 0);
  }
  return prefix_.size() + suffix_.size() + digits;
}

absl::StatusOr<RequestBody> RestJsonBody(const PayloadOptions& options) {
  if (absl::Status shape = CheckShape(options); !shape.ok()) return shape;
  const bool v2 = options.shape == PayloadShape::kV2;
  const std::string model =
      v2 && options.model.empty() ? std::string(kDefaultV2Model) : options.model;
  std::string path = !options.path.empty() && options.path != "/" ? options.path
                     : v2 ? fmt::format("/v2/models/{}/infer", model)
                          : std::string("/predict");
  std::string body =
      v2 ? fmt::format(
               "{{\"inputs\":[{{\"name\":\"features\",\"shape\":[{},{}],\"datatype\":\"FP32\","
               "\"data\":{}}}]}}",
               options.rows, options.features, JsonRows(options.rows, options.features, true))
         : fmt::format("{{{}}}", PredictMembers(options));
  return RequestBody(std::move(path), std::move(body), "", RequestBody::IdSlot::kNone);
}

absl::StatusOr<RequestBody> WebSocketJsonBody(const PayloadOptions& options) {
  if (absl::Status shape = PredictShapeOnly(options, "WebSocket"); !shape.ok()) return shape;
  return RequestBody(options.path.empty() ? "/ws" : options.path,
                     "{\"id\":", "," + PredictMembers(options) + "}",
                     RequestBody::IdSlot::kJsonNumber);
}

absl::StatusOr<RequestBody> WebSocketBinaryBody(const PayloadOptions& options) {
  if (absl::Status shape = PredictShapeOnly(options, "WebSocket"); !shape.ok()) return shape;
  Tensor input;
  input.shape = {options.rows, options.features};
  for (int i = 0; i < options.rows * options.features; ++i) {
    input.values.push_back(FeatureValue(i));
  }
  std::string message;
  codec::AppendBinaryPredictRequest(0, options.model, input, &message);
  // The request header: version, flags, name length, rows, cols, then the u64 id at byte 12.
  constexpr size_t kIdOffset = 12;
  return RequestBody(options.path.empty() ? "/ws" : options.path, std::move(message), "",
                     RequestBody::IdSlot::kLittleEndian64, kIdOffset, /*binary=*/true);
}

std::string StatusErrorKind(std::string_view protocol, int code) {
  static constexpr std::array<std::string_view, 17> kNames = {"ok",
                                                              "cancelled",
                                                              "unknown",
                                                              "invalid_argument",
                                                              "deadline_exceeded",
                                                              "not_found",
                                                              "already_exists",
                                                              "permission_denied",
                                                              "resource_exhausted",
                                                              "failed_precondition",
                                                              "aborted",
                                                              "out_of_range",
                                                              "unimplemented",
                                                              "internal",
                                                              "unavailable",
                                                              "data_loss",
                                                              "unauthenticated"};
  if (code >= 0 && code < static_cast<int>(kNames.size())) {
    return fmt::format("{}_{}", protocol, kNames[code]);
  }
  return fmt::format("{}_{}", protocol, code);
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

ReplyInfo ScanJsonReply(std::string_view json, std::string_view protocol) {
  ReplyInfo info;
  if (json.find("\"error\"") != std::string_view::npos) {
    info.ok = false;
    const std::optional<uint64_t> code = FindNumber(json, "\"code\":");
    info.error = code ? StatusErrorKind(protocol, static_cast<int>(*code))
                      : fmt::format("{}_error", protocol);
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
    info.error = StatusErrorKind("ws", response->code);
    return info;
  }
  info.timing = response->timing;
  return info;
}

}  // namespace predictwire::loadgen
