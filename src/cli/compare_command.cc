#include "cli/compare_command.h"

#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <filesystem>
#include <memory>

#include "cli/duration_flag.h"
#include "cli/process_limits.h"
#include "core/status.h"
#include "loadgen/client/wire.h"
#include "loadgen/compare/run_compare.h"
#include "loadgen/compare/scenario.h"
#include "loadgen/report/report_files.h"
#include "loadgen/report/report_text.h"
#include "os/process_info.h"

namespace predictwire::cli {
namespace {

struct CompareFlags {
  loadgen::CompareOptions options;
  std::string placement;  // empty: split for --quick, both otherwise
  std::vector<std::string> rtts;
  std::string slo = FormatDuration(loadgen::CompareOptions().slo);
  std::string out_dir = "report";
  std::string command_line;
};

// Progress on stderr, each scenario's table and the decision on stdout, as they come.
class TerminalObserver : public loadgen::CompareObserver {
 public:
  void OnFloor(std::string_view placement, const loadgen::Floor& floor) override {
    std::fputs(loadgen::FloorLine(placement, floor).c_str(), stderr);
  }
  void OnRound(const Round& round) override {
    std::fputs(loadgen::RoundProgressLine(round).c_str(), stderr);
  }
  void OnScenario(const loadgen::Report& report, const loadgen::Scenario& scenario) override {
    std::fputs(loadgen::ScenarioTable(report, scenario).c_str(), stdout);
    std::fflush(stdout);
  }
};

// --scenarios' help: each row's id and what it measures.
std::string ScenarioHelp() {
  std::string help = "Only these scenarios (ids or id prefixes, comma-separated; default: all):";
  for (const loadgen::ScenarioRow* row : loadgen::Scenarios()) {
    help += fmt::format("\n  {:<15} {}", row->id, row->summary);
  }
  return help;
}

int Compare(CompareFlags& flags) {
  os::RaiseOpenFileLimit();  // thousands of sockets; the default soft limit is 1024
  loadgen::CompareOptions& options = flags.options;
  const std::string placement = !flags.placement.empty() ? flags.placement
                                : options.quick          ? "split"
                                                         : "both";
  options.placements = placement == "both" ? std::vector<std::string>{"split", "same"}
                                           : std::vector<std::string>{placement};
  for (const std::string& rtt : flags.rtts) options.rtts.push_back(ParseDuration(rtt));
  options.slo = ParseDuration(flags.slo);
  if (!options.quick && flags.rtts.empty()) options.rtts = {std::chrono::milliseconds(20)};
  options.binary = os::ExecutablePath().string();
  options.models_dir = FindProjectDirectory("models");
  options.peers_dir = FindProjectDirectory("peers");
  options.deploy_dir = FindProjectDirectory("deploy");
  if (options.target.empty() && options.models_dir.empty()) {
    std::fprintf(stderr, "predictwire compare: cannot find models/ (run from the checkout)\n");
    return 2;
  }
  if (options.peers && options.peers_dir.empty()) {
    std::fprintf(stderr, "predictwire compare: --peers needs the checkout's peers/ directory\n");
    return 2;
  }
  options.command_line = flags.command_line;
  options.log_dir = flags.out_dir;

  TerminalObserver observer;
  absl::StatusOr<loadgen::Report> report = loadgen::RunCompare(options, observer);
  if (!report.ok()) {
    std::fprintf(stderr, "predictwire compare: %s\n",
                 std::string(MessageOf(report.status())).c_str());
    return 1;
  }
  std::fputs(loadgen::DecisionText(*report).c_str(), stdout);
  if (absl::Status written = loadgen::WriteReport(*report, flags.out_dir); !written.ok()) {
    std::fprintf(stderr, "predictwire compare: %s\n", std::string(MessageOf(written)).c_str());
    return 1;
  }
  std::printf("\nReport: %s/index.html (also report.json, report.csv)\n", flags.out_dir.c_str());
  return 0;
}

}  // namespace

void AddCompareCommand(CLI::App& app, const std::string& command_line, int* exit_status) {
  auto flags = std::make_shared<CompareFlags>();
  loadgen::CompareOptions& options = flags->options;
  CLI::App* compare = app.add_subcommand(
      "compare",
      "Measure every wire under the article's traffic patterns (sporadic, high frequency, many "
      "clients, compute and payload sweeps, the real model, throughput vs latency), next to the "
      "raw TCP floor of the same run, and say which wire to pick for which traffic.");
  compare->add_flag("--quick", options.quick,
                    "Shorter runs and sweeps, one placement: about a minute and a half");
  compare
      ->add_option("--out", flags->out_dir,
                   "Where to write report.json, report.csv, index.html (and the servers' logs)")
      ->capture_default_str();
  compare->add_option("--target", options.target,
                      "Measure this running server instead of starting one (http://HOST:PORT)");
  compare->add_option("--model", options.model, "With --target: the model to ask");
  compare->add_option("--grpc-target", options.grpc_target,
                      "With --target: the server's gRPC address HOST:PORT, to measure the gRPC "
                      "wires too (needs --model)");
  compare
      ->add_option("--placement", flags->placement,
                   "same (server and load generator share CPU 0), split (CPU 0 and CPU 1) or "
                   "both (default: split with --quick, both otherwise)")
      ->check(CLI::IsMember({"same", "split", "both"}));
  compare
      ->add_option(
          "--wires", options.wires,
          "Only these wires (default: every plain wire; the +tls ones run in the TLS scenario)")
      ->check(CLI::IsMember(loadgen::AllWireNames()))
      ->delimiter(',');
  compare
      ->add_option("--rtt", flags->rtts,
                   "Also measure through a delay proxy with these round-trip times, e.g. "
                   "--rtt 5ms,20ms (default: 20ms for a full run, none for --quick)")
      ->check(CheckDuration)
      ->delimiter(',');
  compare->add_option("--scenarios", options.scenarios, ScenarioHelp())->delimiter(',');
  compare
      ->add_option("--slo", flags->slo,
                   "The capacity scenario's objective: the p99 each wire must keep while its "
                   "load rises")
      ->check(CheckDuration)
      ->capture_default_str();
  compare->add_flag("--peers", options.peers,
                    "Also measure the article's Flask and websockets servers (peers/)");
  compare
      ->add_option("--lb", options.balancer,
                   "The scale-out scenario's balancer, configured from deploy/'s template")
      ->check(CLI::IsMember({"haproxy", "nginx"}))
      ->capture_default_str();
  compare
      ->add_option("--backends", options.backends,
                   "The scale-out scenario's backends behind the balancer")
      ->check(CLI::Range(2, 16))
      ->capture_default_str();
  flags->command_line = command_line;
  compare->callback([flags, exit_status] { *exit_status = Compare(*flags); });
}

}  // namespace predictwire::cli
