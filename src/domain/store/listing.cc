// Stage history and audit log reads (listing.cc), by column name.
#include "domain/store.h"

namespace keel::domain {

using store::Value;

Result<std::vector<StageHistoryRow>> LoadStageHistory(store::Connection& conn, int64_t tenant, int64_t opportunity) {
  Value q[] = {tenant, opportunity};
  KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query(
      "SELECT id, from_stage, to_stage, amount, changed_at, actor_id FROM "
      "opportunity_stage_history WHERE tenant_id = ? AND opportunity_id = ? ORDER BY id", q));
  std::vector<StageHistoryRow> out;
  for (store::Row r : rows) {
    out.push_back({.id = r.Int("id"), .from_stage = r.OptText("from_stage"), .to_stage = r.Text("to_stage"),
                   .amount = r.OptInt("amount"), .changed_at = r.Text("changed_at"), .actor_id = r.Int("actor_id")});
  }
  return out;
}

Result<std::vector<AuditLogRow>> LoadAuditLog(store::Connection& conn, int64_t tenant, const std::vector<AuditCondition>& where,
                                              int limit) {
  std::vector<Value> args = {tenant};
  std::string sql = "SELECT id, at, actor_id, action, entity, entity_id, before, after, request_id FROM audit_log WHERE tenant_id = ?";
  for (const auto& c : where) {
    switch (c.kind) {
      case AuditCondition::Kind::kEntity: sql += " AND entity = ?"; break;
      case AuditCondition::Kind::kEntityId: sql += " AND entity_id = ?"; break;
      case AuditCondition::Kind::kActorId: sql += " AND actor_id = ?"; break;
      case AuditCondition::Kind::kBeforeId: sql += " AND id < ?"; break;
    }
    args.push_back(c.value);
  }
  args.emplace_back(static_cast<int64_t>(limit));
  KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query(sql + " ORDER BY id DESC LIMIT ?", args));
  std::vector<AuditLogRow> out;
  for (store::Row r : rows) {
    out.push_back({.id = r.Int("id"), .at = r.Text("at"), .actor_id = r.Int("actor_id"), .action = r.Text("action"),
                   .entity = r.Text("entity"), .entity_id = r.Int("entity_id"), .before = r.OptText("before"),
                   .after = r.OptText("after"), .request_id = r.OptText("request_id")});
  }
  return out;
}

}  // namespace keel::domain
