#include "org/store/profit_sharing.h"

namespace keel::org::repo {

using store::Nullable;
using store::Value;

namespace {

const char* kRuleSelect = "SELECT id, name, unit_id, pool_formula, split, weight_formula, description FROM profit_sharing_rules ";

ProfitRuleRow RuleOf(const store::Row& r) {
  return {.id = r.Int("id"), .name = r.Text("name"), .unit_id = r.OptInt("unit_id"), .pool_formula = r.Text("pool_formula"),
          .split = r.Text("split"), .weight_formula = r.OptText("weight_formula"), .description = r.OptText("description")};
}

}  // namespace

Status InsertProfitRule(store::Connection& conn, int64_t tenant, const ProfitRuleRow& r, const std::string& created_at,
                        std::optional<int64_t> created_by) {
  Value q[] = {tenant, r.id, r.name, Nullable(r.unit_id), r.pool_formula, r.split, Nullable(r.weight_formula), Nullable(r.description),
               created_at, Nullable(created_by)};
  return conn.Exec("INSERT INTO profit_sharing_rules (tenant_id, id, name, unit_id, pool_formula, split, weight_formula, description, "
                   "created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", q).status();
}

Result<std::optional<ProfitRuleRow>> LoadProfitRule(store::Connection& conn, int64_t tenant, int64_t id) {
  Value q[] = {tenant, id};
  KEEL_ASSIGN_OR_RETURN(store::Rows r, conn.Query(std::string(kRuleSelect) + "WHERE tenant_id = ? AND id = ?", q));
  if (r.empty()) return std::optional<ProfitRuleRow>();
  return std::optional<ProfitRuleRow>(RuleOf(r.row(0)));
}

Result<std::vector<ProfitRuleRow>> LoadProfitRules(store::Connection& conn, int64_t tenant, std::optional<int64_t> only) {
  std::string sql = std::string(kRuleSelect) + "WHERE tenant_id = ? AND archived_at IS NULL";
  std::vector<Value> q = {tenant};
  if (only) {
    sql += " AND id = ?";
    q.emplace_back(*only);
  }
  KEEL_ASSIGN_OR_RETURN(store::Rows r, conn.Query(sql + " ORDER BY id", q));
  std::vector<ProfitRuleRow> out;
  for (store::Row row : r) out.push_back(RuleOf(row));
  return out;
}

Result<double> RevenueTarget(store::Connection& conn, int64_t tenant, int64_t unit, int64_t user, const std::string& period) {
  std::vector<Value> q = {tenant, period};
  std::string sql = "SELECT value FROM targets WHERE tenant_id = ? AND period = ? AND metric = 'revenue' AND archived_at IS NULL AND ";
  if (user) {
    sql += "user_id = ?";
    q.emplace_back(user);
  } else {
    sql += "unit_id = ? AND user_id IS NULL";
    q.emplace_back(unit);
  }
  KEEL_ASSIGN_OR_RETURN(store::Rows r, conn.Query(sql, q));
  return r.empty() ? 0.0 : r.row(0).Double("value");
}

Result<std::vector<PersonRow>> LoadSharingPeople(store::Connection& conn, int64_t tenant, const std::string& path_pattern,
                                                 const std::string& period) {
  Value q[] = {tenant, path_pattern, tenant, path_pattern, period};
  KEEL_ASSIGN_OR_RETURN(store::Rows r, conn.Query(
      "SELECT s.id, s.display_name FROM users s JOIN units x ON x.tenant_id = s.tenant_id AND x.id = s.unit_id WHERE s.tenant_id = ? AND "
      "((x.path LIKE ? AND s.status = 'active' AND s.role IN ('rep', 'supervisor', 'unit_lead')) OR s.id IN (SELECT e.user_id FROM "
      "ledger_entries e JOIN units y ON y.tenant_id = e.tenant_id AND y.id = e.unit_id WHERE e.tenant_id = ? AND y.path LIKE ? AND "
      "e.period = ? AND e.user_id IS NOT NULL)) ORDER BY s.id", q));
  std::vector<PersonRow> out;
  for (store::Row row : r) out.push_back({row.Int("id"), row.Text("display_name")});
  return out;
}

Result<bool> HasStatements(store::Connection& conn, int64_t tenant, const std::string& period, int64_t rule) {
  Value q[] = {tenant, period, rule};
  KEEL_ASSIGN_OR_RETURN(store::Rows r, conn.Query(
      "SELECT 1 AS one FROM profit_share_statements WHERE tenant_id = ? AND period = ? AND rule_id = ? LIMIT 1", q));
  return !r.empty();
}

Status DeleteStatements(store::Connection& conn, int64_t tenant, const std::string& period, int64_t rule) {
  Value q[] = {tenant, period, rule};
  return conn.Exec("DELETE FROM profit_share_statements WHERE tenant_id = ? AND period = ? AND rule_id = ?", q).status();
}

Status InsertStatement(store::Connection& conn, int64_t tenant, const StatementRow& s, std::optional<int64_t> computed_by) {
  Value q[] = {tenant, s.id, s.period, s.rule_id, s.unit_id, s.user_id, s.pool_fen, s.amount_fen, s.detail, s.computed_at, Nullable(computed_by)};
  return conn.Exec("INSERT INTO profit_share_statements (tenant_id, id, period, rule_id, unit_id, user_id, pool, amount, detail, "
                   "computed_at, computed_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", q).status();
}

Result<std::vector<StatementRow>> LoadStatements(store::Connection& conn, int64_t tenant, const StatementFilter& f) {
  std::string where = " WHERE s.tenant_id = ?";
  std::vector<Value> params = {tenant};
  if (f.period) {
    where += " AND s.period = ?";
    params.emplace_back(*f.period);
  }
  const std::pair<const char*, const std::optional<int64_t>*> ids[] = {
      {"unit_id", &f.unit_id}, {"user_id", &f.user_id}, {"rule_id", &f.rule_id}, {"id", &f.id}};
  for (const auto& [column, value] : ids) {
    if (!*value) continue;
    where += std::string(" AND s.") + column + " = ?";
    params.emplace_back(**value);
  }
  using Scope = StatementFilter::Scope;
  if (f.scope == Scope::kOwnAndSubtree) {
    where += " AND (s.user_id = ? OR u.path LIKE ?)";
    params.emplace_back(f.viewer);
    params.emplace_back(f.viewer_subtree);
  } else if (f.scope == Scope::kOwnAndReports) {
    where += " AND (s.user_id = ? OR s.user_id IN (SELECT id FROM users WHERE tenant_id = s.tenant_id AND supervisor_id = ?))";
    params.emplace_back(f.viewer);
    params.emplace_back(f.viewer);
  } else if (f.scope == Scope::kOwn) {
    where += " AND s.user_id = ?";
    params.emplace_back(f.viewer);
  }
  KEEL_ASSIGN_OR_RETURN(store::Rows r, conn.Query(
      "SELECT s.id, s.period, s.rule_id, s.unit_id, u.name AS unit, s.user_id, w.display_name AS user_name, s.pool, s.amount, s.computed_at "
      "FROM profit_share_statements s JOIN units u ON u.tenant_id = s.tenant_id AND u.id = s.unit_id "
      "JOIN users w ON w.tenant_id = s.tenant_id AND w.id = s.user_id" + where + " ORDER BY s.period DESC, u.path, s.amount DESC, s.id LIMIT 2000",
      params));
  std::vector<StatementRow> out;
  for (store::Row row : r) {
    out.push_back({.id = row.Int("id"), .period = row.Text("period"), .rule_id = row.Int("rule_id"), .unit_id = row.Int("unit_id"),
                   .unit = row.Text("unit"), .user_id = row.Int("user_id"), .user = row.Text("user_name"), .pool_fen = row.Int("pool"),
                   .amount_fen = row.Int("amount"), .computed_at = row.Text("computed_at")});
  }
  return out;
}

Result<std::optional<std::string>> StatementDetail(store::Connection& conn, int64_t tenant, int64_t id) {
  Value q[] = {tenant, id};
  KEEL_ASSIGN_OR_RETURN(store::Rows r, conn.Query("SELECT detail FROM profit_share_statements WHERE tenant_id = ? AND id = ?", q));
  if (r.empty()) return std::optional<std::string>();
  return std::optional<std::string>(r.row(0).Text("detail"));
}

}  // namespace keel::org::repo
