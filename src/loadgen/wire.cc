#include "loadgen/wire.h"

#include <fmt/format.h>

#include <charconv>

namespace predictwire::loadgen {
namespace {

struct NamedWire {
  WireKind wire;
  std::string_view name;
};

constexpr NamedWire kWires[] = {
    {WireKind::kRest, "rest"},
    {WireKind::kRestKeepAlive, "rest-keepalive"},
    {WireKind::kWebSocket, "ws"},
    {WireKind::kWebSocketPipelined, "ws-pipelined"},
    {WireKind::kWebSocketBinary, "ws-binary"},
    {WireKind::kHttp2, "h2"},
    {WireKind::kHttp2Multiplexed, "h2-multiplexed"},
    {WireKind::kGrpc, "grpc"},
    {WireKind::kGrpcStream, "grpc-stream"},
};

}  // namespace

constexpr std::string_view kTlsSuffix = "+tls";

absl::StatusOr<WireSpec> ParseWire(std::string_view name) {
  WireSpec spec;
  std::string_view base = name;
  if (base.ends_with(kTlsSuffix)) {
    spec.tls = true;
    base.remove_suffix(kTlsSuffix.size());
  }
  for (const NamedWire& entry : kWires) {
    if (entry.name == base) {
      spec.kind = entry.wire;
      return spec;
    }
  }
  return absl::InvalidArgumentError(
      fmt::format("unknown wire '{}'; the wires are {}", name, fmt::join(AllWireNames(), ", ")));
}

std::string_view WireName(WireKind wire) {
  for (const NamedWire& entry : kWires) {
    if (entry.wire == wire) return entry.name;
  }
  return "?";
}

std::string WireLabel(WireKind wire, bool tls) {
  return tls ? fmt::format("{}{}", WireName(wire), kTlsSuffix) : std::string(WireName(wire));
}

const std::vector<std::string>& WireNames() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> all;
    for (const NamedWire& entry : kWires) all.emplace_back(entry.name);
    return all;
  }();
  return names;
}

const std::vector<std::string>& AllWireNames() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> all = WireNames();
    for (const NamedWire& entry : kWires) all.push_back(WireLabel(entry.wire, true));
    return all;
  }();
  return names;
}

bool IsHttp2(WireKind wire) {
  return wire == WireKind::kHttp2 || wire == WireKind::kHttp2Multiplexed;
}

bool IsGrpc(WireKind wire) { return wire == WireKind::kGrpc || wire == WireKind::kGrpcStream; }

bool IsWebSocket(WireKind wire) {
  return wire == WireKind::kWebSocket || wire == WireKind::kWebSocketPipelined ||
         wire == WireKind::kWebSocketBinary;
}

int PipelineDepth(WireKind wire, int pipeline_option) {
  return wire == WireKind::kWebSocketPipelined || wire == WireKind::kHttp2Multiplexed ||
                 wire == WireKind::kGrpcStream
             ? std::max(1, pipeline_option)
             : 1;
}

absl::StatusOr<Target> ParseTarget(std::string_view url) {
  const size_t scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) {
    return absl::InvalidArgumentError(
        fmt::format("target '{}' is not a URL like http://127.0.0.1:8000", url));
  }
  const std::string_view scheme = url.substr(0, scheme_end);
  if (scheme != "http" && scheme != "ws" && scheme != "https" && scheme != "wss" &&
      scheme != "grpc" && scheme != "grpcs") {
    return absl::InvalidArgumentError(fmt::format(
        "target '{}': scheme {} is not supported (use http://, ws://, https://, wss://, grpc:// "
        "or grpcs://)",
        url, scheme));
  }
  const bool tls = scheme == "https" || scheme == "wss" || scheme == "grpcs";
  std::string_view rest = url.substr(scheme_end + 3);
  const size_t slash = rest.find('/');
  Target target;
  if (slash != std::string_view::npos) target.path = std::string(rest.substr(slash));
  const std::string_view authority = rest.substr(0, slash);
  size_t colon = authority.rfind(':');
  std::string_view host = authority.substr(0, colon);
  if (authority.starts_with('[')) {  // [v6]:port
    const size_t close = authority.find(']');
    if (close == std::string_view::npos) return absl::InvalidArgumentError("unclosed [ in target");
    host = authority.substr(1, close - 1);
    colon = authority.find(':', close);
  }
  unsigned port = tls ? 443 : 80;
  if (colon != std::string_view::npos) {
    const std::string_view digits = authority.substr(colon + 1);
    const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), port);
    if (error != std::errc() || end != digits.data() + digits.size() || port == 0 || port > 65535) {
      return absl::InvalidArgumentError(fmt::format("target '{}' has a bad port", url));
    }
  }
  if (host.empty()) return absl::InvalidArgumentError(fmt::format("target '{}' has no host", url));
  target.host = std::string(host);
  target.port = static_cast<uint16_t>(port);
  target.tls = tls;
  return target;
}

}  // namespace predictwire::loadgen
