#ifndef PREDICTWIRE_CORE_TEST_BACKEND_H_
#define PREDICTWIRE_CORE_TEST_BACKEND_H_

// For tests only: a backend whose behaviour each test supplies.

#include <functional>
#include <memory>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "core/backend.h"
#include "core/infer.h"

namespace predictwire::testing {

class FunctionBackend : public Backend {
 public:
  using Function = std::function<absl::Status(const Tensor&, Tensor*)>;

  FunctionBackend(BackendInfo info, Function function)
      : info_(std::move(info)), function_(std::move(function)) {}

  // A backend of `cols` features (-1: any) that predicts each row's sum.
  static std::unique_ptr<FunctionBackend> RowSum(int64_t cols = -1,
                                                 ExecutionKind kind = ExecutionKind::kCompute,
                                                 int instances = 1) {
    return std::make_unique<FunctionBackend>(MakeInfo(cols, kind, instances),
                                             [](const Tensor& in, Tensor* out) {
                                               out->shape = {in.rows()};
                                               out->values.assign(in.rows(), 0);
                                               for (int64_t r = 0; r < in.rows(); ++r)
                                                 for (int64_t c = 0; c < in.cols(); ++c)
                                                   out->values[r] += in.values[r * in.cols() + c];
                                               return absl::OkStatus();
                                             });
  }

  static BackendInfo MakeInfo(int64_t cols, ExecutionKind kind, int instances) {
    BackendInfo info;
    info.platform = "test";
    info.input = TensorSpec{"features", "FP32", {-1, cols}};
    info.output = TensorSpec{"predictions", "FP32", {-1}};
    info.execution = kind;
    info.instances = instances;
    return info;
  }

  const BackendInfo& info() const override { return info_; }
  absl::Status Infer(const Tensor& input, Tensor* output) override {
    return function_(input, output);
  }

 private:
  const BackendInfo info_;
  const Function function_;
};

// Holds backend calls until the test opens it, and counts them as they arrive, so that a test
// decides when a model finishes: with ExecutionMode::kWorker, completion order is deterministic.
class Gate {
 public:
  // From inside a backend: counts the call and waits until the gate is open.
  void Pass() {
    absl::MutexLock lock(&mutex_);
    ++arrived_;
    mutex_.Await(absl::Condition(&open_));
  }
  // Blocks until `count` calls have arrived (they may have passed since).
  void WaitForArrivals(int count) {
    absl::MutexLock lock(&mutex_);
    wanted_ = count;
    mutex_.Await(absl::Condition(this, &Gate::Arrived));
  }
  void Open() {
    absl::MutexLock lock(&mutex_);
    open_ = true;
  }

  // A backend like FunctionBackend::RowSum whose every call passes `gate` first.
  static std::unique_ptr<FunctionBackend> RowSum(Gate& gate, int instances = 1) {
    std::unique_ptr<FunctionBackend> sum = FunctionBackend::RowSum(-1, ExecutionKind::kMayBlock);
    return std::make_unique<FunctionBackend>(
        FunctionBackend::MakeInfo(-1, ExecutionKind::kMayBlock, instances),
        [&gate, sum = std::shared_ptr<FunctionBackend>(std::move(sum))](const Tensor& in,
                                                                        Tensor* out) {
          gate.Pass();
          return sum->Infer(in, out);
        });
  }

 private:
  bool Arrived() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_) { return arrived_ >= wanted_; }

  absl::Mutex mutex_;
  bool open_ ABSL_GUARDED_BY(mutex_) = false;
  int arrived_ ABSL_GUARDED_BY(mutex_) = 0;
  int wanted_ ABSL_GUARDED_BY(mutex_) = 0;
};

// A one-row request of the given features.
inline InferRequest RowRequest(std::vector<float> features) {
  InferRequest request;
  request.input.shape = {1, static_cast<int64_t>(features.size())};
  request.input.values = std::move(features);
  return request;
}

}  // namespace predictwire::testing

#endif  // PREDICTWIRE_CORE_TEST_BACKEND_H_
