#include "loadgen/harness/balancer_config.h"

#include <fmt/format.h>

#include <set>

namespace predictwire::loadgen {
namespace {

bool IsNameStart(char c) { return c >= 'A' && c <= 'Z'; }
bool IsNameChar(char c) { return IsNameStart(c) || (c >= '0' && c <= '9') || c == '_'; }

// Calls `found(begin, end, name)` for each ${NAME} of `line` (NAME: [A-Z][A-Z0-9_]*), as
// render.py's PLACEHOLDER finds them; anything else (nginx's $variables) is text.
template <typename Found>
void EachPlaceholder(std::string_view line, Found found) {
  for (size_t at = line.find("${"); at != std::string_view::npos; at = line.find("${", at + 1)) {
    size_t end = at + 2;
    if (end >= line.size() || !IsNameStart(line[end])) continue;
    while (end < line.size() && IsNameChar(line[end])) ++end;
    if (end >= line.size() || line[end] != '}') continue;
    found(at, end + 1, std::string(line.substr(at + 2, end - at - 2)));
  }
}

absl::StatusOr<std::string> Substitute(std::string_view line,
                                       const std::map<std::string, std::string>& values) {
  std::string out;
  size_t copied = 0;
  absl::Status missing;
  EachPlaceholder(line, [&](size_t begin, size_t end, const std::string& name) {
    out.append(line.substr(copied, begin - copied));
    copied = end;
    const auto value = values.find(name);
    if (value == values.end()) {
      if (missing.ok())
        missing = absl::InvalidArgumentError(fmt::format("no value for ${{{}}}", name));
      return;
    }
    out += value->second;
  });
  if (!missing.ok()) return missing;
  out.append(line.substr(copied));
  return out;
}

}  // namespace

const std::map<std::string, std::string>& BalancerDefaults() {
  static const auto* defaults = new std::map<std::string, std::string>{
      {"LISTEN", "0.0.0.0:8080"},
      {"LISTEN_H2C", "0.0.0.0:8081"},
      {"RUN_DIR", "/run/predictwire-balancer"},
      {"CHECK_INTERVAL", "1s"},
      {"STREAM_TIMEOUT", "75s"},
      {"ANSWER_TIMEOUT", "60s"},
  };
  return *defaults;
}

absl::StatusOr<std::string> RenderBalancerConfig(std::string_view text,
                                                 const std::vector<std::string>& backends,
                                                 const std::map<std::string, std::string>& values) {
  std::map<std::string, std::string> all = BalancerDefaults();
  for (const auto& [name, value] : values) all[name] = value;
  std::set<std::string> used;
  std::string out;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    end = end == std::string_view::npos ? text.size() : end + 1;
    const std::string_view line = text.substr(start, end - start);
    start = end;
    bool per_backend = false;
    EachPlaceholder(line, [&](size_t, size_t, const std::string& name) {
      used.insert(name);
      if (name == "BACKEND_NAME" || name == "BACKEND_ADDRESS") per_backend = true;
    });
    if (!per_backend) {
      absl::StatusOr<std::string> filled = Substitute(line, all);
      if (!filled.ok()) return filled.status();
      out += *filled;
      continue;
    }
    for (size_t i = 0; i < backends.size(); ++i) {
      std::map<std::string, std::string> local = all;
      local["BACKEND_NAME"] = fmt::format("b{}", i + 1);
      local["BACKEND_ADDRESS"] = backends[i];
      absl::StatusOr<std::string> filled = Substitute(line, local);
      if (!filled.ok()) return filled.status();
      out += *filled;
    }
  }
  std::vector<std::string> unused;
  for (const auto& [name, value] : values) {
    if (!used.count(name)) unused.push_back(name);
  }
  if (!unused.empty()) {
    return absl::InvalidArgumentError(fmt::format(
        "values that name no placeholder of the template: {}", fmt::join(unused, ", ")));
  }
  return out;
}

}  // namespace predictwire::loadgen
