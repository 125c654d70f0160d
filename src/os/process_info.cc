#include "os/process_info.h"

#include <fmt/format.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

namespace predictwire::os {

ProcessStats ReadProcessStats(pid_t pid) {
  ProcessStats stats;
  std::ifstream stat(pid == 0 ? std::string("/proc/self/stat") : fmt::format("/proc/{}/stat", pid));
  std::string line;
  if (!std::getline(stat, line)) return stats;
  // The fields after the command, which is in parentheses and may hold spaces and ')'.
  const size_t command_end = line.rfind(')');
  if (command_end == std::string::npos || command_end + 2 > line.size()) return stats;
  std::istringstream fields(line.substr(command_end + 2));
  std::vector<std::string> values;
  for (std::string value; fields >> value;) values.push_back(value);
  // proc(5) numbers the fields from 1 with the pid; the state, the 3rd, is values[0]: utime
  // (14th) and stime (15th) are values[11] and [12], vsize (23rd) [20], rss in pages (24th) [21].
  if (values.size() <= 21) return stats;
  const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  stats.cpu_seconds = (std::stod(values[11]) + std::stod(values[12])) / ticks;
  stats.virtual_bytes = std::stod(values[20]);
  stats.resident_bytes = std::stod(values[21]) * static_cast<double>(sysconf(_SC_PAGESIZE));
  return stats;
}

int CountOpenFiles() {
  int count = 0;
  std::error_code error;
  for (auto it = std::filesystem::directory_iterator("/proc/self/fd", error);
       !error && it != std::filesystem::directory_iterator(); it.increment(error)) {
    ++count;
  }
  return count;
}

std::optional<uint64_t> OpenFileLimit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY) return std::nullopt;
  return limit.rlim_cur;
}

void RaiseOpenFileLimit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
  }
}

std::optional<uint64_t> KernelTcpMemoryBytes() {
  std::ifstream sockstat("/proc/net/sockstat");
  std::string line;
  while (std::getline(sockstat, line)) {
    if (line.rfind("TCP:", 0) != 0) continue;
    const size_t at = line.find(" mem ");
    if (at == std::string::npos) return std::nullopt;
    const uint64_t pages = std::strtoull(line.c_str() + at + 5, nullptr, 10);
    return pages * static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
  }
  return std::nullopt;
}

std::filesystem::path ExecutablePath() {
  std::error_code error;
  std::filesystem::path path = std::filesystem::read_symlink("/proc/self/exe", error);
  return error ? std::filesystem::path() : path;
}

std::string MachineDescription() {
  std::ifstream cpuinfo("/proc/cpuinfo");
  std::string line, model = "unknown CPU";
  while (std::getline(cpuinfo, line)) {
    if (line.rfind("model name", 0) == 0) {
      model = line.substr(line.find(':') + 2);
      break;
    }
  }
  utsname name;
  uname(&name);
  return fmt::format("{}, {} CPUs, Linux {}", model, std::thread::hardware_concurrency(),
                     name.release);
}

}  // namespace predictwire::os
