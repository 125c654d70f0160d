#include "cli/process_limits.h"

#include <sys/resource.h>

#include <filesystem>

namespace predictwire::cli {

namespace fs = std::filesystem;

void RaiseOpenFileLimit() {
  rlimit limit;
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
  }
}

std::string FindProjectDirectory(const std::string& name) {
  std::error_code error;
  if (fs::is_directory(fs::current_path() / name, error)) {
    return fs::weakly_canonical(fs::current_path() / name).string();
  }
  const fs::path executable = fs::read_symlink("/proc/self/exe", error);
  if (!error) {
    const fs::path beside = executable.parent_path() / ".." / ".." / name;
    if (fs::is_directory(beside, error)) return fs::weakly_canonical(beside).string();
  }
  return {};
}

}  // namespace predictwire::cli
