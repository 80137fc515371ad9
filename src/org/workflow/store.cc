#include "org/workflow/store.h"

namespace keel::org::workflow {

using store::Nullable;
using store::Value;

namespace {

std::vector<int64_t> Ids(const store::Rows& rows, const char* column) {
  std::vector<int64_t> out;
  for (store::Row r : rows) out.push_back(r.Int(column));
  return out;
}

RequestRow RequestOf(const store::Row& r) {
  RequestRow q;
  q.id = r.Int("id");
  q.def_name = r.Text("def_name");
  q.def_version = r.Int("def_version");
  q.object = r.Text("object");
  q.record_id = r.Int("record_id");
  q.unit_id = r.OptInt("unit_id");
  q.submitter_id = r.OptInt("submitter_id");
  q.status = r.Text("status");
  q.step = r.Int("step");
  q.version = r.Int("version");
  q.snapshot = r.Text("snapshot");
  q.created_at = r.Text("created_at");
  q.updated_at = r.Text("updated_at");
  q.decided_at = r.OptText("decided_at");
  return q;
}

GrantRow GrantOf(const store::Row& r) {
  GrantRow g;
  g.id = r.Int("id");
  g.grantor_id = r.Int("grantor_id");
  g.grantee_id = r.Int("grantee_id");
  g.kind = r.Text("kind");
  g.unit_id = r.OptInt("unit_id");
  g.starts_at = r.Text("starts_at");
  g.ends_at = r.Text("ends_at");
  g.reason = r.OptText("reason");
  g.created_at = r.OptText("created_at");
  g.created_by = r.OptInt("created_by");
  g.revoked_at = r.OptText("revoked_at");
  return g;
}

// An approvals grant to the user that is in force at `now` (parameters: tenant, grantee, now, now).
constexpr const char* kDelegatorsOf =
    "SELECT grantor_id FROM grants WHERE tenant_id = ? AND grantee_id = ? AND kind = 'approvals' AND revoked_at IS NULL AND "
    "starts_at <= ? AND ends_at > ?";

}  // namespace

// ---- Definitions ----

Result<std::optional<DefinitionRow>> LoadActiveDefinition(store::Connection& conn, int64_t tenant, const std::string& name) {
  Value q[] = {tenant, name};
  KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query(
      "SELECT version, definition, created_at FROM approval_defs WHERE tenant_id = ? AND name = ? AND status = 'active' "
      "ORDER BY version DESC LIMIT 1", q));
  if (rows.empty()) return std::optional<DefinitionRow>();
  store::Row r = rows.row(0);
  return std::optional<DefinitionRow>(DefinitionRow{name, r.Int("version"), "active", r.Text("definition"), r.Text("created_at")});
}

Result<std::optional<std::string>> LoadDefinitionDocument(store::Connection& conn, int64_t tenant, const std::string& name, int64_t version) {
  Value q[] = {tenant, name, version};
  KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query("SELECT definition FROM approval_defs WHERE tenant_id = ? AND name = ? AND version = ?", q));
  if (rows.empty()) return std::optional<std::string>();
  return std::optional<std::string>(rows.row(0).Text("definition"));
}

Result<std::vector<DefinitionRow>> LoadActiveDefinitions(store::Connection& conn, int64_t tenant) {
  Value q[] = {tenant};
  KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query(
      "SELECT name, version, definition, created_at FROM approval_defs WHERE tenant_id = ? AND status = 'active' ORDER BY name", q));
  std::vector<DefinitionRow> out;
  for (store::Row r : rows) out.push_back({r.Text("name"), r.Int("version"), "active", r.Text("definition"), r.Text("created_at")});
  return out;
}

Result<std::vector<DefinitionRow>> LoadDefinitionVersions(store::Connection& conn, int64_t tenant, const std::string& name) {
  Value q[] = {tenant, name};
  KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query(
      "SELECT version, status, definition, created_at FROM approval_defs WHERE tenant_id = ? AND name = ? ORDER BY version DESC", q));
  std::vector<DefinitionRow> out;
  for (store::Row r : rows) out.push_back({name, r.Int("version"), r.Text("status"), r.Text("definition"), r.Text("created_at")});
  return out;
}

Result<std::vector<DefinitionRow>> LoadTriggeredDefinitions(store::Connection& conn, int64_t tenant) {
  Value q[] = {tenant, std::string("%\"trigger\"%")};
  KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query(
      "SELECT name, definition FROM approval_defs WHERE tenant_id = ? AND status = 'active' AND definition LIKE ?", q));
  std::vector<DefinitionRow> out;
  for (store::Row r : rows) out.push_back({r.Text("name"), 0, "active", r.Text("definition"), ""});
  return out;
}

Result<int64_t> MaxDefinitionVersion(store::Connection& conn, int64_t tenant, const std::string& name) {
  Value q[] = {tenant, name};
  KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query(
      "SELECT COALESCE(MAX(version), 0) AS max_version FROM approval_defs WHERE tenant_id = ? AND name = ?", q));
  return rows.row(0).Int("max_version");
}

Status SupersedeDefinition(store::Connection& conn, int64_t tenant, const std::string& name) {
  Value q[] = {tenant, name};
  return conn.Exec("UPDATE approval_defs SET status = 'superseded' WHERE tenant_id = ? AND name = ? AND status = 'active'", q).status();
}

Status InsertDefinition(store::Connection& conn, int64_t tenant, const std::string& name, int64_t version, const std::string& definition,
                        const std::string& created_at, std::optional<int64_t> created_by) {
  Value q[] = {tenant, name, version, definition, created_at, Nullable(created_by)};
  return conn.Exec("INSERT INTO approval_defs (tenant_id, name, version, status, definition, created_at, created_by) "
                   "VALUES (?, ?, ?, 'active', ?, ?, ?)", q).status();
}

// ---- Requests ----

Result<std::optional<RequestRow>> LoadRequest(store::Connection& conn, int64_t tenant, int64_t id) {
  Value q[] = {tenant, id};
  KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query(
      "SELECT id, def_name, def_version, object, record_id, unit_id, submitter_id, status, step, version, snapshot, created_at, "
      "updated_at, decided_at FROM approval_requests WHERE tenant_id = ? AND id = ?", q));
  if (rows.empty()) return std::optional<RequestRow>();
  return std::optional<RequestRow>(RequestOf(rows.row(0)));
}

Result<std::optional<int64_t>> PendingRequestOn(store::Connection& conn, int64_t tenant, const std::string& object, int64_t record) {
  Value q[] = {tenant, object, record};
  KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query(
      "SELECT id FROM approval_requests WHERE tenant_id = ? AND object = ? AND record_id = ? AND status = 'pending'", q));
  if (rows.empty()) return std::optional<int64_t>();
  return std::optional<int64_t>(rows.row(0).Int("id"));
}

Status InsertRequest(store::Connection& conn, int64_t tenant, const RequestRow& r) {
  Value q[] = {tenant, r.id, r.def_name, r.def_version, r.object, r.record_id, Nullable(r.unit_id), Nullable(r.submitter_id),
               r.snapshot, r.created_at, r.created_at};
  return conn.Exec("INSERT INTO approval_requests (tenant_id, id, def_name, def_version, object, record_id, unit_id, "
                   "submitter_id, status, step, version, snapshot, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, "
                   "'pending', 0, 1, ?, ?, ?)", q).status();
}

Status ApproveAtOnce(store::Connection& conn, int64_t tenant, int64_t id, const std::string& now) {
  Value q[] = {now, tenant, id};
  return conn.Exec("UPDATE approval_requests SET status = 'approved', decided_at = ?, version = version + 1 WHERE tenant_id = ? AND id = ?",
                   q).status();
}

Status SetRequestStep(store::Connection& conn, int64_t tenant, int64_t id, int64_t step) {
  Value q[] = {step, tenant, id};
  return conn.Exec("UPDATE approval_requests SET step = ? WHERE tenant_id = ? AND id = ?", q).status();
}

Result<int64_t> AdvanceRequest(store::Connection& conn, int64_t tenant, int64_t id, int64_t version, const std::string& status, int64_t step,
                               const std::string& now, std::optional<std::string> decided_at) {
  Value q[] = {status, step, now, Nullable(decided_at), tenant, id, version};
  return conn.Exec("UPDATE approval_requests SET status = ?, step = ?, updated_at = ?, decided_at = ?, "
                   "version = version + 1 WHERE tenant_id = ? AND id = ? AND version = ?", q);
}

Result<int64_t> RecallRequest(store::Connection& conn, int64_t tenant, int64_t id, int64_t version, const std::string& now) {
  Value q[] = {now, now, tenant, id, version};
  return conn.Exec("UPDATE approval_requests SET status = 'recalled', updated_at = ?, decided_at = ?, "
                   "version = version + 1 WHERE tenant_id = ? AND id = ? AND version = ?", q);
}

Result<bool> TakesPartIn(store::Connection& conn, int64_t tenant, int64_t request, int64_t user, const std::string& now) {
  Value q[] = {tenant, request, user, user, tenant, user, now, now};
  KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query(
      "SELECT 1 FROM approval_requests r WHERE r.tenant_id = ? AND r.id = ? AND (r.submitter_id = ? OR EXISTS (SELECT 1 FROM "
      "approval_tasks t WHERE t.tenant_id = r.tenant_id AND t.request_id = r.id AND (t.approver_id = ? OR t.approver_id IN (" +
      std::string(kDelegatorsOf) + "))))", q));
  return !rows.empty();
}

// ---- The approved records ----

Result<std::optional<std::string>> RecordStatus(store::Connection& conn, const std::string& table, int64_t tenant, int64_t id) {
  Value q[] = {tenant, id};
  KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query("SELECT status FROM " + table + " WHERE tenant_id = ? AND id = ?", q));
  if (rows.empty()) return std::optional<std::string>();
  return std::optional<std::string>(rows.row(0).Text("status"));
}

Status SetRecordApproval(store::Connection& conn, const std::string& table, int64_t tenant, int64_t id, int64_t request) {
  Value q[] = {request, tenant, id};
  return conn.Exec("UPDATE " + table + " SET approval_id = ? WHERE tenant_id = ? AND id = ?", q).status();
}

// ---- Tasks and the log ----

Status SupersedeDecidedTasks(store::Connection& conn, int64_t tenant, int64_t request, int64_t step) {
  Value q[] = {tenant, request, step};
  return conn.Exec("UPDATE approval_tasks SET status = 'superseded' WHERE tenant_id = ? AND request_id = ? AND step = ? "
                   "AND status <> 'pending'", q).status();
}

Status InsertTask(store::Connection& conn, int64_t tenant, int64_t id, int64_t request, int64_t step, int64_t approver,
                  std::optional<std::string> due_at, const std::string& created_at) {
  Value q[] = {tenant, id, request, step, approver, Nullable(due_at), created_at};
  return conn.Exec("INSERT INTO approval_tasks (tenant_id, id, request_id, step, approver_id, status, due_at, created_at) "
                   "VALUES (?, ?, ?, ?, ?, 'pending', ?, ?)", q).status();
}

Result<std::optional<int64_t>> PendingTaskOf(store::Connection& conn, int64_t tenant, int64_t request, int64_t step, int64_t approver) {
  Value q[] = {tenant, request, step, approver};
  KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query(
      "SELECT id FROM approval_tasks WHERE tenant_id = ? AND request_id = ? AND step = ? AND approver_id = ? AND status = 'pending'", q));
  if (rows.empty()) return std::optional<int64_t>();
  return std::optional<int64_t>(rows.row(0).Int("id"));
}

Status DecideTask(store::Connection& conn, int64_t tenant, int64_t task, const std::string& status, int64_t actor, const std::string& at,
                  std::optional<std::string> comment) {
  Value q[] = {status, actor, at, Nullable(comment), tenant, task};
  return conn.Exec("UPDATE approval_tasks SET status = ?, acted_by = ?, acted_at = ?, comment = ? WHERE tenant_id = ? AND id = ? "
                   "AND status = 'pending'", q).status();
}

Result<StepTally> TallyStep(store::Connection& conn, int64_t tenant, int64_t request, int64_t step) {
  Value q[] = {tenant, request, step};
  KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query(
      "SELECT SUM(CASE WHEN status = 'approved' THEN 1 ELSE 0 END) AS approved, SUM(CASE WHEN status = 'rejected' THEN 1 ELSE 0 END) AS rejected, "
      "SUM(CASE WHEN status IN ('pending', 'approved', 'rejected') THEN 1 ELSE 0 END) AS counted FROM approval_tasks WHERE tenant_id = ? AND "
      "request_id = ? AND step = ?", q));
  store::Row r = rows.row(0);
  return StepTally{r.Int("approved"), r.Int("rejected"), r.Int("counted")};
}

Status SkipPendingTasks(store::Connection& conn, int64_t tenant, int64_t request, std::optional<int64_t> step) {
  if (step) {
    Value q[] = {tenant, request, *step};
    return conn.Exec("UPDATE approval_tasks SET status = 'skipped' WHERE tenant_id = ? AND request_id = ? AND step = ? AND "
                     "status = 'pending'", q).status();
  }
  Value q[] = {tenant, request};
  return conn.Exec("UPDATE approval_tasks SET status = 'skipped' WHERE tenant_id = ? AND request_id = ? AND status = 'pending'", q).status();
}

Status EscalateTask(store::Connection& conn, int64_t tenant, int64_t task, const std::string& at) {
  Value q[] = {at, tenant, task};
  return conn.Exec("UPDATE approval_tasks SET status = 'escalated', acted_at = ? WHERE tenant_id = ? AND id = ?", q).status();
}

Result<std::vector<OverdueTask>> LoadOverdueTasks(store::Connection& conn, int64_t tenant, const std::string& now) {
  Value q[] = {tenant, now};
  KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query(
      "SELECT t.id AS task_id, t.request_id, t.step, r.def_name, r.def_version, r.snapshot, r.submitter_id, r.object, r.record_id "
      "FROM approval_tasks t JOIN approval_requests r ON r.tenant_id = t.tenant_id AND r.id = t.request_id WHERE t.tenant_id = ? AND "
      "t.status = 'pending' AND r.status = 'pending' AND t.due_at IS NOT NULL AND t.due_at < ? ORDER BY t.id", q));
  std::vector<OverdueTask> out;
  for (store::Row r : rows) {
    out.push_back({r.Int("task_id"), r.Int("request_id"), r.Int("step"), r.Text("def_name"), r.Int("def_version"), r.Text("snapshot"),
                   r.OptInt("submitter_id"), r.Text("object"), r.Int("record_id")});
  }
  return out;
}

Result<std::vector<int64_t>> TenantsWithDueTasks(store::Connection& conn) {
  KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query("SELECT DISTINCT tenant_id FROM approval_tasks WHERE status = 'pending' AND due_at IS NOT NULL"));
  return Ids(rows, "tenant_id");
}

Result<std::vector<int64_t>> ActiveTenants(store::Connection& conn) {
  KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query("SELECT id FROM tenants WHERE status = 'active'"));
  return Ids(rows, "id");
}

Result<std::vector<TaskView>> LoadTasks(store::Connection& conn, int64_t tenant, int64_t request) {
  Value q[] = {tenant, request};
  KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query(
      "SELECT t.id, t.step, t.approver_id, u.display_name, t.status, t.due_at, t.acted_by, t.acted_at, t.comment FROM approval_tasks t "
      "LEFT JOIN users u ON u.tenant_id = t.tenant_id AND u.id = t.approver_id WHERE t.tenant_id = ? AND t.request_id = ? ORDER BY t.id", q));
  std::vector<TaskView> out;
  for (store::Row r : rows) {
    out.push_back({r.Int("id"), r.Int("step"), r.Int("approver_id"), r.OptText("display_name"), r.Text("status"), r.OptText("due_at"),
                   r.OptInt("acted_by"), r.OptText("acted_at"), r.OptText("comment")});
  }
  return out;
}

Result<std::vector<LogEntry>> LoadLog(store::Connection& conn, int64_t tenant, int64_t request) {
  Value q[] = {tenant, request};
  KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query(
      "SELECT actor_id, on_behalf_of, action, step, comment, at FROM approval_log WHERE tenant_id = ? AND request_id = ? ORDER BY id", q));
  std::vector<LogEntry> out;
  for (store::Row r : rows) {
    out.push_back({r.OptInt("actor_id"), r.OptInt("on_behalf_of"), r.Text("action"), r.OptInt("step"), r.OptText("comment"), r.Text("at")});
  }
  return out;
}

Status InsertLog(store::Connection& conn, int64_t tenant, int64_t id, int64_t request, const LogEntry& e) {
  Value q[] = {tenant, id, request, Nullable(e.actor_id), Nullable(e.on_behalf_of), e.action, Nullable(e.step), Nullable(e.comment), e.at};
  return conn.Exec("INSERT INTO approval_log (tenant_id, id, request_id, actor_id, on_behalf_of, action, step, comment, at) "
                   "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", q).status();
}

Result<std::vector<int64_t>> StaleInboxTasks(store::Connection& conn, int64_t tenant, int64_t request) {
  Value q[] = {tenant, request};
  KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query(
      "SELECT t.id FROM tasks t WHERE t.tenant_id = ? AND t.related_entity = 'approvals' AND t.related_id = ? AND "
      "t.status = 'open' AND NOT EXISTS (SELECT 1 FROM approval_tasks a WHERE a.tenant_id = t.tenant_id AND "
      "a.request_id = t.related_id AND a.approver_id = t.owner_id AND a.status = 'pending')", q));
  return Ids(rows, "id");
}

// ---- The inbox ----

Result<std::vector<InboxRequest>> LoadInboxRequests(store::Connection& conn, int64_t tenant, int64_t user, bool decided, int64_t limit) {
  std::string sql =
      "SELECT r.id, r.def_name, r.object, r.record_id, r.submitter_id, r.snapshot, r.created_at, r.status, r.decided_at, r.version, "
      "(SELECT t.status FROM approval_tasks t WHERE t.tenant_id = r.tenant_id AND t.request_id = r.id AND t.acted_by = ? "
      "ORDER BY t.id DESC LIMIT 1) AS my_decision, "
      "(SELECT t.acted_at FROM approval_tasks t WHERE t.tenant_id = r.tenant_id AND t.request_id = r.id AND t.acted_by = ? "
      "ORDER BY t.id DESC LIMIT 1) AS my_decision_at "
      "FROM approval_requests r WHERE r.tenant_id = ? AND ";
  sql += decided ? "EXISTS (SELECT 1 FROM approval_tasks t WHERE t.tenant_id = r.tenant_id AND t.request_id = r.id AND t.acted_by = ? "
                   "AND t.status IN ('approved', 'rejected'))"
                 : "r.submitter_id = ?";
  sql += " ORDER BY r.id DESC LIMIT ?";
  Value q[] = {user, user, tenant, user, limit};
  KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query(sql, q));
  std::vector<InboxRequest> out;
  for (store::Row r : rows) {
    out.push_back({r.Int("id"), r.Text("def_name"), r.Text("object"), r.Int("record_id"), r.OptInt("submitter_id"), r.Text("snapshot"),
                   r.Text("created_at"), r.Text("status"), r.OptText("decided_at"), r.Int("version"), r.OptText("my_decision"),
                   r.OptText("my_decision_at")});
  }
  return out;
}

Result<std::vector<InboxTask>> LoadInboxTasks(store::Connection& conn, int64_t tenant, int64_t user, const std::string& now) {
  Value q[] = {tenant, user, tenant, user, now, now};
  KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query(
      "SELECT t.id AS task_id, t.request_id, t.step, t.approver_id, t.due_at, r.def_name, r.object, r.record_id, r.unit_id, r.submitter_id, "
      "r.snapshot, r.created_at, r.version FROM approval_tasks t JOIN approval_requests r ON r.tenant_id = t.tenant_id AND r.id = t.request_id "
      "WHERE t.tenant_id = ? AND t.status = 'pending' AND r.status = 'pending' AND (t.approver_id = ? OR t.approver_id IN (" +
      std::string(kDelegatorsOf) + ")) ORDER BY t.id", q));
  std::vector<InboxTask> out;
  for (store::Row r : rows) {
    out.push_back({r.Int("task_id"), r.Int("request_id"), r.Int("step"), r.Int("approver_id"), r.OptText("due_at"), r.Text("def_name"),
                   r.Text("object"), r.Int("record_id"), r.OptInt("unit_id"), r.OptInt("submitter_id"), r.Text("snapshot"),
                   r.Text("created_at"), r.Int("version")});
  }
  return out;
}

// ---- People and units ----

Result<std::optional<std::string>> UnitPath(store::Connection& conn, int64_t tenant, int64_t unit) {
  Value q[] = {tenant, unit};
  KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query("SELECT path FROM units WHERE tenant_id = ? AND id = ?", q));
  if (rows.empty()) return std::optional<std::string>();
  return std::optional<std::string>(rows.row(0).Text("path"));
}

Result<std::vector<int64_t>> UnitLeads(store::Connection& conn, int64_t tenant, int64_t unit, int64_t except) {
  Value q[] = {tenant, unit, except};
  KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query(
      "SELECT id FROM users WHERE tenant_id = ? AND unit_id = ? AND role = 'unit_lead' AND status = 'active' AND archived_at IS NULL "
      "AND id <> ? ORDER BY id", q));
  return Ids(rows, "id");
}

Result<std::optional<int64_t>> ActiveSupervisor(store::Connection& conn, int64_t tenant, int64_t owner) {
  Value q[] = {tenant, owner};
  KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query(
      "SELECT o.supervisor_id FROM users o JOIN users s ON s.tenant_id = o.tenant_id AND s.id = o.supervisor_id WHERE o.tenant_id = ? "
      "AND o.id = ? AND s.status = 'active' AND s.archived_at IS NULL", q));
  if (rows.empty()) return std::optional<int64_t>();
  return rows.row(0).OptInt("supervisor_id");
}

Result<std::vector<int64_t>> ActiveUsersWithRole(store::Connection& conn, int64_t tenant, const std::string& role, int64_t except) {
  Value q[] = {tenant, role, except};
  KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query(
      "SELECT id FROM users WHERE tenant_id = ? AND role = ? AND status = 'active' AND archived_at IS NULL AND id <> ? ORDER BY id", q));
  return Ids(rows, "id");
}

Result<bool> IsActiveUser(store::Connection& conn, int64_t tenant, int64_t user) {
  Value q[] = {tenant, user};
  KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query(
      "SELECT id FROM users WHERE tenant_id = ? AND id = ? AND status = 'active' AND archived_at IS NULL", q));
  return !rows.empty();
}

Result<bool> UserExists(store::Connection& conn, int64_t tenant, int64_t user) {
  Value q[] = {tenant, user};
  KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query("SELECT 1 FROM users WHERE tenant_id = ? AND id = ? AND archived_at IS NULL", q));
  return !rows.empty();
}

Result<std::optional<PersonRow>> LoadPerson(store::Connection& conn, int64_t tenant, int64_t user) {
  Value q[] = {tenant, user};
  KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query("SELECT display_name, username, role, unit_id FROM users WHERE tenant_id = ? AND id = ?", q));
  if (rows.empty()) return std::optional<PersonRow>();
  store::Row r = rows.row(0);
  return std::optional<PersonRow>(PersonRow{r.Text("display_name"), r.Text("username"), r.Text("role"), r.Int("unit_id")});
}

// ---- Grants ----

Status InsertGrant(store::Connection& conn, int64_t tenant, const GrantRow& g) {
  Value q[] = {tenant, g.id, g.grantor_id, g.grantee_id, g.kind, Nullable(g.unit_id), g.starts_at,
               g.ends_at, Nullable(g.reason), Nullable(g.created_at), Nullable(g.created_by)};
  return conn.Exec("INSERT INTO grants (tenant_id, id, grantor_id, grantee_id, kind, unit_id, starts_at, ends_at, reason, "
                   "created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", q).status();
}

Result<std::vector<GrantRow>> LoadGrants(store::Connection& conn, int64_t tenant, std::optional<int64_t> party) {
  std::vector<Value> q = {tenant};
  std::string sql = "SELECT id, grantor_id, grantee_id, kind, unit_id, starts_at, ends_at, reason, created_at, revoked_at, created_by "
                    "FROM grants WHERE tenant_id = ?";
  if (party) {
    sql += " AND (grantor_id = ? OR grantee_id = ?)";
    q.push_back(*party);
    q.push_back(*party);
  }
  KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query(sql + " ORDER BY id DESC LIMIT 500", q));
  std::vector<GrantRow> out;
  for (store::Row r : rows) out.push_back(GrantOf(r));
  return out;
}

Result<std::optional<GrantRow>> LoadGrant(store::Connection& conn, int64_t tenant, int64_t id) {
  Value q[] = {tenant, id};
  KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query(
      "SELECT id, grantor_id, grantee_id, kind, unit_id, starts_at, ends_at, reason, created_at, revoked_at, created_by "
      "FROM grants WHERE tenant_id = ? AND id = ?", q));
  if (rows.empty()) return std::optional<GrantRow>();
  return std::optional<GrantRow>(GrantOf(rows.row(0)));
}

Status RevokeGrant(store::Connection& conn, int64_t tenant, int64_t id, const std::string& at) {
  Value q[] = {at, tenant, id};
  return conn.Exec("UPDATE grants SET revoked_at = ? WHERE tenant_id = ? AND id = ? AND revoked_at IS NULL", q).status();
}

Result<std::vector<ActiveGrant>> ActiveGrantsTo(store::Connection& conn, int64_t tenant, int64_t grantee, const std::string& now) {
  Value q[] = {tenant, grantee, now, now};
  KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query(
      "SELECT g.grantor_id, u.path FROM grants g LEFT JOIN units u ON u.tenant_id = g.tenant_id AND u.id = g.unit_id WHERE g.tenant_id = ? "
      "AND g.grantee_id = ? AND g.kind = 'approvals' AND g.revoked_at IS NULL AND g.starts_at <= ? AND g.ends_at > ?", q));
  std::vector<ActiveGrant> out;
  for (store::Row r : rows) out.push_back({r.Int("grantor_id"), r.OptText("path")});
  return out;
}

}  // namespace keel::org::workflow
