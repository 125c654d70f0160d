#include "loadgen/browser/browser_wires.h"

#include <algorithm>
#include <iterator>

namespace predictwire::loadgen {
namespace {

constexpr WireRoute kPage = {.scheme = "http", .port_key = "http"};

constexpr Wire kBrowserWires[] = {
    {.name = "browser-fetch",
     .family = WireFamily::kHttp1,
     .help = "fetch POST /predict from the server's own page, on a kept-alive connection",
     .route = kPage},
    {.name = "browser-fetch-cors",
     .family = WireFamily::kHttp1,
     .help = "fetch to a second origin, with a preflight before every request",
     .route = kPage},
    {.name = "browser-fetch-cors-cached",
     .family = WireFamily::kHttp1,
     .help = "fetch to a second origin, the preflight cached (Access-Control-Max-Age)",
     .route = kPage},
    {.name = "browser-ws",
     .family = WireFamily::kWebSocket,
     .help = "WebSocket JSON messages, one at a time",
     .route = kPage},
    {.name = "browser-ws-binary",
     .family = WireFamily::kWebSocket,
     .help = "WebSocket binary messages, one at a time",
     .route = kPage},
    {.name = "browser-ws-new",
     .family = WireFamily::kWebSocket,
     .help = "a new WebSocket per request (the open is in every latency)",
     .new_connection_per_request = true,
     .route = kPage},
};

constexpr std::string_view kPrefix = "browser-";

}  // namespace

std::span<const Wire> BrowserWires() { return kBrowserWires; }

bool IsBrowserWire(const Wire& wire) {
  return &wire >= std::begin(kBrowserWires) && &wire < std::end(kBrowserWires);
}

std::string_view PageWireName(const Wire& wire) { return wire.name.substr(kPrefix.size()); }

const Wire* ClientCounterpart(const Wire& wire) {
  const std::string_view page_name = PageWireName(wire);
  const std::string_view client = page_name.starts_with("fetch") ? "rest-keepalive"
                                  : page_name == "ws-new"        ? ""
                                                                 : page_name;
  for (const Wire& row : Wires()) {
    if (!client.empty() && row.name == client) return &row;
  }
  return nullptr;
}

}  // namespace predictwire::loadgen
