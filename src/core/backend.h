#ifndef PREDICTWIRE_CORE_BACKEND_H_
#define PREDICTWIRE_CORE_BACKEND_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "core/tensor.h"

namespace predictwire {

// The name, datatype and shape of one model input or output, as the Open Inference Protocol
// reports them. A dimension of -1 means "any size".
struct TensorSpec {
  std::string name;
  std::string datatype = "FP32";
  std::vector<int64_t> shape;
};

// What a backend tells the scheduler about how it may be run.
enum class ExecutionKind {
  // Uses the CPU and returns promptly; the scheduler may run it inline on an IO thread when its
  // measured compute time is below the inline threshold.
  kCompute,
  // May wait (sleep, I/O, an accelerator); never run on an IO thread.
  kMayBlock,
};

struct BackendInfo {
  // The Open Inference Protocol's <framework>_<format>: "xgboost_json", "predictwire_sleep", ...
  std::string platform;
  TensorSpec input;      // shape [-1, features] (features may be -1 for "any")
  TensorSpec output;     // shape [-1]
  ExecutionKind execution = ExecutionKind::kCompute;
  // How many requests of this model may run at the same time (Triton's "instance count").
  int instances = 1;
};

// A model implementation. Backends know nothing of transports or wire formats.
class Backend {
 public:
  virtual ~Backend() = default;

  // Constant for the backend's lifetime.
  virtual const BackendInfo& info() const = 0;

  // Computes one prediction per row of `input` (shape [rows, cols], cols already checked against
  // info().input) into `output` (shape [rows]). Thread-safe: called concurrently from up to
  // info().instances worker threads, and from IO threads when the scheduler runs it inline.
  virtual absl::Status Infer(const Tensor& input, Tensor* output) = 0;
};

}  // namespace predictwire

#endif  // PREDICTWIRE_CORE_BACKEND_H_
