#ifndef PREDICTWIRE_CLI_COMPARE_COMMAND_H_
#define PREDICTWIRE_CLI_COMPARE_COMMAND_H_

#include <string>

namespace CLI {
class App;
}

namespace predictwire::cli {

// Adds `predictwire compare`: the scenario matrix over every wire, the report and the verdicts.
// `command_line` is recorded in the report.
void AddCompareCommand(CLI::App& app, const std::string& command_line, int* exit_status);

}  // namespace predictwire::cli

#endif  // PREDICTWIRE_CLI_COMPARE_COMMAND_H_
