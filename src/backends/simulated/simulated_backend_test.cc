#include "backends/simulated/simulated_backend.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace predictwire::backends {
namespace {

using ::testing::ElementsAre;
using namespace std::chrono_literals;

TEST(SimulatedBackendTest, PredictsTheSumOfEachRow) {
  auto backend = SimulatedBackend::Create({.mode = SimulatedBackend::Mode::kSleep});
  ASSERT_TRUE(backend.ok());
  Tensor output;
  ASSERT_TRUE((*backend)->Infer(Tensor{{2, 3}, {1, 2, 3, 4, 5, 6.5}}, &output).ok());
  EXPECT_THAT(output.shape, ElementsAre(2));
  EXPECT_THAT(output.values, ElementsAre(6, 15.5));
}

TEST(SimulatedBackendTest, TakesAtLeastItsDuration) {
  for (auto mode : {SimulatedBackend::Mode::kSleep, SimulatedBackend::Mode::kBusy}) {
    auto backend = SimulatedBackend::Create({.mode = mode, .duration = 5ms});
    ASSERT_TRUE(backend.ok());
    const auto start = std::chrono::steady_clock::now();
    Tensor output;
    ASSERT_TRUE((*backend)->Infer(Tensor{{1, 1}, {1}}, &output).ok());
    // A lower bound only: a loaded machine may take longer, never shorter.
    EXPECT_GE(std::chrono::steady_clock::now() - start, 5ms);
  }
}

TEST(SimulatedBackendTest, DescribesItself) {
  auto sleep = SimulatedBackend::Create({.mode = SimulatedBackend::Mode::kSleep, .duration = 1ms});
  EXPECT_EQ((*sleep)->info().execution, ExecutionKind::kMayBlock);
  EXPECT_GE((*sleep)->info().instances, 64);
  EXPECT_THAT((*sleep)->info().input.shape, ElementsAre(-1, -1));
  auto busy = SimulatedBackend::Create(
      {.mode = SimulatedBackend::Mode::kBusy, .duration = 1ms, .instances = 2});
  EXPECT_EQ((*busy)->info().execution, ExecutionKind::kCompute);
  EXPECT_EQ((*busy)->info().instances, 2);
  EXPECT_FALSE(SimulatedBackend::Create({.duration = -1ms}).ok());
}

}  // namespace
}  // namespace predictwire::backends
