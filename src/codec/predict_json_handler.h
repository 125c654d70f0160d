#ifndef PREDICTWIRE_CODEC_PREDICT_JSON_HANDLER_H_
#define PREDICTWIRE_CODEC_PREDICT_JSON_HANDLER_H_

// Internal to src/codec: the streaming decoder behind ParsePredictRequest. It turns Boost.JSON's
// parse events straight into the request's float matrix, with no document in between: for a
// 1 MiB input the document cost four times the parse itself (page faults and copies as its
// value stack grew), and for small inputs it was an allocation per value.

#include <boost/json/basic_parser.hpp>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "codec/predict_json.h"

namespace predictwire::codec {

// ParsePredictRequest without its fast path (predict_json_fast.h): every request goes through
// the handler below. For tests and the fuzz target, which check that the two agree.
absl::StatusOr<PredictRequest> ParsePredictRequestWithEvents(std::string_view text);

class PredictJsonHandler {
 public:
  static constexpr std::size_t max_array_size = static_cast<std::size_t>(-1);
  static constexpr std::size_t max_object_size = static_cast<std::size_t>(-1);
  static constexpr std::size_t max_string_size = static_cast<std::size_t>(-1);
  static constexpr std::size_t max_key_size = static_cast<std::size_t>(-1);

  explicit PredictJsonHandler(PredictRequest* request, size_t expected_values) : request_(request) {
    request_->input.values.reserve(expected_values);
  }

  // The message for the first problem found, empty if none. Parsing stops at the first one.
  const std::string& error() const { return error_; }
  // After a successful parse: checks what only the whole document can tell.
  bool Finish();

  bool on_document_begin(boost::json::error_code&) { return true; }
  bool on_document_end(boost::json::error_code&) { return true; }
  bool on_object_begin(boost::json::error_code& ec);
  bool on_object_end(std::size_t, boost::json::error_code& ec);
  bool on_array_begin(boost::json::error_code& ec);
  bool on_array_end(std::size_t n, boost::json::error_code& ec);
  bool on_key_part(boost::json::string_view s, std::size_t, boost::json::error_code&);
  bool on_key(boost::json::string_view s, std::size_t, boost::json::error_code& ec);
  bool on_string_part(boost::json::string_view s, std::size_t, boost::json::error_code&);
  bool on_string(boost::json::string_view s, std::size_t, boost::json::error_code& ec);
  bool on_number_part(boost::json::string_view s, boost::json::error_code&);
  bool on_int64(int64_t value, boost::json::string_view s, boost::json::error_code& ec);
  bool on_uint64(uint64_t value, boost::json::string_view s, boost::json::error_code& ec);
  bool on_double(double value, boost::json::string_view s, boost::json::error_code& ec);
  bool on_bool(bool value, boost::json::error_code& ec);
  bool on_null(boost::json::error_code& ec);
  bool on_comment_part(boost::json::string_view, boost::json::error_code&) { return true; }
  bool on_comment(boost::json::string_view, boost::json::error_code&) { return true; }

 private:
  // What the value being read belongs to.
  enum class Slot {
    kNone,       // the top level, before the object
    kTop,        // a member value of the top-level object
    kFeatures,   // an element of "features"
    kInstances,  // an element (a row) of "instances"
    kRow,        // an element of a row of "instances"
    kSkipped,    // inside a member this decoder ignores
  };

  // Where a value of `kind` may not go: sets the error and stops.
  bool Reject(std::string message, boost::json::error_code& ec);
  // A scalar value arrived; `kind` names it for messages, `text` is its JSON text.
  bool OnScalar(std::string_view kind, std::string_view text, boost::json::error_code& ec);
  bool OnNumber(double value, std::string_view text, boost::json::error_code& ec);
  // A value starts at the current slot (for arrays and objects, before descending).
  bool Place(std::string_view kind, boost::json::error_code& ec);

  PredictRequest* const request_;
  std::string error_;
  Slot slot_ = Slot::kNone;
  int depth_ = 0;       // 1 inside the top-level object
  int skip_depth_ = 0;  // nesting inside an ignored member
  std::string key_;     // the current top-level member's name
  std::string text_;    // a string or number being assembled from parts
  bool has_features_ = false;
  bool has_instances_ = false;
  size_t index_ = 0;    // position within "features", or the row within "instances"
  size_t column_ = 0;   // position within the current row
  size_t columns_ = 0;  // the length of instances[0]
};

}  // namespace predictwire::codec

#endif  // PREDICTWIRE_CODEC_PREDICT_JSON_HANDLER_H_
