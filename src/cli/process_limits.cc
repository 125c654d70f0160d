#include "cli/process_limits.h"

#include <filesystem>

#include "os/process_info.h"

namespace predictwire::cli {

namespace fs = std::filesystem;

std::string FindProjectDirectory(const std::string& name) {
  std::error_code error;
  if (fs::is_directory(fs::current_path() / name, error)) {
    return fs::weakly_canonical(fs::current_path() / name).string();
  }
  const fs::path executable = os::ExecutablePath();
  if (!executable.empty()) {
    const fs::path beside = executable.parent_path() / ".." / ".." / name;
    if (fs::is_directory(beside, error)) return fs::weakly_canonical(beside).string();
  }
  return {};
}

}  // namespace predictwire::cli
