#include "loadgen/recommend.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <vector>

#include "loadgen/batching_verdict.h"
#include "loadgen/browser_wires.h"

namespace predictwire::loadgen {
namespace {

// Below this many answered requests a wire's p50 moves with a handful of slow ones (on a
// shared VM an idle vCPU can take milliseconds to wake), so a verdict says it is indicative.
constexpr uint64_t kFewRequests = 100;
// A difference smaller than this is a tie whatever its interval: below what this machine's
// drift from one run to the next lets anyone act on (a 50 ms model answers within 0.01% every
// time, so its tiny, steady differences are "significant" and meaningless).
constexpr double kNegligiblePercent = 2;

double P50(const Run& run) { return run.result.latency.ValueAtPercentile(50) / 1000.0; }

bool Healthy(const Run& run) {
  const uint64_t total = run.result.requests + run.result.errors;
  return run.result.requests > 0 && run.result.errors * 100 <= total;
}

// "a", "a and b", "a, b and c".
std::string Join(const std::vector<std::string>& items) {
  std::string text;
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) text += i + 1 == items.size() ? " and " : ", ";
    text += items[i];
  }
  return text;
}

std::string IntervalText(const Interval& interval) {
  if (interval.low >= 0 || interval.high <= 0) {
    return fmt::format("{:.0f}–{:.0f}%", interval.low, interval.high);
  }
  return fmt::format("{:+.0f} to {:+.0f}%", interval.low, interval.high);
}

std::string CiText(const Margin& margin) {
  return margin.interval ? fmt::format("95% CI {}", IntervalText(*margin.interval))
                         : std::string("no interval: too few batches");
}

Margin MarginOf(const Run& fast, const Run& slow) {
  return CompareBatches(fast.result.batch_p50_us, slow.result.batch_p50_us);
}

// The runs that cannot be told apart from the fastest (fastest first), and every other run
// with its margin against the fastest, by p50.
struct Judgement {
  std::vector<const Run*> best;
  std::vector<std::pair<const Run*, Margin>> others;
};

// Where a run's median sits: the geometric mean of its batch medians, which the margins compare,
// or its p50 when it has no batches.
double Center(const Run& run) {
  const std::vector<double>& batches = run.result.batch_p50_us;
  if (batches.empty()) return P50(run);
  double logs = 0;
  for (double median : batches) logs += std::log(std::max(median, 1e-9));
  return std::exp(logs / batches.size());
}

Judgement Judge(std::vector<const Run*> runs) {
  std::stable_sort(runs.begin(), runs.end(),
                   [](const Run* a, const Run* b) { return Center(*a) < Center(*b); });
  Judgement judgement;
  if (runs.empty()) return judgement;
  judgement.best.push_back(runs.front());
  for (size_t i = 1; i < runs.size(); ++i) {
    const Margin margin = MarginOf(*runs.front(), *runs[i]);
    if (margin.tie || !margin.interval || margin.interval->low < kNegligiblePercent) {
      judgement.best.push_back(runs[i]);
    } else {
      judgement.others.emplace_back(runs[i], margin);
    }
  }
  return judgement;
}

std::vector<std::string> Labels(const std::vector<const Run*>& runs, bool by_wire) {
  std::vector<std::string> labels;
  for (const Run* run : runs) labels.push_back(by_wire ? run->wire : run->label);
  return labels;
}

// "ws is 14% faster than rest-keepalive (p50 555 vs 645 µs, 95% CI 9–19%)".
std::string MarginText(const Run& fast, const Run& slow, const Margin& margin) {
  return fmt::format("{} is {:.0f}% faster than {} (p50 {} vs {}, {})", fast.label,
                     margin.percent, slow.label, FormatMicroseconds(P50(fast)),
                     FormatMicroseconds(P50(slow)), CiText(margin));
}

std::string JudgementText(const Judgement& judgement) {
  std::vector<std::string> parts;
  const Run& fastest = *judgement.best.front();
  if (judgement.best.size() > 1) {
    std::vector<std::string> p50s;
    for (const Run* run : judgement.best) p50s.push_back(FormatMicroseconds(P50(*run)));
    parts.push_back(fmt::format("tie between {} (p50 {}): their differences are inside the noise",
                                Join(Labels(judgement.best, false)), Join(p50s)));
  } else {
    parts.push_back(fmt::format("{} leads (p50 {})", fastest.label,
                                FormatMicroseconds(P50(fastest))));
  }
  for (const auto& [run, margin] : judgement.others) {
    parts.push_back(MarginText(fastest, *run, margin));
  }
  return fmt::format("{}", fmt::join(parts, "; "));
}

void SetMargin(const Judgement& judgement, Verdict* verdict) {
  if (judgement.others.empty()) return;
  verdict->margin_pct = judgement.others.front().second.percent;
  verdict->margin_ci_pct = judgement.others.front().second.interval;
}

// How much slower `slow` is than `fast` in percent of `fast`, from a margin of fast over slow.
double SlowerPercent(double faster_percent) { return (1 / (1 - faster_percent / 100) - 1) * 100; }

// The TLS scenario: what TLS adds to each wire, against the same wire in the clear.
std::string TlsText(const std::vector<const Run*>& runs) {
  std::vector<std::string> per_request, per_connection;
  for (const Run* secure : runs) {
    if (!secure->result.options.wire.tls) continue;
    const Wire* row = secure->result.options.wire.wire;
    const auto plain = std::find_if(runs.begin(), runs.end(), [&](const Run* run) {
      return run->result.options.wire.wire == row && !run->result.options.wire.tls;
    });
    if (plain == runs.end()) continue;
    const Margin margin = MarginOf(**plain, *secure);
    if (row->new_connection_per_request) {
      per_connection.push_back(fmt::format("{} {} (+{} over {} {})", secure->label,
                                           FormatMicroseconds(P50(*secure)),
                                           FormatMicroseconds(P50(*secure) - P50(**plain)),
                                           (*plain)->label, FormatMicroseconds(P50(**plain))));
      continue;
    }
    const std::string p50s = fmt::format("p50 {} vs {}", FormatMicroseconds(P50(**plain)),
                                         FormatMicroseconds(P50(*secure)));
    if (margin.tie || !margin.interval ||
        std::min(std::abs(margin.interval->low), std::abs(margin.interval->high)) <
            kNegligiblePercent) {
      per_request.push_back(fmt::format("nothing measurable to {} ({}, {})", row->name, p50s,
                                        CiText(margin)));
      continue;
    }
    std::string ci = "no interval";
    if (margin.interval) {
      ci = fmt::format("95% CI {}", IntervalText({SlowerPercent(margin.interval->low),
                                                  SlowerPercent(margin.interval->high)}));
    }
    per_request.push_back(fmt::format("{:.0f}% to {} ({}, {})", SlowerPercent(margin.percent),
                                      row->name, p50s, ci));
  }
  std::string text;
  if (!per_request.empty()) {
    text = fmt::format("TLS adds per request on an open connection: {}", Join(per_request));
  }
  if (!per_connection.empty()) {
    if (!text.empty()) text += "; ";
    text += fmt::format("a new connection per request costs {}", Join(per_connection));
  }
  return text;
}

// The concurrency sweep: the most throughput each wire reached, and at what latency.
void JudgeThroughput(const std::vector<const Run*>& healthy, Verdict* verdict) {
  std::map<std::string, const Run*> best_by_wire;
  for (const Run* run : healthy) {
    const Run*& best = best_by_wire[run->wire];
    if (best == nullptr || run->result.throughput_rps > best->result.throughput_rps) best = run;
  }
  std::vector<const Run*> best;
  for (const auto& [wire, run] : best_by_wire) best.push_back(run);
  std::sort(best.begin(), best.end(), [](const Run* a, const Run* b) {
    return a->result.throughput_rps > b->result.throughput_rps;
  });
  std::vector<std::string> parts;
  for (const Run* run : best) {
    parts.push_back(fmt::format("{} {:.0f} req/s (p50 {} at {:g} outstanding)", run->wire,
                                run->result.throughput_rps, FormatMicroseconds(P50(*run)),
                                run->sweep_value));
  }
  verdict->best = {best.front()->wire};
  if (best.size() > 1 && best[1]->result.throughput_rps > 0) {
    verdict->margin_pct =
        (best.front()->result.throughput_rps / best[1]->result.throughput_rps - 1) * 100;
  }
  verdict->text = fmt::format("most throughput: {}", fmt::join(parts, ", "));
  verdict->meaning = fmt::format("under heavy load {} carries the most ({:.0f} req/s)",
                                 best.front()->wire, best.front()->result.throughput_rps);
}

// The capacity scenario: per wire, the highest offered rate whose run kept p99 within the
// objective without errors; the best are the wires that held the highest.
void JudgeCapacity(const Scenario& scenario, const std::vector<const Run*>& runs,
                   Verdict* verdict) {
  struct Held {
    const Run* best = nullptr;   // the highest rate held
    const Run* broke = nullptr;  // the lowest rate that was not
  };
  std::map<std::string, Held> by_wire;
  std::vector<std::string> order;
  for (const Run* run : runs) {
    if (!by_wire.count(run->wire)) order.push_back(run->wire);
    Held& held = by_wire[run->wire];
    const bool kept = run->result.requests > 0 && run->result.errors == 0 &&
                      run->result.latency.ValueAtPercentile(99) / 1000.0 <= scenario.slo_us;
    if (kept && (!held.best || run->sweep_value > held.best->sweep_value)) held.best = run;
    if (!kept && (!held.broke || run->sweep_value < held.broke->sweep_value)) held.broke = run;
  }
  std::stable_sort(order.begin(), order.end(), [&](const std::string& a, const std::string& b) {
    const double held_a = by_wire[a].best ? by_wire[a].best->sweep_value : 0;
    const double held_b = by_wire[b].best ? by_wire[b].best->sweep_value : 0;
    return held_a > held_b;
  });
  std::vector<std::string> parts;
  for (const std::string& wire : order) {
    const Held& held = by_wire[wire];
    std::string part =
        held.best ? fmt::format("{} holds {:g} req/s (p99 {})", wire, held.best->sweep_value,
                                FormatMicroseconds(held.best->result.latency.ValueAtPercentile(99) /
                                                   1000.0))
                  : fmt::format("{} holds none of the rates tried", wire);
    if (held.broke) {
      part += fmt::format(
          "; at {:g} req/s {}", held.broke->sweep_value,
          held.broke->result.errors > 0
              ? fmt::format("{} errors", held.broke->result.errors)
              : fmt::format("p99 {}", FormatMicroseconds(
                                          held.broke->result.latency.ValueAtPercentile(99) / 1000.0)));
    } else {
      part += ", the highest rate tried";
    }
    parts.push_back(std::move(part));
  }
  const Held& top = by_wire[order.front()];
  for (const std::string& wire : order) {
    const Held& held = by_wire[wire];
    if ((held.best ? held.best->sweep_value : 0) == (top.best ? top.best->sweep_value : 0)) {
      verdict->best.push_back(wire);
    }
  }
  verdict->text = fmt::format("within p99 {}: {}", FormatMicroseconds(scenario.slo_us),
                              fmt::join(parts, ". "));
  verdict->meaning =
      top.best ? fmt::format("with a p99 objective of {}: {} {} the most ({:g} req/s)",
                             FormatMicroseconds(scenario.slo_us), Join(verdict->best),
                             verdict->best.size() > 1 ? "carry" : "carries", top.best->sweep_value)
               : fmt::format("no wire kept p99 within {} at the rates tried",
                             FormatMicroseconds(scenario.slo_us));
}

// A sweep: a verdict per swept value; the best are the wires best at every value.
void JudgeSweep(const Scenario& scenario, const std::vector<const Run*>& healthy,
                Verdict* verdict) {
  std::map<double, std::vector<const Run*>> by_value;
  for (const Run* run : healthy) by_value[run->sweep_value].push_back(run);
  std::vector<std::string> parts;
  std::set<std::string> always_best;
  std::vector<std::string> first_best;
  bool first = true;
  std::optional<double> stops_mattering;
  for (const auto& [value, runs] : by_value) {
    const Judgement judgement = Judge(runs);
    const std::vector<std::string> best = Labels(judgement.best, true);
    if (first) {
      always_best.insert(best.begin(), best.end());
      first_best = best;
    } else {
      std::erase_if(always_best, [&](const std::string& wire) {
        return std::find(best.begin(), best.end(), wire) == best.end();
      });
    }
    first = false;
    if (!verdict->margin_pct) SetMargin(judgement, verdict);
    std::string text = fmt::format("at {}: {}", FormatSweepValue(scenario.sweep, value),
                                   JudgementText(judgement));
    if (runs.size() > 1 && judgement.others.empty()) {
      text += " — the wire no longer matters";
      if (!stops_mattering) stops_mattering = value;
    } else {
      stops_mattering.reset();
    }
    parts.push_back(std::move(text));
  }
  verdict->best.assign(always_best.begin(), always_best.end());
  if (verdict->best.empty()) {  // no wire led everywhere: those best at the last value
    verdict->best = Labels(Judge(by_value.rbegin()->second).best, true);
  }
  verdict->text = fmt::format("{}", fmt::join(parts, ". "));
  if (stops_mattering && *stops_mattering == by_value.begin()->first) {
    verdict->meaning = "the wire does not matter at any point measured";
  } else if (stops_mattering) {
    verdict->meaning = fmt::format(
        "{} at {}; from {} on, the wire no longer matters", Join(first_best),
        FormatSweepValue(scenario.sweep, by_value.begin()->first),
        FormatSweepValue(scenario.sweep, *stops_mattering));
  } else {
    verdict->meaning = fmt::format("{} at every {} measured", Join(verdict->best),
                                   scenario.sweep == Sweep::kPayloadBytes ? "size" : "point");
  }
}

// "+1.98 ms (28×)": how much longer `slow` takes than `fast` at the median.
std::string AddedText(const Run& slow, const Run& fast) {
  return fmt::format("+{} ({:.1f}×)", FormatMicroseconds(P50(slow) - P50(fast)),
                     P50(fast) > 0 ? P50(slow) / P50(fast) : 0.0);
}

// The browser scenario: the browser wires ranked among themselves (the C++ client's rows are
// their yardstick, not rivals), what Chromium adds to each exchange over the C++ client, and
// what a preflight and a new WebSocket cost.
void JudgeBrowser(const std::vector<const Run*>& healthy, Verdict* verdict) {
  std::vector<const Run*> browser;
  std::map<std::string_view, const Run*> by_wire;
  for (const Run* run : healthy) {
    by_wire[run->result.options.wire.wire->name] = run;
    if (IsBrowserWire(*run->result.options.wire.wire)) browser.push_back(run);
  }
  if (browser.empty()) {
    verdict->text = "no browser wire completed its requests without errors";
    verdict->meaning = verdict->text;
    return;
  }
  const Judgement judgement = Judge(browser);
  verdict->best = Labels(judgement.best, false);
  SetMargin(judgement, verdict);
  std::vector<std::string> added;
  for (const Run* run : browser) {
    const Wire& wire = *run->result.options.wire.wire;
    const Wire* counterpart = ClientCounterpart(wire);
    const auto client = counterpart ? by_wire.find(counterpart->name) : by_wire.end();
    // The second-origin fetches are judged against the same-origin one, below.
    if (client == by_wire.end() || wire.name.starts_with("browser-fetch-cors")) continue;
    added.push_back(fmt::format("{} {} vs {} {} {}", run->label, FormatMicroseconds(P50(*run)),
                                client->second->wire, FormatMicroseconds(P50(*client->second)),
                                AddedText(*run, *client->second)));
  }
  std::string text = fmt::format("in Chromium: {}", JudgementText(judgement));
  if (!added.empty()) {
    text += fmt::format(". What the browser adds to the C++ client's exchange: {}", Join(added));
  }
  const auto fetch = by_wire.find("browser-fetch");
  std::vector<std::string> costs;
  for (std::string_view name : {"browser-fetch-cors", "browser-fetch-cors-cached"}) {
    const auto cors = by_wire.find(name);
    if (fetch == by_wire.end() || cors == by_wire.end()) continue;
    const Margin margin = MarginOf(*fetch->second, *cors->second);
    const bool each = name == "browser-fetch-cors";
    costs.push_back(fmt::format(
        "{} second origin with {} {}", costs.empty() ? "A" : "a",
        each ? "a preflight before every request" : "its preflight cached (Max-Age)",
        margin.tie || !margin.interval || margin.interval->low < kNegligiblePercent
            ? fmt::format("costs nothing measurable (p50 {} vs {}, {})",
                          FormatMicroseconds(P50(*cors->second)),
                          FormatMicroseconds(P50(*fetch->second)), CiText(margin))
            : fmt::format("adds {} to a fetch", AddedText(*cors->second, *fetch->second))));
  }
  if (const auto fresh = by_wire.find("browser-ws-new"); fresh != by_wire.end()) {
    costs.push_back(fmt::format(
        "{} new WebSocket per request takes {} (opening it {})", costs.empty() ? "A" : "a",
        FormatMicroseconds(P50(*fresh->second)),
        FormatMicroseconds(fresh->second->result.connect.ValueAtPercentile(50) / 1000.0)));
  }
  if (!costs.empty()) text += fmt::format(". {}", Join(costs));
  verdict->text = std::move(text);
  const Run& fastest = *judgement.best.front();
  verdict->meaning = fmt::format("from a browser (Chromium): {} (p50 {})", Join(verdict->best),
                                 FormatMicroseconds(P50(fastest)));
  if (fetch != by_wire.end() && fetch->second != &fastest) {
    verdict->meaning +=
        fmt::format("; a fetch takes {}, {:.0f}× as long", FormatMicroseconds(P50(*fetch->second)),
                    P50(fastest) > 0 ? P50(*fetch->second) / P50(fastest) : 0.0);
  }
  if (const auto fresh = by_wire.find("browser-ws-new"); fresh != by_wire.end()) {
    verdict->meaning +=
        fmt::format(", a new WebSocket per request {}", FormatMicroseconds(P50(*fresh->second)));
  }
  const Wire* counterpart = ClientCounterpart(*fastest.result.options.wire.wire);
  if (const auto client = counterpart ? by_wire.find(counterpart->name) : by_wire.end();
      client != by_wire.end()) {
    verdict->meaning += fmt::format("; the browser adds {} to the C++ client's {}",
                                    AddedText(fastest, *client->second), client->second->wire);
  }
}

// One line on what a scenario's verdict means for the reader.
std::string Meaning(const Scenario& scenario, const Judgement& judgement) {
  const std::string best = Join(Labels(judgement.best, true));
  if (scenario.id == "sporadic") {
    for (const auto& [run, margin] : judgement.others) {
      if (run->result.options.wire.wire->new_connection_per_request) {
        return fmt::format(
            "for predictions now and then, keep the connection open ({}): a new one per request "
            "costs {:.0f}% more",
            best, SlowerPercent(margin.percent));
      }
    }
    return fmt::format("for predictions now and then: {}", best);
  }
  if (scenario.id == "high-frequency") return fmt::format("for back-to-back predictions: {}", best);
  if (scenario.id.starts_with("many-clients")) {
    return fmt::format("with many clients at once: {}", best);
  }
  if (scenario.id.starts_with("article")) return fmt::format("against the article's servers: {}", best);
  return best;
}

}  // namespace

std::string FormatMicroseconds(double microseconds) {
  if (microseconds >= 1e6) return fmt::format("{:.2f} s", microseconds / 1e6);
  if (microseconds >= 1e3) return fmt::format("{:.2f} ms", microseconds / 1e3);
  return fmt::format("{:.0f} µs", microseconds);
}

Verdict Recommend(const Scenario& scenario) {
  Verdict verdict;
  std::vector<const Run*> healthy;
  std::vector<std::string> unhealthy;
  std::vector<const Run*> floors;
  std::vector<const Run*> measured;  // for the capacity scenario, whatever their errors
  for (const Run& run : scenario.runs) {
    if (!run.skipped.empty()) continue;
    measured.push_back(&run);
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
  if (scenario.sweep == Sweep::kOfferedRate && !measured.empty()) {
    JudgeCapacity(scenario, measured, &verdict);
    return verdict;  // a run past the objective is the finding here, not a failure
  }
  if (healthy.empty()) {
    verdict.text = "no wire completed its load without errors";
    verdict.meaning = verdict.text;
  } else if (scenario.id == "batching") {
    JudgeBatching(healthy, &verdict);
  } else if (scenario.sweep == Sweep::kConcurrency) {
    JudgeThroughput(healthy, &verdict);
  } else if (scenario.id == "browser") {
    JudgeBrowser(healthy, &verdict);
  } else if (scenario.sweep != Sweep::kNone) {
    JudgeSweep(scenario, healthy, &verdict);
  } else {
    const Judgement judgement = Judge(healthy);
    verdict.best = Labels(judgement.best, false);
    SetMargin(judgement, &verdict);
    verdict.text = JudgementText(judgement);
    verdict.meaning = Meaning(scenario, judgement);
    if (scenario.id == "tls") {
      if (const std::string tls = TlsText(healthy); !tls.empty()) {
        verdict.text += ". " + tls;
        verdict.meaning = tls;
      }
    }
  }
  if (!healthy.empty()) {
    const Run* fewest = *std::min_element(
        healthy.begin(), healthy.end(),
        [](const Run* a, const Run* b) { return a->result.requests < b->result.requests; });
    if (fewest->result.requests < kFewRequests) {
      verdict.text += fmt::format(
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
    verdict.text += fmt::format(" (raw TCP measured in turn with these runs, p50: {})",
                                fmt::join(parts, ", "));
  }
  if (!unhealthy.empty()) {
    verdict.text += fmt::format(". Not ranked: {}", fmt::join(unhealthy, ", "));
  }
  return verdict;
}

std::vector<std::string> DecisionLines(const Report& report) {
  std::vector<std::string> lines;
  for (const Scenario& scenario : report.scenarios) {
    const Verdict& verdict = scenario.verdict;
    std::string margin;
    if (verdict.margin_pct) {
      margin = fmt::format(", {:.0f}% ahead of the next", *verdict.margin_pct);
      if (verdict.margin_ci_pct) {
        margin += fmt::format(" (95% CI {})", IntervalText(*verdict.margin_ci_pct));
      }
    }
    const std::string best = verdict.best.empty()         ? std::string("none")
                             : verdict.best.size() == 1 ? verdict.best.front()
                                                        : "tie: " + Join(verdict.best);
    lines.push_back(fmt::format("{} [{}]: {}{} — {}", scenario.id, scenario.placement, best,
                                margin, verdict.meaning));
  }
  return lines;
}

std::vector<std::string> OverallLines(const Report& report) {
  struct Criterion {
    std::string_view name;
    std::vector<std::string_view> scenarios;  // id prefixes, in the order they speak
  };
  static const Criterion kCriteria[] = {
      {"Request rate", {"sporadic", "high-frequency"}},
      {"Model compute time", {"compute"}},
      {"Payload size", {"payload"}},
      {"Number of clients", {"many-clients", "concurrency", "capacity"}},
      {"Batching", {"batching"}},
      {"Network round trip", {"wan"}},
      {"TLS", {"tls"}},
  };
  std::vector<std::string> lines;
  for (const Criterion& criterion : kCriteria) {
    std::vector<std::string> parts;
    for (std::string_view prefix : criterion.scenarios) {
      const auto found = std::find_if(
          report.scenarios.begin(), report.scenarios.end(),
          [&](const Scenario& scenario) { return scenario.id.starts_with(prefix); });
      if (found != report.scenarios.end() && !found->verdict.meaning.empty()) {
        parts.push_back(found->verdict.meaning);
      }
    }
    if (!parts.empty()) lines.push_back(fmt::format("{}: {}", criterion.name, fmt::join(parts, "; ")));
  }
  const auto browser =
      std::find_if(report.scenarios.begin(), report.scenarios.end(),
                   [](const Scenario& scenario) { return scenario.id == "browser"; });
  lines.push_back(browser != report.scenarios.end() && !browser->verdict.meaning.empty()
                      ? fmt::format("Client: {}", browser->verdict.meaning)
                      : "Client: measured from predictwire's C++ client; what a browser adds is "
                        "measured by the browser scenario (it needs Debian's chromium)");
  return lines;
}

}  // namespace predictwire::loadgen
