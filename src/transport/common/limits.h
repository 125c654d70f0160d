#ifndef PREDICTWIRE_TRANSPORT_COMMON_LIMITS_H_
#define PREDICTWIRE_TRANSPORT_COMMON_LIMITS_H_

// Every limit the transports enforce, in one place. A request that crosses one gets a clear
// error (HTTP 413/431, WebSocket close 1009) and the server carries on.

#include <chrono>
#include <cstddef>

namespace predictwire::transport {

// Largest HTTP request body (the default of --max-body).
inline constexpr size_t kDefaultMaxBodyBytes = 16 * 1024 * 1024;
// Largest HTTP request line plus header fields.
inline constexpr size_t kMaxHeaderBytes = 16 * 1024;
// Largest WebSocket message, after reassembling fragments (follows --max-body).
inline constexpr size_t kDefaultMaxMessageBytes = kDefaultMaxBodyBytes;
// Requests a WebSocket connection may have in flight before the server stops reading from it.
inline constexpr size_t kMaxInFlightPerConnection = 1024;
// Unsent response bytes a connection may queue before the server stops reading from it.
inline constexpr size_t kOutputHighWaterBytes = 4 * 1024 * 1024;

// Connections with nothing in flight are closed after this long without input (the defaults of
// --idle-timeout and --ws-idle-timeout). Checked by a sweep once per kSweepInterval rather than
// a timer per read, which costs ~28% of throughput.
inline constexpr std::chrono::seconds kHttpIdleTimeout{60};
inline constexpr std::chrono::seconds kWebSocketIdleTimeout{600};
inline constexpr std::chrono::seconds kSweepInterval{1};
// After the server closes its side, how long it keeps reading so the peer sees the response
// rather than a reset.
inline constexpr std::chrono::seconds kLingerTimeout{2};

// Read buffer: starting size, and the smallest free space offered to each read.
inline constexpr size_t kInitialReadBufferBytes = 8 * 1024;
inline constexpr size_t kMinReadSpaceBytes = 4 * 1024;
// TLS: ciphertext read per call; one maximal TLS record is 16 KiB plus its overhead.
inline constexpr size_t kTlsReadBytes = 17 * 1024;

}  // namespace predictwire::transport

#endif  // PREDICTWIRE_TRANSPORT_COMMON_LIMITS_H_
