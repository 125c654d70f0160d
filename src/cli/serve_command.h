#ifndef PREDICTWIRE_CLI_SERVE_COMMAND_H_
#define PREDICTWIRE_CLI_SERVE_COMMAND_H_

namespace CLI {
class App;
}

namespace predictwire::cli {

// Adds `predictwire serve` to `app`; running it serves until SIGINT/SIGTERM. Returns the exit
// status through `*exit_status` once the subcommand has run.
void AddServeCommand(CLI::App& app, int* exit_status);

}  // namespace predictwire::cli

#endif  // PREDICTWIRE_CLI_SERVE_COMMAND_H_
