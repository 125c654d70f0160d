#include "transport/common/io_pool.h"

#include <fmt/format.h>

#include <cstdio>
#include <exception>

#include "transport/common/connection.h"
#include "transport/common/limits.h"

namespace predictwire::transport {

IoThread::IoThread(std::atomic<int64_t>& open_connections) : open_connections_(open_connections) {}

void IoThread::Register(std::shared_ptr<Connection> connection) {
  connections_.insert(std::move(connection));
  open_connections_.fetch_add(1, std::memory_order_relaxed);
}

void IoThread::Unregister(Connection* connection) {
  if (sweeping_) {  // the sweep walks the set: the connection leaves it after the walk
    leaving_.push_back(connection);
    return;
  }
  // Find by raw pointer: an aliasing shared_ptr that owns nothing compares equal by address.
  const std::shared_ptr<Connection> key(std::shared_ptr<Connection>(), connection);
  if (connections_.erase(key) > 0) open_connections_.fetch_sub(1, std::memory_order_relaxed);
}

void IoThread::DrainConnections(std::chrono::seconds grace) {
  const std::vector<std::shared_ptr<Connection>> snapshot(connections_.begin(), connections_.end());
  for (const auto& connection : snapshot) connection->Drain(grace);
}

void IoThread::NotifyReadinessChanged() {
  const std::vector<std::shared_ptr<Connection>> snapshot(connections_.begin(), connections_.end());
  for (const auto& connection : snapshot) connection->NotifyReadinessChanged();
}

void IoThread::ScheduleSweep() {
  sweep_timer_.expires_after(kSweepInterval);
  sweep_timer_.async_wait([this](const ErrorCode& error) {
    if (error) return;
    Sweep();
    if (after_sweep_) after_sweep_();
    ScheduleSweep();
  });
}

void IoThread::Sweep() {
  ++tick_;
  // The set is walked in place (no copy of every connection's shared_ptr, whose reference
  // counts cost more than the walk): a connection that closes meanwhile leaves it afterwards.
  int64_t slow_heads = 0;
  sweeping_ = true;
  for (const auto& connection : connections_) {
    connection->SweepIfIdle(tick_);
    const std::optional<uint64_t> since = connection->awaiting_head_since();
    if (!connection->closed() && since && tick_ > *since) ++slow_heads;
  }
  sweeping_ = false;
  for (Connection* connection : leaving_) Unregister(connection);
  leaving_.clear();
  slow_heads_.store(slow_heads, std::memory_order_relaxed);
}

void IoThread::EvictSlowestHead() {
  Connection* victim = nullptr;
  for (const auto& connection : connections_) {
    const std::optional<uint64_t> since = connection->awaiting_head_since();
    if (connection->closed() || !since || tick_ <= *since) continue;
    if (victim == nullptr || *since < *victim->awaiting_head_since() ||
        (*since == *victim->awaiting_head_since() &&
         connection->bytes_received() < victim->bytes_received())) {
      victim = connection.get();
    }
  }
  if (victim == nullptr) return;
  slow_heads_.fetch_sub(1, std::memory_order_relaxed);
  const std::shared_ptr<Connection> keep = victim->shared_from_this();
  victim->Evict();
}

absl::StatusOr<std::unique_ptr<IoPool>> IoPool::Create(int threads) {
  if (threads < 1) return absl::InvalidArgumentError("at least one IO thread is needed");
  std::unique_ptr<IoPool> pool(new IoPool());
  for (int i = 0; i < threads; ++i) {
    pool->threads_.push_back(std::make_unique<IoThread>(pool->open_connections_));
  }
  return pool;
}

IoPool::~IoPool() { Stop(); }

void IoPool::OnSweep(std::function<void()> task) {
  threads_.front()->after_sweep_ = std::move(task);
}

void IoPool::Start() {
  if (started_) return;
  started_ = true;
  for (auto& thread : threads_) {
    work_guards_.emplace_back(asio::make_work_guard(thread->executor()));
    IoThread* io = thread.get();
    asio::post(io->executor(), [io] { io->ScheduleSweep(); });
    io->thread_ = std::thread([io] {
      // A handler that throws (only std::bad_alloc can) must not take the server down.
      for (;;) {
        try {
          io->context_.run();
          return;
        } catch (const std::exception& e) {
          std::fprintf(stderr, "predictwire: IO thread error: %s\n", e.what());
        }
      }
    });
  }
}

IoThread& IoPool::Next() {
  return *threads_[next_.fetch_add(1, std::memory_order_relaxed) % threads_.size()];
}

int64_t IoPool::Drain(std::chrono::milliseconds timeout) {
  for (auto& thread : threads_) {
    IoThread* io = thread.get();
    // What is in flight gets until a second before the deadline, so that what the grace ends
    // (a gRPC stream's UNAVAILABLE) is sent before the connections are cut.
    const auto grace = std::max(
        std::chrono::seconds(0),
        std::chrono::duration_cast<std::chrono::seconds>(timeout) - std::chrono::seconds(1));
    asio::post(io->executor(), [io, grace] { io->DrainConnections(grace); });
  }
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (open_connections() > 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return open_connections();
}

void IoPool::NotifyReadinessChanged() {
  for (auto& thread : threads_) {
    IoThread* io = thread.get();
    asio::post(io->executor(), [io] { io->NotifyReadinessChanged(); });
  }
}

bool IoPool::MakeRoom() {
  IoThread* most = nullptr;
  int64_t most_slow = 0;
  for (auto& thread : threads_) {
    const int64_t slow = thread->slow_heads_.load(std::memory_order_relaxed);
    if (slow > most_slow) {
      most = thread.get();
      most_slow = slow;
    }
  }
  if (most == nullptr) return false;
  most->slow_heads_.fetch_sub(1, std::memory_order_relaxed);  // spoken for
  asio::post(most->executor(), [most] {
    most->slow_heads_.fetch_add(1, std::memory_order_relaxed);
    most->EvictSlowestHead();
  });
  return true;
}

void IoPool::Stop() {
  for (auto& guard : work_guards_) guard.reset();
  for (auto& thread : threads_) thread->context_.stop();
  for (auto& thread : threads_) {
    if (thread->thread_.joinable()) thread->thread_.join();
  }
  // Connections still registered hold their sockets; release them on this thread now that no
  // IO thread runs.
  for (auto& thread : threads_) thread->connections_.clear();
}

}  // namespace predictwire::transport
