#ifndef PREDICTWIRE_TRANSPORT_COMMON_WEB_PAGE_H_
#define PREDICTWIRE_TRANSPORT_COMMON_WEB_PAGE_H_

#include <string_view>

namespace predictwire::transport {

// The browser page served at / : web/index.html, self-contained (inline CSS and script, no
// request to anywhere but this server), built into the binary by web/embed.cmake. Its bytes
// live in one generated source, not in any header.
std::string_view WebPage();

}  // namespace predictwire::transport

#endif  // PREDICTWIRE_TRANSPORT_COMMON_WEB_PAGE_H_
