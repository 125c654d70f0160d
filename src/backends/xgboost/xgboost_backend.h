#ifndef PREDICTWIRE_BACKENDS_XGBOOST_XGBOOST_BACKEND_H_
#define PREDICTWIRE_BACKENDS_XGBOOST_XGBOOST_BACKEND_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "core/backend.h"

namespace predictwire::backends {

// Serves a model saved by XGBoost (JSON or UBJSON, as written by `xgboost` or Booster.save_model).
// Predicts with XGBoosterPredictFromDense, one thread per call (OpenMP fan-out ruins tail
// latency when many requests run at once), and a proxy DMatrix per calling thread.
class XGBoostBackend : public Backend {
 public:
  struct Options {
    std::string model_path;
    // Concurrent runs; 0 means one per CPU.
    int instances = 0;
  };

  static absl::StatusOr<std::unique_ptr<XGBoostBackend>> Create(const Options& options);
  ~XGBoostBackend() override;

  const BackendInfo& info() const override { return info_; }
  absl::Status Infer(const Tensor& input, Tensor* output) override;

 private:
  XGBoostBackend(void* booster, BackendInfo info) : booster_(booster), info_(std::move(info)) {}

  void* const booster_;  // BoosterHandle; thread-safe for prediction
  const BackendInfo info_;
};

}  // namespace predictwire::backends

#endif  // PREDICTWIRE_BACKENDS_XGBOOST_XGBOOST_BACKEND_H_
