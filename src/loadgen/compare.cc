#include "loadgen/compare.h"

#include <fmt/format.h>
#include <sys/utsname.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <thread>

#include "core/status.h"
#include "loadgen/child_process.h"
#include "loadgen/headless_chromium.h"
#include "loadgen/placement.h"
#include "loadgen/recommend.h"
#include "loadgen/report_html.h"
#include "loadgen/report_text.h"
#include "loadgen/scenarios.h"

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

std::string Machine() {
  std::ifstream cpuinfo("/proc/cpuinfo");
  std::string line, model = "unknown CPU";
  while (std::getline(cpuinfo, line)) {
    if (line.rfind("model name", 0) == 0) {
      model = line.substr(line.find(':') + 2);
      break;
    }
  }
  utsname name;
  uname(&name);
  return fmt::format("{}, {} CPUs, Linux {}", model, std::thread::hardware_concurrency(),
                     name.release);
}

// Samples a process's resident memory while a run goes on, keeping the largest.
class MemorySampler {
 public:
  explicit MemorySampler(const ChildProcess& process) : process_(process) {
    thread_ = std::thread([this] {
      while (!stop_) {
        peak_ = std::max(peak_.load(), process_.ResidentMiB());
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
    });
  }
  double Stop() {
    stop_ = true;
    thread_.join();
    return peak_;
  }

 private:
  const ChildProcess& process_;
  std::atomic<bool> stop_{false};
  std::atomic<double> peak_{0};
  std::thread thread_;
};


}  // namespace

absl::StatusOr<Report> RunCompare(const CompareOptions& options) {
  Report report;
  report.version = PREDICTWIRE_VERSION;
  report.date = UtcNow();
  report.machine = Machine();
  report.command = options.command_line;
  report.quick = options.quick;

  std::vector<std::string> placements = options.placements;
  if (std::thread::hardware_concurrency() < 2) {
    placements = {"same"};
    report.notes.push_back("this machine has one CPU: only the same-core placement is measured");
  }
  for (const std::string& placement : placements) {
    report.placements[placement] =
        placement == "same" ? "server, floor echo server and load generator on CPU 0"
                            : "server and floor echo server on CPU 0, load generator on CPU 1";
  }
  PlanOptions plan_options;
  plan_options.quick = options.quick;
  plan_options.wires_chosen = !options.wires.empty();
  for (const std::string& name : options.wires.empty() ? CandidateWireNames() : options.wires) {
    absl::StatusOr<WireSpec> wire = ParseWire(name);
    if (!wire.ok()) return wire.status();
    plan_options.wires.push_back(*wire);
  }
  if (!options.target.empty()) {
    // A server started elsewhere: only the wires whose port it named, and whose requests the
    // given --model can fill.
    absl::StatusOr<ServerAddresses> addresses = TargetAddresses(options);
    if (!addresses.ok()) return addresses.status();
    std::vector<std::string> skipped;
    absl::Status refused;
    std::erase_if(plan_options.wires, [&](const WireSpec& wire) {
      absl::Status fits = WireUrl(wire, *addresses).status();
      if (fits.ok()) fits = wire.wire->encode_body({.model = options.model}).status();
      if (fits.ok()) return false;
      const std::string why = fmt::format("{}: {}", WireLabel(wire), MessageOf(fits));
      if (!options.wires.empty() && refused.ok()) {
        refused = absl::InvalidArgumentError(fmt::format(
            "{} (with --target, give --grpc-target HOST:PORT for the gRPC wires, and --model)",
            why));
      }
      skipped.push_back(why);
      return true;
    });
    if (!refused.ok()) return refused;
    if (!skipped.empty()) {
      report.notes.push_back(fmt::format(
          "wires skipped (with --target, the gRPC wires need --grpc-target and --model): {}",
          fmt::join(skipped, "; ")));
    }
  }
  plan_options.server_has_test_models = options.target.empty();
  plan_options.model = options.model;
  plan_options.rtts = options.rtts;
  plan_options.slo = options.slo;
  plan_options.peers = options.peers;
  plan_options.only = options.scenarios;
  plan_options.browser = HeadlessChromium::Available();
  const bool browser_wanted = options.scenarios.empty() ||
                              std::any_of(options.scenarios.begin(), options.scenarios.end(),
                                          [](const std::string& prefix) {
                                            return std::string_view("browser").starts_with(prefix);
                                          });
  if (browser_wanted && !plan_options.browser) {
    report.notes.push_back(
        "browser scenario skipped: Debian's /usr/bin/chromium is not installed (scripts/setup.sh "
        "installs it)");
  } else if (browser_wanted && !options.target.empty()) {
    report.notes.push_back(
        "browser scenario skipped: it measures compare's own server, whose page and CORS it sets");
  }
  if (!options.target.empty()) {
    report.notes.push_back(
        fmt::format("target {} was started elsewhere: the compute and payload sweeps, which need "
                    "predictwire's test models, are left out",
                    options.target));
  }
  const std::vector<PlannedScenario> plan = PlanScenarios(plan_options);
  if (plan.empty()) {
    return absl::InvalidArgumentError(
        browser_wanted && !plan_options.browser
            ? "no scenario matches --scenarios (the browser scenario needs /usr/bin/chromium)"
            : "no scenario matches --scenarios");
  }
  const int rounds = options.quick ? 3 : 5;
  size_t total = 0, done = 0;
  for (const PlannedScenario& scenario : plan) total += scenario.runs.size();
  total *= placements.size() * rounds;

  std::error_code ignored;
  std::filesystem::create_directories(options.out_dir, ignored);
  for (const std::string& name : placements) {
    Placement placement(options, name, report);
    if (absl::Status started = placement.Start(); !started.ok()) return started;
    for (const PlannedScenario& planned : plan) {
      Scenario scenario{planned.id, planned.title, planned.question, name, planned.sweep, {}, {}};
      scenario.slo_us = std::chrono::duration<double, std::micro>(planned.slo).count();
      // The capacity scenario: the lowest rate at which each wire broke the objective in the
      // first round; its higher rates are not run in any round.
      std::map<std::string, double> broke_at;
      for (const PlannedRun& planned_run : planned.runs) {
        scenario.runs.push_back(
            Run{planned_run.wire, planned_run.label, planned_run.sweep_value, {}});
      }
      // The runs of a scenario take turns, round after round, so that the machine's slower
      // moments fall on every wire alike rather than on whichever ran then.
      // A round's result goes into its run, after its progress line.
      auto record = [&](size_t i, int round, BenchResult result) {
        Run& run = scenario.runs[i];
        ++done;
        std::fputs(
            RoundProgressLine(done, total, name, planned.id, run.label, round + 1, rounds, result)
                .c_str(),
            stderr);
        if (round == 0) {
          run.result = std::move(result);
        } else {
          MergeResults(result, &run.result);
        }
      };
      for (int round = 0; round < rounds; ++round) {
        if (planned.interleaved) {
          // One stream of arrivals dealt to the runs in turn, request by request.
          std::vector<BenchOptions> loads;
          for (const PlannedRun& planned_run : planned.runs) {
            absl::StatusOr<BenchOptions> bench =
                placement.RoundOptions(planned_run, round, rounds);
            if (!bench.ok()) return bench.status();
            loads.push_back(*std::move(bench));
          }
          absl::StatusOr<std::vector<BenchResult>> results = RunBenchTogether(std::move(loads));
          if (!results.ok()) return results.status();
          for (size_t i = 0; i < results->size(); ++i) {
            record(i, round, std::move((*results)[i]));
          }
          continue;
        }
        for (size_t i = 0; i < planned.runs.size(); ++i) {
          const PlannedRun& planned_run = planned.runs[i];
          Run& run = scenario.runs[i];
          if (const auto broke = broke_at.find(planned_run.wire);
              broke != broke_at.end() && planned_run.sweep_value > broke->second) {
            run.skipped = fmt::format("not run: p99 passed {} at {}",
                                      FormatMicroseconds(scenario.slo_us),
                                      FormatSweepValue(scenario.sweep, broke->second));
            ++done;
            continue;
          }
          absl::StatusOr<BenchOptions> bench = placement.RoundOptions(planned_run, round, rounds);
          if (!bench.ok()) return bench.status();
          ChildProcess* server = placement.server();
          // What holding connections costs is measured on a server of its own: one that served
          // other wires before keeps the memory they made it allocate, which would hide this
          // wire's growth.
          std::unique_ptr<ChildProcess> fresh_server;
          if (planned_run.record_server_stats && placement.owns_server()) {
            auto started = placement.StartFreshServer(
                planned_run, fmt::format("server-{}-{}", name, planned.id));
            if (!started.ok()) return started.status();
            fresh_server = std::move(started->first);
            server = fresh_server.get();
            bench->target_url = std::move(started->second);
          }
          std::unique_ptr<MemorySampler> sampler;
          double cpu_before = 0, idle_mib = 0;
          if (planned_run.record_server_stats && server != nullptr) {
            idle_mib = server->ResidentMiB();
            cpu_before = server->CpuSeconds();
            sampler = std::make_unique<MemorySampler>(*server);
          }
          absl::StatusOr<BenchResult> result = planned_run.target == RunTarget::kBrowser
                                                   ? placement.RunInBrowser(*bench)
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
          // The ladder is cut in the first round; later rounds measure what it reached again.
          if (scenario.slo_us > 0 && round == 0 &&
              (result->errors > 0 ||
               result->latency.ValueAtPercentile(99) / 1000.0 > scenario.slo_us)) {
            double& broke = broke_at.try_emplace(planned_run.wire, planned_run.sweep_value).first->second;
            broke = std::min(broke, planned_run.sweep_value);
          }
          record(i, round, *std::move(result));
        }
      }
      scenario.verdict = Recommend(scenario);
      std::printf("%s", ScenarioTable(report, scenario).c_str());
      std::fflush(stdout);
      report.scenarios.push_back(std::move(scenario));
    }
  }
  std::printf("%s", DecisionText(report).c_str());
  return report;
}

absl::Status WriteReport(const Report& report, const std::string& directory) {
  std::error_code error;
  std::filesystem::create_directories(directory, error);
  if (error) {
    return absl::InternalError(fmt::format("cannot create {}: {}", directory, error.message()));
  }
  const std::pair<const char*, std::string> files[] = {{"report.json", ReportToJson(report)},
                                                       {"report.csv", ReportToCsv(report)},
                                                       {"index.html", RenderHtml(report)}};
  for (const auto& [name, text] : files) {
    const std::filesystem::path path = std::filesystem::path(directory) / name;
    std::ofstream file(path);
    file << text;
    if (!file) return absl::InternalError(fmt::format("cannot write {}", path.string()));
  }
  return absl::OkStatus();
}

}  // namespace predictwire::loadgen
