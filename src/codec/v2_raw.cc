#include "codec/v2_raw.h"

#include <fmt/format.h>

#include <bit>
#include <cmath>
#include <cstring>

#include "core/status.h"

namespace predictwire::codec {
namespace {

static_assert(std::endian::native == std::endian::little,
              "raw v2 tensors are little-endian; a big-endian host would need byte swaps");

template <typename T>
void AppendAs(const char* data, uint64_t count, std::vector<float>* out) {
  for (uint64_t i = 0; i < count; ++i) {
    T value;
    std::memcpy(&value, data + i * sizeof(T), sizeof(T));
    out->push_back(static_cast<float>(value));
  }
}

// IEEE 754 binary16 to float: subnormals, infinities and NaN included.
float HalfToFloat(uint16_t half) {
  const int sign = half >> 15;
  const int exponent = (half >> 10) & 0x1f;
  const int mantissa = half & 0x3ff;
  float magnitude;
  if (exponent == 0) {
    magnitude = std::ldexp(static_cast<float>(mantissa), -24);
  } else if (exponent == 31) {
    magnitude = mantissa == 0 ? INFINITY : NAN;
  } else {
    magnitude = std::ldexp(static_cast<float>(mantissa | 0x400), exponent - 25);
  }
  return sign ? -magnitude : magnitude;
}

}  // namespace

absl::StatusOr<size_t> RawElementSize(std::string_view datatype) {
  if (datatype == "BOOL" || datatype == "UINT8" || datatype == "INT8") return 1;
  if (datatype == "UINT16" || datatype == "INT16" || datatype == "FP16") return 2;
  if (datatype == "UINT32" || datatype == "INT32" || datatype == "FP32") return 4;
  if (datatype == "UINT64" || datatype == "INT64" || datatype == "FP64") return 8;
  if (datatype == "BYTES") {
    return absl::InvalidArgumentError(
        "datatype BYTES holds strings; the models served take numbers");
  }
  if (datatype == "BF16") {
    return absl::InvalidArgumentError(
        "datatype BF16 is a v2 datatype this server does not support; send FP32, FP16 or FP64");
  }
  return absl::InvalidArgumentError(fmt::format("'{}' is not a v2 datatype", datatype));
}

absl::Status AppendRawValues(std::string_view datatype, std::string_view bytes, uint64_t count,
                             std::string_view what, std::vector<float>* out) {
  absl::StatusOr<size_t> element = RawElementSize(datatype);
  if (!element.ok()) {
    return absl::InvalidArgumentError(fmt::format("{}: {}", what, MessageOf(element.status())));
  }
  if (count > bytes.size() / *element || count * *element != bytes.size()) {
    return absl::InvalidArgumentError(
        fmt::format("{} has {} bytes of raw data, but {} {} elements take {}", what, bytes.size(),
                    count, datatype, static_cast<unsigned long long>(count) * *element));
  }
  out->reserve(out->size() + count);
  const char* data = bytes.data();
  if (datatype == "BOOL") {
    for (uint64_t i = 0; i < count; ++i) out->push_back(data[i] != 0 ? 1.0f : 0.0f);
  } else if (datatype == "UINT8") {
    AppendAs<uint8_t>(data, count, out);
  } else if (datatype == "INT8") {
    AppendAs<int8_t>(data, count, out);
  } else if (datatype == "UINT16") {
    AppendAs<uint16_t>(data, count, out);
  } else if (datatype == "INT16") {
    AppendAs<int16_t>(data, count, out);
  } else if (datatype == "UINT32") {
    AppendAs<uint32_t>(data, count, out);
  } else if (datatype == "INT32") {
    AppendAs<int32_t>(data, count, out);
  } else if (datatype == "UINT64") {
    AppendAs<uint64_t>(data, count, out);
  } else if (datatype == "INT64") {
    AppendAs<int64_t>(data, count, out);
  } else if (datatype == "FP32") {
    const size_t old_size = out->size();
    out->resize(old_size + count);
    std::memcpy(out->data() + old_size, data, count * sizeof(float));
  } else if (datatype == "FP64") {
    AppendAs<double>(data, count, out);
  } else {  // FP16
    for (uint64_t i = 0; i < count; ++i) {
      uint16_t half;
      std::memcpy(&half, data + i * 2, 2);
      out->push_back(HalfToFloat(half));
    }
  }
  return absl::OkStatus();
}

void AppendRawFloats(const std::vector<float>& values, std::string* out) {
  const size_t old_size = out->size();
  out->resize(old_size + values.size() * sizeof(float));
  std::memcpy(out->data() + old_size, values.data(), values.size() * sizeof(float));
}

}  // namespace predictwire::codec
