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

namespace {

std::string MeasureExpr(const AggregateMeasureSql& m) {
  if (m.fn == "count") return "COUNT(*)";
  if (m.fn == "count_values") return "COUNT(" + m.column + ")";  // the rows with a value (for averages)
  std::string expr = (m.fn == "sum" ? "SUM(" : m.fn == "avg" ? "AVG(" : m.fn == "min" ? "MIN(" : "MAX(") + m.column + ")";
  // PostgreSQL sums BIGINTs as NUMERIC and averages as NUMERIC: read both as plain numbers.
  if (m.fn == "avg" || !m.integer) return "CAST(" + expr + " AS DOUBLE PRECISION)";
  return "CAST(" + expr + " AS BIGINT)";
}

}  // namespace

Result<store::Rows> LoadAggregate(store::Connection& conn, const std::string& table, const std::vector<std::string>& group_columns,
                                  const std::vector<AggregateMeasureSql>& measures, const std::string& where,
                                  std::vector<Value> args, int limit) {
  std::string select, group;
  for (size_t i = 0; i < group_columns.size(); ++i) {
    select += group_columns[i] + " AS g" + std::to_string(i) + ", ";
    group += (group.empty() ? "" : ", ") + group_columns[i];
  }
  for (size_t i = 0; i < measures.size(); ++i) select += MeasureExpr(measures[i]) + " AS m" + std::to_string(i) + ", ";
  std::string sql = "SELECT " + select + "COUNT(*) AS n FROM " + table + where;
  if (!group.empty()) {
    // NULL keys last on both backends, then the keys in order.
    std::string order = " ORDER BY COUNT(*) DESC";
    for (const auto& c : group_columns) order += ", (" + c + " IS NULL), " + c;
    sql += " GROUP BY " + group + order + " LIMIT ?";
    args.emplace_back(static_cast<int64_t>(limit));
  }
  return conn.Query(sql, args);
}

Result<int64_t> CountAggregateGroups(store::Connection& conn, const std::string& table, const std::vector<std::string>& group_columns,
                                     const std::string& where, const std::vector<Value>& args) {
  std::string group;
  for (const auto& c : group_columns) group += (group.empty() ? "" : ", ") + c;
  KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query("SELECT COUNT(*) AS n FROM (SELECT 1 AS one FROM " + table + where +
                                                     " GROUP BY " + group + ") AS groups", args));
  return rows.empty() ? int64_t{0} : rows.row(0).Int("n");
}

}  // namespace keel::domain
