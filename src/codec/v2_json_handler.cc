#include "codec/v2_json_handler.h"

#include <fmt/format.h>

#include <cmath>
#include <limits>

namespace predictwire::codec {

namespace json = boost::json;

namespace {

// Floats a body of this many bytes may hold at most ("1," per value), capped: reserving them up
// front spares the copies of a growing vector, and pages never written cost no memory.
size_t ValuesBound(size_t text_bytes) { return std::min<size_t>(text_bytes / 2 + 1, 1 << 24); }

}  // namespace

std::string Refusal::Message(size_t input, bool numbers) const {
  std::string message = fmt::format("inputs[{}].data", input);
  for (const size_t index : path) fmt::format_to(std::back_inserter(message), "[{}]", index);
  if (numbers && out_of_range) return message + " is outside the float32 range";
  fmt::format_to(std::back_inserter(message), " must be a {}, got {}",
                 numbers ? "number" : "boolean", kind);
  return message;
}

Refusal V2JsonHandler::Refuse(std::string_view kind, bool out_of_range) const {
  return Refusal{{indices_.begin(), indices_.end()}, kind, out_of_range};
}

void V2JsonHandler::BeforeValue() {
  if (next_is_data_) {
    next_is_data_ = false;
    capturing_ = true;
    if (data_.size() <= *input_) data_.resize(*input_ + 1);
    captured_ = &data_[*input_];
    // A repeated "data" replaces the earlier one, as a repeated key does in a document.
    captured_->present = true;
    captured_->values.clear();
    captured_->values.reserve(ValuesBound(text_bytes_));
    captured_->number_refusal.reset();
    captured_->boolean_refusal.reset();
    indices_.clear();
    skipped_objects_ = 0;
    return;
  }
  if (depth_ == 2 && in_inputs_array_) pending_input_ = next_input_++;
}

void V2JsonHandler::EndCapturedValue() {
  if (!indices_.empty()) {
    ++indices_.back();
    return;
  }
  // The data value is complete: it stands in the document as null.
  capturing_ = false;
  captured_ = nullptr;
  stack_.push_null();
}

void V2JsonHandler::CaptureNumber(float value, bool in_range) {
  if (!captured_->number_refusal) {
    if (in_range) {
      captured_->values.push_back(value);
    } else {
      captured_->number_refusal = Refuse("a number", /*out_of_range=*/true);
    }
  }
  if (!captured_->boolean_refusal) captured_->boolean_refusal = Refuse("a number");
}

void V2JsonHandler::CaptureOther(std::string_view kind, std::optional<bool> boolean) {
  if (!captured_->number_refusal) captured_->number_refusal = Refuse(kind);
  if (!captured_->boolean_refusal) {
    if (boolean) {
      captured_->values.push_back(*boolean ? 1.0f : 0.0f);
    } else {
      captured_->boolean_refusal = Refuse(kind);
    }
  }
}

bool V2JsonHandler::on_object_begin(json::error_code&) {
  if (capturing_) {
    if (skipped_objects_++ == 0) CaptureOther("an object", std::nullopt);
    return true;
  }
  BeforeValue();
  if (capturing_) {  // "data" is an object
    skipped_objects_ = 1;
    CaptureOther("an object", std::nullopt);
    return true;
  }
  ++depth_;
  if (depth_ == 3 && pending_input_) input_ = pending_input_;
  pending_input_.reset();
  return true;
}

bool V2JsonHandler::on_object_end(std::size_t n, json::error_code&) {
  if (capturing_) {
    if (--skipped_objects_ == 0) EndCapturedValue();
    return true;
  }
  stack_.push_object(n);
  if (depth_ == 3) input_.reset();
  --depth_;
  return true;
}

bool V2JsonHandler::on_array_begin(json::error_code&) {
  if (capturing_) {
    if (skipped_objects_ == 0) indices_.push_back(0);
    return true;
  }
  BeforeValue();
  if (capturing_) {
    indices_.push_back(0);
    return true;
  }
  pending_input_.reset();
  ++depth_;
  if (depth_ == 2 && top_key_is_inputs_) {
    // The last "inputs" counts, as a repeated key does in a document.
    in_inputs_array_ = true;
    next_input_ = 0;
    data_.clear();
  }
  return true;
}

bool V2JsonHandler::on_array_end(std::size_t n, json::error_code&) {
  if (capturing_) {
    if (skipped_objects_ == 0) {
      indices_.pop_back();
      EndCapturedValue();
    }
    return true;
  }
  stack_.push_array(n);
  if (depth_ == 2) in_inputs_array_ = false;
  --depth_;
  return true;
}

bool V2JsonHandler::on_key_part(json::string_view s, std::size_t, json::error_code&) {
  if (capturing_) return true;  // inside an object in data: skipped
  stack_.push_chars(s);
  key_.append(s.data(), s.size());
  return true;
}

bool V2JsonHandler::on_key(json::string_view s, std::size_t, json::error_code&) {
  if (capturing_) return true;
  stack_.push_key(s);
  std::string_view key(s.data(), s.size());
  if (!key_.empty()) {
    key_.append(key);
    key = key_;
  }
  if (depth_ == 1) top_key_is_inputs_ = key == "inputs";
  if (depth_ == 3 && input_) next_is_data_ = key == "data";
  key_.clear();
  return true;
}

bool V2JsonHandler::on_string_part(json::string_view s, std::size_t, json::error_code&) {
  if (!capturing_) stack_.push_chars(s);
  return true;
}

bool V2JsonHandler::on_string(json::string_view s, std::size_t, json::error_code&) {
  if (capturing_) {
    if (skipped_objects_ == 0) {
      CaptureOther("a string", std::nullopt);
      EndCapturedValue();
    }
    return true;
  }
  BeforeValue();
  if (capturing_) {
    CaptureOther("a string", std::nullopt);
    EndCapturedValue();
    return true;
  }
  pending_input_.reset();
  stack_.push_string(s);
  return true;
}

// Scalars: a value of data is read as the document walk read it (int64 array elements convert
// to float directly, everything else by way of double), anything else goes on the stack.
template <typename Capture, typename Push>
bool V2JsonHandler::Scalar(Capture capture, Push push) {
  if (capturing_) {
    if (skipped_objects_ == 0) {
      capture(!indices_.empty());
      EndCapturedValue();
    }
    return true;
  }
  BeforeValue();
  if (capturing_) {
    capture(false);
    EndCapturedValue();
    return true;
  }
  pending_input_.reset();
  push();
  return true;
}

namespace {

// Whether float32 can hold `number` (the document walk's test).
bool FitsFloat(double number) {
  return std::isfinite(number) && std::fabs(number) <= std::numeric_limits<float>::max();
}

}  // namespace

bool V2JsonHandler::on_int64(int64_t value, json::string_view, json::error_code&) {
  return Scalar(
      [&](bool in_array) {
        CaptureNumber(
            in_array ? static_cast<float>(value) : static_cast<float>(static_cast<double>(value)),
            true);
      },
      [&] { stack_.push_int64(value); });
}

bool V2JsonHandler::on_uint64(uint64_t value, json::string_view, json::error_code&) {
  return Scalar([&](bool) { CaptureNumber(static_cast<float>(static_cast<double>(value)), true); },
                [&] { stack_.push_uint64(value); });
}

bool V2JsonHandler::on_double(double value, json::string_view, json::error_code&) {
  return Scalar([&](bool) { CaptureNumber(static_cast<float>(value), FitsFloat(value)); },
                [&] { stack_.push_double(value); });
}

bool V2JsonHandler::on_bool(bool value, json::error_code&) {
  return Scalar([&](bool) { CaptureOther("a boolean", value); }, [&] { stack_.push_bool(value); });
}

bool V2JsonHandler::on_null(json::error_code&) {
  return Scalar([&](bool) { CaptureOther("null", std::nullopt); }, [&] { stack_.push_null(); });
}

}  // namespace predictwire::codec
