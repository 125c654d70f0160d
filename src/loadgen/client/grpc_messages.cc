#include "loadgen/client/grpc_messages.h"

#include <algorithm>
#include <charconv>
#include <cstring>

#include "grpc_service.pb.h"

namespace predictwire::loadgen {
namespace {

// Protobuf's wire format, as far as the scanners need it.
enum WireType : uint32_t { kVarint = 0, kFixed64 = 1, kLengthDelimited = 2, kFixed32 = 5 };

// Field numbers (proto/grpc_service.proto).
constexpr uint32_t kRequestId = 3;           // ModelInferRequest.id
constexpr uint32_t kResponseId = 3;          // ModelInferResponse.id
constexpr uint32_t kResponseParameters = 4;  // ModelInferResponse.parameters (a map)
constexpr uint32_t kStreamError = 1;         // ModelStreamInferResponse.error_message
constexpr uint32_t kStreamResponse = 2;      // ModelStreamInferResponse.infer_response
constexpr uint32_t kMapKey = 1;
constexpr uint32_t kMapValue = 2;
constexpr uint32_t kInt64Param = 2;  // InferParameter.int64_param

class Reader {
 public:
  explicit Reader(std::string_view bytes) : bytes_(bytes) {}
  bool done() const { return at_ == bytes_.size(); }

  std::optional<uint64_t> Varint() {
    uint64_t value = 0;
    for (int shift = 0; shift < 64 && at_ < bytes_.size(); shift += 7) {
      const auto byte = static_cast<uint8_t>(bytes_[at_++]);
      value |= uint64_t{byte & 0x7Fu} << shift;
      if ((byte & 0x80) == 0) return value;
    }
    return std::nullopt;
  }

  // The next field: its number and wire type, and for a length-delimited one its bytes.
  struct Field {
    uint32_t number;
    uint32_t type;
    uint64_t varint = 0;
    std::string_view bytes;
  };
  std::optional<Field> Next() {
    const std::optional<uint64_t> key = Varint();
    if (!key) return std::nullopt;
    Field field{static_cast<uint32_t>(*key >> 3), static_cast<uint32_t>(*key & 7)};
    size_t skip = 0;
    switch (field.type) {
      case kVarint: {
        const std::optional<uint64_t> value = Varint();
        if (!value) return std::nullopt;
        field.varint = *value;
        return field;
      }
      case kFixed64:
        skip = 8;
        break;
      case kFixed32:
        skip = 4;
        break;
      case kLengthDelimited: {
        const std::optional<uint64_t> length = Varint();
        if (!length || *length > bytes_.size() - at_) return std::nullopt;
        field.bytes = bytes_.substr(at_, *length);
        at_ += *length;
        return field;
      }
      default:
        return std::nullopt;  // groups are not in these messages
    }
    if (skip > bytes_.size() - at_) return std::nullopt;
    at_ += skip;
    return field;
  }

 private:
  std::string_view bytes_;
  size_t at_ = 0;
};

// One entry of the parameters map: "queue_us" or "compute_us" with its int64_param.
bool ScanParameter(std::string_view entry, uint32_t* queue_us, uint32_t* compute_us, int* found) {
  Reader reader(entry);
  std::string_view key;
  std::optional<uint64_t> value;
  while (!reader.done()) {
    const auto field = reader.Next();
    if (!field) return false;
    if (field->number == kMapKey && field->type == kLengthDelimited) key = field->bytes;
    if (field->number == kMapValue && field->type == kLengthDelimited) {
      Reader parameter(field->bytes);
      while (!parameter.done()) {
        const auto inner = parameter.Next();
        if (!inner) return false;
        if (inner->number == kInt64Param && inner->type == kVarint) value = inner->varint;
      }
    }
  }
  if (!value) return true;
  const auto clamped =
      static_cast<uint32_t>(std::clamp<int64_t>(static_cast<int64_t>(*value), 0, UINT32_MAX));
  if (key == "queue_us") {
    *queue_us = clamped;
    *found |= 1;
  } else if (key == "compute_us") {
    *compute_us = clamped;
    *found |= 2;
  }
  return true;
}

}  // namespace

absl::StatusOr<RequestBody> GrpcRequestBody(const PayloadOptions& options) {
  if (options.model.empty()) {
    return absl::InvalidArgumentError(
        "the gRPC wires need --model: the Open Inference Protocol names the model in every "
        "request");
  }
  if (options.shape != PayloadShape::kPredict) {
    return absl::InvalidArgumentError("--payload is for the rest wires; gRPC sends protobuf");
  }
  if (options.features < 1 || options.rows < 1) {
    return absl::InvalidArgumentError("--features and --rows must be >= 1");
  }
  inference::ModelInferRequest request;
  request.set_model_name(options.model);
  auto* input = request.add_inputs();
  input->set_name("features");
  input->set_datatype("FP32");
  input->add_shape(options.rows);
  input->add_shape(options.features);
  std::string raw(static_cast<size_t>(options.rows) * options.features * sizeof(float), '\0');
  for (int i = 0; i < options.rows * options.features; ++i) {
    const float value = FeatureValue(i % options.features);
    std::memcpy(raw.data() + i * sizeof(float), &value, sizeof(float));
  }
  request.add_raw_input_contents(std::move(raw));
  return RequestBody("", request.SerializeAsString(), "", RequestBody::IdSlot::kNone, 0,
                     /*binary=*/true);
}

void AppendRequestId(uint64_t id, std::string* out) {
  char digits[20];
  const auto [end, error] = std::to_chars(digits, digits + sizeof(digits), id);
  const size_t length = static_cast<size_t>(end - digits);
  out->push_back(static_cast<char>((kRequestId << 3) | kLengthDelimited));
  out->push_back(static_cast<char>(length));  // at most 20: one varint byte
  out->append(digits, length);
}

std::optional<ScannedReply> ScanInferResponse(std::string_view bytes) {
  ScannedReply reply;
  Reader reader(bytes);
  uint32_t queue_us = 0;
  uint32_t compute_us = 0;
  int found = 0;
  while (!reader.done()) {
    const auto field = reader.Next();
    if (!field) return std::nullopt;
    if (field->type != kLengthDelimited) continue;
    if (field->number == kResponseId) {
      reply.id = field->bytes;
    } else if (field->number == kResponseParameters) {
      if (!ScanParameter(field->bytes, &queue_us, &compute_us, &found)) return std::nullopt;
    }
  }
  if (found == 3) reply.timing = ServerTiming{queue_us, compute_us};
  return reply;
}

std::optional<ScannedReply> ScanStreamInferResponse(std::string_view bytes) {
  ScannedReply reply;
  Reader reader(bytes);
  while (!reader.done()) {
    const auto field = reader.Next();
    if (!field) return std::nullopt;
    if (field->type != kLengthDelimited) continue;
    if (field->number == kStreamError && !field->bytes.empty()) {
      reply.stream_error = true;
    } else if (field->number == kStreamResponse) {
      const std::optional<ScannedReply> inner = ScanInferResponse(field->bytes);
      if (!inner) return std::nullopt;
      reply.id = inner->id;
      reply.timing = inner->timing;
    }
  }
  return reply;
}

}  // namespace predictwire::loadgen
