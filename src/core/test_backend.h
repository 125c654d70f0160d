#ifndef PREDICTWIRE_CORE_TEST_BACKEND_H_
#define PREDICTWIRE_CORE_TEST_BACKEND_H_

// For tests only: a backend whose behaviour each test supplies.

#include <functional>
#include <memory>
#include <utility>

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

// A one-row request of the given features.
inline InferRequest RowRequest(std::vector<float> features) {
  InferRequest request;
  request.input.shape = {1, static_cast<int64_t>(features.size())};
  request.input.values = std::move(features);
  return request;
}

}  // namespace predictwire::testing

#endif  // PREDICTWIRE_CORE_TEST_BACKEND_H_
