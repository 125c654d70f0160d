#include "os/child_process.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <thread>

namespace predictwire::os {
namespace {

using ::testing::HasSubstr;

TEST(ChildProcessTest, ReadsTheReadyLineAndStops) {
  // The shell itself stays the process, so that its memory is there to read whenever the test
  // reads it (an exec just after the ready line left a moment with none).
  auto child = ChildProcess::Start({.argv = {"/bin/sh", "-c",
                                             "echo starting; echo 'srv: up http=127.0.0.1:4242 x'; "
                                             "while sleep 1; do :; done"},
                                    .ready_prefix = "srv: up"});
  ASSERT_TRUE(child.ok()) << child.status();
  EXPECT_EQ((*child)->ready_line(), "srv: up http=127.0.0.1:4242 x");
  // The shell may still be inside execve when the line arrives, when its memory reads as 0: wait
  // for the program it becomes, for at most 10 s.
  const auto resident_by = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while ((*child)->ResidentMiB() <= 0 && std::chrono::steady_clock::now() < resident_by) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_GT((*child)->ResidentMiB(), 0);
  const auto start = std::chrono::steady_clock::now();
  (*child)->Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
}

TEST(ChildProcessTest, ReportsAProcessThatNeverGetsReady) {
  // A log of this process's own: a second test run beside this one must not truncate it.
  const std::string log = ::testing::TempDir() + "child_" + std::to_string(getpid()) + ".log";
  auto child = ChildProcess::Start({.argv = {"/bin/sh", "-c", "echo 'it broke' >&2; exit 3"},
                                    .stderr_path = log,
                                    .ready_prefix = "never"});
  std::remove(log.c_str());
  ASSERT_FALSE(child.ok());
  EXPECT_THAT(child.status().message(), HasSubstr("it broke"));
}

TEST(ChildProcessTest, StartsWithoutAReadyLineAndWaitsForASignalledExit) {
  auto child = ChildProcess::Start(
      {.argv = {"/bin/sh", "-c", "trap 'exit 7' TERM; while :; do sleep 0.05; done"},
       .no_ready_line = true});
  ASSERT_TRUE(child.ok()) << child.status();
  EXPECT_FALSE((*child)->WaitExit(std::chrono::milliseconds(50)));
  // The trap is set before the loop starts: give the shell a moment to get there.
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_TRUE((*child)->Signal(SIGTERM));
  EXPECT_TRUE((*child)->WaitExit(std::chrono::seconds(10)));
  EXPECT_TRUE((*child)->exited());
  EXPECT_FALSE((*child)->Signal(SIGTERM));  // reaped: nothing to signal
  EXPECT_EQ((*child)->Stop(), 7);
}

}  // namespace
}  // namespace predictwire::os
