#include "loadgen/report/report_files.h"

#include <fmt/format.h>

#include <filesystem>
#include <fstream>

#include "loadgen/report/report_html.h"
#include "loadgen/report/report_json.h"

namespace predictwire::loadgen {

absl::Status WriteReport(const Report& report, const std::string& directory) {
  std::error_code error;
  std::filesystem::create_directories(directory, error);
  if (error) {
    return absl::InternalError(fmt::format("cannot create {}: {}", directory, error.message()));
  }
  const std::pair<const char*, std::string> files[] = {{"report.json", ReportToJson(report)},
                                                       {"report.csv", ReportToCsv(report)},
                                                       {"index.html", RenderHtml(report)}};
  for (const auto& [name, text] : files) {
    const std::filesystem::path path = std::filesystem::path(directory) / name;
    std::ofstream file(path);
    file << text;
    if (!file) return absl::InternalError(fmt::format("cannot write {}", path.string()));
  }
  return absl::OkStatus();
}

}  // namespace predictwire::loadgen
