// The audit log (操作审计) for administrative changes made outside the record engine (which
// writes its own rows): who, when, what, before and after. Secrets never go in: callers write
// "set" / "changed" / "none" in their place.
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "common/time.h"
#include "domain/model.h"
#include "store/database.h"

namespace keel::domain {

// Appends one audit row for `p`'s change of `entity` `entity_id` (`action` e.g.
// "text_settings.llm"); `before`/`after` may be null. Runs on `conn`, inside the caller's
// transaction when there is one, so that the row commits with the change.
Status WriteAudit(store::Connection& conn, const Principal& p, const std::string& action, const std::string& entity,
                  int64_t entity_id, const nlohmann::json& before, const nlohmann::json& after, TimeMs now);

}  // namespace keel::domain
