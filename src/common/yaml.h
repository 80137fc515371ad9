// YAML definitions (metrics, alerts, workflows, templates) are read into the same JSON shape
// the API accepts, so one validator serves both. Plain scalars become booleans (true/false),
// null (~, null, empty), integers or numbers when they look like one, text otherwise; quoted
// scalars are always text.
#pragma once

#include <string_view>

#include <nlohmann/json.hpp>

#include "common/status.h"

namespace keel {

// Parses one YAML document. Errors: "yaml.syntax" with field "yaml@<line>:<column>" (1-based).
Result<nlohmann::json> JsonFromYaml(std::string_view text);
// Parses a stream of documents ("---" separated); a single document holding a list is also
// returned as its elements.
Result<std::vector<nlohmann::json>> JsonDocumentsFromYaml(std::string_view text);

}  // namespace keel
