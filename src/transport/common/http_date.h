#ifndef PREDICTWIRE_TRANSPORT_COMMON_HTTP_DATE_H_
#define PREDICTWIRE_TRANSPORT_COMMON_HTTP_DATE_H_

#include <string_view>

namespace predictwire::transport {

// The current time as an HTTP Date value (RFC 9110 section 5.6.7, always 29 bytes), recomputed
// at most once a second per thread. The view is valid on the calling thread until its next call.
std::string_view HttpDate();

}  // namespace predictwire::transport

#endif  // PREDICTWIRE_TRANSPORT_COMMON_HTTP_DATE_H_
