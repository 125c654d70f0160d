#include "loadgen/batching_verdict.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <optional>
#include <string>

#include "loadgen/recommend.h"
#include "loadgen/scenarios.h"

namespace predictwire::loadgen {
namespace {

double P50(const Run& run) { return run.result.latency.ValueAtPercentile(50) / 1000.0; }
double P99(const Run& run) { return run.result.latency.ValueAtPercentile(99) / 1000.0; }

}  // namespace

void JudgeBatching(const std::vector<const Run*>& healthy, Verdict* verdict) {
  struct Pair {
    const Run* plain = nullptr;
    const Run* batched = nullptr;
  };
  // model → outstanding → the two runs, in the order they were planned.
  std::vector<std::string> models;
  std::map<std::string, std::map<double, Pair>> pairs;
  for (const Run* run : healthy) {
    std::string model = run->result.options.model;
    const bool batched = model.ends_with(kBatchedSuffix);
    if (batched) model.resize(model.size() - kBatchedSuffix.size());
    if (std::find(models.begin(), models.end(), model) == models.end()) models.push_back(model);
    Pair& pair = pairs[model][run->sweep_value];
    (batched ? pair.batched : pair.plain) = run;
  }
  // Differences under this are within what a shared machine's runs drift by.
  constexpr double kPays = 1.10;
  std::vector<std::string> texts;
  std::vector<std::string> meanings;
  std::vector<std::string> best;
  for (const std::string& model : models) {
    std::vector<std::string> points;
    std::optional<double> pays_from;
    std::string low_load;
    for (const auto& [level, pair] : pairs[model]) {
      if (pair.plain == nullptr || pair.batched == nullptr) continue;
      const double plain_rps = pair.plain->result.throughput_rps;
      const double batched_rps = pair.batched->result.throughput_rps;
      const double gain = plain_rps > 0 ? batched_rps / plain_rps : 0;
      points.push_back(fmt::format(
          "{:g} outstanding: {:.0f} vs {:.0f} req/s ({:.2f}x), p50 {} vs {}, p99 {} vs {}", level,
          batched_rps, plain_rps, gain, FormatMicroseconds(P50(*pair.batched)),
          FormatMicroseconds(P50(*pair.plain)), FormatMicroseconds(P99(*pair.batched)),
          FormatMicroseconds(P99(*pair.plain))));
      if (!pays_from && gain >= kPays) pays_from = level;
      if (low_load.empty()) {
        low_load = fmt::format("at {:g} outstanding it costs {} on the p50 ({} vs {})", level,
                               FormatMicroseconds(P50(*pair.batched) - P50(*pair.plain)),
                               FormatMicroseconds(P50(*pair.batched)),
                               FormatMicroseconds(P50(*pair.plain)));
      }
    }
    if (points.empty()) continue;
    texts.push_back(fmt::format("{} (batched vs not): {}", model, fmt::join(points, "; ")));
    const std::string from =
        pays_from ? fmt::format("batching pays from {:g} outstanding", *pays_from)
                  : fmt::format("batching never carried {:.0f}% more", (kPays - 1) * 100);
    meanings.push_back(fmt::format("{}: {}; {}", model, from, low_load));
    best.push_back(pays_from ? fmt::format("{} batched from {:g} outstanding", model, *pays_from)
                             : fmt::format("{} unbatched", model));
  }
  // One finding per model, not a tie between them.
  if (!best.empty()) verdict->best = {fmt::format("{}", fmt::join(best, ", "))};
  verdict->text = fmt::format("{}", fmt::join(texts, ". "));
  verdict->meaning = fmt::format("{}", fmt::join(meanings, ". "));
}

}  // namespace predictwire::loadgen
