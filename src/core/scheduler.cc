#include "core/scheduler.h"

#include <fmt/format.h>

#include <atomic>
#include <deque>
#include <exception>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace predictwire {
namespace {

// Requests a kAuto model runs on workers before its compute estimate is trusted.
constexpr uint32_t kWarmupSamples = 8;
// Weight of a new sample in the compute estimate: 1/kEstimateSmoothing.
constexpr int64_t kEstimateSmoothing = 8;
// Worker threads each model starts with.
constexpr size_t kInitialWorkers = 4;

}  // namespace

struct Scheduler::Lane {
  Lane(const Model& m, Metrics* counted) : model(m), metrics(counted) {}

  struct Job {
    InferRequest request;
    SteadyClock::time_point submitted;
    Done done;
  };

  const Model& model;
  Metrics* const metrics;
  const size_t max_workers = static_cast<size_t>(std::max(1, model.info().instances));

  absl::Mutex mutex;
  absl::CondVar wake;  // signalled when a job is queued or the lane stops
  std::deque<Job> queue ABSL_GUARDED_BY(mutex);
  bool stopping ABSL_GUARDED_BY(mutex) = false;
  size_t idle_workers ABSL_GUARDED_BY(mutex) = 0;
  // Grows on demand up to max_workers.
  std::vector<std::thread> workers ABSL_GUARDED_BY(mutex);

  // Smoothed compute time per input row, in nanoseconds; updated after every run. Readers may
  // see a slightly stale value, which only shifts one inline decision.
  std::atomic<int64_t> ns_per_row{0};
  std::atomic<uint32_t> samples{0};
};

Scheduler::Scheduler(const ModelRegistry& registry, const Options& options) : options_(options) {
  lanes_.reserve(registry.models().size());
  for (const auto& model : registry.models()) {
    lanes_.push_back(std::make_unique<Lane>(*model, options.metrics));
  }
}

absl::StatusOr<std::unique_ptr<Scheduler>> Scheduler::Create(const ModelRegistry& registry,
                                                             const Options& options) {
  if (options.max_queued_per_model == 0) {
    return absl::InvalidArgumentError("max_queued_per_model must be at least 1");
  }
  std::unique_ptr<Scheduler> scheduler(new Scheduler(registry, options));
  for (auto& lane : scheduler->lanes_) {
    // A few threads up front so the first burst does not wait for thread creation (~0.5 ms
    // each here); more start on demand.
    absl::MutexLock lock(&lane->mutex);
    while (lane->workers.size() < std::min(lane->max_workers, kInitialWorkers)) {
      lane->workers.emplace_back([lane = lane.get()] { WorkerLoop(*lane); });
    }
  }
  return scheduler;
}

Scheduler::~Scheduler() { Shutdown(); }

void Scheduler::Shutdown() {
  for (auto& lane : lanes_) {
    {
      absl::MutexLock lock(&lane->mutex);
      lane->stopping = true;
    }
    lane->wake.SignalAll();
  }
  for (auto& lane : lanes_) {
    std::vector<std::thread> workers;
    {
      absl::MutexLock lock(&lane->mutex);  // no worker is added once stopping is set
      workers.swap(lane->workers);
    }
    for (std::thread& worker : workers) worker.join();
  }
}

bool Scheduler::ShouldRunInline(const Lane& lane, int64_t rows) const {
  if (lane.model.info().execution != ExecutionKind::kCompute) return false;
  switch (options_.mode) {
    case ExecutionMode::kInline:
      return true;
    case ExecutionMode::kWorker:
      return false;
    case ExecutionMode::kAuto:
      break;
  }
  if (lane.samples.load(std::memory_order_relaxed) < kWarmupSamples) return false;
  const int64_t expected_ns = lane.ns_per_row.load(std::memory_order_relaxed) * rows;
  return expected_ns < options_.inline_threshold.count();
}

bool Scheduler::WouldRunInline(const Model& model) const {
  return ShouldRunInline(*lanes_.at(model.index()), 1);
}

void Scheduler::Submit(const Model& model, InferRequest request, Done done, Placement placement) {
  const SteadyClock::time_point submitted = SteadyClock::now();
  if (absl::Status valid = model.ValidateInput(request.input); !valid.ok()) {
    std::move(done)(std::move(valid));
    return;
  }
  Lane& lane = *lanes_.at(model.index());
  if (placement == Placement::kSchedulerChooses && ShouldRunInline(lane, request.input.rows())) {
    Run(lane, std::move(request), submitted, std::move(done));
    return;
  }
  lane.mutex.Lock();
  if (lane.stopping) {
    lane.mutex.Unlock();
    std::move(done)(absl::UnavailableError("the server is shutting down"));
    return;
  }
  if (lane.queue.size() >= options_.max_queued_per_model) {
    const size_t queued = lane.queue.size();
    lane.mutex.Unlock();
    std::move(done)(absl::ResourceExhaustedError(fmt::format(
        "model '{}' already has {} requests waiting; try again later", model.name(), queued)));
    return;
  }
  lane.queue.push_back(Lane::Job{std::move(request), submitted, std::move(done)});
  // Threads start on demand, so a model allowed hundreds of concurrent runs costs nothing
  // while idle; starting one costs tens of microseconds, once.
  if (lane.idle_workers < lane.queue.size() && lane.workers.size() < lane.max_workers) {
    lane.workers.emplace_back([&lane] { WorkerLoop(lane); });
  }
  lane.mutex.Unlock();
  lane.wake.Signal();
}

void Scheduler::Run(Lane& lane, InferRequest request, SteadyClock::time_point submitted,
                    Done done) {
  const SteadyClock::time_point started = SteadyClock::now();
  InferResponse response;
  absl::Status status;
  try {
    status = lane.model.backend().Infer(request.input, &response.output);
  } catch (const std::exception& e) {
    status = absl::InternalError(fmt::format("model '{}' failed: {}", lane.model.name(), e.what()));
  }
  const SteadyClock::time_point finished = SteadyClock::now();

  const int64_t rows = std::max<int64_t>(1, request.input.rows());
  if (lane.metrics != nullptr)
    lane.metrics->RecordBatch(lane.model.index(), static_cast<size_t>(rows));
  const int64_t sample = std::chrono::nanoseconds(finished - started).count() / rows;
  const int64_t previous = lane.ns_per_row.load(std::memory_order_relaxed);
  const uint32_t samples = lane.samples.load(std::memory_order_relaxed);
  lane.ns_per_row.store(samples == 0 ? sample : previous + (sample - previous) / kEstimateSmoothing,
                        std::memory_order_relaxed);
  if (samples < kWarmupSamples) lane.samples.store(samples + 1, std::memory_order_relaxed);

  if (!status.ok()) {
    std::move(done)(std::move(status));
    return;
  }
  response.timing.queue_us = MicrosecondsBetween(submitted, started);
  response.timing.compute_us = MicrosecondsBetween(started, finished);
  std::move(done)(std::move(response));
}

size_t Scheduler::queued(const Model& model) const {
  Lane& lane = *lanes_[model.index()];
  absl::MutexLock lock(&lane.mutex);
  return lane.queue.size();
}

void Scheduler::WorkerLoop(Lane& lane) {
  for (;;) {
    Lane::Job job;
    {
      absl::MutexLock lock(&lane.mutex);
      ++lane.idle_workers;
      while (!lane.stopping && lane.queue.empty()) lane.wake.Wait(&lane.mutex);
      --lane.idle_workers;
      if (lane.queue.empty()) return;  // stopping, and everything queued has run
      job = std::move(lane.queue.front());
      lane.queue.pop_front();
    }
    Run(lane, std::move(job.request), job.submitted, std::move(job.done));
  }
}

}  // namespace predictwire
