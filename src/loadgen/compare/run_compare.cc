#include "loadgen/compare/run_compare.h"

#include <fmt/format.h>

#include <algorithm>
#include <ctime>
#include <filesystem>
#include <memory>
#include <thread>

#include "core/status.h"
#include "loadgen/browser/headless_chromium.h"
#include "loadgen/compare/decision.h"
#include "loadgen/compare/judging.h"
#include "loadgen/compare/test_models.h"
#include "loadgen/harness/fleet.h"
#include "loadgen/harness/memory_sampler.h"
#include "loadgen/harness/placement.h"
#include "os/process_info.h"

#ifndef PREDICTWIRE_VERSION
#define PREDICTWIRE_VERSION "0.0.0"
#endif

namespace predictwire::loadgen {
namespace {

std::string UtcNow() {
  const std::time_t now = std::time(nullptr);
  std::tm utc;
  gmtime_r(&now, &utc);
  char text[32];
  std::strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

bool Matches(const std::vector<std::string>& prefixes, std::string_view id) {
  return prefixes.empty() || std::any_of(prefixes.begin(), prefixes.end(),
                                         [&](const std::string& p) { return id.starts_with(p); });
}

// Whether --scenarios' `prefix` names `row`: "many" and "many-clients-100" both name
// many-clients.
bool Names(std::string_view prefix, const ScenarioRow& row) {
  return row.id.starts_with(prefix) || prefix.starts_with(row.id);
}

}  // namespace

absl::StatusOr<ComparePlan> PlanCompare(const PlanOptions& plan,
                                        std::span<const ScenarioRow* const> rows,
                                        const std::vector<std::string>& asked) {
  for (const std::string& prefix : asked) {
    const bool known = std::any_of(rows.begin(), rows.end(),
                                   [&](const ScenarioRow* row) { return Names(prefix, *row); });
    if (!known) {
      std::vector<std::string_view> ids;
      for (const ScenarioRow* row : rows) ids.push_back(row->id);
      return absl::InvalidArgumentError(
          fmt::format("unknown scenario '{}'; the scenarios are {}", prefix, fmt::join(ids, ", ")));
    }
  }
  ComparePlan chosen;
  for (const ScenarioRow* row : rows) {
    const bool named = std::any_of(asked.begin(), asked.end(),
                                   [&](const std::string& prefix) { return Names(prefix, *row); });
    if (!asked.empty() && !named) continue;
    if (row->unavailable != nullptr) {
      if (const std::string why = row->unavailable(plan); !why.empty()) {
        if (named || !row->opt_in) {
          chosen.notes.push_back(fmt::format("{} scenario skipped: {}", row->id, why));
        }
        if (named) chosen.reasons.push_back(fmt::format("{}: {}", row->id, why));
        continue;
      }
    }
    for (PlannedScenario& scenario : row->plan(plan)) {
      // A scenario with no wire to measure (the --wires chosen do not fit it) is left out.
      const bool measures_a_wire =
          std::any_of(scenario.runs.begin(), scenario.runs.end(),
                      [](const PlannedRun& run) { return !run.bench.wire.wire->floor; });
      if (measures_a_wire && Matches(asked, scenario.id)) {
        chosen.scenarios.emplace_back(row, std::move(scenario));
      }
    }
  }
  return chosen;
}

namespace {

// The wires compare measures: --wires, or every candidate; with --target only those whose port
// it named and whose requests the given --model can fill.
absl::StatusOr<std::vector<WireSpec>> ChooseWires(const CompareOptions& options,
                                                  std::vector<std::string>* notes) {
  std::vector<WireSpec> wires;
  for (const std::string& name : options.wires.empty() ? CandidateWireNames() : options.wires) {
    absl::StatusOr<WireSpec> wire = ParseWire(name);
    if (!wire.ok()) return wire.status();
    wires.push_back(*wire);
  }
  if (options.target.empty()) return wires;
  absl::StatusOr<ServerAddresses> addresses = TargetAddresses(options.target, options.grpc_target);
  if (!addresses.ok()) return addresses.status();
  std::vector<std::string> skipped;
  absl::Status refused;
  std::erase_if(wires, [&](const WireSpec& wire) {
    absl::Status fits = WireUrl(wire, *addresses).status();
    if (fits.ok()) fits = wire.wire->encode_body({.model = options.model}).status();
    if (fits.ok()) return false;
    const std::string why = fmt::format("{}: {}", WireLabel(wire), MessageOf(fits));
    if (!options.wires.empty() && refused.ok()) {
      refused = absl::InvalidArgumentError(fmt::format(
          "{} (with --target, give --grpc-target HOST:PORT for the gRPC wires, and --model)", why));
    }
    skipped.push_back(why);
    return true;
  });
  if (!refused.ok()) return refused;
  if (!skipped.empty()) {
    notes->push_back(fmt::format(
        "wires skipped (with --target, the gRPC wires need --grpc-target and --model): {}",
        fmt::join(skipped, "; ")));
  }
  return wires;
}

// Measures the scenarios of one placement, run by run and round by round.
class PlacementRun {
 public:
  PlacementRun(const CompareOptions& options, Placement& placement, std::string name, int rounds,
               size_t& done, size_t& total, CompareObserver& observer)
      : options_(options),
        placement_(placement),
        name_(std::move(name)),
        rounds_(rounds),
        done_(done),
        total_(total),
        observer_(observer) {}

  absl::StatusOr<Scenario> Measure(const ScenarioRow& row, PlannedScenario planned) {
    Scenario scenario{planned.id, planned.title, planned.question, name_, planned.sweep};
    scenario.slo_us = std::chrono::duration<double, std::micro>(planned.slo).count();
    scenario.row = &row;
    for (const PlannedRun& run : planned.runs) scenario.runs.push_back(FromPlan(run));
    if (planned.interleaved) {
      for (int round = 0; round < rounds_; ++round) {
        if (absl::Status status = MeasureTogether(planned, round, scenario); !status.ok()) {
          return status;
        }
      }
    } else if (absl::Status status = MeasureInRounds(planned, 0, scenario); !status.ok()) {
      return status;
    }
    // A scenario that plans as it goes adds runs step by step, each step decided on what the
    // steps before it measured in every round (as its verdict will be).
    while (row.extend != nullptr) {
      std::vector<PlannedRun> more = row.extend(planned, scenario);
      if (more.empty()) break;
      const size_t first = planned.runs.size();
      for (PlannedRun& run : more) {
        total_ += run.probe || run.once ? 1 : rounds_;
        scenario.runs.push_back(FromPlan(run));
        planned.runs.push_back(std::move(run));
      }
      if (absl::Status status = MeasureInRounds(planned, first, scenario); !status.ok()) {
        return status;
      }
    }
    scenario.verdict = Recommend(scenario);
    return scenario;
  }

 private:
  // Measures the runs of `planned` from `first` on: they take turns, round after round, so that
  // the machine's slower moments fall on every wire alike rather than on whichever ran then. A
  // probe is measured in the first round only.
  absl::Status MeasureInRounds(const PlannedScenario& planned, size_t first, Scenario& scenario) {
    for (int round = 0; round < rounds_; ++round) {
      for (size_t i = first; i < planned.runs.size(); ++i) {
        if ((planned.runs[i].probe || planned.runs[i].once) && round > 0) continue;
        if (absl::Status status = MeasureOne(scenario.id, planned.runs[i], round, scenario.runs[i]);
            !status.ok()) {
          return status;
        }
      }
    }
    return absl::OkStatus();
  }

  static Run FromPlan(const PlannedRun& planned) {
    Run run{planned.wire, planned.label, planned.sweep_value};
    run.probe = planned.probe;
    return run;
  }

  // The bench options of one round of `run`: prepared for the placement, with its share of the
  // run's duration or requests (a probe runs whole, once); later rounds warm up briefly, their
  // connections only need opening again.
  absl::StatusOr<BenchOptions> RoundOptions(const PlannedRun& run, int round) {
    BenchOptions bench = run.bench;
    const int rounds = run.probe || run.once ? 1 : rounds_;
    bench.duration =
        std::max<std::chrono::nanoseconds>(bench.duration / rounds, std::chrono::milliseconds(300));
    if (bench.requests) bench.requests = std::max<uint64_t>(1, *bench.requests / rounds);
    if (round > 0) {
      bench.warmup = std::min<std::chrono::nanoseconds>(
          bench.warmup, std::chrono::milliseconds(options_.quick ? 100 : 200));
    }
    return placement_.Prepare(std::move(bench), run.route);
  }

  // A round's result goes into its run, after its progress report.
  void Record(const std::string& scenario_id, int round, BenchResult result, Run& run,
              bool once = false) {
    ++done_;
    observer_.OnRound({.done = done_,
                       .total = total_,
                       .placement = name_,
                       .scenario = scenario_id,
                       .label = run.label,
                       .round = round + 1,
                       .rounds = run.probe || once ? 1 : rounds_,
                       .result = result});
    if (round == 0) {
      run.result = std::move(result);
    } else {
      MergeResults(result, &run.result);
    }
  }

  // One stream of arrivals dealt to the runs in turn, request by request.
  absl::Status MeasureTogether(const PlannedScenario& planned, int round, Scenario& scenario) {
    std::vector<BenchOptions> loads;
    for (const PlannedRun& run : planned.runs) {
      absl::StatusOr<BenchOptions> bench = RoundOptions(run, round);
      if (!bench.ok()) return bench.status();
      loads.push_back(*std::move(bench));
    }
    absl::StatusOr<std::vector<BenchResult>> results = RunBenchTogether(std::move(loads));
    if (!results.ok()) return results.status();
    for (size_t i = 0; i < results->size(); ++i) {
      Record(scenario.id, round, std::move((*results)[i]), scenario.runs[i]);
    }
    return absl::OkStatus();
  }

  absl::Status MeasureOne(const std::string& scenario_id, const PlannedRun& planned, int round,
                          Run& run) {
    absl::StatusOr<BenchOptions> bench = RoundOptions(planned, round);
    if (!bench.ok()) return bench.status();
    if (planned.route.destination == Destination::kFleet ||
        planned.route.destination == Destination::kFleetDirect) {
      auto measured = placement_.RunOnFleet(*std::move(bench), planned.route);
      if (!measured.ok() && planned.route.event == FleetEvent::kNetworkCut) {
        // Network namespaces may be refused here (a container's kernel): the rest still runs.
        run.skipped = fmt::format("not measured: {}", MessageOf(measured.status()));
        ++done_;
        return absl::OkStatus();
      }
      if (!measured.ok()) return measured.status();
      FleetObservation& seen = measured->second;
      // Each backend's requests add up over the rounds; the event is the one round's.
      std::vector<double>& total = run.fleet.backend_requests;
      if (round == 0) {
        run.fleet = seen;
      } else {
        for (size_t i = 0; i < total.size() && i < seen.backend_requests.size(); ++i) {
          total[i] = total[i] < 0 || seen.backend_requests[i] < 0
                         ? -1
                         : total[i] + seen.backend_requests[i];
        }
      }
      Record(scenario_id, round, std::move(measured->first), run, planned.once);
      return absl::OkStatus();
    }
    os::ChildProcess* server = placement_.server();
    // What holding connections costs is measured on a server of its own: one that served other
    // wires before keeps the memory they made it allocate, which would hide this wire's growth.
    std::unique_ptr<os::ChildProcess> fresh_server;
    if (planned.record_server_stats && placement_.owns_server()) {
      auto started =
          placement_.StartFreshServer(bench->wire, fmt::format("server-{}-{}", name_, scenario_id));
      if (!started.ok()) return started.status();
      fresh_server = std::move(started->first);
      server = fresh_server.get();
      bench->target_url = std::move(started->second);
    }
    std::unique_ptr<MemorySampler> sampler;
    double cpu_before = 0, idle_mib = 0;
    if (planned.record_server_stats && server != nullptr) {
      bench->server_pid = server->pid();  // its memory with the connections open, and the kernel's
      idle_mib = server->ResidentMiB();
      cpu_before = server->CpuSeconds();
      sampler = std::make_unique<MemorySampler>(*server);
    }
    absl::StatusOr<BenchResult> result = planned.route.destination == Destination::kBrowser
                                             ? placement_.RunInBrowser(*bench)
                                             : RunBench(*bench);
    if (sampler) {
      const double peak_mib = sampler->Stop();
      if (peak_mib - idle_mib > run.server_rss_mib - run.server_rss_idle_mib) {
        run.server_rss_mib = peak_mib;  // the round that grew most
        run.server_rss_idle_mib = idle_mib;
      }
      run.server_cpu_seconds += server->CpuSeconds() - cpu_before;
      run.server_connections = bench->connections.value_or(0);
    }
    if (fresh_server) fresh_server->Stop();
    if (!result.ok()) return result.status();
    Record(scenario_id, round, *std::move(result), run, planned.once);
    return absl::OkStatus();
  }

  const CompareOptions& options_;
  Placement& placement_;
  const std::string name_;
  const int rounds_;
  size_t& done_;
  size_t& total_;
  CompareObserver& observer_;
};

}  // namespace

absl::StatusOr<Report> RunCompare(const CompareOptions& options, CompareObserver& observer) {
  Report report;
  report.version = PREDICTWIRE_VERSION;
  report.date = UtcNow();
  report.machine = os::MachineDescription();
  report.command = options.command_line;
  report.quick = options.quick;

  std::vector<std::string> placements = options.placements;
  if (std::thread::hardware_concurrency() < 2) {
    placements = {"same"};
    report.notes.push_back("this machine has one CPU: only the same-core placement is measured");
  }
  PlanOptions plan;
  plan.quick = options.quick;
  plan.wires_chosen = !options.wires.empty();
  absl::StatusOr<std::vector<WireSpec>> wires = ChooseWires(options, &report.notes);
  if (!wires.ok()) return wires.status();
  plan.wires = *std::move(wires);
  plan.own_server = options.target.empty();
  plan.model = options.model;
  plan.rtts = options.rtts;
  plan.slo = options.slo;
  plan.peers = options.peers;
  plan.browser = HeadlessChromium::Available();
  plan.balancer = options.balancer;
  plan.balancer_installed = !BalancerBinary(options.balancer).empty();
  plan.backends = options.backends;
  plan.deploy_dir_found = !options.deploy_dir.empty();
  plan.scenarios = options.scenarios;
  absl::StatusOr<ComparePlan> chosen = PlanCompare(plan, options.rows, options.scenarios);
  if (!chosen.ok()) return chosen.status();
  report.notes.insert(report.notes.end(), chosen->notes.begin(), chosen->notes.end());
  if (chosen->scenarios.empty()) {
    return absl::InvalidArgumentError(
        chosen->reasons.empty()
            ? std::string("no scenario matches --scenarios and --wires")
            : fmt::format("no scenario can run: {}", fmt::join(chosen->reasons, "; ")));
  }
  const int rounds = options.quick ? 3 : 5;
  size_t total = 0, done = 0;
  for (const auto& [row, scenario] : chosen->scenarios) {
    for (const PlannedRun& run : scenario.runs) total += run.probe || run.once ? 1 : rounds;
  }
  total *= placements.size();

  std::error_code ignored;
  std::filesystem::create_directories(options.log_dir, ignored);
  for (const std::string& name : placements) {
    Placement placement({.name = name,
                         .quick = options.quick,
                         .log_dir = options.log_dir,
                         .binary = options.binary,
                         .server_models = TestModelFlags(options.models_dir),
                         .target = options.target,
                         .grpc_target = options.grpc_target,
                         .model = options.model,
                         .peers_dir = options.peers_dir,
                         .python = options.python,
                         .balancer = options.balancer,
                         .backends = options.backends,
                         .deploy_dir = options.deploy_dir});
    absl::StatusOr<Placement::Started> started = placement.Start();
    if (!started.ok()) return started.status();
    report.floors[name] = started->floor;
    report.placements[name] = placement.Description();
    report.notes.insert(report.notes.end(), started->notes.begin(), started->notes.end());
    observer.OnFloor(name, started->floor);
    PlacementRun run(options, placement, name, rounds, done, total, observer);
    for (const auto& [row, planned] : chosen->scenarios) {
      absl::StatusOr<Scenario> scenario = run.Measure(*row, planned);
      if (!scenario.ok()) return scenario.status();
      observer.OnScenario(report, *scenario);
      report.scenarios.push_back(*std::move(scenario));
    }
    if (const std::string fleet = placement.FleetDescription(); !fleet.empty()) {
      report.notes.push_back(fmt::format("[{}] the fleet: {}", name, fleet));
    }
  }
  report.decision = DecisionLines(report);
  report.overall = OverallLines(report, options.rows);
  return report;
}

}  // namespace predictwire::loadgen
