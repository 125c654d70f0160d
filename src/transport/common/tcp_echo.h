#ifndef PREDICTWIRE_TRANSPORT_COMMON_TCP_ECHO_H_
#define PREDICTWIRE_TRANSPORT_COMMON_TCP_ECHO_H_

#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"

namespace predictwire::transport {

// A raw TCP echo: the floor under every protocol. Each exchange is a request of a size the
// client picks answered by a reply of a size it picks, with nothing else in between: no
// parsing, no event loop; a few threads each accept a connection and serve it with blocking
// calls until it closes, so no thread is made per connection either. `serve --tcp-echo` runs one so
// that bench's tcp wires measure the same machine, CPUs and client machinery as every other wire.
//
// An exchange: the client sends `request_bytes` bytes whose first 8 are two little-endian u32s,
// request_bytes and reply_bytes; the server reads the rest of the request and sends `reply_bytes`
// bytes. A header asking for fewer than 8 or more than kMaxEchoBytes closes the connection.
inline constexpr size_t kEchoHeaderBytes = 8;
inline constexpr size_t kMaxEchoBytes = 64 * 1024 * 1024;
// Connections served at once (one per thread); more wait in the listen backlog.
inline constexpr int kEchoThreads = 8;

// Appends the header of an exchange of `request_bytes` answered by `reply_bytes`.
void AppendEchoHeader(uint32_t request_bytes, uint32_t reply_bytes, std::string* out);

class TcpEchoServer {
 public:
  // Binds HOST:PORT (port 0: the kernel picks) and starts accepting, on threads pinned to
  // `cpus` when given (a process measuring itself pins its echo to the server's CPU).
  static absl::StatusOr<std::unique_ptr<TcpEchoServer>> Start(const std::string& host,
                                                              uint16_t port,
                                                              const std::vector<int>& cpus = {});
  ~TcpEchoServer();  // Stop()

  uint16_t port() const { return port_; }
  // Stops accepting, closes every connection and joins the threads. Idempotent.
  void Stop();

 private:
  TcpEchoServer(int listener, uint16_t port);
  // One serving thread: accepts a connection, serves it until it closes, and again.
  void AcceptAndServe();
  void Serve(int fd);

  const int listener_;
  const uint16_t port_;
  std::vector<std::thread> threads_;  // set by Start, joined by Stop
  absl::Mutex mutex_;
  bool stopping_ ABSL_GUARDED_BY(mutex_) = false;
  std::vector<int> open_ ABSL_GUARDED_BY(mutex_);  // the connections being served
};

}  // namespace predictwire::transport

#endif  // PREDICTWIRE_TRANSPORT_COMMON_TCP_ECHO_H_
