#ifndef PREDICTWIRE_CODEC_BINARY_PREDICT_H_
#define PREDICTWIRE_CODEC_BINARY_PREDICT_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "core/infer.h"

namespace predictwire::codec {

// The compact binary prediction format carried by WebSocket binary messages (docs/api.md).
// All integers and floats are little-endian.
//
// Request, 20-byte header then the name and the features:
//   u8 version (1) | u8 flags (0) | u16 model_name_bytes | u32 rows | u32 cols | u64 id
//   | model name (UTF-8, empty = default model) | f32 × rows·cols, row-major
// Response, 24-byte header then the payload:
//   u8 version (1) | u8 status | u16 reserved (0) | u32 count | u64 id
//   | u32 queue_us | u32 compute_us | f32 × count predictions (ok) or count bytes of UTF-8 (error)
// status is 0 for an answer, else the error's canonical status code (absl::StatusCode, the same
// numbers as gRPC's: 3 INVALID_ARGUMENT, 5 NOT_FOUND, 8 RESOURCE_EXHAUSTED, 14 UNAVAILABLE, ...).
inline constexpr uint8_t kBinaryPredictVersion = 1;
inline constexpr size_t kBinaryRequestHeaderBytes = 20;
inline constexpr size_t kBinaryResponseHeaderBytes = 24;

struct BinaryPredictRequest {
  uint64_t id = 0;
  std::string model;  // empty: the default model
  Tensor input;       // shape [rows, cols]
};

struct BinaryPredictResponse {
  uint64_t id = 0;
  bool ok = true;     // code == 0
  uint8_t code = 0;   // the status byte: 0, or the error's canonical status code
  std::string error;  // when !ok
  std::vector<float> predictions;
  ServerTiming timing;
};

// Server side.
absl::StatusOr<BinaryPredictRequest> ParseBinaryPredictRequest(std::string_view message);
// The id of a request too malformed to parse, so its error can still be matched; 0 if absent.
uint64_t PeekBinaryRequestId(std::string_view message);
void AppendBinaryPredictResponse(uint64_t id, const InferResponse& response, std::string* out);
// `code` is the error's canonical status code, never 0 (2, UNKNOWN, when there is none).
void AppendBinaryPredictError(uint64_t id, uint8_t code, std::string_view message,
                              std::string* out);

// Client side (tests and the load generator).
void AppendBinaryPredictRequest(uint64_t id, std::string_view model, const Tensor& input,
                                std::string* out);
absl::StatusOr<BinaryPredictResponse> ParseBinaryPredictResponse(std::string_view message);

}  // namespace predictwire::codec

#endif  // PREDICTWIRE_CODEC_BINARY_PREDICT_H_
