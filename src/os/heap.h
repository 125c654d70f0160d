#ifndef PREDICTWIRE_OS_HEAP_H_
#define PREDICTWIRE_OS_HEAP_H_

#include <cstddef>

namespace predictwire::os {

// Gives the C library's free heap memory back to the operating system, as far as it can: with
// glibc, malloc_trim(0), which also releases free pages inside its arenas. glibc otherwise keeps
// what a burst of large requests freed (fragmented arenas, a raised mmap threshold) for good.
// Returns false where there is nothing to call (another C library). Thread-safe; its cost grows
// with the free memory it returns (a few milliseconds for a few hundred MiB).
bool ReturnFreeHeapMemory();

// Bytes the C library holds free in its heap, which ReturnFreeHeapMemory could give back (glibc's
// mallinfo2 fordblks; 0 where unknown). Walks the heap's free lists: call it now and then, not
// per request.
size_t FreeHeapBytes();

// Has every thread allocate from one glibc arena (M_ARENA_MAX 1), unless the environment chose
// (MALLOC_ARENA_MAX, or GLIBC_TUNABLES naming arena_max). Call before the threads start. Why: a
// glibc arena of another thread shrinks only when a large chunk is freed next to its top, and
// ReturnFreeHeapMemory cannot shrink it either, so what a burst of large requests freed in the
// IO and model threads' arenas stays resident for good (60 MiB an arena, measured); the main
// arena's top is given back. Small allocations still come from each thread's own cache
// (tcache), so threads rarely meet on the arena's lock. Returns whether it set it.
bool UseOneHeapArena();

}  // namespace predictwire::os

#endif  // PREDICTWIRE_OS_HEAP_H_
