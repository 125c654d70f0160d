#include "loadgen/compare/judging.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>
#include <set>

#include "loadgen/stats/format.h"

namespace predictwire::loadgen {
namespace {

// Below this many answered requests a wire's p50 moves with a handful of slow ones (on a
// shared VM an idle vCPU can take milliseconds to wake), so a verdict says it is indicative.
constexpr uint64_t kFewRequests = 100;

bool Healthy(const Run& run) {
  const uint64_t total = run.result.requests + run.result.errors;
  return run.result.requests > 0 && run.result.errors * 100 <= total;
}

// Where a run's median sits: the geometric mean of its batch medians, which the margins compare,
// or its p50 when it has no batches.
double Center(const Run& run) {
  const std::vector<double>& batches = run.result.batch_p50_us;
  if (batches.empty()) return P50(run);
  double logs = 0;
  for (double median : batches) logs += std::log(std::max(median, 1e-9));
  return std::exp(logs / batches.size());
}

// "ws is 14% faster than rest-keepalive (p50 555 vs 645 µs, 95% CI 9–19%)".
std::string MarginText(const Run& fast, const Run& slow, const Margin& margin) {
  return fmt::format("{} is {:.0f}% faster than {} (p50 {} vs {}, {})", fast.label, margin.percent,
                     slow.label, FormatMicroseconds(P50(fast)), FormatMicroseconds(P50(slow)),
                     CiText(margin));
}

}  // namespace

Margin MarginOf(const Run& fast, const Run& slow) {
  return CompareBatches(fast.result.batch_p50_us, slow.result.batch_p50_us);
}

bool Clear(const Margin& margin) {
  return !margin.tie && margin.interval && margin.interval->low >= kNegligiblePercent;
}

std::string CiText(const Margin& margin) {
  return margin.interval ? fmt::format("95% CI {}", FormatPercentInterval(*margin.interval))
                         : std::string("no interval: too few batches");
}

double SlowerPercent(double faster_percent) { return (1 / (1 - faster_percent / 100) - 1) * 100; }

Judgement Judge(std::vector<const Run*> runs) {
  std::stable_sort(runs.begin(), runs.end(),
                   [](const Run* a, const Run* b) { return Center(*a) < Center(*b); });
  Judgement judgement;
  if (runs.empty()) return judgement;
  judgement.best.push_back(runs.front());
  for (size_t i = 1; i < runs.size(); ++i) {
    const Margin margin = MarginOf(*runs.front(), *runs[i]);
    if (Clear(margin)) {
      judgement.others.emplace_back(runs[i], margin);
    } else {
      judgement.best.push_back(runs[i]);
    }
  }
  return judgement;
}

std::vector<std::string> Labels(const std::vector<const Run*>& runs, bool by_wire) {
  std::vector<std::string> labels;
  for (const Run* run : runs) labels.push_back(by_wire ? run->wire : run->label);
  return labels;
}

std::string JudgementText(const Judgement& judgement) {
  std::vector<std::string> parts;
  const Run& fastest = *judgement.best.front();
  if (judgement.best.size() > 1) {
    std::vector<std::string> p50s;
    for (const Run* run : judgement.best) p50s.push_back(FormatMicroseconds(P50(*run)));
    parts.push_back(fmt::format("tie between {} (p50 {}): their differences are inside the noise",
                                JoinWords(Labels(judgement.best, false)), JoinWords(p50s)));
  } else {
    parts.push_back(
        fmt::format("{} leads (p50 {})", fastest.label, FormatMicroseconds(P50(fastest))));
  }
  for (const auto& [run, margin] : judgement.others) {
    parts.push_back(MarginText(fastest, *run, margin));
  }
  return fmt::format("{}", fmt::join(parts, "; "));
}

std::string AddedText(const Run& slow, const Run& fast) {
  return fmt::format("+{} ({:.1f}×)", FormatMicroseconds(P50(slow) - P50(fast)),
                     P50(fast) > 0 ? P50(slow) / P50(fast) : 0.0);
}

void SetBest(const Judgement& judgement, bool by_wire, Verdict* verdict) {
  verdict->best = Labels(judgement.best, by_wire);
  verdict->tie = verdict->best.size() > 1;
  if (judgement.others.empty()) return;
  verdict->margin_pct = judgement.others.front().second.percent;
  verdict->margin_ci_pct = judgement.others.front().second.interval;
}

void JudgeLatency(const Scenario&, const RunsToJudge& runs, Verdict* verdict) {
  const Judgement judgement = Judge(runs.healthy);
  SetBest(judgement, /*by_wire=*/false, verdict);
  verdict->text = JudgementText(judgement);
  verdict->meaning = JoinWords(Labels(judgement.best, true));
}

void JudgeSweep(const Scenario& scenario, const RunsToJudge& runs, Verdict* verdict) {
  std::map<double, std::vector<const Run*>> by_value;
  for (const Run* run : runs.healthy) by_value[run->sweep_value].push_back(run);
  std::vector<std::string> parts;
  std::set<std::string> always_best;
  std::vector<std::string> first_best;
  bool first = true;
  std::optional<double> stops_mattering;
  for (const auto& [value, at_value] : by_value) {
    const Judgement judgement = Judge(at_value);
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
    if (!verdict->margin_pct && !judgement.others.empty()) {
      verdict->margin_pct = judgement.others.front().second.percent;
      verdict->margin_ci_pct = judgement.others.front().second.interval;
    }
    std::string text =
        fmt::format("at {}: {}", FormatSweepValue(scenario.sweep, value), JudgementText(judgement));
    if (at_value.size() > 1 && judgement.others.empty()) {
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
  verdict->tie = verdict->best.size() > 1;
  verdict->text = fmt::format("{}", fmt::join(parts, ". "));
  if (stops_mattering && *stops_mattering == by_value.begin()->first) {
    verdict->meaning = "the wire does not matter at any point measured";
  } else if (stops_mattering) {
    verdict->meaning =
        fmt::format("{} at {}; from {} on, the wire no longer matters", JoinWords(first_best),
                    FormatSweepValue(scenario.sweep, by_value.begin()->first),
                    FormatSweepValue(scenario.sweep, *stops_mattering));
  } else {
    verdict->meaning = fmt::format("{} at every {} measured", JoinWords(verdict->best),
                                   scenario.sweep == Sweep::kPayloadBytes ? "size" : "point");
  }
}

Verdict Recommend(const Scenario& scenario) {
  const ScenarioRow* row = scenario.row;
  RunsToJudge runs;
  for (const Run& run : scenario.runs) {
    if (!run.skipped.empty() || run.probe) continue;
    if (IsFloor(run)) {  // a yardstick, not a candidate
      if (run.result.requests > 0) runs.floors.push_back(&run);
      continue;
    }
    runs.measured.push_back(&run);
    if (Healthy(run)) {
      runs.healthy.push_back(&run);
    } else {
      runs.unhealthy.push_back(fmt::format("{} ({} of {} requests failed)", run.label,
                                           run.result.errors,
                                           run.result.requests + run.result.errors));
    }
  }
  const auto judge = row != nullptr && row->judge != nullptr ? row->judge : JudgeLatency;
  Verdict verdict;
  if (row != nullptr && row->errors_are_findings && !runs.measured.empty()) {
    judge(scenario, runs, &verdict);
    return verdict;  // a run past the objective is the finding here, not a failure
  }
  if (runs.healthy.empty()) {
    verdict.text = "no wire completed its load without errors";
    verdict.meaning = verdict.text;
  } else {
    judge(scenario, runs, &verdict);
    const Run* fewest = *std::min_element(
        runs.healthy.begin(), runs.healthy.end(),
        [](const Run* a, const Run* b) { return a->result.requests < b->result.requests; });
    if (fewest->result.requests < kFewRequests) {
      verdict.text += fmt::format(
          " [indicative only: {} requests for {}; a few slow wake-ups move a p50 this small, so "
          "rerun without --quick before choosing on it]",
          fewest->result.requests, fewest->label);
    }
  }
  if (!runs.floors.empty()) {
    std::vector<std::string> parts;
    for (const Run* floor : runs.floors) {
      parts.push_back(fmt::format("{} {}", floor->label, FormatMicroseconds(P50(*floor))));
    }
    verdict.text +=
        fmt::format(" (raw TCP measured in turn with these runs, p50: {})", fmt::join(parts, ", "));
  }
  if (!runs.unhealthy.empty()) {
    verdict.text += fmt::format(". Not ranked: {}", fmt::join(runs.unhealthy, ", "));
  }
  return verdict;
}

}  // namespace predictwire::loadgen
