#ifndef PREDICTWIRE_TRANSPORT_COMMON_WEB_PAGE_H_
#define PREDICTWIRE_TRANSPORT_COMMON_WEB_PAGE_H_

#include <string_view>

namespace predictwire::transport {

// The files the server serves from its own binary, built in by web/embed.cmake: their bytes live
// in generated sources, not in any header. Each has a version, the first 16 hex digits of the
// SHA-256 of its bytes, which changes whenever they do (an ETag, a cache-busting query).

// The browser page served at / : web/index.html, self-contained (inline CSS and script, no
// request to anywhere but this server; it imports the client module below by its version).
std::string_view WebPage();
std::string_view WebPageVersion();

// The JavaScript client served at /predictwire.js: clients/js/predictwire.js, an ES module.
std::string_view ClientModule();
std::string_view ClientModuleVersion();

}  // namespace predictwire::transport

#endif  // PREDICTWIRE_TRANSPORT_COMMON_WEB_PAGE_H_
