#include "core/model_registry.h"

#include <fmt/format.h>

#include "core/status.h"

namespace predictwire {

absl::Status Model::ValidateInput(const Tensor& input) const {
  if (input.shape.size() != 2) {
    return absl::InvalidArgumentError(
        fmt::format("model '{}' expects a [rows, features] matrix, got {} dimensions", name_,
                    input.shape.size()));
  }
  const int64_t rows = input.shape[0];
  const int64_t cols = input.shape[1];
  if (rows <= 0 || cols <= 0) {
    return absl::InvalidArgumentError(
        fmt::format("model '{}' needs at least one row with at least one feature", name_));
  }
  if (static_cast<uint64_t>(rows) * static_cast<uint64_t>(cols) != input.values.size()) {
    return absl::InvalidArgumentError(
        fmt::format("model '{}': shape [{}, {}] does not match {} values", name_, rows, cols,
                    input.values.size()));
  }
  const std::vector<int64_t>& expected = info().input.shape;
  if (expected.size() == 2 && expected[1] >= 0 && expected[1] != cols) {
    return absl::InvalidArgumentError(
        fmt::format("model '{}' expects {} features per row, got {}", name_, expected[1], cols));
  }
  return absl::OkStatus();
}

std::vector<std::pair<std::string, std::string>> Model::Properties() const {
  std::vector<std::pair<std::string, std::string>> properties = {
      {"instances", std::to_string(info().instances)}};
  if (batching_.enabled()) {
    properties.emplace_back("max_batch_rows", std::to_string(batching_.max_rows));
    properties.emplace_back(
        "batch_delay_us",
        std::to_string(
            std::chrono::duration_cast<std::chrono::microseconds>(batching_.max_delay).count()));
  }
  return properties;
}

absl::StatusOr<std::unique_ptr<ModelRegistry>> ModelRegistry::Create(
    std::vector<Entry> entries, std::string_view default_model) {
  if (entries.empty()) return absl::InvalidArgumentError("no models to serve");
  std::unique_ptr<ModelRegistry> registry(new ModelRegistry());
  for (Entry& entry : entries) {
    if (entry.name.empty()) return absl::InvalidArgumentError("a model name is empty");
    if (entry.backend == nullptr) {
      return absl::InvalidArgumentError(fmt::format("model '{}' has no backend", entry.name));
    }
    if (registry->by_name_.contains(ToAbsl(entry.name))) {
      return absl::InvalidArgumentError(fmt::format("model '{}' is given twice", entry.name));
    }
    auto model = std::make_unique<Model>(entry.name, registry->models_.size(),
                                         std::move(entry.backend), entry.batching);
    registry->by_name_.emplace(model->name(), model.get());
    registry->models_.push_back(std::move(model));
  }
  if (default_model.empty()) {
    registry->default_model_ = registry->models_.front().get();
  } else {
    registry->default_model_ = registry->Find(default_model);
    if (registry->default_model_ == nullptr) {
      return absl::InvalidArgumentError(
          fmt::format("default model '{}' is not among the models served", default_model));
    }
  }
  return registry;
}

const Model* ModelRegistry::Find(std::string_view name) const {
  auto it = by_name_.find(ToAbsl(name));
  return it == by_name_.end() ? nullptr : it->second;
}

absl::StatusOr<const Model*> ModelRegistry::Resolve(std::string_view name) const {
  if (name.empty()) return default_model_;
  if (const Model* model = Find(name)) return model;
  std::vector<std::string_view> names;
  names.reserve(models_.size());
  for (const auto& model : models_) names.push_back(model->name());
  return absl::NotFoundError(
      fmt::format("unknown model '{}'; this server has: {}", name, fmt::join(names, ", ")));
}

}  // namespace predictwire
