#include "transport/common/completion_task.h"

#include <gtest/gtest.h>

#include <array>
#include <memory>
#include <string>

namespace predictwire::transport {
namespace {

TEST(CompletionTaskTest, RunsWhatItHoldsOnceAndDestroysItOnce) {
  auto alive = std::make_shared<int>(0);
  std::string seen;
  {
    CompletionTask task([alive, &seen, text = std::string(100, 'x')] { seen = text; });
    EXPECT_EQ(alive.use_count(), 2);
    CompletionTask moved(std::move(task));  // inline: the callable moves, the old one is gone
    EXPECT_EQ(alive.use_count(), 2);
    std::move(moved)();
  }
  EXPECT_EQ(seen, std::string(100, 'x'));
  EXPECT_EQ(alive.use_count(), 1);
}

TEST(CompletionTaskTest, ALargeCallableGoesToTheHeapAndBehavesAlike) {
  auto alive = std::make_shared<int>(0);
  std::array<char, CompletionTask::kInlineBytes * 2> big{};
  big[0] = 'b';
  char seen = 0;
  {
    CompletionTask task([alive, big, &seen] { seen = big[0]; });
    CompletionTask moved(std::move(task));
    EXPECT_EQ(alive.use_count(), 2);
    std::move(moved)();
  }
  EXPECT_EQ(seen, 'b');
  EXPECT_EQ(alive.use_count(), 1);
}

TEST(CompletionTaskTest, ATaskNeverRunIsStillDestroyed) {
  auto alive = std::make_shared<int>(0);
  {
    CompletionTask task([alive] {});
  }
  EXPECT_EQ(alive.use_count(), 1);
}

}  // namespace
}  // namespace predictwire::transport
