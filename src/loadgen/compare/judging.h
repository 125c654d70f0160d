#ifndef PREDICTWIRE_LOADGEN_COMPARE_JUDGING_H_
#define PREDICTWIRE_LOADGEN_COMPARE_JUDGING_H_

// How compare judges a scenario from its measured runs only, and the pieces the scenarios'
// own judges are made of.
//
// The run with the lowest median latency leads; every run whose difference from it has a 95%
// interval holding 0 (stats/confidence.h), or below what this machine's drift lets anyone act
// on, ties with it, and the verdict says "tie" rather than name a winner. Each other run gets
// its margin with its interval: "ws is 14% faster than rest-keepalive (p50 555 vs 645 µs, 95% CI
// 9–19%)". Runs with more than 1% errors are named and set aside; floors (the tcp wires) are
// yardsticks, never candidates. A verdict built on fewer than 100 requests per run says it is
// indicative.

#include <string>
#include <utility>
#include <vector>

#include "loadgen/compare/report.h"
#include "loadgen/compare/scenario.h"
#include "loadgen/stats/confidence.h"

namespace predictwire::loadgen {

// A difference smaller than this is a tie whatever its interval: below what this machine's
// drift from one run to the next lets anyone act on.
inline constexpr double kNegligiblePercent = 2;

// The verdict of `scenario` by its row's judge (latency when it has none), with the notes every
// verdict carries: too few requests, the floor measured beside it, the runs set aside.
Verdict Recommend(const Scenario& scenario);

// The runs that cannot be told apart from the fastest (fastest first), and every other run
// with its margin against the fastest, by median latency.
struct Judgement {
  std::vector<const Run*> best;
  std::vector<std::pair<const Run*, Margin>> others;
};
Judgement Judge(std::vector<const Run*> runs);

// How much faster `fast` is than `slow`, by their batch medians.
Margin MarginOf(const Run& fast, const Run& slow);
// Whether a margin is a difference anyone could act on.
bool Clear(const Margin& margin);
// "95% CI 9–19%", or that there is none.
std::string CiText(const Margin& margin);
// How much slower `slow` is than `fast` in percent of `fast`, from a margin of fast over slow.
double SlowerPercent(double faster_percent);
// The runs' labels, or their `wire` (a sweep's lines).
std::vector<std::string> Labels(const std::vector<const Run*>& runs, bool by_wire);
// "ws leads (p50 400 µs); ws is 20% faster than rest (...)" or "tie between ...".
std::string JudgementText(const Judgement& judgement);
// "+1.98 ms (28.0×)": how much longer `slow` takes than `fast` at the median.
std::string AddedText(const Run& slow, const Run& fast);
// Sets the verdict's best, tie and margin from `judgement`.
void SetBest(const Judgement& judgement, bool by_wire, Verdict* verdict);

// The default judge: the healthy runs ranked by median latency; the meaning names the best.
void JudgeLatency(const Scenario& scenario, const RunsToJudge& runs, Verdict* verdict);
// A sweep: a judgement per swept value; the best are the wires best at every value, and the
// meaning says from which value on the wire no longer matters (every run tied).
void JudgeSweep(const Scenario& scenario, const RunsToJudge& runs, Verdict* verdict);

}  // namespace predictwire::loadgen

#endif  // PREDICTWIRE_LOADGEN_COMPARE_JUDGING_H_
