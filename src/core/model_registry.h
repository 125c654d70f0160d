#ifndef PREDICTWIRE_CORE_MODEL_REGISTRY_H_
#define PREDICTWIRE_CORE_MODEL_REGISTRY_H_

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/backend.h"

namespace predictwire {

// Dynamic batching of one model (opt-in, Triton's max_batch_size and max_queue_delay): requests
// waiting for the model are merged into one backend call of up to max_rows rows, once that many
// are waiting or once the oldest has waited max_delay.
struct Batching {
  size_t max_rows = 0;  // 0: no batching
  std::chrono::nanoseconds max_delay{0};
  bool enabled() const { return max_rows > 0; }

  // Bounds of what --model accepts: a merged input is allocated whole, and a request should
  // not wait for company longer than a client would wait for an answer.
  static constexpr size_t kMaxRows = 65536;
  static constexpr std::chrono::seconds kMaxDelay{10};
};

// A loaded model: a name bound to a backend. Immutable once the registry is built, so any thread
// may read it without locking.
class Model {
 public:
  Model(std::string name, size_t index, std::unique_ptr<Backend> backend, Batching batching = {})
      : name_(std::move(name)), index_(index), backend_(std::move(backend)), batching_(batching) {}

  const std::string& name() const { return name_; }
  // Position in ModelRegistry::models(); lets the scheduler keep per-model state in a vector.
  size_t index() const { return index_; }
  Backend& backend() const { return *backend_; }
  const BackendInfo& info() const { return backend_->info(); }
  const Batching& batching() const { return batching_; }
  // What model metadata reports as the model's properties (the Open Inference Protocol's
  // optional map): "instances" and, when batching, "max_batch_rows" and "batch_delay_us".
  std::vector<std::pair<std::string, std::string>> Properties() const;

  // OK when `input` is a [rows, cols] matrix this model accepts; otherwise InvalidArgument with a
  // message that names the model, what it expects and what it got.
  absl::Status ValidateInput(const Tensor& input) const;

 private:
  const std::string name_;
  const size_t index_;
  const std::unique_ptr<Backend> backend_;
  const Batching batching_;
};

// The set of models a server answers for. Built once at start-up; read-only afterwards.
class ModelRegistry {
 public:
  struct Entry {
    std::string name;
    std::unique_ptr<Backend> backend;
    Batching batching = {};
  };

  // Fails on an empty list, an empty or duplicate name, or a default that is not in the list.
  // An empty `default_model` picks the first entry.
  static absl::StatusOr<std::unique_ptr<ModelRegistry>> Create(std::vector<Entry> entries,
                                                               std::string_view default_model);

  // The model named `name`, or nullptr.
  const Model* Find(std::string_view name) const;
  // The model named `name`, the default model when `name` is empty, or NotFound naming the
  // models that exist.
  absl::StatusOr<const Model*> Resolve(std::string_view name) const;

  const Model& default_model() const { return *default_model_; }
  const std::vector<std::unique_ptr<Model>>& models() const { return models_; }

 private:
  ModelRegistry() = default;

  std::vector<std::unique_ptr<Model>> models_;
  absl::flat_hash_map<std::string, const Model*> by_name_;
  const Model* default_model_ = nullptr;
};

}  // namespace predictwire

#endif  // PREDICTWIRE_CORE_MODEL_REGISTRY_H_
