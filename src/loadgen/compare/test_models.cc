#include "loadgen/compare/test_models.h"

#include <fmt/format.h>

#include "core/default_models.h"

namespace predictwire::loadgen {

const std::vector<SimulatedModel>& SimulatedModels() {
  static const std::vector<SimulatedModel> models = {{kInstantModel, "sleep", 0},
                                                     {"sleep1", "sleep", 1},
                                                     {"sleep50", "sleep", 50},
                                                     {"busy1", "busy", 1},
                                                     {"busy50", "busy", 50}};
  return models;
}

std::vector<std::string> TestModelFlags(const std::string& models_dir) {
  std::vector<std::string> flags = DefaultModelFlags(models_dir);  // breast_cancer, sleep50
  for (const SimulatedModel& model : SimulatedModels()) {
    if (model.name == kArticleModelName) continue;
    flags.push_back(fmt::format("{}={}:{:g}ms", model.name, model.kind, model.ms));
  }
  constexpr std::string_view kBatching = ",batch=64,batch-delay=100us";
  const std::string xgboost = fmt::format("xgboost:{}/{}", models_dir, kDefaultModelFile);
  flags.push_back(fmt::format("{}{}={}{}", kDefaultModelName, kBatchedSuffix, xgboost, kBatching));
  flags.push_back(fmt::format("busy1{}=busy:1ms{}", kBatchedSuffix, kBatching));
  return flags;
}

}  // namespace predictwire::loadgen
