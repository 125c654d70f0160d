#include "transport/common/ready_line.h"

namespace predictwire::transport {

std::string FormatReadyLine(const std::vector<std::pair<std::string, std::string>>& addresses,
                            std::string_view prefix) {
  std::string line(prefix);
  for (const auto& [key, address] : addresses) {
    line += ' ';
    line += key;
    line += '=';
    line += address;
  }
  return line;
}

std::map<std::string, std::string, std::less<>> ParseReadyLine(std::string_view line,
                                                               std::string_view prefix) {
  std::map<std::string, std::string, std::less<>> addresses;
  if (!line.starts_with(prefix)) return addresses;
  line.remove_prefix(prefix.size());
  while (!line.empty()) {
    const size_t start = line.find_first_not_of(' ');
    if (start == std::string_view::npos) break;
    line.remove_prefix(start);
    const std::string_view word = line.substr(0, line.find(' '));
    line.remove_prefix(word.size());
    const size_t equals = word.find('=');
    if (equals == std::string_view::npos || equals == 0 || equals + 1 == word.size()) continue;
    addresses.emplace(word.substr(0, equals), word.substr(equals + 1));
  }
  return addresses;
}

}  // namespace predictwire::transport
