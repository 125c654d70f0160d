#ifndef PREDICTWIRE_TRANSPORT_COMMON_DEFAULT_ADDRESSES_H_
#define PREDICTWIRE_TRANSPORT_COMMON_DEFAULT_ADDRESSES_H_

// Where `predictwire serve` listens unless told otherwise, and so where `bench` sends by default.

#include <string_view>

namespace predictwire::transport {

inline constexpr std::string_view kDefaultHttpAddress = "127.0.0.1:8000";
inline constexpr std::string_view kDefaultGrpcAddress = "127.0.0.1:8001";
inline constexpr std::string_view kDefaultHttpsAddress = "127.0.0.1:8443";
inline constexpr std::string_view kDefaultGrpcsAddress = "127.0.0.1:8444";

}  // namespace predictwire::transport

#endif  // PREDICTWIRE_TRANSPORT_COMMON_DEFAULT_ADDRESSES_H_
