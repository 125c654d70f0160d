#ifndef PREDICTWIRE_BACKENDS_BACKEND_FACTORY_H_
#define PREDICTWIRE_BACKENDS_BACKEND_FACTORY_H_

#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "core/backend.h"
#include "core/model_registry.h"

namespace predictwire::backends {

// One `--model NAME=SPEC` flag, split.
struct ModelFlag {
  std::string name;
  std::string spec;
};

// Splits "NAME=SPEC"; fails with a message that shows the expected form.
absl::StatusOr<ModelFlag> ParseModelFlag(std::string_view flag);

// One kind of backend, as a SPEC names it: "KIND:ARGUMENT". Each backend folder adds one row
// to the table in backend_factory.cc, and nothing else lists backends.
struct BackendKind {
  std::string_view kind;      // before the colon: "xgboost"
  std::string_view argument;  // what follows, for help: "PATH", "DURATION"
  std::string_view help;      // "an XGBoost model file"
  // `instances`: how many requests may run at once, 0 for the backend's default.
  absl::StatusOr<std::unique_ptr<Backend>> (*create)(std::string_view argument, int instances);
};

// Every kind, in the order help lists them.
std::span<const BackendKind> BackendKinds();

// A model as one SPEC describes it: its backend and how the scheduler batches its requests.
struct ModelSpec {
  std::unique_ptr<Backend> backend;
  Batching batching;
};

// Builds a model from a SPEC: KIND:ARGUMENT with a kind of BackendKinds() (xgboost:PATH,
// sleep:DURATION, busy:DURATION), optionally followed by options: ",instances=N" (how many
// requests may run at once), ",batch=MAX" (dynamic batching: up to MAX rows per backend call)
// and ",batch-delay=DURATION" (how long the oldest request may wait for others; with batch=,
// default 0: merge only what is already waiting). DURATION is a number with a unit: ns, us, ms,
// s (e.g. 1.5ms); 0 needs none.
absl::StatusOr<ModelSpec> CreateModel(std::string_view spec);

// CreateModel's backend alone; batching options are checked, then left to the caller who wants
// them (CreateModel).
absl::StatusOr<std::unique_ptr<Backend>> CreateBackend(std::string_view spec);

// The SPEC grammar, from the table, for --help and error messages.
std::string ModelSpecHelp();

}  // namespace predictwire::backends

#endif  // PREDICTWIRE_BACKENDS_BACKEND_FACTORY_H_
