#ifndef PREDICTWIRE_OS_CHILD_PROCESS_H_
#define PREDICTWIRE_OS_CHILD_PROCESS_H_

#include <sched.h>
#include <sys/types.h>

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace predictwire::os {

// A process the instrument starts (predictwire serve, one of the article's peers, a browser, a
// balancer), pinned to a set of CPUs, with stdout read for its ready line and stderr sent to a
// log file.
class ChildProcess {
 public:
  struct Options {
    std::vector<std::string> argv;
    std::vector<std::string> environment;  // extra NAME=VALUE entries
    std::vector<int> cpus;                 // empty: no pinning
    std::string stderr_path = "/dev/null";
    // The line on stdout that says the process is ready starts with this.
    std::string ready_prefix;
    // The process prints no ready line (a balancer): Start returns once it is started, and the
    // caller finds out otherwise when it is ready (e.g. that it accepts connections).
    bool no_ready_line = false;
    std::chrono::milliseconds ready_timeout{30000};
  };

  // Starts the process and waits for its ready line; fails with its log's tail otherwise.
  static absl::StatusOr<std::unique_ptr<ChildProcess>> Start(const Options& options);
  ~ChildProcess();  // Stop()

  // The whole ready line, e.g. for transport::ParseReadyLine.
  const std::string& ready_line() const { return ready_line_; }
  pid_t pid() const { return pid_; }

  // Resident memory (VmRSS) in MiB and CPU time (user + system) in seconds, from /proc.
  double ResidentMiB() const;
  double CpuSeconds() const;

  // Sends `signal` (SIGTERM for a drain, SIGKILL, SIGUSR2 for a reload); false once it has
  // exited and been reaped.
  bool Signal(int signal);
  // Whether it has exited (reaped), waiting up to `timeout` for it: no signal is sent.
  bool WaitExit(std::chrono::milliseconds timeout);
  bool exited() const { return stopped_; }

  // SIGINT, then SIGKILL after `grace`. Returns the exit status (or -signal). Idempotent.
  int Stop(std::chrono::milliseconds grace = std::chrono::milliseconds(10000));

 private:
  ChildProcess(pid_t pid, int stdout_fd, std::string ready_line)
      : pid_(pid), stdout_fd_(stdout_fd), ready_line_(std::move(ready_line)) {}

  pid_t pid_;
  int stdout_fd_;
  std::string ready_line_;
  bool stopped_ = false;
  int status_ = 0;
};

// For a child just forked, after it has placed its own fds: sends its stderr to `stderr_path`,
// pins it to `cpus` (unless null), unblocks every signal (the parent may block SIGINT and
// SIGTERM; the child must see them) and executes `argv` with `environment`; exits 127 if that
// fails. Only async-signal-safe calls.
[[noreturn]] void ExecInForkedChild(char* const argv[], char* const environment[],
                                    const char* stderr_path, const cpu_set_t* cpus);

// The last `bytes` of the log at `path`, for an error saying why a process did not start.
std::string LogTail(const std::string& path, size_t bytes = 2000);

}  // namespace predictwire::os

#endif  // PREDICTWIRE_OS_CHILD_PROCESS_H_
