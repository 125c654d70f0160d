#include "transport/common/tcp_echo.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "os/cpu_affinity.h"

namespace predictwire::transport {
namespace {

bool ReceiveExactly(int fd, char* data, size_t size) {
  while (size > 0) {
    const ssize_t n = recv(fd, data, size, 0);
    if (n <= 0) return false;
    data += n;
    size -= static_cast<size_t>(n);
  }
  return true;
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

uint32_t LittleEndian32(const char* bytes) {
  uint32_t value = 0;
  for (int i = 3; i >= 0; --i) value = (value << 8) | static_cast<uint8_t>(bytes[i]);
  return value;
}

}  // namespace

void AppendEchoHeader(uint32_t request_bytes, uint32_t reply_bytes, std::string* out) {
  for (uint32_t value : {request_bytes, reply_bytes}) {
    for (int i = 0; i < 4; ++i) out->push_back(static_cast<char>((value >> (8 * i)) & 0xff));
  }
}

absl::StatusOr<std::unique_ptr<TcpEchoServer>> TcpEchoServer::Start(const std::string& host,
                                                                    uint16_t port,
                                                                    const std::vector<int>& cpus) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICHOST | AI_PASSIVE;
  addrinfo* found = nullptr;
  const std::string service = std::to_string(port);
  if (getaddrinfo(host.c_str(), service.c_str(), &hints, &found) != 0 || found == nullptr) {
    return absl::InvalidArgumentError(fmt::format("tcp echo: '{}' is not a numeric address", host));
  }
  const int listener = socket(found->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  const int one = 1;
  setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_storage bound{};
  socklen_t length = sizeof(bound);
  const bool ok = listener >= 0 && bind(listener, found->ai_addr, found->ai_addrlen) == 0 &&
                  listen(listener, 128) == 0 &&
                  getsockname(listener, reinterpret_cast<sockaddr*>(&bound), &length) == 0;
  freeaddrinfo(found);
  if (!ok) {
    const std::string reason = std::strerror(errno);
    if (listener >= 0) close(listener);
    return absl::UnavailableError(
        fmt::format("tcp echo: cannot listen on {}:{}: {}", host, port, reason));
  }
  const uint16_t bound_port =
      ntohs(bound.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port
                                        : reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
  std::unique_ptr<TcpEchoServer> server(new TcpEchoServer(listener, bound_port));
  for (int i = 0; i < kEchoThreads; ++i) {
    server->threads_.emplace_back([raw = server.get()] { raw->AcceptAndServe(); });
    // Best effort: an echo off its CPU still echoes, and the floor says where it ran.
    (void)os::PinThread(server->threads_.back().native_handle(), cpus);
  }
  return server;
}

TcpEchoServer::TcpEchoServer(int listener, uint16_t port) : listener_(listener), port_(port) {}

TcpEchoServer::~TcpEchoServer() { Stop(); }

void TcpEchoServer::AcceptAndServe() {
  while (true) {
    const int fd = accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      return;  // the listener was shut down
    }
    {
      absl::MutexLock lock(&mutex_);
      if (stopping_) {
        close(fd);
        return;
      }
      open_.push_back(fd);
    }
    const int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    Serve(fd);
    absl::MutexLock lock(&mutex_);
    open_.erase(std::find(open_.begin(), open_.end(), fd));
    close(fd);
  }
}

void TcpEchoServer::Serve(int fd) {
  std::string buffer;
  char header[kEchoHeaderBytes];
  while (ReceiveExactly(fd, header, sizeof(header))) {
    const size_t request_bytes = LittleEndian32(header);
    const size_t reply_bytes = LittleEndian32(header + 4);
    if (request_bytes < kEchoHeaderBytes || request_bytes > kMaxEchoBytes ||
        reply_bytes > kMaxEchoBytes) {
      break;
    }
    buffer.resize(std::max(request_bytes - kEchoHeaderBytes, reply_bytes), 'r');
    if (!ReceiveExactly(fd, buffer.data(), request_bytes - kEchoHeaderBytes) ||
        !SendAll(fd, buffer.data(), reply_bytes)) {
      break;
    }
  }
}

void TcpEchoServer::Stop() {
  {
    absl::MutexLock lock(&mutex_);
    if (stopping_) return;
    stopping_ = true;
    for (int fd : open_) shutdown(fd, SHUT_RDWR);  // wakes the thread serving it
  }
  shutdown(listener_, SHUT_RDWR);  // wakes the threads waiting in accept
  for (std::thread& thread : threads_) thread.join();
  close(listener_);
}

}  // namespace predictwire::transport
