#ifndef PREDICTWIRE_OS_PROCESS_INFO_H_
#define PREDICTWIRE_OS_PROCESS_INFO_H_

// What Linux says of a process (its own, or a child's) and of the machine: /proc and rlimits.

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

namespace predictwire::os {

struct ProcessStats {
  double cpu_seconds = 0;     // user + system
  double resident_bytes = 0;  // RSS
  double virtual_bytes = 0;
};

// The stats of process `pid` (0: this process); all zero when it cannot be read (it is gone).
ProcessStats ReadProcessStats(pid_t pid = 0);

// Open file descriptors of this process.
int CountOpenFiles();

// This process's limit on open files (the soft one); none when unlimited or unknown.
std::optional<uint64_t> OpenFileLimit();
// Raises the soft limit on open files to the hard one.
void RaiseOpenFileLimit();

// The kernel's memory for TCP sockets, the whole machine's (/proc/net/sockstat, "TCP: ... mem
// N", in pages): socket buffers live there, not in any process's RSS. None if unreadable.
std::optional<uint64_t> KernelTcpMemoryBytes();

// The running binary's path (empty if /proc cannot tell).
std::filesystem::path ExecutablePath();

// "AMD EPYC 9R14, 2 CPUs, Linux 6.1.0-...": the CPU model, CPU count and kernel, for reports.
std::string MachineDescription();

}  // namespace predictwire::os

#endif  // PREDICTWIRE_OS_PROCESS_INFO_H_
