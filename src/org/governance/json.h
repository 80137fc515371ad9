// The JSON shape of governance results that other parts embed in their own answers (quote and
// expense submission, contract signing) and the HTTP layer returns.
#pragma once

#include <nlohmann/json.hpp>

#include "org/governance.h"

namespace keel::org {

// {"flags": [{event_id, checkpoint_id, name, message_zh, message_en}], "overrides": [… + reason, by, at]}.
nlohmann::json ComplianceJson(const ComplianceOutcome& c);

}  // namespace keel::org
