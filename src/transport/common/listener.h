#ifndef PREDICTWIRE_TRANSPORT_COMMON_LISTENER_H_
#define PREDICTWIRE_TRANSPORT_COMMON_LISTENER_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "transport/common/asio_types.h"
#include "transport/common/connection.h"
#include "transport/common/io_pool.h"
#include "transport/common/protocol.h"
#include "transport/common/protocol_connection.h"

namespace predictwire::transport {

class Connection;
class TlsContext;

// Accepts TCP connections on one address and starts each on the next IO thread with a protocol
// from `make_protocol`, which runs on that connection's thread.
class Listener {
 public:
  using ProtocolFactory = std::function<std::unique_ptr<Protocol>(ProtocolConnection&)>;

  struct Options {
    std::string host = "127.0.0.1";
    uint16_t port = 0;  // 0: the kernel picks one; see local_port()
    int backlog = 4096;
    // Every connection speaks TLS with this context (which must outlive the listener).
    const TlsContext* tls = nullptr;
    // Where its connections and their bytes are counted, under `kind` (null: nowhere; must
    // outlive the listener's connections).
    Metrics* metrics = nullptr;
    ListenerKind kind = ListenerKind::kHttp;
    // Deadlines and the memory budget of its connections.
    ConnectionLimits limits;
    // While the pool has this many connections open (over every listener), a new one is closed
    // as soon as it is accepted, and counted; those open are served as before.
    size_t max_connections = SIZE_MAX;
  };

  // Binds and listens (errors name the address), but accepts nothing until Start.
  static absl::StatusOr<std::unique_ptr<Listener>> Create(const Options& options, IoPool& pool,
                                                          ProtocolFactory make_protocol);

  void Start();
  // Stops accepting; the listening socket is closed. Thread-safe; waits until it is done.
  void Stop();

  const std::string& host() const { return host_; }
  uint16_t local_port() const { return port_; }

 private:
  Listener(IoPool& pool, ProtocolFactory make_protocol, TcpAcceptor acceptor, std::string host,
           uint16_t port, const Options& options);
  void Accept();
  // Over max_connections: closes `socket`, counts it and returns true.
  bool RefusedOverCap(TcpSocket& socket);

  IoPool& pool_;
  const ProtocolFactory make_protocol_;
  TcpAcceptor acceptor_;  // used on pool_.thread(0)
  SteadyTimer retry_timer_;
  const std::string host_;
  const uint16_t port_;
  const TlsContext* const tls_;
  const ConnectionCounters counters_;
  const ConnectionLimits limits_;
  const size_t max_connections_;
};

}  // namespace predictwire::transport

#endif  // PREDICTWIRE_TRANSPORT_COMMON_LISTENER_H_
