#include "os/child_process.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

#include "os/cpu_affinity.h"
#include "os/process_info.h"

extern char** environ;

namespace predictwire::os {
void ExecInForkedChild(char* const argv[], char* const environment[], const char* stderr_path,
                       const cpu_set_t* cpus) {
  const int log = open(stderr_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (log >= 0) dup2(log, STDERR_FILENO);
  if (cpus != nullptr) sched_setaffinity(0, sizeof(*cpus), cpus);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  execve(argv[0], argv, environment);
  _exit(127);
}

std::string LogTail(const std::string& path, size_t bytes) {
  std::ifstream file(path);
  std::stringstream text;
  text << file.rdbuf();
  const std::string all = text.str();
  return all.size() > bytes ? all.substr(all.size() - bytes) : all;
}

absl::StatusOr<std::unique_ptr<ChildProcess>> ChildProcess::Start(const Options& options) {
  if (options.argv.empty()) return absl::InvalidArgumentError("no command to start");
  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) != 0) return absl::InternalError("pipe failed");

  // Everything the child needs is prepared before fork: only async-signal-safe calls after.
  std::vector<char*> argv;
  for (const std::string& arg : options.argv) argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);
  std::vector<std::string> environment_strings;
  for (char** entry = environ; *entry != nullptr; ++entry) environment_strings.emplace_back(*entry);
  for (const std::string& extra : options.environment) environment_strings.push_back(extra);
  std::vector<char*> environment;
  for (std::string& entry : environment_strings) environment.push_back(entry.data());
  environment.push_back(nullptr);
  const cpu_set_t cpus = CpuSetOf(options.cpus);
  const bool pin = !options.cpus.empty();

  const pid_t pid = fork();
  if (pid < 0) return absl::InternalError(fmt::format("fork failed: {}", std::strerror(errno)));
  if (pid == 0) {
    dup2(pipe_fds[1], STDOUT_FILENO);
    ExecInForkedChild(argv.data(), environment.data(), options.stderr_path.c_str(),
                      pin ? &cpus : nullptr);
  }
  close(pipe_fds[1]);
  const int stdout_fd = pipe_fds[0];
  if (options.no_ready_line) {
    return std::unique_ptr<ChildProcess>(new ChildProcess(pid, stdout_fd, ""));
  }

  // Read lines until the ready line, bounded in time.
  std::string buffer;
  const auto deadline = std::chrono::steady_clock::now() + options.ready_timeout;
  for (;;) {
    const size_t newline = buffer.find('\n');
    if (newline != std::string::npos) {
      const std::string line = buffer.substr(0, newline);
      buffer.erase(0, newline + 1);
      if (line.starts_with(options.ready_prefix)) {
        return std::unique_ptr<ChildProcess>(new ChildProcess(pid, stdout_fd, line));
      }
      continue;
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    pollfd poll_fd{stdout_fd, POLLIN, 0};
    const int ready = left.count() > 0 ? poll(&poll_fd, 1, static_cast<int>(left.count())) : 0;
    char chunk[4096];
    const ssize_t n = ready > 0 ? read(stdout_fd, chunk, sizeof(chunk)) : 0;
    if (n <= 0) {
      kill(pid, SIGKILL);
      int status = 0;
      waitpid(pid, &status, 0);
      close(stdout_fd);
      return absl::UnavailableError(fmt::format("{} did not become ready ({}): {}", options.argv[0],
                                                ready > 0 ? "it exited" : "timed out",
                                                LogTail(options.stderr_path)));
    }
    buffer.append(chunk, static_cast<size_t>(n));
  }
}

ChildProcess::~ChildProcess() { Stop(); }

double ChildProcess::ResidentMiB() const {
  return ReadProcessStats(pid_).resident_bytes / (1024.0 * 1024.0);
}

double ChildProcess::CpuSeconds() const { return ReadProcessStats(pid_).cpu_seconds; }

bool ChildProcess::Signal(int signal) {
  if (stopped_) return false;
  return kill(pid_, signal) == 0;
}

bool ChildProcess::WaitExit(std::chrono::milliseconds timeout) {
  if (stopped_) return true;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      stopped_ = true;
      close(stdout_fd_);
      status_ = WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
      return true;
    }
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

int ChildProcess::Stop(std::chrono::milliseconds grace) {
  if (stopped_) return status_;
  stopped_ = true;
  kill(pid_, SIGINT);
  const auto deadline = std::chrono::steady_clock::now() + grace;
  int status = 0;
  while (waitpid(pid_, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      kill(pid_, SIGKILL);
      waitpid(pid_, &status, 0);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  close(stdout_fd_);
  status_ = WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
  return status_;
}

}  // namespace predictwire::os
