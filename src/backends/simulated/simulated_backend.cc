#include "backends/simulated/simulated_backend.h"

#include <algorithm>
#include <thread>

namespace predictwire::backends {
namespace {

constexpr int kDefaultSleepInstances = 256;

int CpuCount() { return std::max(1u, std::thread::hardware_concurrency()); }

}  // namespace

absl::StatusOr<std::unique_ptr<SimulatedBackend>> SimulatedBackend::Create(const Options& options) {
  if (options.duration.count() < 0) {
    return absl::InvalidArgumentError("a simulated compute time cannot be negative");
  }
  if (options.instances < 0) return absl::InvalidArgumentError("instances cannot be negative");
  BackendInfo info;
  // <framework>_<format>, as the Open Inference Protocol names platforms.
  info.platform = options.mode == Mode::kSleep ? "predictwire_sleep" : "predictwire_busy";
  info.input = TensorSpec{"features", "FP32", {-1, -1}};
  info.output = TensorSpec{"predictions", "FP32", {-1}};
  // A zero-length sleep never waits, so it may run inline like any fast model.
  info.execution = options.mode == Mode::kSleep && options.duration.count() > 0
                       ? ExecutionKind::kMayBlock
                       : ExecutionKind::kCompute;
  info.instances = options.instances > 0          ? options.instances
                   : options.mode == Mode::kSleep ? kDefaultSleepInstances
                                                  : CpuCount();
  return std::unique_ptr<SimulatedBackend>(new SimulatedBackend(options, std::move(info)));
}

absl::Status SimulatedBackend::Infer(const Tensor& input, Tensor* output) {
  const auto started = std::chrono::steady_clock::now();
  const int64_t rows = input.rows();
  const int64_t cols = input.cols();
  output->shape = {rows};
  output->values.resize(rows);
  for (int64_t row = 0; row < rows; ++row) {
    const float* values = input.values.data() + row * cols;
    double sum = 0;
    for (int64_t col = 0; col < cols; ++col) sum += values[col];
    output->values[row] = static_cast<float>(sum);
  }
  if (options_.duration.count() > 0) {
    const auto deadline = started + options_.duration;
    if (options_.mode == Mode::kSleep) {
      std::this_thread::sleep_until(deadline);
    } else {
      while (std::chrono::steady_clock::now() < deadline) {
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace predictwire::backends
