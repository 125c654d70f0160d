#ifndef PREDICTWIRE_CORE_DEFAULT_MODELS_H_
#define PREDICTWIRE_CORE_DEFAULT_MODELS_H_

// The models `predictwire serve` loads without --model, and what a request to the default one
// carries: written once for the server, its help, the load generator and compare.

#include <string>
#include <string_view>
#include <vector>

namespace predictwire {

// An XGBoost classifier over the Wisconsin breast-cancer data (models/), the server's default.
inline constexpr std::string_view kDefaultModelName = "breast_cancer";
inline constexpr std::string_view kDefaultModelFile = "breast_cancer.json";
// Its inputs: the features of one request to it, and so of a request by default.
inline constexpr int kDefaultModelFeatures = 30;
// The article's model: a sleep of 50 ms.
inline constexpr std::string_view kArticleModelName = "sleep50";
inline constexpr std::string_view kArticleModelSpec = "sleep:50ms";

// The default models as --model NAME=SPEC flags, the XGBoost file in `models_dir`.
inline std::vector<std::string> DefaultModelFlags(std::string_view models_dir) {
  return {std::string(kDefaultModelName) + "=xgboost:" + std::string(models_dir) + "/" +
              std::string(kDefaultModelFile),
          std::string(kArticleModelName) + "=" + std::string(kArticleModelSpec)};
}

}  // namespace predictwire

#endif  // PREDICTWIRE_CORE_DEFAULT_MODELS_H_
