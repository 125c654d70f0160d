#include "codec/predict_json_handler.h"

#include <fmt/format.h>

#include <cmath>
#include <limits>

#include "codec/json_writer.h"
#include "codec/predict_json_fast.h"

namespace predictwire::codec {

namespace json = boost::json;

namespace {

constexpr char kShapeHelp[] =
    "expected {\"features\": [numbers]} or {\"instances\": [[numbers], ...]}";

}  // namespace

bool PredictJsonHandler::Reject(std::string message, json::error_code& ec) {
  error_ = std::move(message);
  ec = json::error::syntax;  // stops the parser; error_ says what was wrong
  return false;
}

bool PredictJsonHandler::Place(std::string_view kind, json::error_code& ec) {
  switch (slot_) {
    case Slot::kNone:
      return Reject(fmt::format("expected a JSON object, got {}", kind), ec);
    case Slot::kTop:
      if (key_ == "features") {
        return Reject(fmt::format("\"features\" must be an array of numbers, got {}", kind), ec);
      }
      if (key_ == "instances") {
        return Reject(fmt::format("\"instances\" must be an array of rows, got {}", kind), ec);
      }
      if (key_ == "model") {
        return Reject(fmt::format("\"model\" must be a string, got {}", kind), ec);
      }
      if (key_ == "id") {
        return Reject(fmt::format("\"id\" must be a string or a number, got {}", kind), ec);
      }
      return true;  // a member this decoder ignores
    case Slot::kFeatures:
      return Reject(fmt::format("features[{}] must be a number, got {}", index_, kind), ec);
    case Slot::kInstances:
      return Reject(fmt::format("instances[{}] must be an array of numbers, got {}", index_, kind),
                    ec);
    case Slot::kRow:
      return Reject(
          fmt::format("instances[{}][{}] must be a number, got {}", index_, column_, kind), ec);
    case Slot::kSkipped:
      return true;
  }
  return true;
}

bool PredictJsonHandler::on_object_begin(json::error_code& ec) {
  if (skip_depth_ > 0) {
    ++skip_depth_;
    return true;
  }
  if (slot_ == Slot::kNone) {
    slot_ = Slot::kTop;
    depth_ = 1;
    return true;
  }
  if (!Place("an object", ec)) return false;
  skip_depth_ = 1;  // an ignored member's object value
  return true;
}

bool PredictJsonHandler::on_object_end(std::size_t, json::error_code&) {
  if (skip_depth_ > 0) {
    --skip_depth_;
    return true;
  }
  depth_ = 0;
  return true;
}

bool PredictJsonHandler::on_array_begin(json::error_code& ec) {
  if (skip_depth_ > 0) {
    ++skip_depth_;
    return true;
  }
  switch (slot_) {
    case Slot::kTop:
      if (key_ == "features" || key_ == "instances") {
        const bool features = key_ == "features";
        if ((features && has_instances_) || (!features && has_features_)) {
          return Reject(
              fmt::format("give either \"features\" or \"instances\", not both; {}", kShapeHelp),
              ec);
        }
        (features ? has_features_ : has_instances_) = true;
        request_->input.values.clear();  // a repeated member: the last one counts
        index_ = 0;
        slot_ = features ? Slot::kFeatures : Slot::kInstances;
        return true;
      }
      if (!Place("an array", ec)) return false;
      skip_depth_ = 1;
      return true;
    case Slot::kFeatures:
      return Reject(fmt::format("features[{}] is an array; send several rows as \"instances\": "
                                "[[...], ...]",
                                index_),
                    ec);
    case Slot::kInstances:
      slot_ = Slot::kRow;
      column_ = 0;
      return true;
    default:
      return Place("an array", ec);
  }
}

bool PredictJsonHandler::on_array_end(std::size_t, json::error_code& ec) {
  if (skip_depth_ > 0) {
    --skip_depth_;
    return true;
  }
  Tensor& input = request_->input;
  switch (slot_) {
    case Slot::kFeatures:
      if (index_ == 0) return Reject("\"features\" is empty", ec);
      input.shape = {1, static_cast<int64_t>(index_)};
      slot_ = Slot::kTop;
      return true;
    case Slot::kRow:
      if (index_ == 0) {
        if (column_ == 0) return Reject("instances[0] is empty", ec);
        columns_ = column_;
      } else if (column_ != columns_) {
        return Reject(fmt::format("instances[{}] has {} values but instances[0] has {}", index_,
                                  column_, columns_),
                      ec);
      }
      ++index_;
      slot_ = Slot::kInstances;
      return true;
    case Slot::kInstances:
      if (index_ == 0) return Reject("\"instances\" is empty", ec);
      input.shape = {static_cast<int64_t>(index_), static_cast<int64_t>(columns_)};
      slot_ = Slot::kTop;
      return true;
    default:
      return true;
  }
}

bool PredictJsonHandler::on_key_part(json::string_view s, std::size_t, json::error_code&) {
  if (skip_depth_ == 0) text_.append(s.data(), s.size());
  return true;
}

bool PredictJsonHandler::on_key(json::string_view s, std::size_t, json::error_code&) {
  if (skip_depth_ > 0) return true;
  key_ = std::move(text_);
  key_.append(s.data(), s.size());
  text_.clear();
  return true;
}

bool PredictJsonHandler::on_string_part(json::string_view s, std::size_t, json::error_code&) {
  if (skip_depth_ == 0) text_.append(s.data(), s.size());
  return true;
}

bool PredictJsonHandler::on_string(json::string_view s, std::size_t, json::error_code& ec) {
  if (skip_depth_ > 0) return true;
  text_.append(s.data(), s.size());
  std::string value = std::move(text_);
  text_.clear();
  if (slot_ == Slot::kTop && key_ == "model") {
    request_->model = std::move(value);
    return true;
  }
  if (slot_ == Slot::kTop && key_ == "id") {
    request_->id.clear();
    AppendJsonString(value, &request_->id);
    return true;
  }
  return Place("a string", ec);
}

bool PredictJsonHandler::on_number_part(json::string_view s, json::error_code&) {
  if (skip_depth_ == 0) text_.append(s.data(), s.size());
  return true;
}

bool PredictJsonHandler::OnNumber(double value, std::string_view rest, json::error_code& ec) {
  if (skip_depth_ > 0) return true;
  if (slot_ == Slot::kFeatures || slot_ == Slot::kRow) {
    text_.clear();
    if (!std::isfinite(value) || std::fabs(value) > std::numeric_limits<float>::max()) {
      return Reject(
          slot_ == Slot::kFeatures
              ? fmt::format("features[{}] is outside the float32 range", index_)
              : fmt::format("instances[{}][{}] is outside the float32 range", index_, column_),
          ec);
    }
    request_->input.values.push_back(static_cast<float>(value));
    ++(slot_ == Slot::kFeatures ? index_ : column_);
    return true;
  }
  text_.append(rest);
  std::string text = std::move(text_);
  text_.clear();
  if (slot_ == Slot::kTop && key_ == "id") {
    request_->id = std::move(text);  // as written
    return true;
  }
  return Place("a number", ec);
}

bool PredictJsonHandler::on_int64(int64_t value, json::string_view s, json::error_code& ec) {
  return OnNumber(static_cast<double>(value), std::string_view(s.data(), s.size()), ec);
}

bool PredictJsonHandler::on_uint64(uint64_t value, json::string_view s, json::error_code& ec) {
  return OnNumber(static_cast<double>(value), std::string_view(s.data(), s.size()), ec);
}

bool PredictJsonHandler::on_double(double value, json::string_view s, json::error_code& ec) {
  const std::string_view rest(s.data(), s.size());
  if (skip_depth_ == 0 && (slot_ == Slot::kFeatures || slot_ == Slot::kRow)) {
    // Boost.JSON 1.81 may miss the nearest double by an ulp; the value is the text's nearest,
    // as the fast path reads it.
    std::string_view whole = rest;
    if (!text_.empty()) {
      text_.append(rest);
      whole = text_;
    }
    JsonNumberValue(whole, &value);
  }
  return OnNumber(value, rest, ec);
}

bool PredictJsonHandler::on_bool(bool value, json::error_code& ec) {
  if (skip_depth_ > 0) return true;
  if (slot_ == Slot::kTop && key_ == "id") {
    request_->id = value ? "true" : "false";
    return true;
  }
  return Place("a boolean", ec);
}

bool PredictJsonHandler::on_null(json::error_code& ec) {
  if (skip_depth_ > 0) return true;
  if (slot_ == Slot::kTop && key_ == "id") {
    request_->id = "null";
    return true;
  }
  return Place("null", ec);
}

bool PredictJsonHandler::Finish() {
  if (!has_features_ && !has_instances_) {
    error_ = fmt::format("no input: {}", kShapeHelp);
    return false;
  }
  return true;
}

}  // namespace predictwire::codec
