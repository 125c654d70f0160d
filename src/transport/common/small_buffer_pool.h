#ifndef PREDICTWIRE_TRANSPORT_COMMON_SMALL_BUFFER_POOL_H_
#define PREDICTWIRE_TRANSPORT_COMMON_SMALL_BUFFER_POOL_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <vector>

namespace predictwire::transport {

// Buffers of one fixed size (the few bytes an active connection reads into when it has no read
// buffer: kIdleReadBytes), carved from slabs of pages of their own. A slab none of whose buffers
// is in use hands its pages back to the system (they come back zeroed when next used), so the
// buffers of connections gone quiet leave no holes in the heap, as small blocks freed between
// others would. One pool per IO thread (ForThisThread); a buffer goes back to the pool it came
// from, on the same thread. Not thread-safe.
class SmallBufferPool {
 public:
  explicit SmallBufferPool(size_t buffer_bytes, size_t slab_bytes = 64 * 1024);
  ~SmallBufferPool();
  SmallBufferPool(const SmallBufferPool&) = delete;
  SmallBufferPool& operator=(const SmallBufferPool&) = delete;

  // This thread's pool of kIdleReadBytes buffers (made on first use, kept for the thread's life).
  static SmallBufferPool& ForThisThread();

  // A buffer of buffer_bytes; null only if the system has no pages to give.
  char* Take();
  // Gives back a buffer Take returned. One this pool never gave (another thread's) is ignored.
  void Give(char* buffer);

  size_t buffers_in_use() const { return in_use_; }
  // Slabs with at least one buffer in use: the pool's pages that stay resident (tests).
  size_t slabs_in_use() const;

 private:
  struct Slab {
    char* base = nullptr;
    size_t in_use = 0;
  };
  Slab* SlabOf(const char* buffer);  // null: not one of this pool's

  const size_t buffer_bytes_;
  const size_t slab_bytes_;
  std::map<uintptr_t, Slab> slabs_;  // by base address
  std::vector<char*> free_;          // buffers not in use (a slab's may have no pages)
  size_t in_use_ = 0;
};

}  // namespace predictwire::transport

#endif  // PREDICTWIRE_TRANSPORT_COMMON_SMALL_BUFFER_POOL_H_
