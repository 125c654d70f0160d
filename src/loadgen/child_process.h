#ifndef PREDICTWIRE_LOADGEN_CHILD_PROCESS_H_
#define PREDICTWIRE_LOADGEN_CHILD_PROCESS_H_

#include <sched.h>
#include <sys/types.h>

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace predictwire::loadgen {

// A server `compare` starts (predictwire serve, or one of the article's peers), pinned to a set
// of CPUs, with stdout read for its ready line and stderr sent to a log file.
class ChildProcess {
 public:
  struct Options {
    std::vector<std::string> argv;
    std::vector<std::string> environment;  // extra NAME=VALUE entries
    std::vector<int> cpus;                 // empty: no pinning
    std::string stderr_path = "/dev/null";
    // The ready line starts with this; the text after `address_key` ("http=") is the address.
    std::string ready_prefix;
    std::string address_key = "http=";
    std::chrono::milliseconds ready_timeout{30000};
  };

  // Starts the process and waits for its ready line; fails with its log's tail otherwise.
  static absl::StatusOr<std::unique_ptr<ChildProcess>> Start(const Options& options);
  ~ChildProcess();  // Stop()

  // The address from the ready line, e.g. "127.0.0.1:41234".
  const std::string& address() const { return address_; }
  // The whole ready line, e.g. for ParseReadyLine (wire.h).
  const std::string& ready_line() const { return ready_line_; }
  pid_t pid() const { return pid_; }

  // Resident memory (VmRSS) in MiB and CPU time (user + system) in seconds, from /proc.
  double ResidentMiB() const;
  double CpuSeconds() const;

  // SIGINT, then SIGKILL after `grace`. Returns the exit status (or -signal). Idempotent.
  int Stop(std::chrono::milliseconds grace = std::chrono::milliseconds(10000));

 private:
  ChildProcess(pid_t pid, int stdout_fd, std::string address, std::string ready_line)
      : pid_(pid),
        stdout_fd_(stdout_fd),
        address_(std::move(address)),
        ready_line_(std::move(ready_line)) {}

  pid_t pid_;
  int stdout_fd_;
  std::string address_;
  std::string ready_line_;
  bool stopped_ = false;
  int status_ = 0;
};

// The CPU set of `cpus`.
cpu_set_t CpuSetOf(const std::vector<int>& cpus);

// For a child just forked, after it has placed its own fds: sends its stderr to `stderr_path`,
// pins it to `cpus` (unless null), unblocks every signal (the parent may block SIGINT and
// SIGTERM; the child must see them) and executes `argv` with `environment`; exits 127 if that
// fails. Only async-signal-safe calls.
[[noreturn]] void ExecInForkedChild(char* const argv[], char* const environment[],
                                    const char* stderr_path, const cpu_set_t* cpus);

// The last `bytes` of the log at `path`, for an error saying why a process did not start.
std::string LogTail(const std::string& path, size_t bytes = 2000);

// Pins the calling thread (and threads it starts later) to `cpus`.
absl::Status PinThisThread(const std::vector<int>& cpus);

}  // namespace predictwire::loadgen

#endif  // PREDICTWIRE_LOADGEN_CHILD_PROCESS_H_
