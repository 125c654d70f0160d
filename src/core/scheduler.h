#ifndef PREDICTWIRE_CORE_SCHEDULER_H_
#define PREDICTWIRE_CORE_SCHEDULER_H_

#include <chrono>
#include <cstddef>
#include <memory>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "core/infer.h"
#include "core/metrics.h"
#include "core/model_registry.h"

namespace predictwire {

// Where the scheduler runs a model.
enum class ExecutionMode {
  kAuto,    // per model: inline while its measured compute time is below the threshold
  kInline,  // every kCompute model on the submitting thread (benchmarks compare against kAuto)
  kWorker,  // every model on its worker threads
};

// Runs models for every transport. Each model has its own queue served by info().instances
// worker threads, so a slow model never holds up IO threads or other models. A model that
// computes in microseconds may instead run inline on the submitting (IO) thread, which saves two
// thread wake-ups per request; in kAuto mode the scheduler measures each model's compute time
// per row and decides per request (see docs/architecture.md, "Data flow").
class Scheduler {
 public:
  struct Options {
    ExecutionMode mode = ExecutionMode::kAuto;
    // kAuto runs a kCompute model inline when its expected compute time for the request is below
    // this. A cross-core thread wake-up costs ~5-70 µs on the machines we measure, so below this
    // handing the work to a worker costs more than the work.
    std::chrono::nanoseconds inline_threshold = std::chrono::microseconds(30);
    // Requests waiting per model beyond which Submit fails fast with ResourceExhausted.
    size_t max_queued_per_model = 16384;
    // Where backend calls are counted (rows per call), and requests dropped from a queue
    // (expired, cancelled); null: nowhere. Must outlive the scheduler.
    Metrics* metrics = nullptr;
    // Every request's deadline is at most this long after it is submitted (serve
    // --request-timeout); zero: none but the request's own (InferRequest::deadline).
    std::chrono::nanoseconds request_timeout{0};
    // Threads that run Offload's tasks (decoding large bodies off the IO threads).
    size_t offload_threads = 2;
  };

  // Called exactly once per Submit with the response or an error status. Must not block.
  using Done = absl::AnyInvocable<void(absl::StatusOr<InferResponse>) &&>;

  // Starts the worker threads for every model in `registry`, which must outlive the scheduler.
  static absl::StatusOr<std::unique_ptr<Scheduler>> Create(const ModelRegistry& registry,
                                                           const Options& options);
  ~Scheduler();  // Shutdown()

  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // Who may run a request.
  enum class Placement {
    kSchedulerChooses,  // inline on the submitting thread when the mode and the model allow it
    kWorkerOnly,        // always a worker: for threads that belong to a library (gRPC's)
  };

  // Validates `request` against `model` (which must belong to the registry) and runs it.
  // `done` runs on the calling thread before Submit returns when the request is rejected or run
  // inline, and otherwise on one of the model's worker threads. Thread-safe.
  //
  // A request whose deadline has passed, or whose CancelFlag is set, when a worker reaches it is
  // not run: it is answered DEADLINE_EXCEEDED or CANCELLED. One that finishes after its deadline
  // is answered DEADLINE_EXCEEDED too. A model with Batching enabled never runs inline; its
  // requests of one shape are merged into backend calls of up to Batching::max_rows rows.
  void Submit(const Model& model, InferRequest request, Done done,
              Placement placement = Placement::kSchedulerChooses);

  // Runs `task` on one of the offload threads, which exist so that IO threads never do long
  // work themselves (decoding a body of megabytes). Tasks run in the order given, up to
  // Options::offload_threads at once. After Shutdown the task runs on the calling thread.
  // Thread-safe.
  using Task = absl::AnyInvocable<void() &&>;
  void Offload(Task task);

  // Stops accepting requests (later Submits fail with Unavailable), finishes every offloaded
  // task and every request already queued, and joins the threads. Idempotent; call from any
  // thread but a worker or an offload thread.
  void Shutdown();

  // Options::request_timeout: zero for none.
  std::chrono::nanoseconds request_timeout() const { return options_.request_timeout; }

  // Whether the next single-row request for `model` would run inline. For tests and metrics.
  bool WouldRunInline(const Model& model) const;
  // Requests waiting for `model`'s workers. Thread-safe.
  size_t queued(const Model& model) const;
  // Offloaded tasks not yet started. Thread-safe.
  size_t offloads_waiting() const;

 private:
  struct Lane;
  struct OffloadPool;

  Scheduler(const ModelRegistry& registry, const Options& options);
  bool ShouldRunInline(const Lane& lane, int64_t rows) const;
  struct Job;
  static void Run(Lane& lane, InferRequest request, SteadyClock::time_point submitted, Done done);
  // Runs `jobs` (one shape, at least two) as one backend call and answers each.
  static void RunBatch(Lane& lane, std::vector<Job>& jobs, SteadyClock::time_point started);
  // OK when `request` may still run at `now`; otherwise why not (its client has gone, its
  // deadline has passed), counted in the metrics.
  static absl::Status Staleness(const Lane& lane, const InferRequest& request,
                                SteadyClock::time_point submitted, SteadyClock::time_point now);
  // Records one backend call of `rows` rows that took `started`..`finished`.
  static void CountCall(Lane& lane, int64_t rows, SteadyClock::time_point started,
                        SteadyClock::time_point finished);
  static void WorkerLoop(Lane& lane);
  static void BatchWorkerLoop(Lane& lane);

  const Options options_;
  // One per model, indexed by Model::index(). The vector itself never changes after Create.
  std::vector<std::unique_ptr<Lane>> lanes_;
  const std::unique_ptr<OffloadPool> offload_;
};

}  // namespace predictwire

#endif  // PREDICTWIRE_CORE_SCHEDULER_H_
