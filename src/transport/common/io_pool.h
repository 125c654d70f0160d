#ifndef PREDICTWIRE_TRANSPORT_COMMON_IO_POOL_H_
#define PREDICTWIRE_TRANSPORT_COMMON_IO_POOL_H_

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <thread>
#include <unordered_set>
#include <vector>

#include "absl/status/statusor.h"
#include "transport/common/asio_types.h"

namespace predictwire::transport {

class Connection;

// One IO thread: an io_context run by exactly one thread, the connections that live on it, and
// the coarse sweep that closes idle ones. Everything but context() and the counters is used on
// this thread only.
class IoThread {
 public:
  explicit IoThread(std::atomic<int64_t>& open_connections);

  asio::io_context& context() { return context_; }
  IoExecutor executor() { return context_.get_executor(); }

  // Seconds since the thread started, advanced by the sweep; a connection stamps its last input
  // with it, so reads need no clock call and no timer.
  uint64_t tick() const { return tick_; }

  // Connections register when they start and unregister when they close.
  void Register(std::shared_ptr<Connection> connection);
  void Unregister(Connection* connection);

  // Asks every connection on this thread to go, giving what is in flight `grace` to finish.
  // Call on this thread.
  void DrainConnections(std::chrono::seconds grace);
  // Tells every connection on this thread the server's readiness changed. Call on this thread.
  void NotifyReadinessChanged();
  // Closes the connection that has awaited its request head the longest (of those that have for
  // a whole sweep interval), the one that sent least among equals, to make room. Call on this
  // thread.
  void EvictSlowestHead();

 private:
  friend class IoPool;
  void ScheduleSweep();
  void Sweep();

  asio::io_context context_{1};
  std::function<void()>
      after_sweep_;  // IoPool::OnSweep's, on the first thread only  // one thread runs it
  SteadyTimer sweep_timer_{context_.get_executor()};
  uint64_t tick_ = 0;
  std::unordered_set<std::shared_ptr<Connection>> connections_;
  bool sweeping_ = false;             // Sweep is walking connections_
  std::vector<Connection*> leaving_;  // unregistered during the walk
  std::atomic<int64_t>& open_connections_;
  // Connections that had awaited a request head for a whole interval at the last sweep, less
  // those evicted since: read by the listener at the connection limit, from another thread.
  std::atomic<int64_t> slow_heads_{0};
  std::thread thread_;
};

// The IO threads of a server: connections are spread over them round-robin.
class IoPool {
 public:
  static absl::StatusOr<std::unique_ptr<IoPool>> Create(int threads);
  ~IoPool();  // Stop()

  // Runs `task` once a second on the first IO thread, after its sweep (for server-wide upkeep
  // that must not run on a request's path). Call before Start().
  void OnSweep(std::function<void()> task);
  // Starts the threads. Call once.
  void Start();
  // The thread for the next new connection. Thread-safe.
  IoThread& Next();
  IoThread& thread(size_t i) { return *threads_.at(i); }
  size_t size() const { return threads_.size(); }

  // Asks every connection to finish what is in flight and close, and waits until all have
  // closed or `timeout` has passed. Returns the number still open.
  int64_t Drain(std::chrono::milliseconds timeout);
  // Tells every connection, on its own thread, that the server's readiness changed. Returns at
  // once. Thread-safe.
  void NotifyReadinessChanged();

  // At the connection or descriptor limit: whether a connection slow to send its request head
  // can make room, and if so has the thread that has most close one (EvictSlowestHead).
  // Thread-safe; the room is made shortly after it returns.
  bool MakeRoom();
  // Stops every io_context and joins the threads. Idempotent.
  void Stop();

  int64_t open_connections() const { return open_connections_.load(std::memory_order_relaxed); }

 private:
  IoPool() = default;

  std::vector<std::unique_ptr<IoThread>> threads_;
  std::atomic<size_t> next_{0};
  std::atomic<int64_t> open_connections_{0};
  std::vector<std::optional<asio::executor_work_guard<IoExecutor>>> work_guards_;
  bool started_ = false;
};

}  // namespace predictwire::transport

#endif  // PREDICTWIRE_TRANSPORT_COMMON_IO_POOL_H_
