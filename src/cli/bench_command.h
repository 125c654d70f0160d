#ifndef PREDICTWIRE_CLI_BENCH_COMMAND_H_
#define PREDICTWIRE_CLI_BENCH_COMMAND_H_

namespace CLI {
class App;
}

namespace predictwire::cli {

// Adds `predictwire bench`: one load on one wire, printed as a table, optionally written as
// JSON and CSV.
void AddBenchCommand(CLI::App& app, int* exit_status);

}  // namespace predictwire::cli

#endif  // PREDICTWIRE_CLI_BENCH_COMMAND_H_
