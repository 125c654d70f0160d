#include "loadgen/tcp_floor.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <string>
#include <thread>

#include "loadgen/histogram.h"

namespace predictwire::loadgen {
namespace {

using Clock = std::chrono::steady_clock;

void NoDelay(int fd) {
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

bool SendAll(int fd, const char* data, size_t size) {
  while (size > 0) {
    const ssize_t n = send(fd, data, size, MSG_NOSIGNAL);
    if (n <= 0) return false;
    data += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

bool ReceiveExactly(int fd, char* data, size_t size) {
  while (size > 0) {
    const ssize_t n = recv(fd, data, size, 0);
    if (n <= 0) return false;
    data += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

// Answers every `request_bytes` received with `reply_bytes`, one connection at a time.
class EchoServer {
 public:
  EchoServer(size_t request_bytes, size_t reply_bytes)
      : request_bytes_(request_bytes), reply_(reply_bytes, 'r') {}
  ~EchoServer() {
    stopping_ = true;
    if (listener_ >= 0) shutdown(listener_, SHUT_RDWR);
    if (thread_.joinable()) thread_.join();
    if (listener_ >= 0) close(listener_);
  }

  absl::StatusOr<sockaddr_in> Start(const std::vector<int>& cpus) {
    listener_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof(address);
    if (bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
        listen(listener_, 128) != 0 ||
        getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
      return absl::InternalError(fmt::format("echo server: {}", std::strerror(errno)));
    }
    thread_ = std::thread([this] { Serve(); });
    if (!cpus.empty()) {
      cpu_set_t set;
      CPU_ZERO(&set);
      for (int cpu : cpus) CPU_SET(cpu, &set);
      pthread_setaffinity_np(thread_.native_handle(), sizeof(set), &set);
    }
    return address;
  }

 private:
  void Serve() {
    std::string request(request_bytes_, '\0');
    while (!stopping_) {
      const int fd = accept(listener_, nullptr, nullptr);
      if (fd < 0) return;
      NoDelay(fd);
      while (ReceiveExactly(fd, request.data(), request.size()) &&
             SendAll(fd, reply_.data(), reply_.size())) {
      }
      close(fd);
    }
  }

  const size_t request_bytes_;
  const std::string reply_;
  int listener_ = -1;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

int Connect(const sockaddr_in& address) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) != 0) {
    close(fd);
    return -1;
  }
  NoDelay(fd);
  return fd;
}

// One ping-pong of fixed sizes on a connected socket.
class Exchanger {
 public:
  Exchanger(size_t request_bytes, size_t reply_bytes)
      : request_(request_bytes, 'q'), reply_(reply_bytes, '\0') {}
  bool operator()(int fd) {
    return SendAll(fd, request_.data(), request_.size()) &&
           ReceiveExactly(fd, reply_.data(), reply_.size());
  }

 private:
  const std::string request_;
  std::string reply_;
};

}  // namespace

absl::StatusOr<Floor> MeasureFloor(const FloorOptions& options) {
  EchoServer echo(options.request_bytes, options.reply_bytes);
  absl::StatusOr<sockaddr_in> address = echo.Start(options.server_cpus);
  if (!address.ok()) return address.status();
  Exchanger exchange(options.request_bytes, options.reply_bytes);

  Histogram persistent;
  const int fd = Connect(*address);
  if (fd < 0) return absl::InternalError("cannot connect to the echo server");
  for (int i = 0; i < options.round_trips / 10; ++i) exchange(fd);  // warm up
  for (int i = 0; i < options.round_trips; ++i) {
    const Clock::time_point start = Clock::now();
    if (!exchange(fd)) return absl::InternalError("echo exchange failed");
    persistent.Record(static_cast<uint64_t>((Clock::now() - start).count()));
  }
  close(fd);

  Histogram fresh;
  for (int i = 0; i < options.new_connections; ++i) {
    const Clock::time_point start = Clock::now();
    const int connection = Connect(*address);
    if (connection < 0 || !exchange(connection)) return absl::InternalError("echo exchange failed");
    fresh.Record(static_cast<uint64_t>((Clock::now() - start).count()));
    close(connection);
  }

  Floor floor;
  floor.request_bytes = options.request_bytes;
  floor.reply_bytes = options.reply_bytes;
  floor.persistent_p50_us = persistent.ValueAtPercentile(50) / 1000.0;
  floor.persistent_p99_us = persistent.ValueAtPercentile(99) / 1000.0;
  floor.new_connection_p50_us = fresh.ValueAtPercentile(50) / 1000.0;
  floor.new_connection_p99_us = fresh.ValueAtPercentile(99) / 1000.0;
  return floor;
}

absl::StatusOr<BenchResult> MeasurePacedFloor(const PacedFloorOptions& options) {
  EchoServer echo(options.request_bytes, options.reply_bytes);
  absl::StatusOr<sockaddr_in> address = echo.Start(options.server_cpus);
  if (!address.ok()) return address.status();
  Exchanger exchange(options.request_bytes, options.reply_bytes);

  BenchResult result;
  result.connections = 1;
  int kept_open = -1;
  if (!options.new_connection) {
    const Clock::time_point start = Clock::now();
    kept_open = Connect(*address);
    if (kept_open < 0) return absl::InternalError("cannot connect to the echo server");
    result.connect.Record(static_cast<uint64_t>((Clock::now() - start).count()));
  }
  const bool paced = options.rate > 0;
  ArrivalSchedule schedule(options.arrival, paced ? options.rate : 1, options.seed);
  const Clock::time_point start = Clock::now();
  const Clock::time_point end = start + options.duration;
  auto next_due = [&] { return paced ? start + schedule.Next() : Clock::now(); };
  for (Clock::time_point due = next_due(); due < end; due = next_due()) {
    if (paced) std::this_thread::sleep_until(due);
    bool ok;
    if (options.new_connection) {
      const int fd = Connect(*address);
      ok = fd >= 0 && exchange(fd);
      if (fd >= 0) close(fd);
    } else {
      ok = exchange(kept_open);
    }
    const Clock::time_point now = Clock::now();
    if (!ok) {
      ++result.errors;
      ++result.errors_by_kind["echo_failed"];
      if (!options.new_connection) break;
      continue;
    }
    ++result.requests;
    result.latency.Record(now > due ? static_cast<uint64_t>((now - due).count()) : 0);
  }
  if (kept_open >= 0) close(kept_open);
  result.measured_seconds = std::chrono::duration<double>(options.duration).count();
  result.throughput_rps = result.requests / result.measured_seconds;
  return result;
}

}  // namespace predictwire::loadgen
