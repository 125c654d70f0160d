#ifndef PREDICTWIRE_CLI_DURATION_FLAG_H_
#define PREDICTWIRE_CLI_DURATION_FLAG_H_

#include <chrono>
#include <string>

namespace predictwire::cli {

// Durations on the command line take a unit: 30us, 1.5ms, 10s, 2m; 0 needs none.
// An empty string when `text` is one, else the message for CLI11.
std::string CheckDuration(const std::string& text);
// Call only on text CheckDuration accepted.
std::chrono::nanoseconds ParseDuration(const std::string& text);
// The shortest text ParseDuration reads back as `duration`: 30us, 1.5ms, 1m, 0. For flags whose
// defaults come from an options struct.
std::string FormatDuration(std::chrono::nanoseconds duration);

}  // namespace predictwire::cli

#endif  // PREDICTWIRE_CLI_DURATION_FLAG_H_
