// What handing a request to a worker thread costs, next to running it inline: the measurement
// behind the scheduler's inline fast path (docs/architecture.md). Run pinned, e.g.
//   taskset -c 0 build/release/benchmarks/micro_benchmarks --benchmark_filter=Scheduler   (same
//   core) build/release/benchmarks/micro_benchmarks --benchmark_filter=Scheduler (free)

#include <benchmark/benchmark.h>

#include <atomic>
#include <thread>

#include "core/scheduler.h"

namespace predictwire {
namespace {

class InstantBackend : public Backend {
 public:
  InstantBackend() {
    info_.platform = "bench";
    info_.input = TensorSpec{"features", "FP32", {-1, -1}};
    info_.output = TensorSpec{"predictions", "FP32", {-1}};
  }
  const BackendInfo& info() const override { return info_; }
  absl::Status Infer(const Tensor& input, Tensor* output) override {
    output->shape = {1};
    output->values.assign(1, input.values[0]);
    return absl::OkStatus();
  }

 private:
  BackendInfo info_;
};

void RoundTrips(benchmark::State& state, ExecutionMode mode) {
  std::vector<ModelRegistry::Entry> entries;
  entries.push_back({"instant", std::make_unique<InstantBackend>()});
  auto registry = *ModelRegistry::Create(std::move(entries), "");
  Scheduler::Options options;
  options.mode = mode;
  auto scheduler = *Scheduler::Create(*registry, options);
  const Model& model = registry->default_model();
  std::atomic<bool> done{false};
  for (auto _ : state) {
    done.store(false, std::memory_order_relaxed);
    InferRequest request;
    request.input = Tensor{{1, 4}, {1, 2, 3, 4}};
    scheduler->Submit(model, std::move(request), [&](absl::StatusOr<InferResponse>) {
      done.store(true, std::memory_order_release);
    });
    while (!done.load(std::memory_order_acquire)) {
    }
  }
}

void BM_SchedulerInline(benchmark::State& state) { RoundTrips(state, ExecutionMode::kInline); }
void BM_SchedulerWorkerHandOff(benchmark::State& state) {
  RoundTrips(state, ExecutionMode::kWorker);
}
BENCHMARK(BM_SchedulerInline);
BENCHMARK(BM_SchedulerWorkerHandOff)->UseRealTime();

}  // namespace
}  // namespace predictwire
