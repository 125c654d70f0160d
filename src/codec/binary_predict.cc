#include "codec/binary_predict.h"

#include <fmt/format.h>

#include <bit>
#include <cstring>

#include "codec/utf8.h"

namespace predictwire::codec {

static_assert(std::endian::native == std::endian::little,
              "the binary format is little-endian; add byte swapping for this platform");

namespace {

template <typename T>
T Load(const char* at) {
  T value;
  std::memcpy(&value, at, sizeof(T));
  return value;
}

template <typename T>
void Store(T value, std::string* out) {
  char bytes[sizeof(T)];
  std::memcpy(bytes, &value, sizeof(T));
  out->append(bytes, sizeof(T));
}

void AppendResponseHeader(uint8_t status, uint32_t count, uint64_t id, const ServerTiming& timing,
                          std::string* out) {
  Store<uint8_t>(kBinaryPredictVersion, out);
  Store<uint8_t>(status, out);
  Store<uint16_t>(0, out);
  Store<uint32_t>(count, out);
  Store<uint64_t>(id, out);
  Store<uint32_t>(timing.queue_us, out);
  Store<uint32_t>(timing.compute_us, out);
}

}  // namespace

absl::StatusOr<BinaryPredictRequest> ParseBinaryPredictRequest(std::string_view message) {
  if (message.size() < kBinaryRequestHeaderBytes) {
    return absl::InvalidArgumentError(
        fmt::format("binary request of {} bytes is shorter than its {}-byte header", message.size(),
                    kBinaryRequestHeaderBytes));
  }
  const char* data = message.data();
  if (const uint8_t version = Load<uint8_t>(data); version != kBinaryPredictVersion) {
    return absl::InvalidArgumentError(fmt::format(
        "binary request version {} is not supported; expected {}", version, kBinaryPredictVersion));
  }
  if (Load<uint8_t>(data + 1) != 0) {
    return absl::InvalidArgumentError("binary request flags must be 0");
  }
  const uint16_t name_bytes = Load<uint16_t>(data + 2);
  const uint32_t rows = Load<uint32_t>(data + 4);
  const uint32_t cols = Load<uint32_t>(data + 8);
  BinaryPredictRequest request;
  request.id = Load<uint64_t>(data + 12);
  if (rows == 0 || cols == 0) {
    return absl::InvalidArgumentError("binary request needs at least one row and one column");
  }
  const uint64_t floats = static_cast<uint64_t>(rows) * cols;
  if (floats > message.size() / sizeof(float)) {
    return absl::InvalidArgumentError(
        fmt::format("binary request header promises {}×{} floats but the message has {} bytes",
                    rows, cols, message.size()));
  }
  const uint64_t expected = kBinaryRequestHeaderBytes + name_bytes + floats * sizeof(float);
  if (expected != message.size()) {
    return absl::InvalidArgumentError(fmt::format(
        "binary request is {} bytes but its header ({}×{} floats, a {}-byte model name) makes {}",
        message.size(), rows, cols, name_bytes, expected));
  }
  request.model.assign(data + kBinaryRequestHeaderBytes, name_bytes);
  request.input.shape = {rows, cols};
  request.input.values.resize(floats);
  std::memcpy(request.input.values.data(), data + kBinaryRequestHeaderBytes + name_bytes,
              floats * sizeof(float));
  return request;
}

uint64_t PeekBinaryRequestId(std::string_view message) {
  if (message.size() < kBinaryRequestHeaderBytes) return 0;
  return Load<uint64_t>(message.data() + 12);
}

void AppendBinaryPredictResponse(uint64_t id, const InferResponse& response, std::string* out) {
  const std::vector<float>& values = response.output.values;
  out->reserve(out->size() + kBinaryResponseHeaderBytes + values.size() * sizeof(float));
  AppendResponseHeader(0, static_cast<uint32_t>(values.size()), id, response.timing, out);
  if (!values.empty()) {
    out->append(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(float));
  }
}

void AppendBinaryPredictError(uint64_t id, uint8_t code, std::string_view message,
                              std::string* out) {
  // The message is UTF-8 (docs/api.md) even when it quotes bytes a client sent that are not.
  if (!IsValidUtf8(message)) {
    const std::string valid = ToValidUtf8(message);
    return AppendBinaryPredictError(id, code, valid, out);
  }
  AppendResponseHeader(code, static_cast<uint32_t>(message.size()), id, ServerTiming{}, out);
  out->append(message);
}

void AppendBinaryPredictRequest(uint64_t id, std::string_view model, const Tensor& input,
                                std::string* out) {
  Store<uint8_t>(kBinaryPredictVersion, out);
  Store<uint8_t>(0, out);
  Store<uint16_t>(static_cast<uint16_t>(model.size()), out);
  Store<uint32_t>(static_cast<uint32_t>(input.rows()), out);
  Store<uint32_t>(static_cast<uint32_t>(input.cols()), out);
  Store<uint64_t>(id, out);
  out->append(model);
  out->append(reinterpret_cast<const char*>(input.values.data()),
              input.values.size() * sizeof(float));
}

absl::StatusOr<BinaryPredictResponse> ParseBinaryPredictResponse(std::string_view message) {
  if (message.size() < kBinaryResponseHeaderBytes) {
    return absl::InvalidArgumentError("binary response is shorter than its header");
  }
  const char* data = message.data();
  if (Load<uint8_t>(data) != kBinaryPredictVersion) {
    return absl::InvalidArgumentError("binary response has an unknown version");
  }
  BinaryPredictResponse response;
  const uint8_t status = Load<uint8_t>(data + 1);
  const uint32_t count = Load<uint32_t>(data + 4);
  response.id = Load<uint64_t>(data + 8);
  response.timing.queue_us = Load<uint32_t>(data + 16);
  response.timing.compute_us = Load<uint32_t>(data + 20);
  const std::string_view payload = message.substr(kBinaryResponseHeaderBytes);
  if (status == 0) {
    if (payload.size() != static_cast<uint64_t>(count) * sizeof(float)) {
      return absl::InvalidArgumentError("binary response length does not match its count");
    }
    response.predictions.resize(count);
    if (count > 0) std::memcpy(response.predictions.data(), payload.data(), payload.size());
  } else {
    if (payload.size() != count) {
      return absl::InvalidArgumentError("binary error length does not match its count");
    }
    response.ok = false;
    response.code = status;
    response.error = std::string(payload);
  }
  return response;
}

}  // namespace predictwire::codec
