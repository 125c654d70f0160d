#include "transport/common/cors.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>

namespace predictwire::transport {
namespace {

std::string Lowercase(std::string_view text) {
  std::string lower(text);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return lower;
}

bool EqualsIgnoringCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

// An origin split into its parts; `valid` is false for anything but scheme://host[:port].
struct OriginParts {
  bool valid = false;
  std::string_view scheme;     // "http" or "https", as written
  std::string_view authority;  // "host[:port]"
  std::string_view host;
  std::string_view port;  // empty when not written
};

OriginParts Split(std::string_view origin) {
  OriginParts parts;
  const size_t separator = origin.find("://");
  if (separator == std::string_view::npos) return parts;
  parts.scheme = origin.substr(0, separator);
  if (!EqualsIgnoringCase(parts.scheme, "http") && !EqualsIgnoringCase(parts.scheme, "https")) {
    return parts;
  }
  parts.authority = origin.substr(separator + 3);
  if (parts.authority.empty() || parts.authority.find_first_of("/?#@ ") != std::string_view::npos) {
    return parts;
  }
  // "[v6]:port" or "host:port": the port follows the last colon outside brackets.
  const size_t bracket = parts.authority.rfind(']');
  const size_t colon = parts.authority.rfind(':');
  parts.host = parts.authority;
  if (colon != std::string_view::npos && (bracket == std::string_view::npos || colon > bracket)) {
    parts.host = parts.authority.substr(0, colon);
    parts.port = parts.authority.substr(colon + 1);
    unsigned port = 0;
    const auto [end, error] =
        std::from_chars(parts.port.data(), parts.port.data() + parts.port.size(), port);
    if (parts.port.empty() || error != std::errc() ||
        end != parts.port.data() + parts.port.size() || port > 65535) {
      return parts;
    }
  }
  parts.valid = !parts.host.empty();
  return parts;
}

std::string_view DefaultPort(std::string_view scheme) {
  return EqualsIgnoringCase(scheme, "https") ? "443" : "80";
}

}  // namespace

absl::StatusOr<CorsPolicy> CorsPolicy::Create(const std::vector<std::string>& origins) {
  CorsPolicy policy;
  for (const std::string& origin : origins) {
    if (origin == "*") {
      policy.any_origin_ = true;
      continue;
    }
    if (origin != "null" && !Split(origin).valid) {
      return absl::InvalidArgumentError(fmt::format(
          "--cors-origin '{}' is not an origin: give 'http://HOST[:PORT]' or "
          "'https://HOST[:PORT]' with no path (as the browser's Origin header names the page), "
          "or '*' for any",
          origin));
    }
    policy.origins_.push_back(Lowercase(origin));
  }
  return policy;
}

bool CorsPolicy::Allows(std::string_view origin) const {
  if (origin.empty()) return false;
  if (any_origin_) return true;
  return std::any_of(origins_.begin(), origins_.end(), [origin](const std::string& allowed) {
    return EqualsIgnoringCase(allowed, origin);
  });
}

bool CorsPolicy::AcceptsWebSocket(std::string_view origin, std::string_view host) const {
  return origin.empty() || OriginIsHost(origin, host) || Allows(origin);
}

bool OriginIsHost(std::string_view origin, std::string_view host) {
  const OriginParts parts = Split(origin);
  if (!parts.valid || host.empty()) return false;
  if (EqualsIgnoringCase(parts.authority, host)) return true;
  // One side names the scheme's default port and the other leaves it out.
  const std::string_view port = parts.port.empty() ? DefaultPort(parts.scheme) : parts.port;
  const size_t bracket = host.rfind(']');
  const size_t colon = host.rfind(':');
  const bool host_has_port =
      colon != std::string_view::npos && (bracket == std::string_view::npos || colon > bracket);
  const std::string_view host_name = host_has_port ? host.substr(0, colon) : host;
  const std::string_view host_port =
      host_has_port ? host.substr(colon + 1) : DefaultPort(parts.scheme);
  return EqualsIgnoringCase(parts.host, host_name) && port == host_port;
}

void CorsPolicy::AppendAnswerHeaders(std::string_view origin, std::vector<HeaderField>* headers) {
  headers->push_back({"access-control-allow-origin", std::string(origin)});
  headers->push_back({"timing-allow-origin", std::string(origin)});
  headers->push_back({"access-control-expose-headers", std::string(kExposedHeaders)});
  headers->push_back({"vary", "origin"});
}

void CorsPolicy::AppendPreflightHeaders(std::string_view origin, std::string_view methods,
                                        std::vector<HeaderField>* headers) {
  headers->push_back({"access-control-allow-origin", std::string(origin)});
  headers->push_back({"access-control-allow-methods", std::string(methods)});
  headers->push_back({"access-control-allow-headers", std::string(kAllowedHeaders)});
  headers->push_back({"access-control-max-age", std::to_string(kMaxAgeSeconds)});
  headers->push_back({"vary", "origin"});
}

}  // namespace predictwire::transport
