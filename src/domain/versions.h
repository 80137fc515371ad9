// Versioned definitions (定义版本): metric definitions, alert rules and (later) workflows are kept
// one row per version in a table shaped (tenant_id, name, version, definition, status,
// owner_id, created_at), where exactly one version of a name is 'active'. Creating a name that
// is active is a conflict; replacing one that is not is "not found"; a replacement supersedes
// the active version. Run inside the caller's write transaction.
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "common/time.h"
#include "store/database.h"

namespace keel::domain {

struct VersionedKind {
  const char* table;     // e.g. "metric_defs"
  const char* code;      // conflict code, e.g. "metric.exists"
  const char* what_en;   // "metric"
  const char* what_zh;   // "指标"
};

// The version a save of `name` gets (1 for a new name), after checking create vs replace.
Result<int> NextVersion(store::Connection& conn, const VersionedKind& kind, int64_t tenant_id, const std::string& name,
                        bool replace);
// Supersedes the active version and inserts `definition` as the active `version`.
Status InsertVersion(store::Connection& conn, const VersionedKind& kind, int64_t tenant_id, const std::string& name,
                     int version, const std::string& definition, int64_t owner_id, TimeMs now);
// The active version's definition with its "version", or null when no version of `name` is
// active — what an audit row shows as `before` when a definition is replaced or archived (JSON:
// the definition is the document its author wrote).
Result<nlohmann::json> ActiveVersion(store::Connection& conn, const VersionedKind& kind, int64_t tenant_id, const std::string& name);

}  // namespace keel::domain
