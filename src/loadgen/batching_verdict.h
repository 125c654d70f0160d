#ifndef PREDICTWIRE_LOADGEN_BATCHING_VERDICT_H_
#define PREDICTWIRE_LOADGEN_BATCHING_VERDICT_H_

#include <vector>

#include "loadgen/report.h"

namespace predictwire::loadgen {

// The verdict of compare's batching scenario (scenarios.h): per model, its runs with and without
// dynamic batching (a served model named with kBatchedSuffix is the batched twin) paired at each
// load; from which load on batching carries at least 10% more, and what it costs a lone request
// (the p50 at the lowest load). `healthy`: the scenario's measured runs without errors.
void JudgeBatching(const std::vector<const Run*>& healthy, Verdict* verdict);

}  // namespace predictwire::loadgen

#endif  // PREDICTWIRE_LOADGEN_BATCHING_VERDICT_H_
