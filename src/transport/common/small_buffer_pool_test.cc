#include "transport/common/small_buffer_pool.h"

#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstring>
#include <set>
#include <vector>

namespace predictwire::transport {
namespace {

// Resident pages of [begin, begin + bytes), as mincore says.
size_t ResidentPages(char* begin, size_t bytes) {
  const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  std::vector<unsigned char> pages(bytes / page);
  if (mincore(begin, bytes, pages.data()) != 0) return 0;
  size_t count = 0;
  for (unsigned char resident : pages) count += resident & 1;
  return count;
}

TEST(SmallBufferPoolTest, BuffersAreDistinctAndWholeAndComeBackToBeTakenAgain) {
  SmallBufferPool pool(256, 4096 * 4);  // 64 buffers a slab
  std::vector<char*> taken;
  std::set<char*> distinct;
  for (int i = 0; i < 200; ++i) {  // four slabs
    char* buffer = pool.Take();
    ASSERT_NE(buffer, nullptr);
    std::memset(buffer, i, 256);
    taken.push_back(buffer);
    distinct.insert(buffer);
  }
  EXPECT_EQ(distinct.size(), 200u);
  for (int i = 0; i < 200; ++i) {  // nothing overlapped: each still holds what was written
    EXPECT_EQ(taken[i][0], static_cast<char>(i));
    EXPECT_EQ(taken[i][255], static_cast<char>(i));
  }
  EXPECT_EQ(pool.buffers_in_use(), 200u);
  EXPECT_EQ(pool.slabs_in_use(), 4u);
  for (char* buffer : taken) pool.Give(buffer);
  EXPECT_EQ(pool.buffers_in_use(), 0u);
  EXPECT_EQ(pool.slabs_in_use(), 0u);
  // Taken again: from the same slabs, no new ones.
  std::set<char*> again;
  for (int i = 0; i < 200; ++i) again.insert(pool.Take());
  EXPECT_EQ(again, distinct);
}

TEST(SmallBufferPoolTest, ASlabWithNoBufferInUseHandsItsPagesBack) {
  const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  SmallBufferPool pool(256, page * 4);
  std::vector<char*> taken;
  for (size_t i = 0; i < page * 4 / 256; ++i) {
    taken.push_back(pool.Take());
    std::memset(taken.back(), 1, 256);
  }
  char* base = taken.front();  // the first buffer of a slab is its base
  EXPECT_EQ(ResidentPages(base, page * 4), 4u);
  for (size_t i = 1; i < taken.size(); ++i) pool.Give(taken[i]);
  EXPECT_EQ(ResidentPages(base, page * 4), 4u);  // one buffer still in use: all kept
  pool.Give(taken.front());
  EXPECT_EQ(ResidentPages(base, page * 4), 0u);
  // Its buffers are still the pool's, zeroed when next used.
  char* again = pool.Take();
  EXPECT_EQ(again[0], 0);
}

TEST(SmallBufferPoolTest, ABufferFromElsewhereIsIgnored) {
  SmallBufferPool mine(256, 4096), theirs(256, 4096);
  char* taken = mine.Take();
  char* foreign = theirs.Take();
  mine.Give(foreign);  // not mine: nothing changes
  EXPECT_EQ(mine.buffers_in_use(), 1u);
  char stack_bytes[256];
  mine.Give(stack_bytes);
  EXPECT_EQ(mine.buffers_in_use(), 1u);
  mine.Give(taken);
  EXPECT_EQ(mine.buffers_in_use(), 0u);
  theirs.Give(foreign);
  EXPECT_EQ(theirs.buffers_in_use(), 0u);
}

}  // namespace
}  // namespace predictwire::transport
