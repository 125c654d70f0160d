#ifndef PREDICTWIRE_CLI_PROCESS_LIMITS_H_
#define PREDICTWIRE_CLI_PROCESS_LIMITS_H_

#include <string>

namespace predictwire::cli {

// The directory `name` (e.g. "models", "peers") of this checkout: ./NAME if it exists, else
// next to the binary (build/<preset>/predictwire → ../../NAME). Empty if neither exists.
std::string FindProjectDirectory(const std::string& name);

}  // namespace predictwire::cli

#endif  // PREDICTWIRE_CLI_PROCESS_LIMITS_H_
