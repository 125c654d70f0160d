#ifndef PREDICTWIRE_TRANSPORT_COMMON_MEMORY_BUDGET_H_
#define PREDICTWIRE_TRANSPORT_COMMON_MEMORY_BUDGET_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <utility>

#include "transport/common/limits.h"

namespace predictwire::transport {

// The server-wide cap (--max-memory) on bytes held for clients: request bodies and messages
// still arriving or being answered, and answers not yet sent. A protocol asks before it lets a
// large request grow its buffers (TryCharge) and refuses the request when there is no room;
// answers already computed are charged unconditionally (Charge), so that while they wait for a
// slow reader new large requests are refused. Thread-safe: one relaxed atomic, touched only by
// requests past kMemoryChargeFloorBytes, so small requests never contend on it.
class MemoryBudget {
 public:
  explicit MemoryBudget(size_t limit_bytes) : limit_(limit_bytes) {}
  MemoryBudget(const MemoryBudget&) = delete;
  MemoryBudget& operator=(const MemoryBudget&) = delete;

  // Takes `bytes` if they fit under the limit; false (and counted as a refusal) if not.
  bool TryCharge(size_t bytes) {
    size_t used = used_.load(std::memory_order_relaxed);
    do {
      if (used + bytes > limit_) {
        refusals_.fetch_add(1, std::memory_order_relaxed);
        return false;
      }
    } while (!used_.compare_exchange_weak(used, used + bytes, std::memory_order_relaxed));
    return true;
  }
  // Takes `bytes` even past the limit (an answer that exists already).
  void Charge(size_t bytes) { used_.fetch_add(bytes, std::memory_order_relaxed); }
  void Release(size_t bytes) {
    used_.fetch_sub(bytes, std::memory_order_relaxed);
    released_.fetch_add(bytes, std::memory_order_relaxed);
  }
  // Bytes released since the start (what HeapReturn watches).
  size_t released_total() const { return released_.load(std::memory_order_relaxed); }

  size_t used() const { return used_.load(std::memory_order_relaxed); }
  size_t limit() const { return limit_; }
  // Requests refused for want of room, since the start.
  uint64_t refusals() const { return refusals_.load(std::memory_order_relaxed); }

 private:
  const size_t limit_;
  std::atomic<size_t> used_{0};
  std::atomic<uint64_t> refusals_{0};
  std::atomic<size_t> released_{0};
};

// When to give the heap's free memory back to the system (os::ReturnFreeHeapMemory). Asked once
// a sweep interval with the budget's figures and the heap's free bytes, it says yes:
// - on the first two quiet intervals (no large request released, none charged) after at least
//   `after_bytes` of large requests came and went; twice, because what a request decoded from
//   its body (its rows, its answer) is freed a little after the body it was charged for;
// - when the heap holds `after_bytes` free anyway (what thousands of TLS handshakes leave
//   between the connections they made), looked at every `every_sweeps` intervals.
// Used on one thread.
class HeapReturn {
 public:
  explicit HeapReturn(size_t after_bytes, int every_sweeps = 10)
      : after_bytes_(after_bytes), every_sweeps_(every_sweeps) {}

  // `free_heap_bytes` is asked only when its answer could matter (it walks the heap).
  bool OnSweep(size_t released_total, size_t used, size_t (*free_heap_bytes)()) {
    ++since_return_;
    if (released_total != seen_) {
      pending_ += released_total - seen_;
      seen_ = released_total;
      quiet_ = 0;
      return false;
    }
    if (pending_ >= after_bytes_ && used == 0) {
      if (++quiet_ >= 2) pending_ = 0;
      since_return_ = 0;
      return true;
    }
    if (since_return_ >= every_sweeps_) {
      since_return_ = 0;
      return free_heap_bytes() >= after_bytes_;
    }
    return false;
  }

 private:
  const size_t after_bytes_;
  const int every_sweeps_;
  size_t seen_ = 0;
  size_t pending_ = 0;
  int quiet_ = 0;
  int since_return_ = 0;
};

// What one buffer holds against a budget; released when reset or destroyed. Movable, not
// copyable. With no budget (null) every charge succeeds and nothing is counted. Buffers up to
// kMemoryChargeFloorBytes are free, so the per-request path of small requests stays untouched.
class MemoryCharge {
 public:
  MemoryCharge() = default;
  explicit MemoryCharge(MemoryBudget* budget) : budget_(budget) {}
  MemoryCharge(MemoryCharge&& other) noexcept
      : budget_(other.budget_), charged_(std::exchange(other.charged_, 0)) {}
  MemoryCharge& operator=(MemoryCharge&& other) noexcept {
    if (this != &other) {
      Reset();
      budget_ = other.budget_;
      charged_ = std::exchange(other.charged_, 0);
    }
    return *this;
  }
  ~MemoryCharge() { Reset(); }

  // Makes the charge cover a buffer of `bytes`; false, leaving it as it was, when the budget
  // has no room for the growth.
  bool GrowTo(size_t bytes) {
    if (budget_ == nullptr || bytes <= charged_) return true;
    if (charged_ == 0 && bytes <= kMemoryChargeFloorBytes) return true;
    if (!budget_->TryCharge(bytes - charged_)) return false;
    charged_ = bytes;
    return true;
  }
  // The same, past the limit if need be.
  void ForceTo(size_t bytes) {
    if (budget_ == nullptr || bytes <= charged_) return;
    if (charged_ == 0 && bytes <= kMemoryChargeFloorBytes) return;
    budget_->Charge(bytes - charged_);
    charged_ = bytes;
  }
  void Reset() {
    if (charged_ > 0) budget_->Release(std::exchange(charged_, 0));
  }
  size_t charged() const { return charged_; }

 private:
  MemoryBudget* budget_ = nullptr;
  size_t charged_ = 0;
};

}  // namespace predictwire::transport

#endif  // PREDICTWIRE_TRANSPORT_COMMON_MEMORY_BUDGET_H_
