#include "org/governance/store.h"

#include "domain/unit_tree.h"

namespace keel::org::governance {

using store::Nullable;
using store::Value;

namespace {

constexpr const char* kCheckpointColumns =
    "SELECT id, name, object, on_event, condition_expr, outcome, message_zh, message_en, active, created_at, updated_at, archived_at "
    "FROM compliance_checkpoints";

CheckpointRow CheckpointOf(const store::Row& r) {
  CheckpointRow c;
  c.id = r.Int("id");
  c.name = r.Text("name");
  c.object = r.Text("object");
  c.on = r.Text("on_event");
  c.when = r.Text("condition_expr");
  c.action = r.Text("outcome");
  c.message_zh = r.Text("message_zh");
  c.message_en = r.Text("message_en");
  c.active = r.Bool("active");
  c.created_at = r.Text("created_at");
  c.updated_at = r.Text("updated_at");
  c.archived_at = r.OptText("archived_at").value_or("");
  return c;
}

std::vector<CheckpointRow> Checkpoints(const store::Rows& rows) {
  std::vector<CheckpointRow> out;
  for (store::Row r : rows) out.push_back(CheckpointOf(r));
  return out;
}

}  // namespace

// ---- Units, users, products ----

Result<std::optional<UnitRow>> LoadUnit(store::Connection& conn, int64_t tenant, int64_t unit) {
  Value q[] = {tenant, unit};
  KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query("SELECT path, name, archived_at FROM units WHERE tenant_id = ? AND id = ?", q));
  if (rows.empty()) return std::optional<UnitRow>();
  store::Row r = rows.row(0);
  return std::optional<UnitRow>(UnitRow{unit, r.Text("path"), r.Text("name"), !r.Null("archived_at")});
}

Result<int64_t> Headcount(store::Connection& conn, int64_t tenant, const std::string& path) {
  Value q[] = {tenant, domain::UnitTree::SubtreePattern(path)};
  KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query(
      "SELECT COUNT(*) AS headcount FROM users s JOIN units n ON n.tenant_id = s.tenant_id AND n.id = s.unit_id "
      "WHERE s.tenant_id = ? AND n.path LIKE ? AND s.status = 'active' AND s.archived_at IS NULL", q));
  return rows.row(0).Int("headcount");
}

Result<std::vector<MemberRow>> LoadMembers(store::Connection& conn, int64_t tenant, const std::string& path) {
  Value q[] = {tenant, domain::UnitTree::SubtreePattern(path)};
  KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query(
      "SELECT s.id, s.username, s.display_name, s.role, s.unit_id, n.name AS unit, s.status, s.supervisor_id, s.last_login_at FROM users s "
      "JOIN units n ON n.tenant_id = s.tenant_id AND n.id = s.unit_id WHERE s.tenant_id = ? AND n.path LIKE ? AND s.archived_at IS NULL "
      "ORDER BY n.path, s.id", q));
  std::vector<MemberRow> out;
  for (store::Row r : rows) {
    out.push_back({r.Int("id"), r.Text("username"), r.Text("display_name"), r.Text("role"), r.Int("unit_id"), r.Text("unit"), r.Text("status"),
                   r.OptInt("supervisor_id"), r.OptText("last_login_at")});
  }
  return out;
}

Result<bool> UserInSubtree(store::Connection& conn, int64_t tenant, int64_t user, const std::string& path) {
  Value q[] = {tenant, user, domain::UnitTree::SubtreePattern(path)};
  KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query(
      "SELECT 1 FROM users s JOIN units n ON n.tenant_id = s.tenant_id AND n.id = s.unit_id WHERE s.tenant_id = ? AND s.id = ? AND n.path LIKE ?", q));
  return !rows.empty();
}

Result<std::optional<MemberState>> LoadMemberIn(store::Connection& conn, int64_t tenant, int64_t user, const std::string& path) {
  Value q[] = {tenant, user, domain::UnitTree::SubtreePattern(path)};
  KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query(
      "SELECT s.role, s.unit_id, s.status, s.username FROM users s JOIN units n ON n.tenant_id = s.tenant_id AND n.id = s.unit_id "
      "WHERE s.tenant_id = ? AND s.id = ? AND n.path LIKE ? AND s.archived_at IS NULL", q));
  if (rows.empty()) return std::optional<MemberState>();
  store::Row r = rows.row(0);
  return std::optional<MemberState>(MemberState{r.Text("role"), r.Int("unit_id"), r.Text("status"), r.Text("username")});
}

Result<std::optional<ProductRow>> LoadProduct(store::Connection& conn, int64_t tenant, int64_t product) {
  Value q[] = {tenant, product};
  KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query("SELECT category_path, sku FROM products WHERE tenant_id = ? AND id = ?", q));
  if (rows.empty()) return std::optional<ProductRow>();
  store::Row r = rows.row(0);
  return std::optional<ProductRow>(ProductRow{r.OptText("category_path"), r.Text("sku")});
}

// ---- Authorisation boundaries and reports ----

Result<std::vector<TierRow>> LoadTiers(store::Connection& conn, int64_t tenant, int64_t unit, const std::string& action) {
  std::vector<Value> q = {tenant, unit};
  std::string sql = "SELECT id, action, mode, limit_amount, note FROM boundary_rules WHERE tenant_id = ? AND unit_id = ?";
  if (!action.empty()) {
    sql += " AND action = ?";
    q.emplace_back(action);
  }
  KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query(sql, q));
  std::vector<TierRow> out;
  for (store::Row r : rows) out.push_back({r.Int("id"), r.Text("action"), r.Text("mode"), r.OptInt("limit_amount"), r.OptText("note").value_or("")});
  return out;
}

Status DeleteTiers(store::Connection& conn, int64_t tenant, int64_t unit) {
  Value q[] = {tenant, unit};
  return conn.Exec("DELETE FROM boundary_rules WHERE tenant_id = ? AND unit_id = ?", q).status();
}

Status InsertTier(store::Connection& conn, int64_t tenant, int64_t unit, const TierRow& t, const std::string& created_at,
                  std::optional<int64_t> created_by) {
  Value q[] = {tenant, t.id, unit, t.action, t.mode, Nullable(t.limit), t.note.empty() ? Value() : Value(t.note), created_at, Nullable(created_by)};
  return conn.Exec("INSERT INTO boundary_rules (tenant_id, id, unit_id, action, mode, limit_amount, note, created_at, created_by) "
                   "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", q).status();
}

Status InsertReport(store::Connection& conn, int64_t tenant, const ReportRow& r) {
  Value q[] = {tenant, r.id, r.unit_id, r.action, Nullable(r.object), Nullable(r.record_id), r.amount_fen,
               Nullable(r.summary), Nullable(r.rule_id), Nullable(r.actor_id), r.at};
  return conn.Exec("INSERT INTO boundary_reports (tenant_id, id, unit_id, action, object, record_id, amount, summary, rule_id, actor_id, at) "
                   "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", q).status();
}

Result<std::vector<ReportRow>> LoadReports(store::Connection& conn, int64_t tenant, const ReportFilter& f) {
  std::string where = " WHERE r.tenant_id = ?";
  std::vector<Value> params = {tenant};
  if (f.unit_id) {
    where += " AND r.unit_id = ?";
    params.emplace_back(*f.unit_id);
  }
  if (f.action) {
    where += " AND r.action = ?";
    params.emplace_back(*f.action);
  }
  if (f.within) where += domain::UnitTree::PathWithin("u.path", *f.within, params);
  if (f.before_id) {
    where += " AND r.id < ?";
    params.emplace_back(*f.before_id);
  }
  KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query(
      "SELECT r.id, r.unit_id, u.name AS unit, r.action, r.object, r.record_id, r.amount, r.summary, r.rule_id, r.actor_id, r.at "
      "FROM boundary_reports r JOIN units u ON u.tenant_id = r.tenant_id AND u.id = r.unit_id" + where +
      " ORDER BY r.id DESC LIMIT " + std::to_string(f.limit), params));
  std::vector<ReportRow> out;
  for (store::Row r : rows) {
    out.push_back({r.Int("id"), r.Int("unit_id"), r.Text("unit"), r.Text("action"), r.OptText("object"), r.OptInt("record_id"), r.Int("amount"),
                   r.OptText("summary"), r.OptInt("rule_id"), r.OptInt("actor_id"), r.Text("at")});
  }
  return out;
}

// ---- Compliance checkpoints and events ----

Result<std::optional<CheckpointRow>> LoadCheckpoint(store::Connection& conn, int64_t tenant, int64_t id, bool live_only) {
  Value q[] = {tenant, id};
  KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query(std::string(kCheckpointColumns) + " WHERE tenant_id = ? AND id = ?" +
                                                     (live_only ? " AND archived_at IS NULL" : ""), q));
  if (rows.empty()) return std::optional<CheckpointRow>();
  return std::optional<CheckpointRow>(CheckpointOf(rows.row(0)));
}

Result<std::vector<CheckpointRow>> LoadCheckpoints(store::Connection& conn, int64_t tenant, const CheckpointFilter& f) {
  std::string where = " WHERE tenant_id = ? AND archived_at IS NULL";
  std::vector<Value> params = {tenant};
  if (f.object) {
    where += " AND object = ?";
    params.emplace_back(*f.object);
  }
  if (f.on) {
    where += " AND on_event = ?";
    params.emplace_back(*f.on);
  }
  if (f.active) where += *f.active ? " AND active = 1" : " AND active = 0";
  KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query(std::string(kCheckpointColumns) + where + " ORDER BY id", params));
  return Checkpoints(rows);
}

Result<std::vector<CheckpointRow>> LoadActiveCheckpoints(store::Connection& conn, int64_t tenant, const std::string& object, const std::string& on) {
  Value q[] = {tenant, object, on};
  KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query(std::string(kCheckpointColumns) +
      " WHERE tenant_id = ? AND object = ? AND on_event = ? AND active = 1 AND archived_at IS NULL ORDER BY id", q));
  return Checkpoints(rows);
}

Result<bool> CheckpointNameTaken(store::Connection& conn, int64_t tenant, const std::string& name, int64_t except) {
  Value q[] = {tenant, name, except};
  KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query(
      "SELECT 1 FROM compliance_checkpoints WHERE tenant_id = ? AND name = ? AND id <> ? AND archived_at IS NULL", q));
  return !rows.empty();
}

Status InsertCheckpoint(store::Connection& conn, int64_t tenant, const CheckpointRow& c, std::optional<int64_t> created_by) {
  Value q[] = {tenant, c.id, c.name, c.object, c.on, c.when, c.action, c.message_zh, c.message_en, int64_t{c.active ? 1 : 0},
               c.created_at, c.updated_at, Nullable(created_by)};
  return conn.Exec("INSERT INTO compliance_checkpoints (tenant_id, id, name, object, on_event, condition_expr, outcome, message_zh, "
                   "message_en, active, created_at, updated_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", q).status();
}

Status UpdateCheckpoint(store::Connection& conn, int64_t tenant, const CheckpointRow& c) {
  Value q[] = {c.name, c.object, c.on, c.when, c.action, c.message_zh, c.message_en, int64_t{c.active ? 1 : 0}, c.updated_at, tenant, c.id};
  return conn.Exec("UPDATE compliance_checkpoints SET name = ?, object = ?, on_event = ?, condition_expr = ?, outcome = ?, message_zh = ?, "
                   "message_en = ?, active = ?, updated_at = ? WHERE tenant_id = ? AND id = ?", q).status();
}

Status ArchiveCheckpoint(store::Connection& conn, int64_t tenant, int64_t id, const std::string& at) {
  Value q[] = {at, at, tenant, id};
  return conn.Exec("UPDATE compliance_checkpoints SET archived_at = ?, updated_at = ? WHERE tenant_id = ? AND id = ?", q).status();
}

Status InsertComplianceEvent(store::Connection& conn, int64_t tenant, const ComplianceEventRow& e) {
  Value q[] = {tenant, e.id, e.checkpoint_id, e.checkpoint_name, e.object, e.on, Nullable(e.record_id), Nullable(e.unit_id), e.outcome,
               Nullable(e.reason), Nullable(e.actor_id), e.at};
  return conn.Exec("INSERT INTO compliance_events (tenant_id, id, checkpoint_id, checkpoint_name, object, on_event, record_id, unit_id, "
                   "outcome, reason, actor_id, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", q).status();
}

Result<std::vector<ComplianceEventRow>> LoadComplianceEvents(store::Connection& conn, int64_t tenant, const EventFilter& f) {
  std::string where = " WHERE e.tenant_id = ?";
  std::vector<Value> params = {tenant};
  auto text = [&](const char* column, const std::optional<std::string>& v) {
    if (!v) return;
    where += std::string(" AND e.") + column + " = ?";
    params.emplace_back(*v);
  };
  auto id = [&](const char* column, const std::optional<int64_t>& v) {
    if (!v) return;
    where += std::string(" AND e.") + column + " = ?";
    params.emplace_back(*v);
  };
  text("object", f.object);
  text("outcome", f.outcome);
  id("record_id", f.record_id);
  id("checkpoint_id", f.checkpoint_id);
  id("unit_id", f.unit_id);
  if (f.within) where += domain::UnitTree::PathWithin("u.path", *f.within, params);
  if (f.before_id) {
    where += " AND e.id < ?";
    params.emplace_back(*f.before_id);
  }
  KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query(
      "SELECT e.id, e.checkpoint_id, e.checkpoint_name, e.object, e.on_event, e.record_id, e.unit_id, e.outcome, e.reason, e.actor_id, e.at "
      "FROM compliance_events e LEFT JOIN units u ON u.tenant_id = e.tenant_id AND u.id = e.unit_id" + where +
      " ORDER BY e.id DESC LIMIT " + std::to_string(f.limit), params));
  std::vector<ComplianceEventRow> out;
  for (store::Row r : rows) {
    out.push_back({r.Int("id"), r.Int("checkpoint_id"), r.Text("checkpoint_name"), r.Text("object"), r.Text("on_event"), r.OptInt("record_id"),
                   r.OptInt("unit_id"), r.Text("outcome"), r.OptText("reason"), r.OptInt("actor_id"), r.Text("at")});
  }
  return out;
}

// ---- Permission sandboxes and their log ----

Result<std::optional<SandboxRow>> LoadSandbox(store::Connection& conn, int64_t tenant, int64_t unit) {
  Value q[] = {tenant, unit};
  KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query(
      "SELECT allowed_roles, max_members, may_disable FROM unit_sandboxes WHERE tenant_id = ? AND unit_id = ?", q));
  if (rows.empty()) return std::optional<SandboxRow>();
  store::Row r = rows.row(0);
  return std::optional<SandboxRow>(SandboxRow{r.Text("allowed_roles"), r.OptInt("max_members"), r.Bool("may_disable")});
}

Status ReplaceSandbox(store::Connection& conn, int64_t tenant, int64_t unit, const SandboxRow& s, const std::string& updated_at,
                      std::optional<int64_t> updated_by) {
  Value del[] = {tenant, unit};
  KEEL_RETURN_IF_ERROR(conn.Exec("DELETE FROM unit_sandboxes WHERE tenant_id = ? AND unit_id = ?", del).status());
  Value q[] = {tenant, unit, s.allowed_roles, Nullable(s.max_members), int64_t{s.may_disable ? 1 : 0}, updated_at, Nullable(updated_by)};
  return conn.Exec("INSERT INTO unit_sandboxes (tenant_id, unit_id, allowed_roles, max_members, may_disable, updated_at, updated_by) "
                   "VALUES (?, ?, ?, ?, ?, ?, ?)", q).status();
}

Result<std::vector<SandboxLogRow>> LoadSandboxLog(store::Connection& conn, int64_t tenant, int64_t unit) {
  Value q[] = {tenant, unit};
  KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query(
      "SELECT id, unit_id, actor_id, action, user_id, before, after, at FROM sandbox_log WHERE tenant_id = ? AND unit_id = ? "
      "ORDER BY id DESC LIMIT 100", q));
  std::vector<SandboxLogRow> out;
  for (store::Row r : rows) {
    out.push_back({r.Int("id"), r.Int("unit_id"), r.Int("actor_id"), r.Text("action"), r.Int("user_id"), r.OptText("before"), r.OptText("after"),
                   r.Text("at")});
  }
  return out;
}

Status InsertSandboxLog(store::Connection& conn, int64_t tenant, const SandboxLogRow& e) {
  Value q[] = {tenant, e.id, e.unit_id, e.actor_id, e.action, e.user_id, Nullable(e.before), Nullable(e.after), e.at};
  return conn.Exec("INSERT INTO sandbox_log (tenant_id, id, unit_id, actor_id, action, user_id, before, after, at) "
                   "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", q).status();
}

}  // namespace keel::org::governance
