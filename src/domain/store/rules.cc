// What the domain's entity rules (src/domain/rules/) read and write beside the record itself.
#include "domain/store.h"

namespace keel::domain {

using store::Value;

Result<std::optional<NamedCustomField>> FindCustomFieldNamed(store::Connection& conn, int64_t tenant,
                                                             const std::string& entity, const std::string& name,
                                                             int64_t except) {
  Value q[] = {tenant, entity, name, except};
  KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query(
      "SELECT id, archived_at FROM custom_fields WHERE tenant_id = ? AND entity = ? AND name = ? AND id <> ?", q));
  if (rows.empty()) return std::optional<NamedCustomField>();
  return std::optional<NamedCustomField>(NamedCustomField{.id = rows.row(0).Int("id"), .archived = !rows.row(0).Null("archived_at")});
}

Result<int64_t> CountLiveCustomFields(store::Connection& conn, int64_t tenant, const std::string& entity) {
  Value q[] = {tenant, entity};
  KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query(
      "SELECT COUNT(*) AS n FROM custom_fields WHERE tenant_id = ? AND entity = ? AND archived_at IS NULL", q));
  return rows.row(0).Int("n");
}

Status InsertStageChange(store::Connection& conn, int64_t tenant, int64_t id, const StageChange& c) {
  Value q[] = {tenant, id, c.opportunity_id, c.from, c.to, c.amount, c.at, c.actor_id};
  return conn.Exec("INSERT INTO opportunity_stage_history (tenant_id, id, opportunity_id, "
                   "from_stage, to_stage, amount, changed_at, actor_id) VALUES "
                   "(?, ?, ?, ?, ?, ?, ?, ?)", q).status();
}

Result<bool> MarkLeadResponded(store::Connection& conn, int64_t tenant, int64_t lead, const std::string& at,
                               const std::string& now) {
  Value q[] = {at, now, tenant, lead};
  KEEL_ASSIGN_OR_RETURN(int64_t changed, conn.Exec(
      "UPDATE leads SET first_response_at = ?, updated_at = ?, status = CASE WHEN status = 'new' "
      "THEN 'working' ELSE status END WHERE tenant_id = ? AND id = ? AND first_response_at IS NULL", q));
  return changed > 0;
}

Status MarkLeadConverted(store::Connection& conn, int64_t tenant, int64_t lead, int64_t customer,
                         int64_t opportunity, const std::string& now) {
  Value q[] = {Value("converted"), now, Value(customer), Value(opportunity), now, tenant, lead};
  return conn.Exec("UPDATE leads SET status = ?, converted_at = ?, customer_id = ?, opportunity_id = ?, "
                   "updated_at = ?, first_response_at = COALESCE(first_response_at, converted_at) "
                   "WHERE tenant_id = ? AND id = ?", q).status();
}

Status LinkOpportunityToLead(store::Connection& conn, int64_t tenant, int64_t opportunity, int64_t lead) {
  Value q[] = {lead, tenant, opportunity};
  return conn.Exec("UPDATE opportunities SET lead_id = ? WHERE tenant_id = ? AND id = ?", q).status();
}

Result<std::vector<Returnable>> LoadReturnable(store::Connection& conn, int64_t tenant, int64_t order) {
  Value q[] = {tenant, order, order};
  KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query(
      "SELECT l.product_id AS product_id, SUM(l.qty) AS qty, SUM(l.amount) AS amount FROM order_lines l "
      "JOIN orders o ON o.tenant_id = l.tenant_id AND o.id = l.order_id "
      "WHERE o.tenant_id = ? AND (o.id = ? OR (o.return_of = ? AND o.status <> 'cancelled')) GROUP BY l.product_id", q));
  std::vector<Returnable> out;
  for (store::Row r : rows) out.push_back({.product_id = r.Int("product_id"), .qty = r.Int("qty"), .amount = r.Int("amount")});
  return out;
}

Result<std::optional<int64_t>> FindDuplicateTarget(store::Connection& conn, int64_t tenant, const ValueMap& v,
                                                   int64_t except) {
  auto at = [&](const char* k) { auto it = v.find(k); return it == v.end() ? Value() : it->second; };
  std::vector<Value> q = {tenant, at("unit_id"), at("metric"), at("period"), except};
  std::string sql = "SELECT id FROM targets WHERE tenant_id = ? AND unit_id = ? AND metric = ? "
                    "AND period = ? AND id <> ? AND archived_at IS NULL AND ";
  if (store::IsNull(at("user_id"))) {
    sql += "user_id IS NULL";
  } else {
    sql += "user_id = ?";
    q.push_back(at("user_id"));
  }
  KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query(sql, q));
  if (rows.empty()) return std::optional<int64_t>();
  return std::optional<int64_t>(rows.row(0).Int("id"));
}

}  // namespace keel::domain
