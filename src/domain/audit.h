// The audit log (审计日志): one row per administrative change — who (actor and request id),
// when, what (action, entity, id) and the state before and after. DESIGN §8: every
// administrative change is in it. This is the one writer of `audit_log`; every part calls it
// inside the write transaction of the change it records, so the change and its audit row
// commit or roll back together. Read with GET /api/v1/audit-log (admin, auditor).
//
//   KEEL_RETURN_IF_ERROR(domain::AuditChange(*conn, p, now, {"delete", "webhooks", id, WebhookJson(before), nullptr}));
//
// Never put secrets in `before`/`after` (webhook secrets, keys in URLs, tokens, password
// hashes): auditors read them. Thread-safe: no state of its own; the connection is the caller's.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "common/time.h"
#include "domain/model.h"
#include "store/database.h"

namespace keel::domain {

struct AuditEntry {
  // A verb — create | update | archive | delete | revoke | … — or, for security events recorded
  // beside the event log, the event's dotted type (api_key.created).
  std::string action;
  // The table or resource written: "grants", "alert_silences", "webhooks", "alert_rules".
  std::string entity;
  // The row's id; 0 for definitions keyed by name (put the name in before/after).
  int64_t entity_id = 0;
  nlohmann::json before;  // null for a creation
  nlohmann::json after;   // null for a deletion
};

// Appends one audit row: actor p.user_id (0 for the system), p.request_id, at `now`. Inside the
// caller's write transaction on `conn`. Fails only when the store does.
Status AuditChange(store::Connection& conn, const Principal& p, TimeMs now, const AuditEntry& entry);

// Appends several rows at once (one id allocation), stamped `at` (stored timestamp text) and
// `request_id` (empty: none). For writers that batch their changes (the record service).
Status AuditChanges(store::Connection& conn, const Principal& p, const std::string& at, std::span<const AuditEntry> entries,
                    const std::string& request_id);

}  // namespace keel::domain
