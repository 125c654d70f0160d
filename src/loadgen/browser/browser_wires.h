#ifndef PREDICTWIRE_LOADGEN_BROWSER_BROWSER_WIRES_H_
#define PREDICTWIRE_LOADGEN_BROWSER_BROWSER_WIRES_H_

// The wires compare's browser scenario measures in Chromium, on the server's page (web/index.html):
// Wire values of their own, not rows of the wire table, because bench does not drive them (a
// browser does); reports read them like any wire (name, family, a connection per request).

#include <span>
#include <string_view>

#include "loadgen/client/wire.h"

namespace predictwire::loadgen {

// The browser's own fetch and WebSocket, bare: browser-fetch, browser-fetch-cors (a second
// origin, a preflight before every request), browser-fetch-cors-cached (the preflight cached by
// Max-Age), browser-ws, browser-ws-binary, browser-ws-new (a new WebSocket per request); then the
// same exchanges through the server's JavaScript client (/predictwire.js, clients/js):
// browser-module-ws, browser-module-ws-binary, browser-module-fetch. In the order reports list
// them.
std::span<const Wire> BrowserWires();

// Whether `wire` is one of BrowserWires().
bool IsBrowserWire(const Wire& wire);

// The page's name for a browser wire (window.predictwire.measureWire's first argument):
// "browser-ws-new" → "ws-new".
std::string_view PageWireName(const Wire& wire);

// Whether `wire` is one of the JavaScript client's (browser-module-*).
bool IsModuleWire(const Wire& wire);

// The raw browser wire a module wire does the same exchange as ("browser-module-ws" →
// browser-ws), or null for any other wire: what the client costs is the difference.
const Wire* RawCounterpart(const Wire& wire);

// The load generator's wire a browser wire does the same exchange as ("browser-ws" and
// "browser-module-ws" → ws, "browser-fetch" → rest-keepalive), or null when bench has none
// (browser-ws-new): what the browser adds is the difference between the two.
const Wire* ClientCounterpart(const Wire& wire);

}  // namespace predictwire::loadgen

#endif  // PREDICTWIRE_LOADGEN_BROWSER_BROWSER_WIRES_H_
