#include "backends/backend_factory.h"

#include <fmt/format.h>

#include <charconv>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "backends/simulated/simulated_backend.h"
#include "backends/xgboost/xgboost_backend.h"

namespace predictwire::backends {

absl::StatusOr<ModelFlag> ParseModelFlag(std::string_view flag) {
  const size_t equals = flag.find('=');
  if (equals == std::string_view::npos || equals == 0 || equals + 1 == flag.size()) {
    return absl::InvalidArgumentError(
        fmt::format("--model '{}' is not of the form NAME=SPEC (e.g. slow=sleep:50ms)", flag));
  }
  return ModelFlag{std::string(flag.substr(0, equals)), std::string(flag.substr(equals + 1))};
}

namespace {

absl::StatusOr<std::chrono::nanoseconds> ParseDurationArgument(std::string_view text) {
  absl::Duration duration;
  if (!absl::ParseDuration(std::string(text), &duration) || duration < absl::ZeroDuration()) {
    return absl::InvalidArgumentError(fmt::format(
        "'{}' is not a duration; write a number with a unit, e.g. 50ms, 200us, 1.5s", text));
  }
  return absl::ToChronoNanoseconds(duration);
}

// Parses ",instances=N" options after the main part of a spec.
absl::Status ParseOptions(std::string_view spec, std::string_view options, int* instances) {
  while (!options.empty()) {
    const size_t comma = options.find(',');
    const std::string_view option = options.substr(0, comma);
    options = comma == std::string_view::npos ? std::string_view() : options.substr(comma + 1);
    constexpr std::string_view kInstances = "instances=";
    const std::string_view value = option.substr(std::min(option.size(), kInstances.size()));
    const auto [end, error] =
        std::from_chars(value.data(), value.data() + value.size(), *instances);
    if (!option.starts_with(kInstances) || error != std::errc() ||
        end != value.data() + value.size() || *instances < 1) {
      return absl::InvalidArgumentError(fmt::format(
          "model option '{}' in '{}' is not understood; the one option is instances=N with N >= 1",
          option, spec));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<Backend>> CreateXGBoost(std::string_view path, int instances) {
  if (path.empty()) return absl::InvalidArgumentError("xgboost: needs a model file path");
  auto backend = XGBoostBackend::Create({.model_path = std::string(path), .instances = instances});
  if (!backend.ok()) return backend.status();
  return std::unique_ptr<Backend>(std::move(*backend));
}

template <SimulatedBackend::Mode mode>
absl::StatusOr<std::unique_ptr<Backend>> CreateSimulated(std::string_view duration_text,
                                                         int instances) {
  auto duration = ParseDurationArgument(duration_text);
  if (!duration.ok()) return duration.status();
  auto backend =
      SimulatedBackend::Create({.mode = mode, .duration = *duration, .instances = instances});
  if (!backend.ok()) return backend.status();
  return std::unique_ptr<Backend>(std::move(*backend));
}

constexpr BackendKind kBackendKinds[] = {
    {.kind = "xgboost",
     .argument = "PATH",
     .help = "an XGBoost model file, JSON or UBJSON",
     .create = CreateXGBoost},
    {.kind = "sleep",
     .argument = "DURATION",
     .help = "waits without using the CPU, like the article's time.sleep",
     .create = CreateSimulated<SimulatedBackend::Mode::kSleep>},
    {.kind = "busy",
     .argument = "DURATION",
     .help = "burns one CPU, like a real model",
     .create = CreateSimulated<SimulatedBackend::Mode::kBusy>},
};

}  // namespace

std::span<const BackendKind> BackendKinds() { return kBackendKinds; }

std::string ModelSpecHelp() {
  std::vector<std::string> kinds;
  for (const BackendKind& kind : BackendKinds()) {
    kinds.push_back(fmt::format("{}:{} ({})", kind.kind, kind.argument, kind.help));
  }
  return fmt::format(
      "SPEC is {}, optionally followed by ,instances=N (requests that may run at once). "
      "DURATION takes a unit: 50ms, 200us, 1.5s, 0.",
      fmt::join(kinds, ", "));
}

absl::StatusOr<std::unique_ptr<Backend>> CreateBackend(std::string_view spec) {
  const size_t comma = spec.find(',');
  const std::string_view main = spec.substr(0, comma);
  int instances = 0;
  if (comma != std::string_view::npos) {
    if (absl::Status status = ParseOptions(spec, spec.substr(comma + 1), &instances);
        !status.ok()) {
      return status;
    }
  }
  const size_t colon = main.find(':');
  if (colon == std::string_view::npos) {
    return absl::InvalidArgumentError(
        fmt::format("model spec '{}' has no KIND:. {}", spec, ModelSpecHelp()));
  }
  const std::string_view kind = main.substr(0, colon);
  for (const BackendKind& known : BackendKinds()) {
    if (known.kind == kind) return known.create(main.substr(colon + 1), instances);
  }
  return absl::InvalidArgumentError(
      fmt::format("unknown model kind '{}' in '{}'. {}", kind, spec, ModelSpecHelp()));
}

}  // namespace predictwire::backends
