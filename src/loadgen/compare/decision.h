#ifndef PREDICTWIRE_LOADGEN_COMPARE_DECISION_H_
#define PREDICTWIRE_LOADGEN_COMPARE_DECISION_H_

#include <span>
#include <string>
#include <vector>

#include "loadgen/compare/report.h"
#include "loadgen/compare/scenario.h"

namespace predictwire::loadgen {

// The decision at the top of a report: one line per scenario (its best wires, the margin with
// its interval, what it means).
std::vector<std::string> DecisionLines(const Report& report);

// The overall recommendation: a line per criterion of the article (scenario.h) that the report
// measured, from its scenarios' verdicts in the order `rows` lists them, and the `unmeasured`
// line of a row whose criterion nothing measured.
std::vector<std::string> OverallLines(const Report& report,
                                      std::span<const ScenarioRow* const> rows = Scenarios());

}  // namespace predictwire::loadgen

#endif  // PREDICTWIRE_LOADGEN_COMPARE_DECISION_H_
