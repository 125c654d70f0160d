#include "backends/xgboost/xgboost_backend.h"

#include <fmt/format.h>
#include <xgboost/c_api.h>

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <thread>

namespace predictwire::backends {
namespace {

absl::Status XGBoostError(std::string_view what) {
  return absl::InternalError(fmt::format("{}: {}", what, XGBGetLastError()));
}

// XGBoost 1.7 needs a proxy DMatrix for in-place prediction from a dense array; one per thread
// lets every thread predict at once. The proxy is not tied to a booster, so all models share it.
class ThreadProxyMatrix {
 public:
  ThreadProxyMatrix() {
    if (XGProxyDMatrixCreate(&handle_) != 0) handle_ = nullptr;
  }
  ~ThreadProxyMatrix() {
    if (handle_ != nullptr) XGDMatrixFree(handle_);
  }
  DMatrixHandle get() const { return handle_; }

 private:
  DMatrixHandle handle_ = nullptr;
};

// "cache_id": 0 is required by XGBoost 1.7's in-place prediction; "type": 0 is the plain
// prediction (probabilities for binary:logistic).
constexpr char kPredictConfig[] =
    R"({"type": 0, "training": false, "iteration_begin": 0, "iteration_end": 0,)"
    R"( "strict_shape": false, "cache_id": 0, "missing": NaN})";

}  // namespace

absl::StatusOr<std::unique_ptr<XGBoostBackend>> XGBoostBackend::Create(const Options& options) {
  if (options.instances < 0) return absl::InvalidArgumentError("instances cannot be negative");
  BoosterHandle booster = nullptr;
  if (XGBoosterCreate(nullptr, 0, &booster) != 0) return XGBoostError("cannot create a booster");
  auto free_on_error = [&](absl::Status status) {
    XGBoosterFree(booster);
    return status;
  };
  if (XGBoosterLoadModel(booster, options.model_path.c_str()) != 0) {
    return free_on_error(absl::InvalidArgumentError(
        fmt::format("cannot load XGBoost model '{}': {}", options.model_path, XGBGetLastError())));
  }
  if (XGBoosterSetParam(booster, "nthread", "1") != 0) {
    return free_on_error(XGBoostError("cannot set nthread"));
  }
  bst_ulong features = 0;
  if (XGBoosterGetNumFeature(booster, &features) != 0) {
    return free_on_error(XGBoostError("cannot read the model's feature count"));
  }
  BackendInfo info;
  // <framework>_<format>: XGBoost reads JSON by the .json extension, UBJSON by .ubj, and its
  // older binary format otherwise.
  const std::string_view path = options.model_path;
  info.platform = path.ends_with(".json")  ? "xgboost_json"
                  : path.ends_with(".ubj") ? "xgboost_ubj"
                                           : "xgboost_binary";
  info.input = TensorSpec{"features", "FP32", {-1, static_cast<int64_t>(features)}};
  info.output = TensorSpec{"predictions", "FP32", {-1}};
  info.execution = ExecutionKind::kCompute;
  info.instances = options.instances > 0
                       ? options.instances
                       : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  return std::unique_ptr<XGBoostBackend>(new XGBoostBackend(booster, std::move(info)));
}

XGBoostBackend::~XGBoostBackend() { XGBoosterFree(booster_); }

absl::Status XGBoostBackend::Infer(const Tensor& input, Tensor* output) {
  thread_local ThreadProxyMatrix proxy;
  if (proxy.get() == nullptr) return XGBoostError("cannot create a proxy DMatrix");

  const int64_t rows = input.rows();
  const int64_t cols = input.cols();
  // The NumPy __array_interface__ XGBoost reads the input from: a pointer, a shape, float32.
  char array_interface[160];
  std::snprintf(array_interface, sizeof(array_interface),
                R"({"data": [%)" PRIuPTR R"(, true], "shape": [%)" PRId64 ", %" PRId64
                R"(], "typestr": "<f4", "version": 3})",
                reinterpret_cast<uintptr_t>(input.values.data()), rows, cols);

  const bst_ulong* out_shape = nullptr;
  bst_ulong out_dim = 0;
  const float* out_result = nullptr;
  if (XGBoosterPredictFromDense(booster_, array_interface, kPredictConfig, proxy.get(), &out_shape,
                                &out_dim, &out_result) != 0) {
    return XGBoostError("XGBoost prediction failed");
  }
  uint64_t count = 1;
  for (bst_ulong i = 0; i < out_dim; ++i) count *= out_shape[i];
  if (count != static_cast<uint64_t>(rows)) {
    return absl::InternalError(
        fmt::format("XGBoost returned {} values for {} rows; only one output per row is supported",
                    count, rows));
  }
  output->shape = {rows};
  output->values.assign(out_result, out_result + count);
  return absl::OkStatus();
}

}  // namespace predictwire::backends
