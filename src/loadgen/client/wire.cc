#include "loadgen/client/wire.h"

#include <fmt/format.h>

#include <charconv>
#include <optional>

#include "os/host_port.h"
#include "transport/common/default_addresses.h"
#include "transport/common/ready_line.h"

namespace predictwire::loadgen {
namespace {

constexpr std::string_view kTlsSuffix = "+tls";

// The port a URL scheme names, as the wire table's rows pair them: "ws" → "http", "grpcs" →
// "grpcs". False when no wire uses the scheme.
bool PortKeyOfScheme(std::string_view scheme, std::string* port_key, bool* tls) {
  for (const Wire& wire : Wires()) {
    if (scheme == wire.route.scheme) {
      *port_key = std::string(wire.route.port_key);
      *tls = false;
      return true;
    }
    if (!wire.route.tls_scheme.empty() && scheme == wire.route.tls_scheme) {
      *port_key = std::string(wire.route.tls_port_key);
      *tls = true;
      return true;
    }
  }
  return false;
}

std::vector<std::string> SchemeNames() {
  std::vector<std::string> schemes;
  auto add = [&](std::string_view scheme) {
    const std::string text = fmt::format("{}://", scheme);
    if (!scheme.empty() && std::find(schemes.begin(), schemes.end(), text) == schemes.end()) {
      schemes.push_back(text);
    }
  };
  for (const Wire& wire : Wires()) add(wire.route.scheme);
  for (const Wire& wire : Wires()) add(wire.route.tls_scheme);
  return schemes;
}

}  // namespace

std::string_view FamilyName(WireFamily family) {
  switch (family) {
    case WireFamily::kHttp1:
      return "HTTP/1.1";
    case WireFamily::kWebSocket:
      return "WebSocket";
    case WireFamily::kHttp2:
      return "HTTP/2";
    case WireFamily::kGrpc:
      return "gRPC";
    case WireFamily::kTcp:
      return "TCP";
  }
  return "?";
}

absl::StatusOr<WireSpec> ParseWire(std::string_view name) {
  WireSpec spec;
  std::string_view base = name;
  if (base.ends_with(kTlsSuffix)) {
    spec.tls = true;
    base.remove_suffix(kTlsSuffix.size());
  }
  for (const Wire& wire : Wires()) {
    if (wire.name == base && (!spec.tls || !wire.route.tls_port_key.empty())) {
      spec.wire = &wire;
      return spec;
    }
  }
  return absl::InvalidArgumentError(
      fmt::format("unknown wire '{}'; the wires are {}", name, fmt::join(AllWireNames(), ", ")));
}

std::string WireLabel(const WireSpec& spec) {
  return spec.tls ? fmt::format("{}{}", spec.wire->name, kTlsSuffix) : std::string(spec.wire->name);
}

std::vector<std::string> WireNames() {
  std::vector<std::string> names;
  for (const Wire& wire : Wires()) names.emplace_back(wire.name);
  return names;
}

std::vector<std::string> CandidateWireNames() {
  std::vector<std::string> names;
  for (const Wire& wire : Wires()) {
    if (!wire.floor) names.emplace_back(wire.name);
  }
  return names;
}

std::vector<std::string> AllWireNames() {
  std::vector<std::string> names = WireNames();
  for (const Wire& wire : Wires()) {
    if (!wire.route.tls_port_key.empty()) names.push_back(WireLabel({&wire, true}));
  }
  return names;
}

absl::StatusOr<Target> ParseTarget(std::string_view url) {
  const size_t scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) {
    return absl::InvalidArgumentError(
        fmt::format("target '{}' is not a URL like http://127.0.0.1:8000", url));
  }
  const std::string_view scheme = url.substr(0, scheme_end);
  Target target;
  if (!PortKeyOfScheme(scheme, &target.port_key, &target.tls)) {
    return absl::InvalidArgumentError(
        fmt::format("target '{}': scheme {} is not supported (use {})", url, scheme,
                    fmt::join(SchemeNames(), ", ")));
  }
  std::string_view rest = url.substr(scheme_end + 3);
  const size_t slash = rest.find('/');
  if (slash != std::string_view::npos) target.path = std::string(rest.substr(slash));
  const std::string_view authority = rest.substr(0, slash);
  const std::optional<os::AuthorityParts> parts = os::SplitAuthority(authority);
  if (!parts) return absl::InvalidArgumentError(fmt::format("target '{}' has a bad host", url));
  std::optional<uint16_t> port = target.tls ? 443 : 80;
  if (parts->has_port) port = os::ParsePort(parts->port);
  if (!port || *port == 0) {
    return absl::InvalidArgumentError(fmt::format("target '{}' has a bad port", url));
  }
  const std::string_view host = parts->host;
  if (host.empty()) return absl::InvalidArgumentError(fmt::format("target '{}' has no host", url));
  target.host = std::string(host);
  target.port = *port;
  return target;
}

ServerAddresses ParseReadyLine(std::string_view line) {
  return ServerAddresses{.by_key = transport::ParseReadyLine(line)};
}

ServerAddresses DefaultServerAddresses() {
  return ServerAddresses{.by_key = {{"http", std::string(transport::kDefaultHttpAddress)},
                                    {"grpc", std::string(transport::kDefaultGrpcAddress)},
                                    {"https", std::string(transport::kDefaultHttpsAddress)},
                                    {"grpcs", std::string(transport::kDefaultGrpcsAddress)}}};
}

absl::StatusOr<std::string> WireUrl(const WireSpec& spec, const ServerAddresses& server) {
  const std::string_view key = spec.port_key();
  const auto address = server.by_key.find(key);
  if (key.empty() || address == server.by_key.end()) {
    return absl::FailedPreconditionError(
        fmt::format("{} goes to the server's {} port, and this server has none", WireLabel(spec),
                    key.empty() ? std::string_view("TLS") : key));
  }
  return fmt::format("{}://{}{}", spec.scheme(), address->second, server.path);
}

absl::Status CheckTargetFits(const WireSpec& spec, const Target& target) {
  // The scheme names the port; whether to speak TLS there may also come from "+tls".
  const WireRoute& route = spec.wire->route;
  if (target.port_key == route.port_key || target.port_key == route.tls_port_key) {
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError(
      fmt::format("{} goes to the server's {} port: give a {}:// target (or leave --target out "
                  "for a local server's default)",
                  WireLabel(spec), spec.port_key(), spec.scheme()));
}

}  // namespace predictwire::loadgen
