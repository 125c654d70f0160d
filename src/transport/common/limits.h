#ifndef PREDICTWIRE_TRANSPORT_COMMON_LIMITS_H_
#define PREDICTWIRE_TRANSPORT_COMMON_LIMITS_H_

// Every limit the transports enforce, in one place. A request that crosses one gets a clear
// error (HTTP 413/431, WebSocket close 1009, gRPC RESOURCE_EXHAUSTED) and the server carries on.
// The option structs (ServerOptions, each protocol's Options) take their defaults from here.

#include <chrono>
#include <cstddef>
#include <cstdint>

namespace predictwire::transport {

// Largest HTTP request body (the default of --max-body).
inline constexpr size_t kDefaultMaxBodyBytes = 16 * 1024 * 1024;
// Largest HTTP request line plus header fields.
inline constexpr size_t kMaxHeaderBytes = 16 * 1024;
// Largest WebSocket message, after reassembling fragments (follows --max-body).
inline constexpr size_t kDefaultMaxMessageBytes = kDefaultMaxBodyBytes;
// Requests a WebSocket connection (or a gRPC ModelStreamInfer stream) may have in flight before
// the server stops reading from it.
inline constexpr size_t kMaxInFlightPerConnection = 1024;
// HTTP/2 (h2c): streams one connection may have open at once (SETTINGS_MAX_CONCURRENT_STREAMS);
// a client that opens more gets REFUSED_STREAM for the extra ones. Each open stream may hold a
// request body of up to the body limit, so this also bounds a connection's memory.
inline constexpr uint32_t kHttp2MaxConcurrentStreams = 128;
// Beyond this many, a client that ignores the refusals loses the connection (GOAWAY): nghttp2
// keeps each refused stream until its RST_STREAM is out.
inline constexpr uint32_t kHttp2StreamsBeforeGoaway = 8 * kHttp2MaxConcurrentStreams;
// HTTP/2 flow-control windows the server advertises for request bodies. The server buffers each
// body whole (the codecs need all of it) and hands credit back as bytes arrive, so the windows
// bound throughput, not memory: a window smaller than a body costs the client one round trip per
// window's worth. 4 MiB per stream lets a typical multi-MiB tensor upload go in one flight, and
// 16 MiB for the connection (the default body limit) lets four such uploads proceed at once
// instead of RFC 9113's 64 KiB default, which stalls a 1 MiB body for 16 round trips.
inline constexpr int32_t kHttp2StreamWindowBytes = 4 * 1024 * 1024;
inline constexpr int32_t kHttp2ConnectionWindowBytes = 16 * 1024 * 1024;
// Request body bytes one HTTP/2 connection may buffer across all its open streams; a stream
// whose data would cross it is reset with ENHANCE_YOUR_CALM (the per-stream limit answers 413).
inline constexpr size_t kHttp2MaxBufferedBodyBytesPerConnection = 64 * 1024 * 1024;
// The header list limit (SETTINGS_MAX_HEADER_LIST_SIZE, counted as RFC 9113 does: name + value
// + 32 per field) is kMaxHeaderBytes, as for HTTP/1.1; a larger request is answered 431.

// gRPC runs on the HTTP/2 sessions above: their stream limit, windows and idle timeout are its
// own, and its largest message, each way, is --max-body (a larger one is RESOURCE_EXHAUSTED).

// A request body (or WebSocket message) this large or larger is decoded on one of the
// scheduler's offload threads rather than on the IO thread: parsing megabytes of JSON takes tens
// of milliseconds, which every other connection of that IO thread would wait. Smaller ones are
// decoded in place, which is faster than any hop.
inline constexpr size_t kOffloadDecodeBytes = 256 * 1024;

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

// Keepalive: a quiet WebSocket (and an HTTP/2 connection with a stream open) is pinged after
// this long without input, below the 60 s after which proxies (nginx's proxy_read_timeout, cloud
// balancers) cut an idle connection; a ping unanswered for as long again ends the connection
// and what it had queued (the defaults of --ws-ping-interval and --http2-ping-interval).
inline constexpr std::chrono::seconds kDefaultPingInterval{30};
// A connection past --max-connection-age (off by default) is asked to go; what it has in
// flight, and a gRPC stream still open, get this long to finish (--max-connection-age-grace).
inline constexpr std::chrono::seconds kDefaultMaxConnectionAgeGrace{30};

// Connection defences (nginx's client_header_timeout and send_timeout, Envoy's
// request_headers_timeout and max connections). All are checked by the once-a-second sweep, so
// they cost the request path nothing and fire up to one interval late.
// A connection must complete each request head (HTTP/1.1 request line and fields, the WebSocket
// handshake, the HTTP/2 preface and SETTINGS) within this of its first byte (the first request:
// of the accept); HTTP/1.1 is answered 408, then closed (the default of --header-timeout).
inline constexpr std::chrono::seconds kDefaultHeaderTimeout{10};
// A TLS handshake must complete within this of the accept (--tls-handshake-timeout).
inline constexpr std::chrono::seconds kDefaultTlsHandshakeTimeout{10};
// Output that makes no progress for this long (the peer reads nothing, or an HTTP/2 peer keeps
// a flow-control window at zero) closes the connection (the default of --write-timeout). Output
// that moves, however slowly, keeps the connection open: the idle timeout counts output too.
inline constexpr std::chrono::seconds kDefaultWriteTimeout{30};
// --max-connections defaults to the open-file limit less this share (at least
// kMinReservedFds), kept for listeners, models, logs and a refused connection's accept.
inline constexpr size_t kReservedFdsDivisor = 16;
inline constexpr size_t kMinReservedFds = 32;

// The memory budget (--max-memory): bytes held for request bodies and messages being received
// or answered, and for answers not yet sent, across the whole server. A large request past it is
// refused (HTTP 503, gRPC and WebSocket RESOURCE_EXHAUSTED) rather than grow the heap.
inline constexpr size_t kDefaultMaxMemoryBytes = size_t{1} << 30;
// Buffers up to this size are not charged, so small requests never touch the shared counter.
inline constexpr size_t kMemoryChargeFloorBytes = 64 * 1024;
// The largest answer (--max-response) follows the body limit unless set: a request for more rows
// than fit is refused before it runs (transport/common/inference_path.h).

// Read buffer: starting size, and the smallest free space offered to each read.
inline constexpr size_t kInitialReadBufferBytes = 8 * 1024;
inline constexpr size_t kMinReadSpaceBytes = 4 * 1024;
// A connection without a read buffer reads this many bytes at a time, into bytes of its own
// while it is active and, once quiet for a sweep interval (when it gives back its read and
// write buffers, TLS too), into its IO thread's, after waiting for readiness with none; a
// message that fits is handled from there, a larger one takes a read buffer again.
inline constexpr size_t kIdleReadBytes = 256;
// TLS: ciphertext read per call; one maximal TLS record is 16 KiB plus its overhead.
inline constexpr size_t kTlsReadBytes = 17 * 1024;

}  // namespace predictwire::transport

#endif  // PREDICTWIRE_TRANSPORT_COMMON_LIMITS_H_
