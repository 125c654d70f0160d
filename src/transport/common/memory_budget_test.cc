#include "transport/common/memory_budget.h"

#include <gtest/gtest.h>

namespace predictwire::transport {
namespace {

TEST(MemoryBudgetTest, SmallBuffersAreFreeAndLargeOnesCharged) {
  MemoryBudget budget(1 << 20);
  MemoryCharge small(&budget);
  EXPECT_TRUE(small.GrowTo(kMemoryChargeFloorBytes));
  EXPECT_EQ(budget.used(), 0u);
  MemoryCharge large(&budget);
  EXPECT_TRUE(large.GrowTo(kMemoryChargeFloorBytes + 1));
  EXPECT_EQ(budget.used(), kMemoryChargeFloorBytes + 1);
  EXPECT_TRUE(large.GrowTo(300000));  // grows by the difference
  EXPECT_EQ(budget.used(), 300000u);
  large.Reset();
  EXPECT_EQ(budget.used(), 0u);
}

TEST(MemoryBudgetTest, AChargePastTheLimitIsRefusedAndCounted) {
  MemoryBudget budget(500000);
  MemoryCharge first(&budget);
  ASSERT_TRUE(first.GrowTo(400000));
  MemoryCharge second(&budget);
  EXPECT_FALSE(second.GrowTo(200000));
  EXPECT_EQ(second.charged(), 0u);
  EXPECT_EQ(budget.refusals(), 1u);
  // An answer that exists already is charged anyway.
  second.ForceTo(200000);
  EXPECT_EQ(budget.used(), 600000u);
  EXPECT_FALSE(MemoryCharge(&budget).GrowTo(100000));
}

TEST(MemoryBudgetTest, ChargesAreReleasedWhenDestroyedOrMoved) {
  MemoryBudget budget(1 << 20);
  {
    MemoryCharge charge(&budget);
    ASSERT_TRUE(charge.GrowTo(100000));
    MemoryCharge moved = std::move(charge);
    EXPECT_EQ(budget.used(), 100000u);
    EXPECT_EQ(charge.charged(), 0u);  // NOLINT(bugprone-use-after-move): moved-from is empty
  }
  EXPECT_EQ(budget.used(), 0u);
}

TEST(MemoryBudgetTest, CountsWhatIsReleased) {
  MemoryBudget budget(1 << 30);
  MemoryCharge charge(&budget);
  ASSERT_TRUE(charge.GrowTo(6 << 20));
  EXPECT_EQ(budget.released_total(), 0u);
  charge.Reset();
  EXPECT_EQ(budget.released_total(), size_t{6} << 20);
  EXPECT_EQ(budget.used(), 0u);
}

size_t NoFreeHeap() { return 0; }
size_t TwentyMiBFree() { return 20 << 20; }
size_t EightMiBFree() { return 8 << 20; }

TEST(HeapReturnTest, ReturnsOnTheFirstTwoQuietSweepsAfterEnoughWasReleased) {
  constexpr size_t kMiB = 1 << 20;
  HeapReturn heap(16 * kMiB);
  EXPECT_FALSE(heap.OnSweep(0, 0, NoFreeHeap));          // nothing released
  EXPECT_FALSE(heap.OnSweep(10 * kMiB, 0, NoFreeHeap));  // releases this interval: not quiet
  EXPECT_FALSE(heap.OnSweep(10 * kMiB, 0, NoFreeHeap));  // quiet, but 10 MiB is below the mark
  EXPECT_FALSE(heap.OnSweep(20 * kMiB, 5 * kMiB, NoFreeHeap));  // 20 MiB now, still releasing
  EXPECT_FALSE(
      heap.OnSweep(20 * kMiB, 5 * kMiB, NoFreeHeap));    // quiet, but a large request is charged
  EXPECT_TRUE(heap.OnSweep(20 * kMiB, 0, NoFreeHeap));   // quiet, nothing charged: return
  EXPECT_TRUE(heap.OnSweep(20 * kMiB, 0, NoFreeHeap));   // and once more, for what was freed after
  EXPECT_FALSE(heap.OnSweep(20 * kMiB, 0, NoFreeHeap));  // then not again until more is released
  EXPECT_FALSE(heap.OnSweep(30 * kMiB, 0, NoFreeHeap));
  EXPECT_FALSE(heap.OnSweep(30 * kMiB, 0, NoFreeHeap));  // 10 MiB since: below the mark
  EXPECT_FALSE(heap.OnSweep(40 * kMiB, 0, NoFreeHeap));
  EXPECT_TRUE(heap.OnSweep(40 * kMiB, 0, NoFreeHeap));  // 20 MiB since the last return
}

TEST(HeapReturnTest, ReturnsAFreeHeapNowAndThen) {
  constexpr size_t kMiB = 1 << 20;
  HeapReturn heap(16 * kMiB, /*every_sweeps=*/3);
  EXPECT_FALSE(heap.OnSweep(0, 0, TwentyMiBFree));  // free, but the first interval
  EXPECT_FALSE(heap.OnSweep(0, 0, TwentyMiBFree));
  EXPECT_TRUE(heap.OnSweep(0, 0, TwentyMiBFree));   // the third
  EXPECT_FALSE(heap.OnSweep(0, 0, TwentyMiBFree));  // not again for three intervals
  EXPECT_FALSE(heap.OnSweep(0, 0, TwentyMiBFree));
  EXPECT_TRUE(heap.OnSweep(0, 0, TwentyMiBFree));
  for (int sweep = 0; sweep < 5; ++sweep) {
    EXPECT_FALSE(heap.OnSweep(0, 0, EightMiBFree)) << sweep;  // little free: never
  }
}

TEST(MemoryBudgetTest, WithoutABudgetEverythingFits) {
  MemoryCharge charge;
  EXPECT_TRUE(charge.GrowTo(size_t{1} << 40));
  EXPECT_EQ(charge.charged(), 0u);
}

}  // namespace
}  // namespace predictwire::transport
