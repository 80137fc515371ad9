// The audit log's one writer (audit.h).
#include "domain/audit.h"

namespace keel::domain {

using json = nlohmann::json;
using store::Value;

namespace {

Value Dump(const json& j) {
  if (j.is_null()) return Value();
  return Value(j.dump(-1, ' ', false, json::error_handler_t::replace));
}

}  // namespace

Status AuditChange(store::Connection& conn, const Principal& p, TimeMs now, const AuditEntry& entry) {
  return AuditChanges(conn, p, FormatTimestamp(now), std::span<const AuditEntry>(&entry, 1), p.request_id);
}

Status AuditChanges(store::Connection& conn, const Principal& p, const std::string& at, std::span<const AuditEntry> entries,
                    const std::string& request_id) {
  if (entries.empty()) return Status();
  KEEL_ASSIGN_OR_RETURN(std::vector<int64_t> ids, conn.AllocateIds(static_cast<int64_t>(entries.size())));
  for (size_t i = 0; i < entries.size(); ++i) {
    const AuditEntry& e = entries[i];
    Value q[] = {p.tenant_id, ids[i], at, p.user_id, e.action, e.entity, e.entity_id, Dump(e.before), Dump(e.after),
                 request_id.empty() ? Value() : Value(request_id)};
    KEEL_RETURN_IF_ERROR(conn.Exec("INSERT INTO audit_log (tenant_id, id, at, actor_id, action, entity, entity_id, before, after, "
                                   "request_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", q).status());
  }
  return Status();
}

}  // namespace keel::domain
