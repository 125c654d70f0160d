#ifndef PREDICTWIRE_CODEC_V2_RAW_H_
#define PREDICTWIRE_CODEC_V2_RAW_H_

// Raw tensor bytes as the Open Inference Protocol carries them outside JSON: the HTTP binary
// tensor data extension and gRPC's raw_input_contents / raw_output_contents. Elements are
// little-endian, row-major, packed; BOOL is one byte per element. BYTES is not a number and is
// not accepted here.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace predictwire::codec {

// Bytes per element of a numeric v2 datatype ("FP32" → 4), or an error naming the datatype.
absl::StatusOr<size_t> RawElementSize(std::string_view datatype);

// Converts `count` elements of `datatype` in `bytes` to float32, appended to `out`. `bytes`
// must hold exactly count × RawElementSize(datatype) bytes; `what` names the tensor in errors.
absl::Status AppendRawValues(std::string_view datatype, std::string_view bytes, uint64_t count,
                             std::string_view what, std::vector<float>* out);

// Appends `values` as little-endian FP32 bytes.
void AppendRawFloats(const std::vector<float>& values, std::string* out);

}  // namespace predictwire::codec

#endif  // PREDICTWIRE_CODEC_V2_RAW_H_
