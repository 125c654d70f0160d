// Fuzz target: an Origin and a Host header as a browser's request may carry them, checked as the
// server checks them (CORS and the WebSocket origin check): the input's first line is the
// origin, the second the host; a configured origin list comes from the third on.

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "transport/common/cors.h"

using namespace predictwire::transport;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<std::string> lines(1);
  for (size_t i = 0; i < size; ++i) {
    if (data[i] == '\n') {
      lines.emplace_back();
    } else {
      lines.back().push_back(static_cast<char>(data[i]));
    }
  }
  lines.resize(std::max<size_t>(lines.size(), 2));
  const std::string& origin = lines[0];
  const std::string& host = lines[1];
  const std::vector<std::string> configured(lines.begin() + 2, lines.end());
  const absl::StatusOr<CorsPolicy> policy = CorsPolicy::Create(configured);
  const CorsPolicy& checked = policy.ok() ? *policy : CorsPolicy();
  const bool allowed = checked.Allows(origin);
  // An allowed origin may always open a WebSocket; no Origin is never a browser's request.
  if (allowed && !checked.AcceptsWebSocket(origin, host)) std::abort();
  if (!checked.AcceptsWebSocket("", host)) std::abort();
  if (OriginIsHost(origin, host) && !checked.AcceptsWebSocket(origin, host)) std::abort();
  return 0;
}
