#include "transport/common/small_buffer_pool.h"

#include <sys/mman.h>

#include <iterator>

#include "transport/common/limits.h"

namespace predictwire::transport {

SmallBufferPool::SmallBufferPool(size_t buffer_bytes, size_t slab_bytes)
    : buffer_bytes_(buffer_bytes), slab_bytes_(slab_bytes) {}

SmallBufferPool::~SmallBufferPool() {
  for (const auto& [base, slab] : slabs_) munmap(slab.base, slab_bytes_);
}

SmallBufferPool& SmallBufferPool::ForThisThread() {
  // Never destroyed: a connection closed after its thread's pool was gone would give back into
  // freed memory. The pages are the process's until it exits.
  thread_local SmallBufferPool* const pool = new SmallBufferPool(kIdleReadBytes);
  return *pool;
}

char* SmallBufferPool::Take() {
  if (free_.empty()) {
    void* pages =
        mmap(nullptr, slab_bytes_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (pages == MAP_FAILED) return nullptr;
    char* base = static_cast<char*>(pages);
    slabs_.emplace(reinterpret_cast<uintptr_t>(base), Slab{base, 0});
    // Taken from the back: the slab's first buffers first, so its later pages stay untouched
    // until needed.
    for (size_t at = slab_bytes_ / buffer_bytes_; at-- > 0;)
      free_.push_back(base + at * buffer_bytes_);
  }
  char* buffer = free_.back();
  free_.pop_back();
  ++SlabOf(buffer)->in_use;
  ++in_use_;
  return buffer;
}

void SmallBufferPool::Give(char* buffer) {
  Slab* slab = SlabOf(buffer);
  if (slab == nullptr) return;  // another thread's pool's: left alone rather than corrupted
  free_.push_back(buffer);
  --in_use_;
  if (--slab->in_use == 0) madvise(slab->base, slab_bytes_, MADV_DONTNEED);
}

size_t SmallBufferPool::slabs_in_use() const {
  size_t count = 0;
  for (const auto& [base, slab] : slabs_) count += slab.in_use > 0 ? 1 : 0;
  return count;
}

SmallBufferPool::Slab* SmallBufferPool::SlabOf(const char* buffer) {
  const auto address = reinterpret_cast<uintptr_t>(buffer);
  auto it = slabs_.upper_bound(address);
  if (it == slabs_.begin()) return nullptr;
  Slab& slab = std::prev(it)->second;
  return address < reinterpret_cast<uintptr_t>(slab.base) + slab_bytes_ ? &slab : nullptr;
}

}  // namespace predictwire::transport
