#include "transport/common/listener.h"

#include <fmt/format.h>

#include <boost/asio/dispatch.hpp>
#include <cerrno>
#include <cstdio>
#include <future>

#include "transport/common/connection.h"

namespace predictwire::transport {

absl::StatusOr<std::unique_ptr<Listener>> Listener::Create(const Options& options, IoPool& pool,
                                                           ProtocolFactory make_protocol) {
  ErrorCode error;
  const asio::ip::address address = asio::ip::make_address(options.host, error);
  if (error) {
    return absl::InvalidArgumentError(
        fmt::format("'{}' is not an IP address (use e.g. 127.0.0.1 or ::1)", options.host));
  }
  const asio::ip::tcp::endpoint endpoint(address, options.port);
  TcpAcceptor acceptor(pool.thread(0).executor());
  const std::string where = fmt::format("{}:{}", options.host, options.port);
  if (acceptor.open(endpoint.protocol(), error); error) {
    return absl::InternalError(
        fmt::format("cannot open a socket for {}: {}", where, error.message()));
  }
  acceptor.set_option(asio::socket_base::reuse_address(true), error);
  if (acceptor.bind(endpoint, error); error) {
    return absl::UnavailableError(fmt::format("cannot listen on {}: {}", where, error.message()));
  }
  if (acceptor.listen(options.backlog, error); error) {
    return absl::UnavailableError(fmt::format("cannot listen on {}: {}", where, error.message()));
  }
  const uint16_t port = acceptor.local_endpoint(error).port();
  return std::unique_ptr<Listener>(new Listener(pool, std::move(make_protocol), std::move(acceptor),
                                                options.host, port, options));
}

Listener::Listener(IoPool& pool, ProtocolFactory make_protocol, TcpAcceptor acceptor,
                   std::string host, uint16_t port, const Options& options)
    : pool_(pool),
      make_protocol_(std::move(make_protocol)),
      acceptor_(std::move(acceptor)),
      retry_timer_(pool.thread(0).executor()),
      host_(std::move(host)),
      port_(port),
      tls_(options.tls),
      counters_{options.metrics, options.kind},
      limits_(options.limits),
      max_connections_(options.max_connections) {}

void Listener::Start() {
  asio::post(pool_.thread(0).executor(), [this] { Accept(); });
}

void Listener::Stop() {
  std::promise<void> done;
  asio::post(pool_.thread(0).executor(), [this, &done] {
    ErrorCode ignored;
    acceptor_.close(ignored);
    retry_timer_.cancel();
    done.set_value();
  });
  done.get_future().wait();
}

void Listener::Accept() {
  IoThread& target = pool_.Next();
  acceptor_.async_accept(
      target.context(), [this, &target](const ErrorCode& error, TcpSocket socket) {
        if (error == asio::error::operation_aborted || !acceptor_.is_open()) return;
        if (error) {
          // Out of file descriptors or memory: a connection slow to send its request head makes
          // room when there is one; otherwise wait rather than spin, and keep serving the
          // connections that are open.
          const bool room =
              (error == asio::error::no_descriptors || error.value() == ENFILE) && pool_.MakeRoom();
          if (!room) {
            std::fprintf(stderr, "predictwire: accept failed on %s:%u: %s\n", host_.c_str(), port_,
                         error.message().c_str());
          }
          retry_timer_.expires_after(std::chrono::milliseconds(room ? 5 : 100));
          retry_timer_.async_wait([this](const ErrorCode& wait_error) {
            if (!wait_error) Accept();
          });
          return;
        }
        if (RefusedOverCap(socket)) return Accept();
        asio::post(target.executor(), [this, &target, socket = std::move(socket)]() mutable {
          auto connection =
              std::make_shared<Connection>(std::move(socket), target, tls_, counters_, limits_);
          connection->Start(make_protocol_(*connection));
        });
        Accept();
      });
}

bool Listener::RefusedOverCap(TcpSocket& socket) {
  // The count lags the connections accepted but not yet started on their thread, so a burst may
  // overshoot the cap by a few.
  if (pool_.open_connections() < static_cast<int64_t>(max_connections_)) return false;
  // A connection that has sent only part of a request head for a while (a trickler, slowloris)
  // gives way to the new one, so that clients with whole requests get in.
  if (pool_.MakeRoom()) return false;
  // Closed at once, which frees its descriptor; the connections open are served as before.
  ErrorCode ignored;
  socket.close(ignored);
  if (counters_.metrics != nullptr) {
    counters_.metrics->ConnectionDefended(counters_.kind, ConnectionDefence::kRefused);
  }
  return true;
}

}  // namespace predictwire::transport
