// predictwire: one binary, subcommands. Parses the command line and calls the module that does
// the work; nothing else lives here.

#include <sys/resource.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <future>
#include <iostream>
#include <thread>

#include "absl/time/time.h"
#include "backends/backend_factory.h"
#include "core/status.h"
#include "server/server.h"
#include "server/signals.h"

namespace {

using predictwire::ExecutionMode;

// Many clients each hold a connection: take the hard limit on open files, not the default 1024.
void RaiseOpenFileLimit() {
  rlimit limit;
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
  }
}

// A CLI11 validator for durations such as 30us or 1.5ms.
std::string CheckDuration(const std::string& text) {
  absl::Duration duration;
  if (!absl::ParseDuration(text, &duration) || duration < absl::ZeroDuration()) {
    return "'" + text + "' is not a duration (e.g. 30us, 1.5ms, 2s)";
  }
  return {};
}

std::chrono::nanoseconds ToNanoseconds(const std::string& text) {
  absl::Duration duration;
  absl::ParseDuration(text, &duration);
  return absl::ToChronoNanoseconds(duration);
}

// Idle timeouts are swept once a second: round up to whole seconds, at least one.
std::chrono::seconds ToWholeSeconds(const std::string& text) {
  const auto nanoseconds = ToNanoseconds(text);
  return std::max(std::chrono::seconds(1),
                  std::chrono::ceil<std::chrono::seconds>(nanoseconds));
}

int Serve(predictwire::server::ServerOptions options) {
  RaiseOpenFileLimit();
  predictwire::server::ShutdownSignals signals;  // before any thread starts
  absl::StatusOr<std::unique_ptr<predictwire::server::Server>> server =
      predictwire::server::Server::Create(options);
  if (!server.ok()) {
    std::fprintf(stderr, "predictwire serve: %s\n",
                 std::string(predictwire::MessageOf(server.status())).c_str());
    return 2;
  }
  (*server)->Start();
  std::fprintf(stderr, "%s\n", (*server)->Describe().c_str());
  std::printf("%s\n", (*server)->ReadyLine().c_str());
  std::fflush(stdout);
  const int signal_number = signals.Wait();
  std::fprintf(stderr, "predictwire: signal %d: finishing in-flight requests, then exiting\n",
               signal_number);
  (*server)->Shutdown();
  std::fprintf(stderr, "predictwire: stopped\n");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "predictwire: serves ML models over every wire (REST, WebSocket, ...) and measures which "
      "wire is fastest for your model and traffic."};
  app.require_subcommand(1);
  app.set_version_flag("--version", PREDICTWIRE_VERSION);
  // Options of a subcommand may also come from a config file's [serve] section; CLI11 reads
  // config files on the main app only, so --config lives there and falls through from `serve`.
  app.set_config("--config", "",
                 "Read options from a TOML or INI file, in a section named after the "
                 "subcommand, e.g. [serve] model = [\"slow=sleep:50ms\"]",
                 false);
  app.fallthrough();
  app.allow_config_extras(CLI::config_extras_mode::error);

  predictwire::server::ServerOptions options;
  std::string execution = "auto";
  std::string inline_threshold = "30us";
  std::string http_idle_timeout = "60s";
  std::string websocket_idle_timeout = "600s";
  CLI::App* serve = app.add_subcommand(
      "serve",
      "Run the prediction server. Options may also come from --config FILE, in a [serve] "
      "section.");
  serve
      ->add_option("--http", options.http_address,
                   "HOST:PORT for REST (HTTP/1.1) and WebSocket (/ws); port 0 picks a free one")
      ->capture_default_str();
  serve->add_option("--model", options.models,
                    std::string("NAME=SPEC, repeatable. ") + predictwire::backends::kModelSpecHelp +
                        " Without --model: breast_cancer (XGBoost) and sleep50 (sleep:50ms).");
  serve->add_option("--default-model", options.default_model,
                    "The model /predict and WebSocket use when a request names none (default: "
                    "the first model)");
  serve->add_option("--models-dir", options.models_dir,
                    "Where the default models are (default: ./models or next to the binary)");
  serve->add_option("--io-threads", options.io_threads, "IO threads (default: one per CPU)")
      ->check(CLI::NonNegativeNumber);
  serve
      ->add_option("--execution", execution,
                   "Where models run: auto (inline on the IO thread when measured faster than "
                   "--inline-threshold, else on worker threads), inline, or worker")
      ->check(CLI::IsMember({"auto", "inline", "worker"}))
      ->capture_default_str();
  serve
      ->add_option("--inline-threshold", inline_threshold,
                   "In auto mode, run a CPU model inline when its expected compute time is "
                   "below this")
      ->check(CheckDuration)
      ->capture_default_str();
  serve
      ->add_option("--max-queue", options.scheduler.max_queued_per_model,
                   "Requests waiting per model before new ones are refused with 503")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  serve
      ->add_option("--max-body", options.max_body_bytes,
                   "Largest request body or WebSocket message in bytes (default 16 MiB)")
      ->check(CLI::PositiveNumber);
  serve->add_option("--idle-timeout", http_idle_timeout,
                    "Close an HTTP connection after this long without input while nothing is in "
                    "flight (checked once a second)")
      ->check(CheckDuration)
      ->capture_default_str();
  serve->add_option("--ws-idle-timeout", websocket_idle_timeout,
                    "The same for WebSocket connections")
      ->check(CheckDuration)
      ->capture_default_str();
  serve->callback([&] {
    options.scheduler.mode = execution == "inline"   ? ExecutionMode::kInline
                             : execution == "worker" ? ExecutionMode::kWorker
                                                     : ExecutionMode::kAuto;
    options.scheduler.inline_threshold = ToNanoseconds(inline_threshold);
    options.http_idle_timeout = ToWholeSeconds(http_idle_timeout);
    options.websocket_idle_timeout = ToWholeSeconds(websocket_idle_timeout);
  });

  CLI11_PARSE(app, argc, argv);
  if (serve->parsed()) return Serve(options);
  return 0;
}
