#include "cli/duration_flag.h"

#include "absl/time/time.h"

namespace predictwire::cli {

std::string CheckDuration(const std::string& text) {
  absl::Duration duration;
  if (!absl::ParseDuration(text, &duration) || duration < absl::ZeroDuration()) {
    return "'" + text + "' is not a duration (e.g. 30us, 1.5ms, 10s)";
  }
  return {};
}

std::chrono::nanoseconds ParseDuration(const std::string& text) {
  absl::Duration duration;
  absl::ParseDuration(text, &duration);
  return absl::ToChronoNanoseconds(duration);
}

std::string FormatDuration(std::chrono::nanoseconds duration) {
  return absl::FormatDuration(absl::FromChrono(duration));
}

}  // namespace predictwire::cli
