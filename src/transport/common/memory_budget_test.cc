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

TEST(MemoryBudgetTest, WithoutABudgetEverythingFits) {
  MemoryCharge charge;
  EXPECT_TRUE(charge.GrowTo(size_t{1} << 40));
  EXPECT_EQ(charge.charged(), 0u);
}

}  // namespace
}  // namespace predictwire::transport
