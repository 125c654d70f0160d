#include "loadgen/harness/delay_proxy.h"

#include <fmt/format.h>
#include <pthread.h>

#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <deque>
#include <thread>

#include "os/cpu_affinity.h"
#include "os/host_port.h"
#include "transport/common/asio_types.h"

namespace predictwire::loadgen {

namespace asio = transport::asio;
using transport::ErrorCode;
using transport::SteadyTimer;
using transport::TcpAcceptor;
using transport::TcpSocket;
using Clock = std::chrono::steady_clock;

namespace {

// One direction of one connection: reads as fast as bytes come and writes each chunk once its
// delay has passed, in order. Reading never waits for the delay, so only latency changes.
class DelayLine : public std::enable_shared_from_this<DelayLine> {
 public:
  DelayLine(TcpSocket& from, TcpSocket& to, Clock::duration delay, std::shared_ptr<void> owner)
      : from_(from),
        to_(to),
        delay_(delay),
        timer_(from.get_executor()),
        owner_(std::move(owner)) {}

  void Start() { Read(); }

 private:
  void Read() {
    auto self = shared_from_this();
    from_.async_read_some(asio::buffer(buffer_), [self](const ErrorCode& error, size_t bytes) {
      if (error) {
        self->queue_.push_back({Clock::now() + self->delay_, std::string(), true});
      } else {
        self->queue_.push_back(
            {Clock::now() + self->delay_, std::string(self->buffer_.data(), bytes), false});
      }
      if (self->queue_.size() == 1) self->WaitForHead();
      if (!error) self->Read();
    });
  }

  void WaitForHead() {
    auto self = shared_from_this();
    timer_.expires_at(queue_.front().due);
    timer_.async_wait([self](const ErrorCode& error) {
      if (error) return;
      Chunk& head = self->queue_.front();
      if (head.end) {  // pass the half-close on, after the delay
        ErrorCode ignored;
        self->to_.shutdown(asio::socket_base::shutdown_send, ignored);
        return;
      }
      asio::async_write(self->to_, asio::buffer(head.bytes),
                        [self](const ErrorCode& error, size_t) {
                          if (error) {
                            ErrorCode ignored;
                            self->from_.close(ignored);
                            return;
                          }
                          self->queue_.pop_front();
                          if (!self->queue_.empty()) self->WaitForHead();
                        });
    });
  }

  struct Chunk {
    Clock::time_point due;
    std::string bytes;
    bool end;
  };

  TcpSocket& from_;
  TcpSocket& to_;
  const Clock::duration delay_;
  SteadyTimer timer_;
  std::shared_ptr<void> owner_;  // keeps both sockets alive
  std::array<char, 64 * 1024> buffer_;
  std::deque<Chunk> queue_;
};

struct Sockets {
  explicit Sockets(TcpSocket client_socket)
      : client(std::move(client_socket)), upstream(client.get_executor()) {}
  TcpSocket client;
  TcpSocket upstream;
};

}  // namespace

struct DelayProxy::Impl {
  asio::io_context context{1};
  TcpAcceptor acceptor{context.get_executor()};
  asio::ip::tcp::endpoint upstream;
  Clock::duration one_way;
  std::thread thread;

  void Accept() {
    acceptor.async_accept([this](const ErrorCode& error, TcpSocket socket) {
      if (error) return;  // closed
      auto sockets = std::make_shared<Sockets>(std::move(socket));
      // The client's SYN crossed the "network" already on loopback; make the upstream
      // connect pay one more round trip, as a real handshake would.
      auto timer = std::make_shared<SteadyTimer>(context.get_executor());
      timer->expires_after(one_way * 2);
      timer->async_wait([this, sockets, timer](const ErrorCode&) {
        sockets->upstream.async_connect(upstream, [this, sockets](const ErrorCode& error) {
          if (error) return;
          ErrorCode ignored;
          sockets->client.set_option(asio::ip::tcp::no_delay(true), ignored);
          sockets->upstream.set_option(asio::ip::tcp::no_delay(true), ignored);
          std::make_shared<DelayLine>(sockets->client, sockets->upstream, one_way, sockets)
              ->Start();
          std::make_shared<DelayLine>(sockets->upstream, sockets->client, one_way, sockets)
              ->Start();
        });
      });
      Accept();
    });
  }
};

DelayProxy::DelayProxy(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

absl::StatusOr<std::unique_ptr<DelayProxy>> DelayProxy::Start(const Options& options) {
  auto impl = std::make_unique<Impl>();
  const absl::StatusOr<os::HostPort> upstream = os::ParseHostPort(options.upstream);
  ErrorCode error;
  const auto host =
      upstream.ok() ? asio::ip::make_address(upstream->host, error) : asio::ip::address();
  if (!upstream.ok() || error) {
    return absl::InvalidArgumentError(fmt::format("bad upstream '{}'", options.upstream));
  }
  impl->upstream = asio::ip::tcp::endpoint(host, upstream->port);
  impl->one_way = std::chrono::duration_cast<Clock::duration>(options.round_trip / 2);
  const asio::ip::tcp::endpoint local(asio::ip::make_address("127.0.0.1"), 0);
  impl->acceptor.open(local.protocol(), error);
  if (!error) impl->acceptor.bind(local, error);
  if (!error) impl->acceptor.listen(1024, error);
  if (error) return absl::InternalError(fmt::format("delay proxy: {}", error.message()));
  Impl* raw = impl.get();
  raw->Accept();
  raw->thread = std::thread([raw] { raw->context.run(); });
  if (absl::Status pinned = os::PinThread(raw->thread.native_handle(), options.cpus);
      !pinned.ok()) {
    return pinned;
  }
  return std::unique_ptr<DelayProxy>(new DelayProxy(std::move(impl)));
}

DelayProxy::~DelayProxy() {
  impl_->context.stop();
  if (impl_->thread.joinable()) impl_->thread.join();
}

std::string DelayProxy::address() const {
  return fmt::format("127.0.0.1:{}", impl_->acceptor.local_endpoint().port());
}

}  // namespace predictwire::loadgen
