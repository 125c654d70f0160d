#ifndef PREDICTWIRE_LOADGEN_COMPARE_TEST_MODELS_H_
#define PREDICTWIRE_LOADGEN_COMPARE_TEST_MODELS_H_

// The models compare starts its own server with: the default ones (core/default_models.h),
// simulated models of fixed compute times, and batched twins for the batching scenario.

#include <string>
#include <string_view>
#include <vector>

namespace predictwire::loadgen {

// A simulated model: `sleep` waits without using the CPU (the article's time.sleep), `busy`
// burns one CPU, for `ms` milliseconds.
struct SimulatedModel {
  std::string_view name;
  std::string_view kind;  // "sleep" or "busy"
  double ms;
};
// The model that answers at once: a request's time is the wire's and the server's alone.
inline constexpr std::string_view kInstantModel = "instant";
// kInstantModel (sleep 0), sleep1, sleep50, busy1, busy50.
const std::vector<SimulatedModel>& SimulatedModels();

// A model's name with this suffix is the same model with dynamic batching: up to 64 rows per
// call, the oldest waiting at most 100 µs.
inline constexpr std::string_view kBatchedSuffix = "_batched";

// The --model NAME=SPEC flags of compare's own server; the XGBoost file in `models_dir`.
std::vector<std::string> TestModelFlags(const std::string& models_dir);

}  // namespace predictwire::loadgen

#endif  // PREDICTWIRE_LOADGEN_COMPARE_TEST_MODELS_H_
