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
    {.name = "browser-module-ws",
     .family = WireFamily::kWebSocket,
     .help = "the server's predictwire.js client over WebSocket JSON, one request at a time",
     .route = kPage},
    {.name = "browser-module-ws-binary",
     .family = WireFamily::kWebSocket,
     .help = "the server's predictwire.js client over WebSocket binary messages",
     .route = kPage},
    {.name = "browser-module-fetch",
     .family = WireFamily::kHttp1,
     .help = "the server's predictwire.js client over fetch (POST /predict, kept alive)",
     .route = kPage},
};

constexpr std::string_view kPrefix = "browser-";
constexpr std::string_view kModule = "module-";

}  // namespace

std::span<const Wire> BrowserWires() { return kBrowserWires; }

bool IsBrowserWire(const Wire& wire) {
  return &wire >= std::begin(kBrowserWires) && &wire < std::end(kBrowserWires);
}

std::string_view PageWireName(const Wire& wire) { return wire.name.substr(kPrefix.size()); }

bool IsModuleWire(const Wire& wire) {
  return IsBrowserWire(wire) && PageWireName(wire).starts_with(kModule);
}

const Wire* RawCounterpart(const Wire& wire) {
  if (!IsModuleWire(wire)) return nullptr;
  std::string_view exchange = PageWireName(wire);
  exchange.remove_prefix(kModule.size());
  for (const Wire& raw : kBrowserWires) {
    if (PageWireName(raw) == exchange) return &raw;
  }
  return nullptr;
}

const Wire* ClientCounterpart(const Wire& wire) {
  const Wire* raw = RawCounterpart(wire);
  const std::string_view page_name = PageWireName(raw != nullptr ? *raw : wire);
  const std::string_view client = page_name.starts_with("fetch") ? "rest-keepalive"
                                  : page_name == "ws-new"        ? ""
                                                                 : page_name;
  for (const Wire& row : Wires()) {
    if (!client.empty() && row.name == client) return &row;
  }
  return nullptr;
}

}  // namespace predictwire::loadgen
