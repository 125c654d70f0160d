#ifndef PREDICTWIRE_OS_HOST_PORT_H_
#define PREDICTWIRE_OS_HOST_PORT_H_

// HOST:PORT as flags, ready lines and URLs write it: "127.0.0.1:8000", "[::1]:8000",
// "localhost:80". The one place an address is split or joined, IPv6 included.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace predictwire::os {

struct HostPort {
  std::string host;  // without brackets: "::1"
  uint16_t port = 0;
};

// An authority's parts as written: the host without brackets and the port's text, and whether
// a ':' announced one ("a:" has an empty port). "[::1]:80" → ("::1", "80"); "a" → ("a", none);
// an unbracketed host with several colons ("::1:80") splits at the last one. Null for an
// unclosed '[' or anything but ":PORT" after ']'. The port is not checked.
struct AuthorityParts {
  std::string_view host;
  std::string_view port;
  bool has_port = false;
};
std::optional<AuthorityParts> SplitAuthority(std::string_view authority);

// The port's text as a number 0-65535, or null.
std::optional<uint16_t> ParsePort(std::string_view digits);

// "HOST:PORT" with the port required (0 allowed: any free port). The host may be empty
// (":8000"); the caller decides what that means. Errors say what was expected.
absl::StatusOr<HostPort> ParseHostPort(std::string_view address);

// "127.0.0.1:8000", or "[::1]:8000" for a host with a colon.
std::string FormatHostPort(std::string_view host, uint16_t port);
inline std::string FormatHostPort(const HostPort& address) {
  return FormatHostPort(address.host, address.port);
}

}  // namespace predictwire::os

#endif  // PREDICTWIRE_OS_HOST_PORT_H_
