#ifndef PREDICTWIRE_OS_PROCESS_STATS_H_
#define PREDICTWIRE_OS_PROCESS_STATS_H_

// What Linux's /proc says of a process (its own, or a child's), and of the machine.

#include <sys/types.h>

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

// "AMD EPYC 9R14, 2 CPUs, Linux 6.1.0-...": the CPU model, CPU count and kernel, for reports.
std::string MachineDescription();

}  // namespace predictwire::os

#endif  // PREDICTWIRE_OS_PROCESS_STATS_H_
