#ifndef PREDICTWIRE_BACKENDS_SIMULATED_SIMULATED_BACKEND_H_
#define PREDICTWIRE_BACKENDS_SIMULATED_SIMULATED_BACKEND_H_

#include <chrono>
#include <memory>

#include "absl/status/statusor.h"
#include "core/backend.h"

namespace predictwire::backends {

// A stand-in model with a fixed compute time, for measuring the wires rather than a model.
// Its prediction for a row is the sum of the row's features, so tests can check every answer.
class SimulatedBackend : public Backend {
 public:
  enum class Mode {
    kSleep,  // waits without using the CPU, like the article's time.sleep (an accelerator or a
             // remote call); runs on many worker threads at once
    kBusy,   // burns one CPU for the whole time, like a real model on the CPU
  };

  struct Options {
    Mode mode = Mode::kSleep;
    std::chrono::nanoseconds duration{0};
    // Concurrent runs; 0 picks a default: 256 for kSleep (waiting is free), one per CPU for kBusy.
    int instances = 0;
  };

  static absl::StatusOr<std::unique_ptr<SimulatedBackend>> Create(const Options& options);

  const BackendInfo& info() const override { return info_; }
  absl::Status Infer(const Tensor& input, Tensor* output) override;

 private:
  SimulatedBackend(const Options& options, BackendInfo info)
      : options_(options), info_(std::move(info)) {}

  const Options options_;
  const BackendInfo info_;
};

}  // namespace predictwire::backends

#endif  // PREDICTWIRE_BACKENDS_SIMULATED_SIMULATED_BACKEND_H_
