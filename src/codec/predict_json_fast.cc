#include "codec/predict_json_fast.h"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>

#include "codec/json_writer.h"

namespace predictwire::codec {
namespace {

// Powers of ten a double holds exactly (10^22 is the last).
constexpr double kExactPowersOfTen[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                        1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                        1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
constexpr uint64_t kLargestExactInteger = uint64_t{1} << 53;

inline bool IsDigit(char c) { return static_cast<unsigned char>(c - '0') < 10; }

inline const char* SkipSpaceFrom(const char* p) {
  while (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t') ++p;
  return p;
}

struct NumberRead {
  bool ok;
  double value;
};

// The number `start` to `end` by JsonNumberValue: the rare shapes ReadNumber leaves to it.
[[gnu::noinline]] NumberRead ReadNumberText(const char* start, const char* end) {
  double value = 0;
  const bool ok =
      JsonNumberValue(std::string_view(start, static_cast<size_t>(end - start)), &value);
  return {ok, value};
}

// The JSON number at `p`, which it moves past the number. No bounds checks: the text ends with
// '}', where every loop here stops at the latest (see Scanner).
[[gnu::always_inline]] inline NumberRead ReadNumber(const char*& p) {
  const char* const start = p;
  const bool negative = *p == '-';
  p += negative;
  // The digits go into `mantissa` while it can hold them (19 digits); past that the text is read
  // by JsonNumberValue.
  uint64_t mantissa = 0;
  const char* const integer = p;
  if (*p == '0') {
    ++p;
  } else {
    for (; IsDigit(*p); ++p) mantissa = mantissa * 10 + static_cast<uint64_t>(*p - '0');
  }
  if (p == integer) return {false, 0};
  auto digits = p - integer;
  int exponent = 0;
  bool is_integer = true;
  if (*p == '.') {
    is_integer = false;
    const char* const fraction = ++p;
    for (; IsDigit(*p); ++p) mantissa = mantissa * 10 + static_cast<uint64_t>(*p - '0');
    if (p == fraction) return {false, 0};
    digits += p - fraction;
    exponent = -static_cast<int>(p - fraction);
  }
  if (*p == 'e' || *p == 'E') {
    is_integer = false;
    ++p;
    const bool exponent_negative = *p == '-';
    if (*p == '-' || *p == '+') ++p;
    const char* const exponent_digits = p;
    int written = 0;
    for (; IsDigit(*p); ++p) {
      if (written < 100000) written = written * 10 + (*p - '0');
    }
    if (p == exponent_digits) return {false, 0};
    exponent += exponent_negative ? -written : written;
  }
  if (digits > 19) return ReadNumberText(start, p);
  if (is_integer) {
    // As the full decoder reads an integer, which has no negative zero: "-0" is 0.
    const double magnitude = static_cast<double>(mantissa);  // rounds correctly
    return {true, negative && mantissa != 0 ? -magnitude : magnitude};
  }
  if (mantissa <= kLargestExactInteger && exponent >= -22 && exponent <= 22) {
    // Both operands are exact, so one IEEE operation rounds correctly (Clinger's fast path).
    double magnitude = static_cast<double>(mantissa);
    magnitude = exponent < 0 ? magnitude / kExactPowersOfTen[-exponent]
                             : magnitude * kExactPowersOfTen[exponent];
    return {true, negative ? -magnitude : magnitude};
  }
  return ReadNumberText(start, p);
}

// Reads a text that ends with '}' (and perhaps white space), which the caller has checked: every
// scan stops there at the latest, so only scans that may pass it (strings, literals, the space
// after it) check for the end.
class Scanner {
 public:
  explicit Scanner(std::string_view text) : p_(text.data()), end_(text.data() + text.size()) {}

  bool at_end() const { return p_ == end_; }
  char peek() const { return *p_; }  // before the final '}'

  // Before the final '}' (no bounds check needed), and after it.
  void SkipSpace() { p_ = SkipSpaceFrom(p_); }
  void SkipTrailingSpace() {
    while (p_ < end_ && (*p_ == ' ' || *p_ == '\n' || *p_ == '\r' || *p_ == '\t')) ++p_;
  }
  bool Take(char c) {  // before the final '}'
    if (*p_ != c) return false;
    ++p_;
    return true;
  }
  bool TakeLiteral(std::string_view literal) {
    if (static_cast<size_t>(end_ - p_) < literal.size() ||
        std::string_view(p_, literal.size()) != literal) {
      return false;
    }
    p_ += literal.size();
    return true;
  }

  // A string of printable ASCII with no escapes; anything else is left to the full decoder.
  bool String(std::string_view* out) {
    if (!Take('"')) return false;
    const char* start = p_;
    for (; p_ < end_; ++p_) {
      const auto c = static_cast<unsigned char>(*p_);
      if (c == '"') {
        *out = std::string_view(start, static_cast<size_t>(p_ - start));
        ++p_;
        return true;
      }
      if (c < 0x20 || c >= 0x80 || c == '\\') return false;
    }
    return false;
  }

  // A JSON number: its text and value.
  bool Number(std::string_view* text, double* value) {
    const char* const start = p_;
    const NumberRead read = ReadNumber(p_);
    if (!read.ok) return false;
    *text = std::string_view(start, static_cast<size_t>(p_ - start));
    *value = read.value;
    return true;
  }

  // "[n, n, ...]" into `values`, at least one number, each within float32: how many.
  bool Numbers(std::vector<float>* values, size_t* count) {
    if (!Take('[')) return false;
    // The cursor and the values stay in registers and a local batch, appended to the vector a
    // few hundred at a time: through the members, each number would wait on memory.
    const char* p = p_;
    float batch[256];
    size_t batched = 0;
    size_t taken = 0;
    for (;;) {
      p = SkipSpaceFrom(p);
      const NumberRead read = ReadNumber(p);
      if (!read.ok || !(std::fabs(read.value) <= std::numeric_limits<float>::max())) return false;
      batch[batched++] = static_cast<float>(read.value);
      if (batched == std::size(batch)) {
        values->insert(values->end(), batch, batch + batched);
        taken += batched;
        batched = 0;
      }
      p = SkipSpaceFrom(p);
      if (*p == ',') {
        ++p;
        continue;
      }
      if (*p != ']') return false;
      p_ = p + 1;
      values->insert(values->end(), batch, batch + batched);
      *count = taken + batched;
      return true;
    }
  }

 private:
  const char* p_;
  const char* const end_;
};

}  // namespace

bool JsonNumberValue(std::string_view text, double* value) {
  // from_chars reads JSON's number grammar (and more, which the callers have ruled out).
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), *value);
  return error == std::errc() && end == text.data() + text.size();
}

bool ParsePredictRequestFast(std::string_view text, PredictRequest* request) {
  const size_t last = text.find_last_not_of(" \t\r\n");
  if (last == std::string_view::npos || text[last] != '}') return false;
  Scanner in(text);
  in.SkipSpace();
  if (!in.Take('{')) return false;
  bool has_input = false;
  Tensor& input = request->input;
  // At least one number per two bytes ("1,"): enough that a large request never regrows.
  input.values.reserve(text.size() / 2 + 1);
  do {
    in.SkipSpace();
    std::string_view key;
    if (!in.String(&key)) return false;
    in.SkipSpace();
    if (!in.Take(':')) return false;
    in.SkipSpace();
    if (key == "features" || key == "instances") {
      if (has_input) return false;  // twice, or both: the full decoder says what is wrong
      has_input = true;
      if (key == "features") {
        size_t count = 0;
        if (!in.Numbers(&input.values, &count)) return false;
        input.shape = {1, static_cast<int64_t>(count)};
      } else {
        if (!in.Take('[')) return false;
        size_t rows = 0;
        size_t columns = 0;
        do {
          in.SkipSpace();
          size_t count = 0;
          if (!in.Numbers(&input.values, &count)) return false;
          if (rows > 0 && count != columns) return false;
          columns = count;
          ++rows;
          in.SkipSpace();
        } while (in.Take(','));
        if (!in.Take(']')) return false;
        input.shape = {static_cast<int64_t>(rows), static_cast<int64_t>(columns)};
      }
    } else if (key == "model") {
      std::string_view model;
      if (!in.String(&model)) return false;
      request->model.assign(model);
    } else if (key == "id") {
      std::string_view id;
      double unused = 0;
      request->id.clear();
      if (in.peek() == '"') {
        if (!in.String(&id)) return false;
        AppendJsonString(id, &request->id);
      } else if (in.TakeLiteral("true")) {
        request->id = "true";
      } else if (in.TakeLiteral("false")) {
        request->id = "false";
      } else if (in.TakeLiteral("null")) {
        request->id = "null";
      } else {
        if (!in.Number(&id, &unused)) return false;
        request->id.assign(id);  // as written
      }
    } else {
      return false;  // a member the full decoder skips
    }
    in.SkipSpace();
  } while (in.Take(','));
  if (!in.Take('}')) return false;
  in.SkipTrailingSpace();
  return in.at_end() && has_input;
}

}  // namespace predictwire::codec
