#ifndef PREDICTWIRE_CODEC_V2_JSON_HANDLER_H_
#define PREDICTWIRE_CODEC_V2_JSON_HANDLER_H_

// Internal to src/codec: the parse-event handler behind ParseV2InferRequest. Everything of a v2
// request but its tensors' "data" becomes a (small) Boost.JSON document, as before; each
// inputs[i].data is read straight into floats as its numbers arrive and stands in the document
// as null. A 5-million-value request used to cost a document of every value (+449 MiB); now it
// costs its floats.
//
// The values are read under both of the rules ParseV2InferRequest may apply once it knows the
// input's datatype, which may come after "data": numbers (every datatype but BOOL) and JSON
// booleans (BOOL). Each rule keeps the message for its first offending value, in document order,
// with the same wording and position the document walk gave; the request's other checks still
// come first, as they did.

#include <boost/json/basic_parser.hpp>
#include <boost/json/value_stack.hpp>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/inlined_vector.h"

namespace predictwire::codec {

// The first value of a data a rule refuses: where it is (its index in each array open around
// it, outermost first) and what it is. Kept raw: the message is written only if it is given,
// and every numeric data is refused by the boolean rule at its first value.
struct Refusal {
  absl::InlinedVector<size_t, 4> path;
  std::string_view kind;      // "a string", "null", ... as the message names it
  bool out_of_range = false;  // a number float32 cannot hold (the number rule's other refusal)

  // The message, as the document walk gave it, for input `input` under the number rule
  // (`numbers`) or the boolean rule.
  std::string Message(size_t input, bool numbers) const;
};

// One inputs[i].data as streamed.
struct StreamedData {
  bool present = false;
  std::vector<float> values;
  // The first value each rule refuses; none when the rule takes them all.
  std::optional<Refusal> number_refusal;
  std::optional<Refusal> boolean_refusal;
};

class V2JsonHandler {
 public:
  static constexpr std::size_t max_array_size = boost::json::array::max_size();
  static constexpr std::size_t max_object_size = boost::json::object::max_size();
  static constexpr std::size_t max_string_size = boost::json::string::max_size();
  static constexpr std::size_t max_key_size = boost::json::string::max_size();

  // The document's values are kept in `storage`; `text_bytes` is the size of the text parsed.
  V2JsonHandler(boost::json::storage_ptr storage, size_t text_bytes)
      : stack_(storage), text_bytes_(text_bytes) {
    stack_.reset(std::move(storage));
  }

  // After a complete parse: the document (every "data" of an input a null) and the data of the
  // last "inputs" array's elements, by index (an element without "data" has none present).
  boost::json::value ReleaseDocument() { return stack_.release(); }
  absl::InlinedVector<StreamedData, 1>& data() { return data_; }

  bool on_document_begin(boost::json::error_code&) { return true; }
  bool on_document_end(boost::json::error_code&) { return true; }
  bool on_object_begin(boost::json::error_code&);
  bool on_object_end(std::size_t n, boost::json::error_code&);
  bool on_array_begin(boost::json::error_code&);
  bool on_array_end(std::size_t n, boost::json::error_code&);
  bool on_key_part(boost::json::string_view s, std::size_t, boost::json::error_code&);
  bool on_key(boost::json::string_view s, std::size_t, boost::json::error_code&);
  bool on_string_part(boost::json::string_view s, std::size_t, boost::json::error_code&);
  bool on_string(boost::json::string_view s, std::size_t, boost::json::error_code&);
  bool on_number_part(boost::json::string_view, boost::json::error_code&) { return true; }
  bool on_int64(int64_t value, boost::json::string_view, boost::json::error_code&);
  bool on_uint64(uint64_t value, boost::json::string_view, boost::json::error_code&);
  bool on_double(double value, boost::json::string_view, boost::json::error_code&);
  bool on_bool(bool value, boost::json::error_code&);
  bool on_null(boost::json::error_code&);
  bool on_comment_part(boost::json::string_view, boost::json::error_code&) { return true; }
  bool on_comment(boost::json::string_view, boost::json::error_code&) { return true; }

 private:
  // A value starts here: capturing begins when it is an input's data; an element of the inputs
  // array is noted (pending_input_) for the object it may be.
  void BeforeValue();
  // A value of data ended: the next element of its array, or the end of the capture.
  void EndCapturedValue();
  // A number of data, as `value` when float32 can hold it (`in_range`).
  void CaptureNumber(float value, bool in_range);
  // Anything else of data, of JSON kind `kind`; `boolean` holds the value of a boolean.
  void CaptureOther(std::string_view kind, std::optional<bool> boolean);
  // A scalar: `capture(in_array)` inside data, `push()` onto the document elsewhere.
  template <typename Capture, typename Push>
  bool Scalar(Capture capture, Push push);
  // The value being captured, refused as `kind`.
  Refusal Refuse(std::string_view kind, bool out_of_range = false) const;

  boost::json::value_stack stack_;
  const size_t text_bytes_;
  std::string key_;  // a key being assembled from parts

  // Where the parser is: containers open (objects and arrays), and the path to an input.
  size_t depth_ = 0;
  bool top_key_is_inputs_ = false;       // the current member of the top object is "inputs"
  bool in_inputs_array_ = false;         // depth 2 is that member's array
  size_t next_input_ = 0;                // index of the next element of the inputs array
  std::optional<size_t> pending_input_;  // the inputs element whose value is starting
  std::optional<size_t> input_;          // the inputs element (an object at depth 3) being read
  bool next_is_data_ = false;            // the next value is that element's "data"

  // Capturing a data value: indices of the arrays open inside it, outermost first, and objects
  // open inside it (skipped: each is one refused value).
  bool capturing_ = false;
  std::vector<size_t> indices_;
  size_t skipped_objects_ = 0;
  StreamedData* captured_ = nullptr;
  absl::InlinedVector<StreamedData, 1> data_;
};

}  // namespace predictwire::codec

#endif  // PREDICTWIRE_CODEC_V2_JSON_HANDLER_H_
