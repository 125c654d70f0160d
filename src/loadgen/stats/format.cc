#include "loadgen/stats/format.h"

#include <fmt/format.h>

namespace predictwire::loadgen {

std::string FormatMicroseconds(double microseconds) {
  if (microseconds >= 1e6) return fmt::format("{:.2f} s", microseconds / 1e6);
  if (microseconds >= 1e3) return fmt::format("{:.2f} ms", microseconds / 1e3);
  return fmt::format("{:.0f} µs", microseconds);
}

std::string FormatFigure(double value) {
  if (value < 10) return fmt::format("{:.2f}", value);
  if (value < 1000) return fmt::format("{:.1f}", value);
  return fmt::format("{:.0f}", value);
}

std::string JoinWords(const std::vector<std::string>& items) {
  std::string text;
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) text += i + 1 == items.size() ? " and " : ", ";
    text += items[i];
  }
  return text;
}

std::string FormatPercentInterval(const Interval& interval) {
  if (interval.low >= 0 || interval.high <= 0) {
    return fmt::format("{:.0f}–{:.0f}%", interval.low, interval.high);
  }
  return fmt::format("{:+.0f} to {:+.0f}%", interval.low, interval.high);
}

std::string CsvField(std::string_view text) {
  if (text.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(text);
  std::string out = "\"";
  for (char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

}  // namespace predictwire::loadgen
