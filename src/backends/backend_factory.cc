#include "backends/backend_factory.h"

#include <fmt/format.h>

#include <charconv>
#include <optional>
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

constexpr std::string_view kOptionsHelp =
    "the options are instances=N (N >= 1), batch=MAX (1 <= MAX <= {}) and batch-delay=DURATION "
    "(at most {}s, with batch=)";

// A whole decimal integer, or nothing.
template <typename Integer>
std::optional<Integer> ParseInteger(std::string_view text) {
  Integer value{};
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

// Parses the ",name=value" options after the main part of a spec.
absl::Status ParseOptions(std::string_view spec, std::string_view options, int* instances,
                          Batching* batching) {
  const auto not_understood = [&](std::string_view option) {
    return absl::InvalidArgumentError(fmt::format(
        "model option '{}' in '{}' is not understood; {}", option, spec,
        fmt::format(fmt::runtime(kOptionsHelp), Batching::kMaxRows, Batching::kMaxDelay.count())));
  };
  bool delay_given = false;
  while (!options.empty()) {
    const size_t comma = options.find(',');
    const std::string_view option = options.substr(0, comma);
    options = comma == std::string_view::npos ? std::string_view() : options.substr(comma + 1);
    const size_t equals = option.find('=');
    if (equals == std::string_view::npos) return not_understood(option);
    const std::string_view name = option.substr(0, equals);
    const std::string_view value = option.substr(equals + 1);
    if (name == "instances") {
      const std::optional<int> parsed = ParseInteger<int>(value);
      if (!parsed || *parsed < 1) return not_understood(option);
      *instances = *parsed;
    } else if (name == "batch") {
      const std::optional<size_t> parsed = ParseInteger<size_t>(value);
      if (!parsed || *parsed < 1 || *parsed > Batching::kMaxRows) return not_understood(option);
      batching->max_rows = *parsed;
    } else if (name == "batch-delay") {
      auto delay = ParseDurationArgument(value);
      if (!delay.ok() || *delay > Batching::kMaxDelay) return not_understood(option);
      batching->max_delay = *delay;
      delay_given = true;
    } else {
      return not_understood(option);
    }
  }
  if (delay_given && !batching->enabled()) {
    return absl::InvalidArgumentError(fmt::format(
        "model option batch-delay in '{}' needs batch=MAX as well (the rows per backend call)",
        spec));
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
      "SPEC is {}, optionally followed by ,instances=N (requests that may run at once), "
      ",batch=MAX (dynamic batching: concurrent requests merged into calls of up to MAX rows) "
      "and ,batch-delay=DURATION (how long the oldest request waits for others; default 0). "
      "DURATION takes a unit: 50ms, 200us, 1.5s, 0.",
      fmt::join(kinds, ", "));
}

absl::StatusOr<std::unique_ptr<Backend>> CreateBackend(std::string_view spec) {
  absl::StatusOr<ModelSpec> model = CreateModel(spec);
  if (!model.ok()) return model.status();
  return std::move(model->backend);
}

absl::StatusOr<ModelSpec> CreateModel(std::string_view spec) {
  const size_t comma = spec.find(',');
  const std::string_view main = spec.substr(0, comma);
  int instances = 0;
  Batching batching;
  if (comma != std::string_view::npos) {
    if (absl::Status status = ParseOptions(spec, spec.substr(comma + 1), &instances, &batching);
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
    if (known.kind != kind) continue;
    absl::StatusOr<std::unique_ptr<Backend>> backend =
        known.create(main.substr(colon + 1), instances);
    if (!backend.ok()) return backend.status();
    return ModelSpec{*std::move(backend), batching};
  }
  return absl::InvalidArgumentError(
      fmt::format("unknown model kind '{}' in '{}'. {}", kind, spec, ModelSpecHelp()));
}

}  // namespace predictwire::backends
