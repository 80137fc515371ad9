// Helpers shared by the org part's files. Not part of its public API.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace keel::org {

// The unit ids of a materialised path "/1000/1003/1010/", root first.
inline std::vector<int64_t> PathIds(const std::string& path) {
  std::vector<int64_t> out;
  for (size_t i = 1; i < path.size();) {
    size_t j = path.find('/', i);
    if (j == std::string::npos) break;
    out.push_back(std::stoll(path.substr(i, j - i)));
    i = j + 1;
  }
  return out;
}

}  // namespace keel::org
