#include "loadgen/recommend.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <vector>

namespace predictwire::loadgen {
namespace {

// Below this many answered requests a wire's p50 moves with a handful of slow ones (on a
// shared VM an idle vCPU can take milliseconds to wake), so a verdict says it is indicative.
constexpr uint64_t kFewRequests = 100;

double P50(const Run& run) { return run.result.latency.ValueAtPercentile(50) / 1000.0; }
double P99(const Run& run) { return run.result.latency.ValueAtPercentile(99) / 1000.0; }

bool Healthy(const Run& run) {
  const uint64_t total = run.result.requests + run.result.errors;
  return run.result.requests > 0 && run.result.errors * 100 <= total;
}

std::string Percent(double ours, double theirs) {
  return fmt::format("{:+.0f}%", (ours / theirs - 1) * 100);
}

// "winner: p50 A vs x B (−27%) and y C (−73%)" over `runs`, by p50.
std::string Verdict(std::vector<const Run*> runs, std::string_view what) {
  std::sort(runs.begin(), runs.end(), [](const Run* a, const Run* b) { return P50(*a) < P50(*b); });
  const Run& best = *runs.front();
  std::string text = fmt::format("{}{}: p50 {}", what, best.label, FormatMicroseconds(P50(best)));
  for (size_t i = 1; i < runs.size(); ++i) {
    text += fmt::format("{} {} {} ({})", i == 1 ? " vs" : (i + 1 == runs.size() ? " and" : ","),
                        runs[i]->label, FormatMicroseconds(P50(*runs[i])),
                        Percent(P50(best), P50(*runs[i])));
  }
  const Run* best_tail = *std::min_element(
      runs.begin(), runs.end(), [](const Run* a, const Run* b) { return P99(*a) < P99(*b); });
  if (best_tail != &best && runs.size() > 1) {
    text +=
        fmt::format("; at p99 {} leads ({} vs {} for {})", best_tail->label,
                    FormatMicroseconds(P99(*best_tail)), FormatMicroseconds(P99(best)), best.label);
  }
  return text;
}

// The TLS scenario: what TLS adds to each wire, against the same wire in the clear.
std::string TlsVerdict(const std::vector<const Run*>& runs) {
  std::vector<std::string> per_request, per_connection;
  for (const Run* secure : runs) {
    if (!secure->wire.ends_with("+tls")) continue;
    const std::string plain_wire = secure->wire.substr(0, secure->wire.size() - 4);
    const auto plain = std::find_if(runs.begin(), runs.end(),
                                    [&](const Run* run) { return run->wire == plain_wire; });
    if (plain == runs.end()) continue;
    const double added = P50(*secure) - P50(**plain);
    if (secure->result.options.wire.wire->new_connection_per_request) {
      per_connection.push_back(fmt::format("{} {} (+{} over {} {})", secure->label,
                                           FormatMicroseconds(P50(*secure)),
                                           FormatMicroseconds(added), (*plain)->label,
                                           FormatMicroseconds(P50(**plain))));
    } else {
      per_request.push_back(fmt::format("{} {}{} ({})", plain_wire, added >= 0 ? "+" : "-",
                                        FormatMicroseconds(std::abs(added)),
                                        Percent(P50(*secure), P50(**plain))));
    }
  }
  std::string text;
  if (!per_request.empty()) {
    text = fmt::format("TLS adds per request on an open connection: {}", fmt::join(per_request, ", "));
  }
  if (!per_connection.empty()) {
    if (!text.empty()) text += "; ";
    text += fmt::format("a new connection per request costs {}", fmt::join(per_connection, " and "));
  }
  return text;
}

}  // namespace

std::string FormatMicroseconds(double microseconds) {
  if (microseconds >= 1e6) return fmt::format("{:.2f} s", microseconds / 1e6);
  if (microseconds >= 1e3) return fmt::format("{:.2f} ms", microseconds / 1e3);
  return fmt::format("{:.0f} µs", microseconds);
}

std::string Recommend(const Scenario& scenario) {
  std::vector<const Run*> healthy;
  std::vector<std::string> unhealthy;
  std::vector<const Run*> floors;
  for (const Run& run : scenario.runs) {
    if (IsFloor(run)) {  // a yardstick, not a candidate
      if (run.result.requests > 0) floors.push_back(&run);
      continue;
    }
    if (Healthy(run)) {
      healthy.push_back(&run);
    } else {
      unhealthy.push_back(fmt::format("{} ({} of {} requests failed)", run.label, run.result.errors,
                                      run.result.requests + run.result.errors));
    }
  }
  std::string text;
  if (healthy.empty()) {
    text = "no wire completed its load without errors";
  } else if (scenario.sweep == Sweep::kNone || scenario.sweep == Sweep::kConcurrency) {
    if (scenario.sweep == Sweep::kConcurrency) {
      // The most throughput each wire reached, and at what latency.
      std::map<std::string, const Run*> best_by_wire;
      for (const Run* run : healthy) {
        const Run*& best = best_by_wire[run->wire];
        if (best == nullptr || run->result.throughput_rps > best->result.throughput_rps) best = run;
      }
      std::vector<const Run*> best(best_by_wire.size());
      std::transform(best_by_wire.begin(), best_by_wire.end(), best.begin(),
                     [](const auto& entry) { return entry.second; });
      std::sort(best.begin(), best.end(), [](const Run* a, const Run* b) {
        return a->result.throughput_rps > b->result.throughput_rps;
      });
      text = "most throughput: ";
      for (size_t i = 0; i < best.size(); ++i) {
        text += fmt::format("{}{} {:.0f} req/s (p50 {} at {:g} outstanding)", i ? ", " : "",
                            best[i]->wire, best[i]->result.throughput_rps,
                            FormatMicroseconds(P50(*best[i])), best[i]->sweep_value);
      }
    } else {
      text = Verdict(healthy, "");
      if (scenario.id == "tls") {
        if (const std::string tls = TlsVerdict(healthy); !tls.empty()) text += ". " + tls;
      }
    }
  } else {
    // One verdict per swept value, and whether the wire still matters at the end.
    std::map<double, std::vector<const Run*>> by_value;
    for (const Run* run : healthy) by_value[run->sweep_value].push_back(run);
    for (const auto& [value, runs] : by_value) {
      if (!text.empty()) text += ". ";
      text += Verdict(runs, fmt::format("at {}, ", FormatSweepValue(scenario.sweep, value)));
      double lowest = P50(*runs.front()), highest = lowest;
      for (const Run* run : runs) {
        lowest = std::min(lowest, P50(*run));
        highest = std::max(highest, P50(*run));
      }
      if (runs.size() > 1 && highest / lowest < 1.05) {
        text += " — the wire no longer matters (spread under 5%)";
      }
    }
  }
  if (!healthy.empty()) {
    const Run* fewest = *std::min_element(
        healthy.begin(), healthy.end(),
        [](const Run* a, const Run* b) { return a->result.requests < b->result.requests; });
    if (fewest->result.requests < kFewRequests) {
      text += fmt::format(
          " [indicative only: {} requests for {}; a few slow wake-ups move a p50 this small, so "
          "rerun without --quick before choosing on it]",
          fewest->result.requests, fewest->label);
    }
  }
  if (!floors.empty()) {
    std::vector<std::string> parts;
    for (const Run* floor : floors) {
      parts.push_back(fmt::format("{} {}", floor->label, FormatMicroseconds(P50(*floor))));
    }
    text += fmt::format(" (raw TCP measured in turn with these runs, p50: {})", fmt::join(parts, ", "));
  }
  if (!unhealthy.empty()) {
    text += fmt::format(". Not ranked: {}", fmt::join(unhealthy, ", "));
  }
  return text;
}

}  // namespace predictwire::loadgen
