#ifndef PREDICTWIRE_BACKENDS_BACKEND_FACTORY_H_
#define PREDICTWIRE_BACKENDS_BACKEND_FACTORY_H_

#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "core/backend.h"

namespace predictwire::backends {

// One `--model NAME=SPEC` flag, split.
struct ModelFlag {
  std::string name;
  std::string spec;
};

// Splits "NAME=SPEC"; fails with a message that shows the expected form.
absl::StatusOr<ModelFlag> ParseModelFlag(std::string_view flag);

// Builds a backend from a SPEC:
//   xgboost:PATH        an XGBoost model file
//   sleep:DURATION      waits DURATION without using the CPU (e.g. sleep:50ms, sleep:0)
//   busy:DURATION       burns one CPU for DURATION
// optionally followed by ",instances=N" (how many requests may run at once).
// DURATION is a number with a unit: ns, us, ms, s (e.g. 1.5ms); 0 needs none.
absl::StatusOr<std::unique_ptr<Backend>> CreateBackend(std::string_view spec);

// The SPEC grammar above, for --help.
extern const char kModelSpecHelp[];

}  // namespace predictwire::backends

#endif  // PREDICTWIRE_BACKENDS_BACKEND_FACTORY_H_
