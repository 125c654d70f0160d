#include "core/scheduler.h"

#include <fmt/format.h>

#include <atomic>
#include <deque>
#include <exception>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "core/batch.h"

namespace predictwire {
namespace {

// Requests a kAuto model runs on workers before its compute estimate is trusted.
constexpr uint32_t kWarmupSamples = 8;
// Weight of a new sample in the compute estimate: 1/kEstimateSmoothing.
constexpr int64_t kEstimateSmoothing = 8;
// Worker threads each model starts with.
constexpr size_t kInitialWorkers = 4;

absl::Status CallBackend(const Model& model, const Tensor& input, Tensor* output) {
  try {
    return model.backend().Infer(input, output);
  } catch (const std::exception& e) {
    return absl::InternalError(fmt::format("model '{}' failed: {}", model.name(), e.what()));
  }
}

absl::Status FinishedLate(const Model& model) {
  return absl::DeadlineExceededError(
      fmt::format("model '{}' finished after the request's deadline", model.name()));
}

}  // namespace

struct Scheduler::Job {
  InferRequest request;
  SteadyClock::time_point submitted;
  Done done;
};

struct Scheduler::Lane {
  Lane(const Model& m, Metrics* counted) : model(m), metrics(counted) {}

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

// Threads for work too long for an IO thread, fed in order from one queue.
struct Scheduler::OffloadPool {
  absl::Mutex mutex;
  absl::CondVar wake;
  std::deque<Task> tasks ABSL_GUARDED_BY(mutex);
  bool stopping ABSL_GUARDED_BY(mutex) = false;
  std::vector<std::thread> threads;  // started in Create, joined in Shutdown

  void Loop() {
    for (;;) {
      Task task;
      {
        absl::MutexLock lock(&mutex);
        while (!stopping && tasks.empty()) wake.Wait(&mutex);
        if (tasks.empty()) return;  // stopping, and every task has run
        task = std::move(tasks.front());
        tasks.pop_front();
      }
      std::move(task)();
    }
  }
};

Scheduler::Scheduler(const ModelRegistry& registry, const Options& options)
    : options_(options), offload_(std::make_unique<OffloadPool>()) {
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
  if (options.request_timeout.count() < 0) {
    return absl::InvalidArgumentError("request_timeout must not be negative");
  }
  std::unique_ptr<Scheduler> scheduler(new Scheduler(registry, options));
  OffloadPool& pool = *scheduler->offload_;
  for (size_t i = 0; i < std::max<size_t>(1, options.offload_threads); ++i) {
    pool.threads.emplace_back([&pool] { pool.Loop(); });
  }
  for (auto& lane : scheduler->lanes_) {
    // A few threads up front so the first burst does not wait for thread creation (~0.5 ms
    // each here); more start on demand.
    absl::MutexLock lock(&lane->mutex);
    while (lane->workers.size() < std::min(lane->max_workers, kInitialWorkers)) {
      lane->workers.emplace_back([lane = lane.get()] {
        lane->model.batching().enabled() ? BatchWorkerLoop(*lane) : WorkerLoop(*lane);
      });
    }
  }
  return scheduler;
}

Scheduler::~Scheduler() { Shutdown(); }

void Scheduler::Offload(Task task) {
  {
    absl::MutexLock lock(&offload_->mutex);
    if (!offload_->stopping) {
      offload_->tasks.push_back(std::move(task));
      offload_->wake.Signal();
      return;
    }
  }
  std::move(task)();  // shut down: what it submits is refused as Unavailable
}

void Scheduler::Shutdown() {
  // Offloaded tasks first: they may still submit requests to the lanes.
  {
    absl::MutexLock lock(&offload_->mutex);
    offload_->stopping = true;
  }
  offload_->wake.SignalAll();
  std::vector<std::thread> offload_threads;
  offload_threads.swap(offload_->threads);  // a second Shutdown finds none
  for (std::thread& thread : offload_threads) thread.join();
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
  // Batching gathers requests in the queue; one run inline would never meet another.
  if (lane.model.batching().enabled()) return false;
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
  if (options_.request_timeout.count() > 0) {
    request.deadline = std::min(request.deadline, submitted + options_.request_timeout);
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
  lane.queue.push_back(Job{std::move(request), submitted, std::move(done)});
  // Threads start on demand, so a model allowed hundreds of concurrent runs costs nothing
  // while idle; starting one costs tens of microseconds, once.
  if (lane.idle_workers < lane.queue.size() && lane.workers.size() < lane.max_workers) {
    lane.workers.emplace_back(
        [&lane] { lane.model.batching().enabled() ? BatchWorkerLoop(lane) : WorkerLoop(lane); });
  }
  lane.mutex.Unlock();
  lane.wake.Signal();
}

absl::Status Scheduler::Staleness(const Lane& lane, const InferRequest& request,
                                  SteadyClock::time_point submitted, SteadyClock::time_point now) {
  // The deadline first: a client whose own deadline fired usually resets its call as well.
  if (now > request.deadline) {
    if (lane.metrics != nullptr) lane.metrics->RecordExpired(lane.model.index());
    return absl::DeadlineExceededError(fmt::format(
        "the request waited {} ms for model '{}' and its deadline passed; it was not run",
        MicrosecondsBetween(submitted, now) / 1000, lane.model.name()));
  }
  if (IsCancelled(request.cancelled)) {
    if (lane.metrics != nullptr) lane.metrics->RecordCancelled(lane.model.index());
    return absl::CancelledError("the client has gone; the request was not run");
  }
  return absl::OkStatus();
}

void Scheduler::CountCall(Lane& lane, int64_t rows, SteadyClock::time_point started,
                          SteadyClock::time_point finished) {
  rows = std::max<int64_t>(1, rows);
  if (lane.metrics != nullptr)
    lane.metrics->RecordBatch(lane.model.index(), static_cast<size_t>(rows));
  const int64_t sample = std::chrono::nanoseconds(finished - started).count() / rows;
  const int64_t previous = lane.ns_per_row.load(std::memory_order_relaxed);
  const uint32_t samples = lane.samples.load(std::memory_order_relaxed);
  lane.ns_per_row.store(samples == 0 ? sample : previous + (sample - previous) / kEstimateSmoothing,
                        std::memory_order_relaxed);
  if (samples < kWarmupSamples) lane.samples.store(samples + 1, std::memory_order_relaxed);
}

void Scheduler::Run(Lane& lane, InferRequest request, SteadyClock::time_point submitted,
                    Done done) {
  const SteadyClock::time_point started = SteadyClock::now();
  if (absl::Status stale = Staleness(lane, request, submitted, started); !stale.ok()) {
    std::move(done)(std::move(stale));
    return;
  }
  InferResponse response;
  absl::Status status = CallBackend(lane.model, request.input, &response.output);
  const SteadyClock::time_point finished = SteadyClock::now();
  CountCall(lane, request.input.rows(), started, finished);

  if (!status.ok()) {
    std::move(done)(std::move(status));
    return;
  }
  if (finished > request.deadline) {
    std::move(done)(FinishedLate(lane.model));
    return;
  }
  response.timing.queue_us = MicrosecondsBetween(submitted, started);
  response.timing.compute_us = MicrosecondsBetween(started, finished);
  std::move(done)(std::move(response));
}

void Scheduler::RunBatch(Lane& lane, std::vector<Job>& jobs, SteadyClock::time_point started) {
  std::vector<const Tensor*> inputs;
  std::vector<int64_t> rows;
  inputs.reserve(jobs.size());
  rows.reserve(jobs.size());
  for (const Job& job : jobs) {
    inputs.push_back(&job.request.input);
    rows.push_back(job.request.input.rows());
  }
  const Tensor merged = MergeRows(inputs, jobs.front().request.input.cols());
  Tensor merged_output;
  absl::Status status = CallBackend(lane.model, merged, &merged_output);
  const SteadyClock::time_point finished = SteadyClock::now();
  CountCall(lane, merged.rows(), started, finished);
  std::vector<Tensor> outputs;
  if (status.ok()) status = SplitRows(merged_output, rows, &outputs);
  if (!status.ok()) {
    // One request the model cannot take must not fail the others: each runs alone instead.
    for (Job& job : jobs) Run(lane, std::move(job.request), job.submitted, std::move(job.done));
    return;
  }
  for (size_t i = 0; i < jobs.size(); ++i) {
    Job& job = jobs[i];
    if (finished > job.request.deadline) {
      std::move(job.done)(FinishedLate(lane.model));
      continue;
    }
    InferResponse response;
    response.output = std::move(outputs[i]);
    response.timing.queue_us = MicrosecondsBetween(job.submitted, started);
    response.timing.compute_us = MicrosecondsBetween(started, finished);
    std::move(job.done)(std::move(response));
  }
}

size_t Scheduler::offloads_waiting() const {
  absl::MutexLock lock(&offload_->mutex);
  return offload_->tasks.size();
}

size_t Scheduler::queued(const Model& model) const {
  Lane& lane = *lanes_[model.index()];
  absl::MutexLock lock(&lane.mutex);
  return lane.queue.size();
}

void Scheduler::WorkerLoop(Lane& lane) {
  for (;;) {
    Job job;
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

namespace {

// Rows waiting in `queue` (from its front) that a batch of `cols` columns could take, counted up
// to `enough`.
template <typename Queue>
size_t RowsWaiting(const Queue& queue, int64_t cols, size_t enough) {
  size_t rows = 0;
  for (const auto& job : queue) {
    if (job.request.input.cols() != cols) continue;
    rows += static_cast<size_t>(job.request.input.rows());
    if (rows >= enough) break;
  }
  return rows;
}

}  // namespace

void Scheduler::BatchWorkerLoop(Lane& lane) {
  const Batching& batching = lane.model.batching();
  std::vector<Job> batch;
  std::vector<Job> runnable;
  for (;;) {
    batch.clear();
    {
      absl::MutexLock lock(&lane.mutex);
      ++lane.idle_workers;
      // Until a batch is full, or the oldest request has waited max_delay, or the lane stops.
      for (;;) {
        if (lane.queue.empty()) {
          if (lane.stopping) {
            --lane.idle_workers;
            return;  // everything queued has run
          }
          lane.wake.Wait(&lane.mutex);
          continue;
        }
        if (lane.stopping) break;
        const Job& oldest = lane.queue.front();
        const int64_t cols = oldest.request.input.cols();
        if (RowsWaiting(lane.queue, cols, batching.max_rows) >= batching.max_rows) break;
        const SteadyClock::time_point now = SteadyClock::now();
        const SteadyClock::time_point due = oldest.submitted + batching.max_delay;
        if (now >= due) break;
        lane.wake.WaitWithTimeout(&lane.mutex, absl::FromChrono(due - now));
      }
      --lane.idle_workers;
      // The oldest request and, in order, the later ones of its shape that fit beside it; a
      // request of more rows than max_rows runs alone. Requests of other shapes keep their place.
      const int64_t cols = lane.queue.front().request.input.cols();
      size_t rows = 0;
      for (auto it = lane.queue.begin(); it != lane.queue.end() && rows < batching.max_rows;) {
        if (it->request.input.cols() != cols) {
          ++it;
          continue;
        }
        const size_t job_rows = static_cast<size_t>(it->request.input.rows());
        if (!batch.empty() && rows + job_rows > batching.max_rows) break;
        rows += job_rows;
        batch.push_back(std::move(*it));
        it = lane.queue.erase(it);
      }
      if (!lane.queue.empty()) lane.wake.Signal();  // another worker may gather the rest
    }
    const SteadyClock::time_point started = SteadyClock::now();
    runnable.clear();
    for (Job& job : batch) {
      if (absl::Status stale = Staleness(lane, job.request, job.submitted, started); !stale.ok()) {
        std::move(job.done)(std::move(stale));
      } else {
        runnable.push_back(std::move(job));
      }
    }
    if (runnable.size() == 1) {
      Job& job = runnable.front();
      Run(lane, std::move(job.request), job.submitted, std::move(job.done));
    } else if (runnable.size() > 1) {
      RunBatch(lane, runnable, started);
    }
  }
}

}  // namespace predictwire
