#ifndef PREDICTWIRE_CORE_STATUS_H_
#define PREDICTWIRE_CORE_STATUS_H_

// Errors on the request path are absl::Status values. Debian builds abseil with its own
// absl::string_view (ABSL_OPTION_USE_STD_STRING_VIEW is 0), which does not convert to or from
// std::string_view; these helpers cross that boundary, and messages are formatted with fmt.

#include <string_view>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace predictwire {

inline std::string_view MessageOf(const absl::Status& status) {
  const absl::string_view message = status.message();
  return std::string_view(message.data(), message.size());
}

inline absl::string_view ToAbsl(std::string_view text) {
  return absl::string_view(text.data(), text.size());
}

}  // namespace predictwire

#endif  // PREDICTWIRE_CORE_STATUS_H_
