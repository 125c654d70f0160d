#ifndef PREDICTWIRE_CODEC_JSON_READER_H_
#define PREDICTWIRE_CODEC_JSON_READER_H_

// Internal to src/codec: shared parsing helpers for the JSON codecs. Includes Boost.JSON, so keep
// it out of headers that other modules include.

#include <boost/json.hpp>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace predictwire::codec {

// Bytes of stack the JSON codecs give Boost.JSON before it falls back to the heap, so a typical
// request is parsed without allocating for the document.
inline constexpr size_t kJsonStackBytes = 4096;
// Deepest nesting of arrays and objects the JSON codecs accept.
inline constexpr size_t kJsonMaxDepth = 64;

// Parses `text` as exactly one JSON value with storage from `resource`. On failure returns
// InvalidArgument naming the reason and the byte offset.
absl::StatusOr<boost::json::value> ParseJsonDocument(std::string_view text,
                                                     boost::json::storage_ptr resource);

// Like ParseJsonDocument, and the value must be an object.
absl::StatusOr<boost::json::object*> ParseJsonObject(std::string_view text,
                                                     boost::json::storage_ptr resource,
                                                     boost::json::value* document);

// The JSON type of `value` as a user would name it ("string", "array", ...).
std::string_view JsonKindName(const boost::json::value& value);

// Converts one JSON number to float32; fails for non-numbers and values float32 cannot hold.
// `where` names the value in error messages, e.g. "features[3]".
absl::StatusOr<float> JsonToFloat(const boost::json::value& value, std::string_view where);

// Appends every number of a (possibly nested) array to `out` in row-major order.
// Fails on a non-number, naming its position.
absl::Status AppendNestedNumbers(const boost::json::value& value, std::string& where,
                                 std::vector<float>* out);

// Writes a JSON scalar (the request "id") back as JSON text: strings quoted and escaped,
// numbers as given. Fails for objects and arrays.
absl::StatusOr<std::string> ScalarToJsonText(const boost::json::value& value,
                                             std::string_view where);

}  // namespace predictwire::codec

#endif  // PREDICTWIRE_CODEC_JSON_READER_H_
