#ifndef PREDICTWIRE_CODEC_PREDICT_JSON_FAST_H_
#define PREDICTWIRE_CODEC_PREDICT_JSON_FAST_H_

// Internal to src/codec: the fast path of ParsePredictRequest for the requests clients actually
// send ({"model": "m", "id": 7, "features": [numbers]} or "instances": [[numbers], ...], in any
// order). It scans the text once and writes each number straight into the tensor, with no
// parser events and no copies. Anything it was not written for (an escape in a string, a byte
// past ASCII, a member it does not know, any error) is left to the full decoder, which then
// decides, so both accept exactly the same requests, with the same values, and the errors
// keep their messages (predict_json_fuzz checks that the two agree).

#include <string_view>

#include "codec/predict_json.h"

namespace predictwire::codec {

// Decodes `text` into `request` and returns true, or returns false (with `request` in any state)
// when the full decoder should decide.
bool ParsePredictRequestFast(std::string_view text, PredictRequest* request);

// A JSON number's value as the request holds it: the double nearest the decimal text (correctly
// rounded), as float. Both decoders use it, so that they agree to the bit. False when `text` is
// not a JSON number.
bool JsonNumberValue(std::string_view text, double* value);

}  // namespace predictwire::codec

#endif  // PREDICTWIRE_CODEC_PREDICT_JSON_FAST_H_
