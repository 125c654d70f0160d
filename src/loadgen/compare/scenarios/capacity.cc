// Capacity at a latency objective: for each wire, the highest open-loop rate whose p99 stays
// within the objective without errors. 16 connections, each carrying one request at a time (16
// for a multiplexing wire), as a server behind a pool of clients would see. The search starts
// from the machine, not from a fixed ladder: a short closed-loop run tells what each wire
// carries flat out, and the rates tried go up and down from there (capacity.h), so every wire
// gets a rate on a fast machine and on a slow one alike.

#include "loadgen/compare/scenarios/capacity.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>

#include "core/default_models.h"
#include "loadgen/compare/judging.h"
#include "loadgen/compare/planning.h"
#include "loadgen/stats/format.h"

namespace predictwire::loadgen {

namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr int kOutstanding = 16;

double RoundToTwoDigits(double rate) {
  if (rate <= 0) return 0;
  const double scale = std::pow(10.0, std::floor(std::log10(rate)) - 1);
  return std::max(1.0, std::round(rate / scale) * scale);
}

}  // namespace

std::optional<double> NextCapacityRate(double estimate, const std::vector<CapacityPoint>& tried,
                                       size_t max_points) {
  if (tried.size() >= max_points) return std::nullopt;
  std::optional<double> broke;
  for (const CapacityPoint& point : tried) {
    if (!point.held && (!broke || point.rate < *broke)) broke = point.rate;
  }
  std::optional<double> held;  // the highest held below the lowest broken: noise can cross them
  for (const CapacityPoint& point : tried) {
    if (point.held && (!broke || point.rate < *broke) && (!held || point.rate > *held)) {
      held = point.rate;
    }
  }
  double next;
  if (tried.empty()) {
    next = estimate > 0 ? 0.8 * estimate : 1000;
  } else if (!broke) {
    next = *held * 1.5;
  } else if (!held) {
    next = *broke / 2;
    if (next < kCapacityLowestRate) return std::nullopt;
  } else {
    if (*broke / *held <= kCapacityResolution) return std::nullopt;
    next = std::sqrt(*held * *broke);
  }
  next = std::max(RoundToTwoDigits(next), 1.0);
  const bool known = std::any_of(tried.begin(), tried.end(),
                                 [&](const CapacityPoint& point) { return point.rate == next; });
  if (known || (held && next <= *held) || (broke && next >= *broke)) return std::nullopt;
  return next;
}

namespace {

bool Kept(const Run& run, double slo_us) {
  return run.result.requests > 0 && run.result.errors == 0 && P99(run) <= slo_us;
}

std::vector<PlannedScenario> Plan(const PlanOptions& options) {
  const bool quick = options.quick;
  const double slo_ms = std::chrono::duration<double, std::milli>(options.slo).count();
  PlannedScenario scenario{
      "capacity",
      fmt::format("Capacity: the most load each wire carries within p99 {:g} ms", slo_ms),
      "How many predictions a second can each wire serve before its tail latency passes the "
      "objective?",
      Sweep::kOfferedRate};
  scenario.slo = options.slo;
  const std::vector<WireSpec> wires = SelectWires(options, [](const Wire& wire, bool trim) {
    return !wire.new_connection_per_request && (!trim || wire.article);
  });
  for (const WireSpec& wire : wires) {
    // What the wire carries flat out: where the search starts.
    // --quick: brief, with a short warm-up (16 connections are soon warm).
    BenchOptions bench = ClosedLoad(wire, kOutstanding, quick ? milliseconds(300) : seconds(1),
                                    quick ? milliseconds(100) : Warmup(options));
    bench.pipeline = kOutstanding;
    PlannedRun probe =
        ServerRun(fmt::format("{}, flat out ({} outstanding)", WireLabel(wire), kOutstanding),
                  bench, ModelFor(options, kDefaultModelName));
    probe.probe = true;
    scenario.runs.push_back(std::move(probe));
  }
  return {scenario};
}

// Each wire's next rate, from what its runs so far measured.
std::vector<PlannedRun> Extend(const PlannedScenario& planned, const Scenario& scenario) {
  std::vector<PlannedRun> more;
  for (size_t i = 0; i < planned.runs.size() && i < scenario.runs.size(); ++i) {
    const PlannedRun& probe = planned.runs[i];
    if (!probe.probe) continue;
    std::vector<CapacityPoint> tried;
    for (size_t j = 0; j < scenario.runs.size(); ++j) {
      const Run& run = scenario.runs[j];
      if (run.probe || run.wire != probe.wire || !run.skipped.empty()) continue;
      tried.push_back({run.sweep_value, Kept(run, scenario.slo_us)});
    }
    // --quick planned a shorter probe: fewer and shorter steps (each measured in every round).
    const bool quick = probe.bench.duration < seconds(1);
    const std::optional<double> rate =
        NextCapacityRate(scenario.runs[i].result.throughput_rps, tried, quick ? 6 : 8);
    if (!rate) continue;
    BenchOptions bench = OpenLoad(probe.bench.wire, *rate, Arrival::kPoisson, kOutstanding,
                                  quick ? milliseconds(600) : seconds(3), probe.bench.warmup);
    bench.pipeline = kOutstanding;
    PlannedRun run =
        ServerRun(fmt::format("{}, {:g} req/s", probe.wire, *rate), bench, probe.bench.model);
    run.sweep_value = *rate;
    more.push_back(std::move(run));
  }
  return more;
}

// Per wire, the highest offered rate whose run kept p99 within the objective without errors;
// the best are the wires within the search's resolution of the highest.
void JudgeCapacity(const Scenario& scenario, const RunsToJudge& runs, Verdict* verdict) {
  struct Held {
    const Run* best = nullptr;   // the highest rate held
    const Run* broke = nullptr;  // the lowest rate that was not
    double rate() const { return best ? best->sweep_value : 0; }
  };
  std::map<std::string, Held> by_wire;
  std::vector<std::string> order;
  for (const Run* run : runs.measured) {
    if (!by_wire.count(run->wire)) order.push_back(run->wire);
    Held& held = by_wire[run->wire];
    const bool kept = Kept(*run, scenario.slo_us);
    if (kept && (!held.best || run->sweep_value > held.best->sweep_value)) held.best = run;
    if (!kept && (!held.broke || run->sweep_value < held.broke->sweep_value)) held.broke = run;
  }
  std::stable_sort(order.begin(), order.end(), [&](const std::string& a, const std::string& b) {
    return by_wire[a].rate() > by_wire[b].rate();
  });
  std::vector<std::string> parts;
  for (const std::string& wire : order) {
    const Held& held = by_wire[wire];
    std::string part = held.best ? fmt::format("{} holds {:g} req/s (p99 {})", wire, held.rate(),
                                               FormatMicroseconds(P99(*held.best)))
                                 : fmt::format("{} holds none of the rates tried", wire);
    if (held.broke) {
      part += fmt::format("; at {:g} req/s {}", held.broke->sweep_value,
                          held.broke->result.errors > 0
                              ? fmt::format("{} errors", held.broke->result.errors)
                              : fmt::format("p99 {}", FormatMicroseconds(P99(*held.broke))));
    } else {
      part += ", the highest rate tried";
    }
    parts.push_back(std::move(part));
  }
  const double top = by_wire[order.front()].rate();
  std::vector<std::string> rates;
  for (const std::string& wire : order) {
    const double rate = by_wire[wire].rate();
    if (top > 0 && rate * kCapacityResolution >= top) {
      verdict->best.push_back(wire);
      rates.push_back(fmt::format("{:g}", rate));
    }
  }
  verdict->tie = verdict->best.size() > 1;
  verdict->text =
      fmt::format("within p99 {}: {}", FormatMicroseconds(scenario.slo_us), fmt::join(parts, ". "));
  if (top <= 0) {
    verdict->meaning = fmt::format("no wire kept p99 within {} at the rates tried",
                                   FormatMicroseconds(scenario.slo_us));
  } else if (verdict->tie) {
    verdict->meaning = fmt::format(
        "with a p99 objective of {}: {} carry the most ({} req/s: within the {:.0f}% the search "
        "tells apart)",
        FormatMicroseconds(scenario.slo_us), JoinWords(verdict->best), JoinWords(rates),
        (kCapacityResolution - 1) * 100);
  } else {
    verdict->meaning = fmt::format("with a p99 objective of {}: {} carries the most ({:g} req/s)",
                                   FormatMicroseconds(scenario.slo_us), verdict->best.front(), top);
  }
}

}  // namespace

extern const ScenarioRow kCapacityScenario = {
    .id = "capacity",
    .summary = "the highest rate each wire holds within the p99 objective (--slo)",
    .criterion = Criterion::kClients,
    .plan = Plan,
    .extend = Extend,
    .judge = JudgeCapacity,
    .errors_are_findings = true,
};

}  // namespace predictwire::loadgen
