#include "core/scheduler.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <future>
#include <mutex>
#include <thread>

#include "absl/synchronization/mutex.h"
#include "core/test_backend.h"

namespace predictwire {
namespace {

using testing::FunctionBackend;
using testing::Gate;
using ::testing::HasSubstr;
using testing::RowRequest;

// Collects completions; WaitFor blocks until `count` have arrived (no timing assumptions).
class Completions {
 public:
  Scheduler::Done Callback(int tag) {
    return [this, tag](absl::StatusOr<InferResponse> result) {
      std::lock_guard lock(mutex_);
      tags_.push_back(tag);
      results_.push_back(std::move(result));
      threads_.push_back(std::this_thread::get_id());
      changed_.notify_all();
    };
  }
  void WaitFor(size_t count) {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [&] { return results_.size() >= count; });
  }
  std::vector<int> tags() {
    std::lock_guard lock(mutex_);
    return tags_;
  }
  absl::StatusOr<InferResponse> result(size_t i) {
    std::lock_guard lock(mutex_);
    return results_.at(i);
  }
  std::thread::id thread(size_t i) {
    std::lock_guard lock(mutex_);
    return threads_.at(i);
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<int> tags_;
  std::vector<absl::StatusOr<InferResponse>> results_;
  std::vector<std::thread::id> threads_;
};

std::unique_ptr<ModelRegistry> OneModel(std::unique_ptr<Backend> backend, Batching batching = {}) {
  std::vector<ModelRegistry::Entry> entries;
  entries.push_back({"model", std::move(backend), batching});
  return *ModelRegistry::Create(std::move(entries), "");
}

std::unique_ptr<Scheduler> MakeScheduler(const ModelRegistry& registry,
                                         ExecutionMode mode = ExecutionMode::kWorker) {
  Scheduler::Options options;
  options.mode = mode;
  return *Scheduler::Create(registry, options);
}

TEST(SchedulerTest, ComputesAndReportsTiming) {
  auto registry = OneModel(FunctionBackend::RowSum());
  auto scheduler = MakeScheduler(*registry);
  Completions completions;
  scheduler->Submit(registry->default_model(), RowRequest({1, 2, 3.5}), completions.Callback(0));
  completions.WaitFor(1);
  auto result = completions.result(0);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_THAT(result->output.values, ::testing::ElementsAre(6.5f));
  EXPECT_NE(completions.thread(0), std::this_thread::get_id());
}

TEST(SchedulerTest, OneInstanceRunsRequestsInSubmissionOrder) {
  auto registry = OneModel(FunctionBackend::RowSum(-1, ExecutionKind::kMayBlock, 1));
  auto scheduler = MakeScheduler(*registry);
  Completions completions;
  for (int i = 0; i < 50; ++i) {
    scheduler->Submit(registry->default_model(), RowRequest({float(i)}), completions.Callback(i));
  }
  completions.WaitFor(50);
  std::vector<int> expected(50);
  for (int i = 0; i < 50; ++i) expected[i] = i;
  EXPECT_EQ(completions.tags(), expected);
}

TEST(SchedulerTest, RunsUpToInstancesConcurrently) {
  // Each call waits until four calls are inside the backend at once: the test can only finish
  // if the scheduler really runs four at the same time.
  constexpr int kInstances = 4;
  std::mutex mutex;
  std::condition_variable all_inside;
  int inside = 0;
  int most_inside = 0;
  auto backend = std::make_unique<FunctionBackend>(
      FunctionBackend::MakeInfo(-1, ExecutionKind::kMayBlock, kInstances),
      [&](const Tensor& in, Tensor* out) {
        std::unique_lock lock(mutex);
        ++inside;
        most_inside = std::max(most_inside, inside);
        all_inside.notify_all();
        all_inside.wait(lock, [&] { return most_inside >= kInstances; });
        --inside;
        out->shape = {1};
        out->values = {0};
        return absl::OkStatus();
      });
  auto registry = OneModel(std::move(backend));
  auto scheduler = MakeScheduler(*registry);
  Completions completions;
  for (int i = 0; i < kInstances * 3; ++i) {
    scheduler->Submit(registry->default_model(), RowRequest({1}), completions.Callback(i));
  }
  completions.WaitFor(kInstances * 3);
  EXPECT_EQ(most_inside, kInstances);
}

TEST(SchedulerTest, SlowModelDoesNotDelayAnotherModel) {
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::vector<ModelRegistry::Entry> entries;
  entries.push_back({"slow", std::make_unique<FunctionBackend>(
                                 FunctionBackend::MakeInfo(-1, ExecutionKind::kMayBlock, 1),
                                 [released](const Tensor&, Tensor* out) {
                                   released.wait();
                                   out->shape = {1};
                                   out->values = {0};
                                   return absl::OkStatus();
                                 })});
  entries.push_back({"fast", FunctionBackend::RowSum()});
  auto registry = *ModelRegistry::Create(std::move(entries), "");
  auto scheduler = MakeScheduler(*registry);
  Completions completions;
  scheduler->Submit(*registry->Find("slow"), RowRequest({1}), completions.Callback(0));
  scheduler->Submit(*registry->Find("fast"), RowRequest({2}), completions.Callback(1));
  completions.WaitFor(1);  // the fast model answers while the slow one is still blocked
  EXPECT_EQ(completions.tags(), std::vector<int>{1});
  release.set_value();
  completions.WaitFor(2);
}

TEST(SchedulerTest, InlineModeRunsOnTheSubmittingThread) {
  auto registry = OneModel(FunctionBackend::RowSum());
  auto scheduler = MakeScheduler(*registry, ExecutionMode::kInline);
  Completions completions;
  scheduler->Submit(registry->default_model(), RowRequest({1}), completions.Callback(0));
  ASSERT_EQ(completions.tags().size(), 1u);  // done before Submit returned
  EXPECT_EQ(completions.thread(0), std::this_thread::get_id());
}

TEST(SchedulerTest, WorkerOnlyPlacementNeverRunsOnTheSubmittingThread) {
  auto registry = OneModel(FunctionBackend::RowSum());
  auto scheduler = MakeScheduler(*registry, ExecutionMode::kInline);
  Completions completions;
  scheduler->Submit(registry->default_model(), RowRequest({1, 2}), completions.Callback(0),
                    Scheduler::Placement::kWorkerOnly);
  completions.WaitFor(1);
  EXPECT_NE(completions.thread(0), std::this_thread::get_id());
  ASSERT_TRUE(completions.result(0).ok());
  EXPECT_FLOAT_EQ(completions.result(0)->output.values[0], 3.0f);
}

TEST(SchedulerTest, AutoModeMovesFastComputeModelsInlineAfterWarmUp) {
  auto registry = OneModel(FunctionBackend::RowSum());
  auto scheduler = MakeScheduler(*registry, ExecutionMode::kAuto);
  EXPECT_FALSE(scheduler->WouldRunInline(registry->default_model()));
  Completions completions;
  // Requests one at a time until the model runs inline: after the warm-up on a quiet machine;
  // later where a busy one preempted a worker mid-call and inflated the estimate, which then
  // decays. A model that never moved would use every one of the 2000.
  int submitted = 0;
  while (!scheduler->WouldRunInline(registry->default_model()) && submitted < 2000) {
    scheduler->Submit(registry->default_model(), RowRequest({1}), completions.Callback(submitted));
    completions.WaitFor(++submitted);
  }
  ASSERT_TRUE(scheduler->WouldRunInline(registry->default_model())) << submitted << " requests";
  EXPECT_GE(submitted, 1);
  for (int i = 0; i < submitted; ++i) EXPECT_NE(completions.thread(i), std::this_thread::get_id());
  // The next one runs on the submitting thread, done before Submit returns.
  scheduler->Submit(registry->default_model(), RowRequest({1}), completions.Callback(submitted));
  ASSERT_EQ(completions.tags().size(), static_cast<size_t>(submitted + 1));
  EXPECT_EQ(completions.thread(submitted), std::this_thread::get_id());
}

TEST(SchedulerTest, AutoModeNeverRunsBlockingModelsInline) {
  auto registry = OneModel(FunctionBackend::RowSum(-1, ExecutionKind::kMayBlock));
  auto scheduler = MakeScheduler(*registry, ExecutionMode::kAuto);
  Completions completions;
  for (int i = 0; i < 20; ++i) {
    scheduler->Submit(registry->default_model(), RowRequest({1}), completions.Callback(i));
  }
  completions.WaitFor(20);
  EXPECT_FALSE(scheduler->WouldRunInline(registry->default_model()));
  for (int i = 0; i < 20; ++i) EXPECT_NE(completions.thread(i), std::this_thread::get_id());
}

TEST(SchedulerTest, AutoModeKeepsSlowComputeModelsOnWorkers) {
  auto backend = std::make_unique<FunctionBackend>(
      FunctionBackend::MakeInfo(-1, ExecutionKind::kCompute, 1), [](const Tensor&, Tensor* out) {
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
        out->shape = {1};
        out->values = {0};
        return absl::OkStatus();
      });
  auto registry = OneModel(std::move(backend));
  auto scheduler = MakeScheduler(*registry, ExecutionMode::kAuto);
  Completions completions;
  for (int i = 0; i < 12; ++i) {
    scheduler->Submit(registry->default_model(), RowRequest({1}), completions.Callback(i));
    completions.WaitFor(i + 1);
  }
  EXPECT_FALSE(scheduler->WouldRunInline(registry->default_model()));
}

TEST(SchedulerTest, InvalidInputFailsOnTheCallingThread) {
  auto registry = OneModel(FunctionBackend::RowSum(3));
  auto scheduler = MakeScheduler(*registry);
  Completions completions;
  scheduler->Submit(registry->default_model(), RowRequest({1, 2}), completions.Callback(0));
  ASSERT_EQ(completions.tags().size(), 1u);
  EXPECT_EQ(completions.result(0).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(completions.result(0).status().message(), HasSubstr("expects 3 features"));
}

TEST(SchedulerTest, BackendErrorsAndExceptionsBecomeStatuses) {
  std::vector<ModelRegistry::Entry> entries;
  entries.push_back(
      {"fails", std::make_unique<FunctionBackend>(
                    FunctionBackend::MakeInfo(-1, ExecutionKind::kCompute, 1),
                    [](const Tensor&, Tensor*) { return absl::InternalError("model broke"); })});
  entries.push_back({"throws", std::make_unique<FunctionBackend>(
                                   FunctionBackend::MakeInfo(-1, ExecutionKind::kCompute, 1),
                                   [](const Tensor&, Tensor*) -> absl::Status {
                                     throw std::runtime_error("bad alloc, say");
                                   })});
  auto registry = *ModelRegistry::Create(std::move(entries), "");
  auto scheduler = MakeScheduler(*registry);
  Completions completions;
  scheduler->Submit(*registry->Find("fails"), RowRequest({1}), completions.Callback(0));
  completions.WaitFor(1);
  scheduler->Submit(*registry->Find("throws"), RowRequest({1}), completions.Callback(1));
  completions.WaitFor(2);
  EXPECT_THAT(completions.result(0).status().message(), HasSubstr("model broke"));
  EXPECT_EQ(completions.result(1).status().code(), absl::StatusCode::kInternal);
  EXPECT_THAT(completions.result(1).status().message(), HasSubstr("bad alloc, say"));
}

TEST(SchedulerTest, FullQueueFailsFast) {
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::atomic<bool> entered{false};
  auto backend =
      std::make_unique<FunctionBackend>(FunctionBackend::MakeInfo(-1, ExecutionKind::kMayBlock, 1),
                                        [&, released](const Tensor&, Tensor* out) {
                                          entered = true;
                                          released.wait();
                                          out->shape = {1};
                                          out->values = {0};
                                          return absl::OkStatus();
                                        });
  auto registry = OneModel(std::move(backend));
  Scheduler::Options options;
  options.max_queued_per_model = 2;
  auto scheduler = *Scheduler::Create(*registry, options);
  Completions completions;
  scheduler->Submit(registry->default_model(), RowRequest({1}), completions.Callback(0));
  while (!entered) std::this_thread::yield();  // the first request is running, not queued
  scheduler->Submit(registry->default_model(), RowRequest({1}), completions.Callback(1));
  scheduler->Submit(registry->default_model(), RowRequest({1}), completions.Callback(2));
  scheduler->Submit(registry->default_model(), RowRequest({1}), completions.Callback(3));
  ASSERT_EQ(completions.tags(), std::vector<int>{3});
  EXPECT_EQ(completions.result(0).status().code(), absl::StatusCode::kResourceExhausted);
  release.set_value();
  completions.WaitFor(4);
}

TEST(SchedulerTest, ShutdownFinishesQueuedWorkThenRejects) {
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  auto backend =
      std::make_unique<FunctionBackend>(FunctionBackend::MakeInfo(-1, ExecutionKind::kMayBlock, 1),
                                        [released](const Tensor&, Tensor* out) {
                                          released.wait();
                                          out->shape = {1};
                                          out->values = {7};
                                          return absl::OkStatus();
                                        });
  auto registry = OneModel(std::move(backend));
  auto scheduler = MakeScheduler(*registry);
  Completions completions;
  for (int i = 0; i < 5; ++i) {
    scheduler->Submit(registry->default_model(), RowRequest({1}), completions.Callback(i));
  }
  std::thread stopper([&] { scheduler->Shutdown(); });
  release.set_value();
  stopper.join();  // returns only after all five ran
  ASSERT_EQ(completions.tags().size(), 5u);
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(completions.result(i).ok());
  scheduler->Submit(registry->default_model(), RowRequest({1}), completions.Callback(5));
  EXPECT_EQ(completions.result(5).status().code(), absl::StatusCode::kUnavailable);
}

// One model with one worker, counted in `metrics`, whose worker request 0 (tag 0, rows {1})
// holds at `gate` from construction on: what is submitted next waits in the queue.
struct HeldWorker {
  HeldWorker() {
    Scheduler::Options options;
    options.metrics = &metrics;
    scheduler = *Scheduler::Create(*registry, options);
    scheduler->Submit(model, RowRequest({1}), completions.Callback(0));
    gate.WaitForArrivals(1);
  }
  Gate gate;
  std::unique_ptr<ModelRegistry> registry = OneModel(Gate::RowSum(gate, /*instances=*/1));
  const Model& model = registry->default_model();
  Metrics metrics{std::vector<std::string>{"model"}};
  std::unique_ptr<Scheduler> scheduler;
  Completions completions;
};

TEST(SchedulerTest, QueuedRequestsPastTheirDeadlineAreDroppedNotRun) {
  HeldWorker held;
  auto& [gate, registry, model, metrics, scheduler, completions] = held;
  for (int tag = 1; tag <= 3; ++tag) {
    InferRequest late = RowRequest({2});
    late.deadline = SteadyClock::now() - std::chrono::seconds(1);
    scheduler->Submit(model, std::move(late), completions.Callback(tag));
  }
  InferRequest timely = RowRequest({3});
  timely.deadline = SteadyClock::now() + std::chrono::hours(1);
  scheduler->Submit(model, std::move(timely), completions.Callback(4));
  gate.Open();
  completions.WaitFor(5);
  EXPECT_EQ(completions.tags(), (std::vector<int>{0, 1, 2, 3, 4}));
  EXPECT_TRUE(completions.result(0).ok());
  for (size_t i = 1; i <= 3; ++i) {
    EXPECT_EQ(completions.result(i).status().code(), absl::StatusCode::kDeadlineExceeded);
    EXPECT_THAT(completions.result(i).status().message(), HasSubstr("was not run"));
  }
  EXPECT_TRUE(completions.result(4).ok());
  gate.WaitForArrivals(2);  // requests 0 and 4 ran; the expired ones never reached the model
  scheduler->Shutdown();
  EXPECT_THAT(metrics.Render(), HasSubstr("predictwire_requests_expired_total{model=\"model\"} 3"));
}

TEST(SchedulerTest, RequestTimeoutExpiresQueuedRequests) {
  Gate gate;
  std::atomic<int> runs{0};
  auto backend =
      std::make_unique<FunctionBackend>(FunctionBackend::MakeInfo(-1, ExecutionKind::kMayBlock, 1),
                                        [&](const Tensor& in, Tensor* out) {
                                          ++runs;
                                          gate.Pass();
                                          out->shape = {in.rows()};
                                          out->values.assign(in.rows(), 0);
                                          return absl::OkStatus();
                                        });
  auto registry = OneModel(std::move(backend));
  Scheduler::Options options;
  options.request_timeout = std::chrono::milliseconds(1);
  auto scheduler = *Scheduler::Create(*registry, options);
  Completions completions;
  const Model& model = registry->default_model();
  for (int tag = 0; tag < 3; ++tag) {
    scheduler->Submit(model, RowRequest({1}), completions.Callback(tag));
  }
  // Well past the 1 ms timeout of all three (a lower bound only: no upper bound is assumed).
  // The one worker may have taken the first in time (it then waits at the gate and finishes
  // late) or not (it expires too); the others expire queued either way.
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  gate.Open();
  completions.WaitFor(3);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(completions.result(i).status().code(), absl::StatusCode::kDeadlineExceeded) << i;
  }
  EXPECT_LE(runs.load(), 1);
}

TEST(SchedulerTest, AnAnswerAfterTheRequestTimeoutIsDeadlineExceeded) {
  auto backend = std::make_unique<FunctionBackend>(
      FunctionBackend::MakeInfo(-1, ExecutionKind::kCompute, 1), [](const Tensor& in, Tensor* out) {
        // Longer than the timeout (a lower bound only).
        std::this_thread::sleep_for(std::chrono::milliseconds(60));
        out->shape = {in.rows()};
        out->values.assign(in.rows(), 0);
        return absl::OkStatus();
      });
  auto registry = OneModel(std::move(backend));
  Scheduler::Options options;
  options.mode = ExecutionMode::kInline;  // starts at once: only the run outlasts the timeout
  options.request_timeout = std::chrono::milliseconds(50);
  auto scheduler = *Scheduler::Create(*registry, options);
  Completions completions;
  scheduler->Submit(registry->default_model(), RowRequest({1}), completions.Callback(0));
  completions.WaitFor(1);
  EXPECT_EQ(completions.result(0).status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_THAT(completions.result(0).status().message(), HasSubstr("finished after"));
}

TEST(SchedulerTest, CancelledRequestsAreDroppedNotRun) {
  HeldWorker held;
  auto& [gate, registry, model, metrics, scheduler, completions] = held;
  auto gone = std::make_shared<std::atomic<bool>>(false);
  for (int tag = 1; tag <= 3; ++tag) {
    InferRequest request = RowRequest({2});
    request.cancelled = gone;
    scheduler->Submit(model, std::move(request), completions.Callback(tag));
  }
  scheduler->Submit(model, RowRequest({3}), completions.Callback(4));
  gone->store(true);  // the client went while its requests were queued
  gate.Open();
  completions.WaitFor(5);
  for (size_t i = 1; i <= 3; ++i) {
    EXPECT_EQ(completions.result(i).status().code(), absl::StatusCode::kCancelled);
  }
  ASSERT_TRUE(completions.result(4).ok());
  EXPECT_THAT(completions.result(4)->output.values, ::testing::ElementsAre(3.0f));
  scheduler->Shutdown();
  EXPECT_THAT(metrics.Render(),
              HasSubstr("predictwire_requests_cancelled_total{model=\"model\"} 3"));
}

TEST(SchedulerTest, OffloadRunsTasksOffTheCallingThreadInOrder) {
  auto registry = OneModel(FunctionBackend::RowSum());
  Scheduler::Options options;
  options.offload_threads = 1;
  auto scheduler = *Scheduler::Create(*registry, options);
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::mutex mutex;
  std::vector<int> order;
  std::thread::id ran_on;
  std::promise<void> started;
  scheduler->Offload([&, released] {
    ran_on = std::this_thread::get_id();
    started.set_value();
    released.wait();
  });
  started.get_future().wait();
  for (int i = 0; i < 3; ++i) {
    scheduler->Offload([&, i] {
      std::lock_guard lock(mutex);
      order.push_back(i);
    });
  }
  EXPECT_EQ(scheduler->offloads_waiting(), 3u);  // the first holds the only offload thread
  release.set_value();
  scheduler->Shutdown();  // runs what was offloaded first
  EXPECT_EQ(order, (std::vector<int>{0, 1, 2}));
  EXPECT_NE(ran_on, std::this_thread::get_id());
  bool ran_here = false;
  scheduler->Offload([&] { ran_here = true; });  // after Shutdown: on the caller
  EXPECT_TRUE(ran_here);
}

// A RowSum backend that records the rows and columns of every call.
struct RecordingBackend {
  absl::Mutex mutex;
  std::vector<std::pair<int64_t, int64_t>> calls ABSL_GUARDED_BY(mutex);  // (rows, cols)

  std::unique_ptr<Backend> Make(bool fail_on_negative = false) {
    auto sum = std::shared_ptr<FunctionBackend>(FunctionBackend::RowSum());
    return std::make_unique<FunctionBackend>(
        FunctionBackend::MakeInfo(-1, ExecutionKind::kCompute, 1),
        [this, sum, fail_on_negative](const Tensor& in, Tensor* out) {
          {
            absl::MutexLock lock(&mutex);
            calls.emplace_back(in.rows(), in.cols());
          }
          if (fail_on_negative) {
            for (float v : in.values) {
              if (v < 0) return absl::InvalidArgumentError("negative feature");
            }
          }
          return sum->Infer(in, out);
        });
  }
  std::vector<std::pair<int64_t, int64_t>> Calls() {
    absl::MutexLock lock(&mutex);
    return calls;
  }
};

TEST(SchedulerBatchingTest, MergesRequestsIntoCallsOfMaxRowsAndSplitsAnswers) {
  RecordingBackend recording;
  auto registry = OneModel(recording.Make(), Batching{4, std::chrono::hours(1)});
  auto scheduler = MakeScheduler(*registry, ExecutionMode::kInline);  // batching: never inline
  Completions completions;
  for (int i = 0; i < 8; ++i) {
    scheduler->Submit(registry->default_model(), RowRequest({float(i), 1}),
                      completions.Callback(i));
  }
  completions.WaitFor(8);
  EXPECT_EQ(recording.Calls(), (std::vector<std::pair<int64_t, int64_t>>{{4, 2}, {4, 2}}));
  for (size_t i = 0; i < 8; ++i) {
    const int tag = completions.tags()[i];
    auto result = completions.result(i);
    ASSERT_TRUE(result.ok()) << result.status();
    EXPECT_THAT(result->output.shape, ::testing::ElementsAre(1));
    EXPECT_THAT(result->output.values, ::testing::ElementsAre(float(tag) + 1));
    EXPECT_NE(completions.thread(i), std::this_thread::get_id());
  }
}

TEST(SchedulerBatchingTest, DelayFlushesAPartialBatchAndShapesAreNotMixed) {
  RecordingBackend recording;
  auto registry = OneModel(recording.Make(), Batching{64, std::chrono::milliseconds(5)});
  auto scheduler = MakeScheduler(*registry);
  Completions completions;
  const Model& model = registry->default_model();
  scheduler->Submit(model, RowRequest({1, 2}), completions.Callback(0));
  scheduler->Submit(model, RowRequest({1, 2, 3}), completions.Callback(1));
  scheduler->Submit(model, RowRequest({3, 4}), completions.Callback(2));
  scheduler->Submit(model, RowRequest({4, 5, 6}), completions.Callback(3));
  completions.WaitFor(4);
  int64_t rows_of_two = 0, rows_of_three = 0;
  for (const auto& [rows, cols] : recording.Calls()) {
    ASSERT_TRUE(cols == 2 || cols == 3);
    (cols == 2 ? rows_of_two : rows_of_three) += rows;
  }
  EXPECT_EQ(rows_of_two, 2);
  EXPECT_EQ(rows_of_three, 2);
  const float expected[] = {3, 6, 7, 15};
  for (size_t i = 0; i < 4; ++i) {
    auto result = completions.result(i);
    ASSERT_TRUE(result.ok()) << result.status();
    EXPECT_THAT(result->output.values, ::testing::ElementsAre(expected[completions.tags()[i]]));
  }
}

TEST(SchedulerBatchingTest, OneBadRequestDoesNotFailTheOthers) {
  RecordingBackend recording;
  auto registry =
      OneModel(recording.Make(/*fail_on_negative=*/true), Batching{4, std::chrono::hours(1)});
  auto scheduler = MakeScheduler(*registry);
  Completions completions;
  for (int i = 0; i < 4; ++i) {
    scheduler->Submit(registry->default_model(), RowRequest({i == 2 ? -1.0f : 1.0f}),
                      completions.Callback(i));
  }
  completions.WaitFor(4);
  for (size_t i = 0; i < 4; ++i) {
    const int tag = completions.tags()[i];
    EXPECT_EQ(completions.result(i).ok(), tag != 2) << tag;
  }
  // The merged call failed, then each request ran alone.
  EXPECT_EQ(recording.Calls().size(), 5u);
}

TEST(SchedulerBatchingTest, ARequestLargerThanMaxRowsRunsAlone) {
  RecordingBackend recording;
  auto registry = OneModel(recording.Make(), Batching{2, std::chrono::milliseconds(1)});
  auto scheduler = MakeScheduler(*registry);
  Completions completions;
  InferRequest big;
  big.input.shape = {3, 1};
  big.input.values = {1, 2, 3};
  scheduler->Submit(registry->default_model(), std::move(big), completions.Callback(0));
  completions.WaitFor(1);
  ASSERT_TRUE(completions.result(0).ok());
  EXPECT_THAT(completions.result(0)->output.values, ::testing::ElementsAre(1, 2, 3));
  EXPECT_EQ(recording.Calls(), (std::vector<std::pair<int64_t, int64_t>>{{3, 1}}));
}

TEST(SchedulerBatchingTest, ExpiredAndCancelledRequestsLeaveTheBatch) {
  RecordingBackend recording;
  auto registry = OneModel(recording.Make(), Batching{3, std::chrono::hours(1)});
  auto scheduler = MakeScheduler(*registry);
  Completions completions;
  InferRequest expired = RowRequest({1});
  expired.deadline = SteadyClock::now() - std::chrono::seconds(1);
  InferRequest cancelled = RowRequest({2});
  cancelled.cancelled = std::make_shared<std::atomic<bool>>(true);
  scheduler->Submit(registry->default_model(), std::move(expired), completions.Callback(0));
  scheduler->Submit(registry->default_model(), std::move(cancelled), completions.Callback(1));
  scheduler->Submit(registry->default_model(), RowRequest({3}), completions.Callback(2));
  completions.WaitFor(3);
  EXPECT_EQ(recording.Calls(), (std::vector<std::pair<int64_t, int64_t>>{{1, 1}}));
  for (size_t i = 0; i < 3; ++i) {
    const absl::StatusCode want[] = {absl::StatusCode::kDeadlineExceeded,
                                     absl::StatusCode::kCancelled, absl::StatusCode::kOk};
    EXPECT_EQ(completions.result(i).status().code(), want[completions.tags()[i]]);
  }
}

}  // namespace
}  // namespace predictwire
