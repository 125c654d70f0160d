// predictwire: one binary, subcommands. Parses the command line and calls the module that does
// the work; nothing else lives here.

#include <malloc.h>

#include <CLI/CLI.hpp>
#include <string>

#include "absl/synchronization/mutex.h"
#include "cli/bench_command.h"
#include "cli/compare_command.h"
#include "cli/serve_command.h"

int main(int argc, char** argv) {
  // absl::Mutex checks every lock order for cycles when its library was built without NDEBUG, as
  // Debian's is: hundreds of instructions per lock on the request path. Lock order is checked
  // where it belongs, by clang's -Wthread-safety at build time and by the sanitizer builds.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  // Large requests (a 1 MiB tensor) allocate a few buffers of their size each. By default glibc
  // maps such blocks fresh and unmaps them when freed, or trims the heap once 2 MiB are free at
  // its top: either way the next request faults its pages in again, which took more time than
  // parsing the request. Blocks up to 64 MiB come from the heap instead, which keeps up to 256 MiB
  // of free memory for reuse (both ends of a benchmark behave alike).
  mallopt(M_MMAP_THRESHOLD, 64 << 20);
  mallopt(M_TRIM_THRESHOLD, 256 << 20);
  CLI::App app{
      "predictwire: serves ML models over every wire (REST, WebSocket, ...) and measures which "
      "wire is fastest for your model and traffic."};
  app.require_subcommand(1);
  app.set_version_flag("--version", PREDICTWIRE_VERSION);
  // Options of a subcommand may also come from a config file's section named after it; CLI11
  // reads config files on the main app only, so --config lives there and falls through.
  app.set_config("--config", "",
                 "Read options from a TOML or INI file, in a section named after the "
                 "subcommand, e.g. [serve] model = [\"slow=sleep:50ms\"]",
                 false);
  app.fallthrough();
  app.allow_config_extras(CLI::config_extras_mode::error);

  std::string command_line = "predictwire";
  for (int i = 1; i < argc; ++i) command_line += std::string(" ") + argv[i];
  int exit_status = 0;
  predictwire::cli::AddServeCommand(app, &exit_status);
  predictwire::cli::AddBenchCommand(app, &exit_status);
  predictwire::cli::AddCompareCommand(app, command_line, &exit_status);
  CLI11_PARSE(app, argc, argv);
  return exit_status;
}
