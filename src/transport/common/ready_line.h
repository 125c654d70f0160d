#ifndef PREDICTWIRE_TRANSPORT_COMMON_READY_LINE_H_
#define PREDICTWIRE_TRANSPORT_COMMON_READY_LINE_H_

// The one line a server prints on stdout once every listener is bound, which scripts, the
// instrument and the tests wait for and read the ports from:
//
//   predictwire: listening http=127.0.0.1:8000 grpc=127.0.0.1:8001 https=[::1]:8443
//
// a prefix, then KEY=HOST:PORT words (http first; grpc, https, grpcs, tcp-echo when on). The
// article's peers (peers/) print the same shape after "peer: listening".

#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace predictwire::transport {

inline constexpr std::string_view kReadyPrefix = "predictwire: listening";

// `prefix` then " KEY=HOST:PORT" for each address in order.
std::string FormatReadyLine(const std::vector<std::pair<std::string, std::string>>& addresses,
                            std::string_view prefix = kReadyPrefix);

// The KEY=VALUE words of a ready line, by key; empty when `line` does not start with `prefix`.
std::map<std::string, std::string, std::less<>> ParseReadyLine(
    std::string_view line, std::string_view prefix = kReadyPrefix);

}  // namespace predictwire::transport

#endif  // PREDICTWIRE_TRANSPORT_COMMON_READY_LINE_H_
