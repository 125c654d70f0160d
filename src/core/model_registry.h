#ifndef PREDICTWIRE_CORE_MODEL_REGISTRY_H_
#define PREDICTWIRE_CORE_MODEL_REGISTRY_H_

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/backend.h"

namespace predictwire {

// A loaded model: a name bound to a backend. Immutable once the registry is built, so any thread
// may read it without locking.
class Model {
 public:
  Model(std::string name, size_t index, std::unique_ptr<Backend> backend)
      : name_(std::move(name)), index_(index), backend_(std::move(backend)) {}

  const std::string& name() const { return name_; }
  // Position in ModelRegistry::models(); lets the scheduler keep per-model state in a vector.
  size_t index() const { return index_; }
  Backend& backend() const { return *backend_; }
  const BackendInfo& info() const { return backend_->info(); }

  // OK when `input` is a [rows, cols] matrix this model accepts; otherwise InvalidArgument with a
  // message that names the model, what it expects and what it got.
  absl::Status ValidateInput(const Tensor& input) const;

 private:
  const std::string name_;
  const size_t index_;
  const std::unique_ptr<Backend> backend_;
};

// The set of models a server answers for. Built once at start-up; read-only afterwards.
class ModelRegistry {
 public:
  struct Entry {
    std::string name;
    std::unique_ptr<Backend> backend;
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
