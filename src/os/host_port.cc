#include "os/host_port.h"

#include <fmt/format.h>

#include <charconv>

namespace predictwire::os {

std::optional<AuthorityParts> SplitAuthority(std::string_view authority) {
  if (authority.starts_with('[')) {
    const size_t close = authority.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    const std::string_view after = authority.substr(close + 1);
    if (!after.empty() && !after.starts_with(':')) return std::nullopt;
    return AuthorityParts{authority.substr(1, close - 1),
                          after.empty() ? std::string_view() : after.substr(1), !after.empty()};
  }
  const size_t colon = authority.rfind(':');
  if (colon == std::string_view::npos) return AuthorityParts{authority, {}, false};
  return AuthorityParts{authority.substr(0, colon), authority.substr(colon + 1), true};
}

std::optional<uint16_t> ParsePort(std::string_view digits) {
  unsigned value = 0;
  const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (digits.empty() || error != std::errc() || end != digits.data() + digits.size() ||
      value > 65535) {
    return std::nullopt;
  }
  return static_cast<uint16_t>(value);
}

absl::StatusOr<HostPort> ParseHostPort(std::string_view address) {
  const std::optional<AuthorityParts> parts = SplitAuthority(address);
  if (!parts || !parts->has_port || parts->port.empty()) {
    return absl::InvalidArgumentError(
        fmt::format("'{}' is not HOST:PORT (e.g. 127.0.0.1:8000, or port 0 for any)", address));
  }
  const std::optional<uint16_t> port = ParsePort(parts->port);
  if (!port) {
    return absl::InvalidArgumentError(
        fmt::format("'{}' in '{}' is not a port number (0-65535)", parts->port, address));
  }
  return HostPort{std::string(parts->host), *port};
}

std::string FormatHostPort(std::string_view host, uint16_t port) {
  return host.find(':') == std::string_view::npos ? fmt::format("{}:{}", host, port)
                                                  : fmt::format("[{}]:{}", host, port);
}

}  // namespace predictwire::os
