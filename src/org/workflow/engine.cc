// Requests: submission, decisions, escalation on timeout, the minute timer and the parts' hooks.
#include "org/rules/rules.h"
#include "org/workflow/approvals.h"
#include "org/workflow/internal.h"

#include <algorithm>
#include <cmath>
#include <condition_variable>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include <spdlog/spdlog.h>

#include "alerts/engine.h"
#include "common/tz.h"
#include "domain/codec.h"
#include "domain/schema.h"
#include "domain/versions.h"
#include "events/consumer.h"
#include "events/event_log.h"
#include "org/conditions.h"
#include "org/governance.h"
#include "org/internal.h"
#include "formula/formula.h"

namespace keel::org {

using store::Value;


// The people who approve a step of a request on `record`, the submitter excluded.
Result<std::vector<int64_t>> ApprovalEngine::Impl::Approvers(store::Connection& conn, int64_t tenant, const json& who, const json& record, int64_t submitter) {
  std::vector<int64_t> out;
  int64_t unit = record.value("unit_id", json(0)).is_number() ? record["unit_id"].get<int64_t>() : 0;
  int64_t owner = record.value("owner_id", json(0)).is_number() ? record["owner_id"].get<int64_t>() : 0;
  auto unit_lead = [&](int64_t from_unit) -> Status {
    // The nearest unit lead up the tree from the record's unit (a store's unit lead is its sales unit's).
    Value q[] = {tenant, from_unit};
    KEEL_ASSIGN_OR_RETURN(store::Rows path, conn.Query("SELECT path FROM units WHERE tenant_id = ? AND id = ?", q));
    if (path.empty()) return Status();
    std::vector<int64_t> chain = PathIds(store::AsText(path.rows[0][0]));
    for (auto it = chain.rbegin(); it != chain.rend() && out.empty(); ++it) {
      Value l[] = {tenant, *it, submitter};
      KEEL_ASSIGN_OR_RETURN(store::Rows leads, conn.Query(
          "SELECT id FROM users WHERE tenant_id = ? AND unit_id = ? AND role = 'unit_lead' AND status = 'active' AND archived_at IS NULL "
          "AND id <> ? ORDER BY id", l));
      for (const auto& r : leads.rows) out.push_back(store::AsInt(r[0]));
    }
    return Status();
  };
  if (who.contains("unit_lead")) {
    KEEL_RETURN_IF_ERROR(unit_lead(unit));
  } else if (who.contains("manager")) {
    Value q[] = {tenant, owner};
    KEEL_ASSIGN_OR_RETURN(store::Rows r, conn.Query(
        "SELECT o.supervisor_id FROM users o JOIN users s ON s.tenant_id = o.tenant_id AND s.id = o.supervisor_id WHERE o.tenant_id = ? "
        "AND o.id = ? AND s.status = 'active' AND s.archived_at IS NULL", q));
    if (!r.empty() && !store::IsNull(r.rows[0][0]) && store::AsInt(r.rows[0][0]) != submitter) out.push_back(store::AsInt(r.rows[0][0]));
    if (out.empty()) KEEL_RETURN_IF_ERROR(unit_lead(unit));
  } else if (who.contains("role")) {
    Value q[] = {tenant, who["role"].get<std::string>(), submitter};
    KEEL_ASSIGN_OR_RETURN(store::Rows r, conn.Query(
        "SELECT id FROM users WHERE tenant_id = ? AND role = ? AND status = 'active' AND archived_at IS NULL AND id <> ? ORDER BY id", q));
    for (const auto& row : r.rows) out.push_back(store::AsInt(row[0]));
  } else if (who.contains("users")) {
    for (const auto& u : who["users"]) {
      Value q[] = {tenant, u.get<int64_t>()};
      KEEL_ASSIGN_OR_RETURN(store::Rows r, conn.Query("SELECT id FROM users WHERE tenant_id = ? AND id = ? AND status = 'active' AND archived_at IS NULL", q));
      if (!r.empty() && u.get<int64_t>() != submitter) out.push_back(u.get<int64_t>());
    }
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

Status ApprovalEngine::Impl::Log(store::Connection& conn, int64_t tenant, int64_t request, int64_t actor, int64_t on_behalf, const std::string& action,
           int64_t step, const std::string& comment) {
  KEEL_ASSIGN_OR_RETURN(std::vector<int64_t> ids, conn.AllocateIds(1));
  Value q[] = {tenant, ids[0], request, actor ? Value(actor) : Value(), on_behalf ? Value(on_behalf) : Value(), action, step,
               comment.empty() ? Value() : Value(comment), FormatTimestamp(clock.NowMs())};
  return conn.Exec("INSERT INTO approval_log (tenant_id, id, request_id, actor_id, on_behalf_of, action, step, comment, at) "
                   "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", q).status();
}

// Opens the first applicable step at or after `from`; returns the step opened (or steps.size()
// when none applies: the request is approved).
Result<int64_t> ApprovalEngine::Impl::OpenStep(store::Connection& conn, int64_t tenant, int64_t request, const json& def, const json& record, size_t from,
                         int64_t submitter, Pending& pending) {
  const domain::EntityDef& e = *domain::FindEntity(def["object"].get<std::string>());
  TimeMs now = clock.NowMs();
  for (size_t i = from; i < def["steps"].size(); ++i) {
    const json& s = def["steps"][i];
    if (!Holds(e, s.value("when", ""), record, now)) {
      KEEL_RETURN_IF_ERROR(Log(conn, tenant, request, 0, 0, "step_skipped", static_cast<int64_t>(i), "condition not met"));
      continue;
    }
    KEEL_ASSIGN_OR_RETURN(std::vector<int64_t> who, Approvers(conn, tenant, s["approvers"], record, submitter));
    if (who.empty()) {
      return Status::Error(ErrorKind::kUnprocessable, "approval.no_approver",
                           "nobody can approve step '" + s.value("name", "") + "' (no active user matches " + s["approvers"].dump() + ")",
                           "步骤 '" + s.value("name", "") + "' 没有可用的审批人（无匹配的在职用户）", "steps[" + std::to_string(i) + "]");
    }
    int64_t timeout = s.contains("timeout") ? ParseDuration(s["timeout"]) : 0;
    // A step opened again (sent back) starts a new round: the earlier round's decisions no longer count.
    Value sup[] = {tenant, request, static_cast<int64_t>(i)};
    KEEL_RETURN_IF_ERROR(conn.Exec("UPDATE approval_tasks SET status = 'superseded' WHERE tenant_id = ? AND request_id = ? AND step = ? "
                                   "AND status <> 'pending'", sup).status());
    for (int64_t a : who) {
      KEEL_ASSIGN_OR_RETURN(std::vector<int64_t> ids, conn.AllocateIds(1));
      Value q[] = {tenant, ids[0], request, static_cast<int64_t>(i), a, timeout ? Value(FormatTimestamp(now + timeout)) : Value(),
                   FormatTimestamp(now)};
      KEEL_RETURN_IF_ERROR(conn.Exec("INSERT INTO approval_tasks (tenant_id, id, request_id, step, approver_id, status, due_at, created_at) "
                                     "VALUES (?, ?, ?, ?, ?, 'pending', ?, ?)", q).status());
      pending.tasks.push_back({a, s.value("title_zh", s.value("name", ""))});
    }
    KEEL_RETURN_IF_ERROR(Log(conn, tenant, request, 0, 0, "step_opened", static_cast<int64_t>(i), ""));
    return static_cast<int64_t>(i);
  }
  return static_cast<int64_t>(def["steps"].size());
}

// After commit: the record learns the decision; approvers get an inbox task.
void ApprovalEngine::Impl::AfterCommit(int64_t tenant, const std::string& object, int64_t record, int64_t request, const std::string& status, const Pending& pending,
                 const std::string& title) {
  auto sys = Principal::System(tenant);
  if (OwnOf(object) && !status.empty()) {
    std::string q = status == "approved" ? "approved" : status == "rejected" ? "rejected" : status == "pending" ? "pending_approval" : "draft";
    auto r = records.Update(sys, *domain::FindEntity(object), record, {{"status", q}});
    if (!r.ok()) spdlog::warn("approvals: {} {} of tenant {} not updated to {}: {}", object, record, tenant, q, r.status().ToString());
  }
  if (!status.empty() && status != "pending") {
    std::vector<DecisionHook> hooks;
    {
      std::lock_guard lock(hooks_mu);
      auto it = decision_hooks.find(object);
      if (it != decision_hooks.end()) hooks = it->second;
    }
    std::string decision = status == "approved" || status == "rejected" ? status : "recalled";
    for (const auto& h : hooks) h(tenant, record, decision);
  }
  for (const auto& [who, step] : pending.tasks) {
    auto r = records.Create(sys, *domain::FindEntity("tasks"),
                            {{"title", "审批 · " + title + " · " + step}, {"owner_id", who}, {"source", "workflow"},
                             {"priority", "high"}, {"related_entity", "approvals"}, {"related_id", request},
                             {"description", "Approve or reject: POST /api/v1/approvals/" + std::to_string(request) + "/approve | /reject"}});
    if (!r.ok()) spdlog::warn("approvals: inbox task for user {} failed: {}", who, r.status().ToString());
  }
}

// Closes the workflow tasks of a request that no longer wait for anyone.
void ApprovalEngine::Impl::CloseInboxTasks(int64_t tenant, int64_t request) {
  std::vector<int64_t> ids;
  {
  auto conn = db.Acquire();
  if (!conn.ok()) return;
  Value q[] = {tenant, request};
  auto r = (*conn)->Query("SELECT t.id FROM tasks t WHERE t.tenant_id = ? AND t.related_entity = 'approvals' AND t.related_id = ? AND "
                          "t.status = 'open' AND NOT EXISTS (SELECT 1 FROM approval_tasks a WHERE a.tenant_id = t.tenant_id AND "
                          "a.request_id = t.related_id AND a.approver_id = t.owner_id AND a.status = 'pending')", q);
  if (!r.ok()) return;
  for (const auto& row : r->rows) ids.push_back(store::AsInt(row[0]));
  }
  for (int64_t id : ids) (void)records.Update(Principal::System(tenant), *domain::FindEntity("tasks"), id, {{"status", "done"}});
}


ApprovalEngine::ApprovalEngine(store::Database& db, domain::RecordService& records, const Clock& clock)
    : impl_(std::make_unique<Impl>(db, records, clock)) {
  RegisterEntityRules();  // the documents approval moves have org's rules (a no-op after the first call)
  impl_->timer_handler.engine = this;
  impl_->timer = std::make_unique<events::Consumer>(
      db, impl_->timer_handler, clock,
      events::ConsumerOptions{.name = "approvals.timer", .wake_ms = 60000, .read_events = false, .wake_on_commit = false});
  impl_->observer = records.AddObserver([this](const Principal& p, const domain::EntityDef& e, int64_t id, const std::string& op,
                                               const json& record, const json& changes) { return OnWrite(p, e, id, op, record, changes); });
}
ApprovalEngine::~ApprovalEngine() {
  Stop();
  impl_->records.RemoveObserver(impl_->observer);
}

void ApprovalEngine::OnTrigger(const std::string& object, TriggerHook hook) {
  std::lock_guard lock(impl_->hooks_mu);
  impl_->trigger_hooks[object].push_back(std::move(hook));
}

void ApprovalEngine::OnTick(TickHook hook) {
  std::lock_guard lock(impl_->hooks_mu);
  impl_->tick_hooks.push_back(std::move(hook));
}

bool ApprovalEngine::OnWrite(const Principal& p, const domain::EntityDef& e, int64_t id, const std::string& op, const json& record,
                             const json& changes) {
  if (p.is_system() || p.user_id == 0) return false;  // the engine's own updates (and imports) never trigger
  if (std::find(kObjects.begin(), kObjects.end(), e.name) == kObjects.end()) return false;
  // The object's active workflows with a trigger, and its default one when the tenant has none yet.
  std::vector<json> defs;
  {
    auto conn = impl_->db.Acquire();
    if (!conn.ok()) return false;
    Value q[] = {p.tenant_id, std::string("%\"trigger\"%")};
    auto r = (*conn)->Query("SELECT name, definition FROM approval_defs WHERE tenant_id = ? AND status = 'active' AND definition LIKE ?", q);
    if (!r.ok()) return false;
    for (const auto& row : r->rows) {
      json d = json::parse(store::AsText(row[1]), nullptr, false);
      if (d.is_object() && d.value("object", "") == e.name && d.contains("trigger")) defs.push_back(d);
    }
    const OwnWorkflow* own = OwnOf(e.name);
    if (own && defs.empty()) {
      json d = own->make();
      Value nq[] = {p.tenant_id, std::string(own->name)};
      auto ex = (*conn)->Query("SELECT 1 FROM approval_defs WHERE tenant_id = ? AND name = ? AND status = 'active'", nq);
      if (ex.ok() && ex->empty() && d.contains("trigger")) defs.push_back(d);
    }
  }
  for (const json& d : defs) {
    const json& t = d["trigger"];
    if (std::find(t["on"].begin(), t["on"].end(), op) == t["on"].end()) continue;
    bool fires = false;
    if (op == "create") {
      fires = t["fields"].empty();
      for (const auto& f : t["fields"]) fires = fires || (record.contains(f.get<std::string>()) && !record[f.get<std::string>()].is_null());
    } else {
      for (const auto& f : t["fields"]) fires = fires || changes.contains(f.get<std::string>());
    }
    if (!fires) continue;
    std::vector<TriggerHook> hooks;
    {
      std::lock_guard lock(impl_->hooks_mu);
      auto it = impl_->trigger_hooks.find(e.name);
      if (it != impl_->trigger_hooks.end()) hooks = it->second;
    }
    bool handled = false;
    for (const auto& h : hooks) {
      auto r = h(p.tenant_id, id, p);
      if (!r.ok()) spdlog::warn("approvals: trigger hook for {} {} of tenant {} failed: {}", e.name, id, p.tenant_id, r.status().ToString());
      handled = handled || (r.ok() && *r);
    }
    if (handled) return true;
    auto submitted = Submit(p, {{"object", e.name}, {"record_id", id}, {"definition", d["name"]}}, /*via_service=*/true);
    if (!submitted.ok() && submitted.status().code() != "approval.pending") {
      spdlog::warn("approvals: workflow {} triggered by {} {} of tenant {} did not start: {}", d["name"].get<std::string>(), e.name, id,
                   p.tenant_id, submitted.status().ToString());
    }
    return submitted.ok();  // one request per record at a time
  }
  return false;
}

void ApprovalEngine::OnDecision(const std::string& object, DecisionHook hook) {
  std::lock_guard lock(impl_->hooks_mu);
  impl_->decision_hooks[object].push_back(std::move(hook));
}

void ApprovalEngine::Start() { impl_->timer->Start(); }

void ApprovalEngine::Stop() { impl_->timer->Stop(); }

void ApprovalEngine::RunTimers() {
  std::vector<int64_t> tenants;
  if (auto conn = impl_->db.Acquire(); conn.ok()) {
    auto r = (*conn)->Query("SELECT DISTINCT tenant_id FROM approval_tasks WHERE status = 'pending' AND due_at IS NOT NULL");
    if (r.ok()) {
      for (const auto& row : r->rows) tenants.push_back(store::AsInt(row[0]));
    }
  }
  for (int64_t t : tenants) {
    auto n = Tick(t);
    if (!n.ok()) spdlog::warn("approvals: escalation of tenant {} failed: {}", t, n.status().ToString());
  }
  std::vector<TickHook> hooks;
  {
    std::lock_guard hl(impl_->hooks_mu);
    hooks = impl_->tick_hooks;
  }
  if (!hooks.empty()) {
    std::vector<int64_t> all;
    if (auto conn = impl_->db.Acquire(); conn.ok()) {
      auto r = (*conn)->Query("SELECT id FROM tenants WHERE status = 'active'");
      if (r.ok()) {
        for (const auto& row : r->rows) all.push_back(store::AsInt(row[0]));
      }
    }
    for (int64_t t : all) {
      for (const auto& h : hooks) h(t);
    }
  }
}




Result<json> ApprovalEngine::Submit(const Principal& p, const json& body, bool via_service) {
  if (domain::IsReadOnly(p.role)) return Forbidden("read-only roles do not submit approvals", "只读角色不能提交审批");
  KEEL_RETURN_IF_ERROR(domain::CheckObject(body, {"object", "record_id", "definition", "comment"}));
  std::string object = body.value("object", "");
  if (std::find(kObjects.begin(), kObjects.end(), object) == kObjects.end()) {
    return Bad("validation.enum", "object must be one of: quotes, contracts, expenses, budget_transfers, price_changes, opportunities, orders, customers, leads, activities, feedback",
               "object 只能取：quotes、contracts、expenses、budget_transfers、price_changes、opportunities、orders、customers、leads、activities、feedback", "object");
  }
  if (!body.contains("record_id") || !body["record_id"].is_number_integer()) {
    return Bad("validation.required", "record_id is required", "record_id 为必填项", "record_id");
  }
  if ((object == "quotes" || object == "expenses") && !via_service) {
    return Status::Error(ErrorKind::kUnprocessable, "approval.use_route",
                         object + " are submitted through POST /api/v1/" + object + "/{id}/submit (authority, policy and budget checks)",
                         object + " 须通过 POST /api/v1/" + object + "/{id}/submit 提交（权限、标准与预算校验）", "object");
  }
  const domain::EntityDef& e = *domain::FindEntity(object);
  int64_t record_id = body["record_id"].get<int64_t>();
  KEEL_ASSIGN_OR_RETURN(json record, impl_->records.Get(p, e, record_id));
  const OwnWorkflow* own = OwnOf(object);
  std::string name = body.value("definition", own ? std::string(own->name) : std::string());
  if (name.empty()) return Bad("validation.required", "definition is required", "definition 为必填项", "definition");
  Impl::Pending pending;
  int64_t id = 0;
  std::string status;
  json def;
  {
    KEEL_ASSIGN_OR_RETURN(auto conn, impl_->db.Acquire());
    KEEL_ASSIGN_OR_RETURN(auto tx, store::Transaction::Begin(*conn, true));
    KEEL_RETURN_IF_ERROR(events::LockTenant(*conn, p.tenant_id));
    auto active = impl_->ActiveDef(*conn, p.tenant_id, name);
    if (!active.ok() && OwnByName(name) && active.status().kind() == ErrorKind::kNotFound) {
      // The tenant's first approval of such a record: the default workflow, as version 1.
      json d = OwnByName(name)->make();
      Value ins[] = {p.tenant_id, name, int64_t{1}, d.dump(), FormatTimestamp(impl_->clock.NowMs())};
      KEEL_RETURN_IF_ERROR(conn->Exec("INSERT INTO approval_defs (tenant_id, name, version, status, definition, created_at) "
                                      "VALUES (?, ?, ?, 'active', ?, ?)", ins).status());
      active = std::make_pair(int64_t{1}, d);
    }
    KEEL_RETURN_IF_ERROR(active.status());
    def = active->second;
    // Quotes and contracts go through their own workflow, from draft (or rejected) only; checked
    // under the lock, so two submissions cannot both pass.
    if (own && name != own->name) {
      return Bad("validation.parameter", object + " are approved by the " + own->name + " workflow",
                 object + " 须使用 " + own->name + " 审批流程", "definition");
    }
    if (own) {
      Value sq[] = {p.tenant_id, record_id};
      KEEL_ASSIGN_OR_RETURN(store::Rows cur, conn->Query("SELECT status FROM " + object + " WHERE tenant_id = ? AND id = ?", sq));
      std::string st = cur.empty() ? "" : store::AsText(cur.rows[0][0]);
      if (st != "draft" && st != "rejected") {
        return Status::Error(ErrorKind::kConflict, "approval.status", "only a draft (or rejected) record is submitted; this one is " + st,
                             "只有草稿（或已驳回）的记录可以提交审批；当前状态为 " + st, "status");
      }
      record["status"] = st;
    }
    if (def["object"] != object) {
      return Bad("validation.parameter", "workflow '" + name + "' approves " + def["object"].get<std::string>() + ", not " + object,
                 "审批流程 '" + name + "' 适用于 " + def["object"].get<std::string>() + "，不适用于 " + object, "definition");
    }
    Value dup[] = {p.tenant_id, object, record_id};
    KEEL_ASSIGN_OR_RETURN(store::Rows open, conn->Query(
        "SELECT id FROM approval_requests WHERE tenant_id = ? AND object = ? AND record_id = ? AND status = 'pending'", dup));
    if (!open.empty()) {
      return Status::Error(ErrorKind::kConflict, "approval.pending", "this record already waits for approval (request " +
                           store::AsText(open.rows[0][0]) + ")", "该记录已在审批中（审批单 " + store::AsText(open.rows[0][0]) + "）", "record_id");
    }
    if (!Holds(e, def.value("entry", ""), record, impl_->clock.NowMs())) {
      return json{{"status", "not_needed"}, {"reason_en", "the workflow's entry condition does not hold"},
                  {"reason_zh", "不满足流程的发起条件，无需审批"}};
    }
    KEEL_ASSIGN_OR_RETURN(std::vector<int64_t> ids, conn->AllocateIds(1));
    id = ids[0];
    std::string now = FormatTimestamp(impl_->clock.NowMs());
    int64_t unit = record.value("unit_id", json(0)).is_number() ? record["unit_id"].get<int64_t>() : 0;
    Value ins[] = {p.tenant_id, id, name, active->first, object, record_id, unit ? Value(unit) : Value(), p.user_id ? Value(p.user_id) : Value(),
                   record.dump(), now, now};
    KEEL_RETURN_IF_ERROR(conn->Exec("INSERT INTO approval_requests (tenant_id, id, def_name, def_version, object, record_id, unit_id, "
                                    "submitter_id, status, step, version, snapshot, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, "
                                    "'pending', 0, 1, ?, ?, ?)", ins).status());
    KEEL_RETURN_IF_ERROR(impl_->Log(*conn, p.tenant_id, id, p.user_id, 0, "submitted", 0, body.value("comment", "")));
    KEEL_ASSIGN_OR_RETURN(int64_t step, impl_->OpenStep(*conn, p.tenant_id, id, def, record, 0, p.user_id, pending));
    status = "pending";
    if (step >= static_cast<int64_t>(def["steps"].size())) {
      status = "approved";
      Value up[] = {now, p.tenant_id, id};
      KEEL_RETURN_IF_ERROR(conn->Exec("UPDATE approval_requests SET status = 'approved', decided_at = ?, version = version + 1 WHERE tenant_id = ? AND id = ?", up).status());
      KEEL_RETURN_IF_ERROR(impl_->Log(*conn, p.tenant_id, id, 0, 0, "approved", step, "no step applies"));
    } else {
      Value up[] = {step, p.tenant_id, id};
      KEEL_RETURN_IF_ERROR(conn->Exec("UPDATE approval_requests SET step = ? WHERE tenant_id = ? AND id = ?", up).status());
    }
    if (own && own->has_approval_id) {
      Value qa[] = {id, p.tenant_id, record_id};
      KEEL_RETURN_IF_ERROR(conn->Exec("UPDATE " + object + " SET approval_id = ? WHERE tenant_id = ? AND id = ?", qa).status());
    }
    KEEL_RETURN_IF_ERROR(tx.Commit());
  }
  std::string title = def.value("title_zh", name) + " · " + LabelOf(record, record_id);
  impl_->AfterCommit(p.tenant_id, object, record_id, id, status, pending, title);
  KEEL_ASSIGN_OR_RETURN(auto conn, impl_->db.Acquire());
  return impl_->Describe(*conn, p.tenant_id, id);
}


Result<json> ApprovalEngine::Act(const Principal& p, int64_t id, const std::string& action, const json& body) {
  if (action != "approve" && action != "reject" && action != "comment") return Status::NotFound("action");
  if (domain::IsReadOnly(p.role)) return Forbidden("read-only roles do not act on approvals", "只读角色不能处理审批");
  KEEL_RETURN_IF_ERROR(domain::CheckObject(body, {"comment", "to", "version"}));
  std::string comment = body.value("comment", "");
  if (!body.value("comment", json("")).is_string() || comment.size() > 2000) {
    return Bad("validation.type", "comment is a text of at most 2000 bytes", "comment 应为不超过 2000 字节的文字", "comment");
  }
  if (action == "reject" && comment.empty()) {
    return Bad("validation.required", "a rejection needs a comment saying why", "驳回须填写原因", "comment");
  }
  std::string to = body.value("to", "");
  if (!to.empty() && to != "previous" && to != "submitter") {
    return Bad("validation.enum", "to is previous or submitter", "to 取值 previous 或 submitter", "to");
  }
  Impl::Pending pending;
  std::string final_status, object, title;
  int64_t record_id = 0;
  bool closed_tasks = false;
  {
    KEEL_ASSIGN_OR_RETURN(auto conn, impl_->db.Acquire());
    KEEL_ASSIGN_OR_RETURN(auto tx, store::Transaction::Begin(*conn, true));
    KEEL_RETURN_IF_ERROR(events::LockTenant(*conn, p.tenant_id));
    Value q[] = {p.tenant_id, id};
    KEEL_ASSIGN_OR_RETURN(store::Rows r, conn->Query(
        "SELECT def_name, def_version, object, record_id, unit_id, submitter_id, status, step, version, snapshot FROM approval_requests "
        "WHERE tenant_id = ? AND id = ?", q));
    if (r.empty() || !impl_->CanSee(*conn, p, p.tenant_id, id)) return Status::NotFound("approval request");
    const auto& row = r.rows[0];
    object = store::AsText(row[2]);
    record_id = store::AsInt(row[3]);
    int64_t unit = store::IsNull(row[4]) ? 0 : store::AsInt(row[4]);
    int64_t submitter = store::IsNull(row[5]) ? 0 : store::AsInt(row[5]);
    std::string status = store::AsText(row[6]);
    int64_t step = store::AsInt(row[7]), version = store::AsInt(row[8]);
    json record = json::parse(store::AsText(row[9]));
    if (body.contains("version") && (!body["version"].is_number_integer() || body["version"].get<int64_t>() != version)) {
      return Status::Error(ErrorKind::kConflict, "approval.changed", "the request changed since you read it (version " + std::to_string(version) + ")",
                           "审批单已被他人处理或更新（当前版本 " + std::to_string(version) + "）", "version");
    }
    if (action == "comment") {
      if (comment.empty()) return Bad("validation.required", "comment is required", "comment 为必填项", "comment");
      KEEL_RETURN_IF_ERROR(impl_->Log(*conn, p.tenant_id, id, p.user_id, 0, "comment", step, comment));
      KEEL_RETURN_IF_ERROR(tx.Commit());
      return impl_->Describe(*conn, p.tenant_id, id);
    }
    if (status != "pending") {
      return Status::Error(ErrorKind::kConflict, "approval.closed", "the request is already " + status, "审批单已" + status + "，不能再处理", "status");
    }
    if (p.user_id == submitter) {
      return Status::Error(ErrorKind::kForbidden, "approval.own_request", "nobody approves their own request, not even as a delegate",
                           "不能审批自己提交的申请（包括受托审批）");
    }
    KEEL_ASSIGN_OR_RETURN(std::vector<int64_t> acting, impl_->ActingFor(*conn, p.tenant_id, p.user_id, unit));
    // The caller's own task first, else one of a delegator's.
    int64_t task = 0, on_behalf = 0;
    for (int64_t who : acting) {
      Value tq[] = {p.tenant_id, id, step, who};
      KEEL_ASSIGN_OR_RETURN(store::Rows t, conn->Query(
          "SELECT id FROM approval_tasks WHERE tenant_id = ? AND request_id = ? AND step = ? AND approver_id = ? AND status = 'pending'", tq));
      if (!t.empty()) {
        task = store::AsInt(t.rows[0][0]);
        on_behalf = who == p.user_id ? 0 : who;
        break;
      }
    }
    if (!task) {
      return Status::Error(ErrorKind::kForbidden, "approval.not_your_step", "you are not an approver of the current step (nor their delegate)",
                           "您不是当前步骤的审批人（也未获委托）");
    }
    std::string now = FormatTimestamp(impl_->clock.NowMs());
    Value tu[] = {std::string(action == "approve" ? "approved" : "rejected"), p.user_id, now, comment.empty() ? Value() : Value(comment), p.tenant_id, task};
    KEEL_RETURN_IF_ERROR(conn->Exec("UPDATE approval_tasks SET status = ?, acted_by = ?, acted_at = ?, comment = ? WHERE tenant_id = ? AND id = ? "
                                    "AND status = 'pending'", tu).status());
    KEEL_RETURN_IF_ERROR(impl_->Log(*conn, p.tenant_id, id, p.user_id, on_behalf, action == "approve" ? "approved_step" : "rejected_step", step, comment));
    Value dq[] = {p.tenant_id, store::AsText(row[0]), store::AsInt(row[1])};
    KEEL_ASSIGN_OR_RETURN(store::Rows d, conn->Query("SELECT definition FROM approval_defs WHERE tenant_id = ? AND name = ? AND version = ?", dq));
    json def = json::parse(store::AsText(d.rows[0][0]));
    title = def.value("title_zh", "") + " · " + LabelOf(record, record_id);
    const json& s = def["steps"][static_cast<size_t>(step)];
    std::string mode = s.value("mode", "first");
    Value cq[] = {p.tenant_id, id, step};
    KEEL_ASSIGN_OR_RETURN(store::Rows c, conn->Query(
        "SELECT SUM(CASE WHEN status = 'approved' THEN 1 ELSE 0 END), SUM(CASE WHEN status = 'rejected' THEN 1 ELSE 0 END), "
        "SUM(CASE WHEN status IN ('pending', 'approved', 'rejected') THEN 1 ELSE 0 END) FROM approval_tasks WHERE tenant_id = ? AND "
        "request_id = ? AND step = ?", cq));
    int64_t yes = store::AsInt(c.rows[0][0]), no = store::AsInt(c.rows[0][1]), all = store::AsInt(c.rows[0][2]);
    int64_t need = mode == "first" ? 1 : mode == "all" ? all : std::min<int64_t>(s.value("quorum", 1), all);
    bool step_approved = yes >= need;
    bool step_rejected = mode == "first" ? no >= 1 : no > all - need;
    std::string next_status = "pending";
    int64_t next_step = step;
    if (step_approved || step_rejected) {
      Value sk[] = {p.tenant_id, id, step};
      KEEL_RETURN_IF_ERROR(conn->Exec("UPDATE approval_tasks SET status = 'skipped' WHERE tenant_id = ? AND request_id = ? AND step = ? AND "
                                      "status = 'pending'", sk).status());
      closed_tasks = true;
    }
    if (step_approved) {
      KEEL_ASSIGN_OR_RETURN(next_step, impl_->OpenStep(*conn, p.tenant_id, id, def, record, static_cast<size_t>(step + 1), submitter, pending));
      if (next_step >= static_cast<int64_t>(def["steps"].size())) next_status = "approved";
    } else if (step_rejected) {
      bool back = (to == "previous" || (to.empty() && s.value("on_reject", "reject") == "back")) && step > 0;
      int64_t back_to = -1;
      if (back) {
        const domain::EntityDef& e = *domain::FindEntity(object);
        for (int64_t j = step - 1; j >= 0 && back_to < 0; --j) {
          if (Holds(e, def["steps"][static_cast<size_t>(j)].value("when", ""), record, impl_->clock.NowMs())) back_to = j;
        }
      }
      if (back_to >= 0) {
        // Back to the nearest earlier step that applies: its approvers decide again.
        KEEL_ASSIGN_OR_RETURN(next_step, impl_->OpenStep(*conn, p.tenant_id, id, def, record, static_cast<size_t>(back_to), submitter, pending));
        KEEL_RETURN_IF_ERROR(impl_->Log(*conn, p.tenant_id, id, p.user_id, on_behalf, "sent_back", next_step, comment));
      } else {
        next_status = "rejected";
      }
    }
    Value up[] = {next_status, next_step, now, next_status == "pending" ? Value() : Value(now), p.tenant_id, id, version};
    KEEL_ASSIGN_OR_RETURN(int64_t changed, conn->Exec("UPDATE approval_requests SET status = ?, step = ?, updated_at = ?, decided_at = ?, "
                                                      "version = version + 1 WHERE tenant_id = ? AND id = ? AND version = ?", up));
    if (changed != 1) {
      return Status::Error(ErrorKind::kConflict, "approval.changed", "the request changed while you acted; read it again",
                           "审批单在您处理时已被更新，请刷新后重试");
    }
    if (next_status != "pending") KEEL_RETURN_IF_ERROR(impl_->Log(*conn, p.tenant_id, id, 0, 0, next_status, next_step, ""));
    KEEL_RETURN_IF_ERROR(tx.Commit());
    final_status = next_status == "pending" ? "" : next_status;
  }
  impl_->AfterCommit(p.tenant_id, object, record_id, id, final_status, pending, title);
  if (closed_tasks || !final_status.empty()) impl_->CloseInboxTasks(p.tenant_id, id);
  KEEL_ASSIGN_OR_RETURN(auto conn, impl_->db.Acquire());
  return impl_->Describe(*conn, p.tenant_id, id);
}

Result<json> ApprovalEngine::Recall(const Principal& p, int64_t id, const json& body) {
  if (domain::IsReadOnly(p.role)) return Forbidden("read-only roles do not submit or recall approvals", "只读角色不能撤回审批");
  KEEL_RETURN_IF_ERROR(domain::CheckObject(body, {"comment"}));
  std::string object;
  int64_t record_id = 0;
  {
    KEEL_ASSIGN_OR_RETURN(auto conn, impl_->db.Acquire());
    KEEL_ASSIGN_OR_RETURN(auto tx, store::Transaction::Begin(*conn, true));
    KEEL_RETURN_IF_ERROR(events::LockTenant(*conn, p.tenant_id));
    Value q[] = {p.tenant_id, id};
    KEEL_ASSIGN_OR_RETURN(store::Rows r, conn->Query(
        "SELECT submitter_id, status, version, object, record_id, step FROM approval_requests WHERE tenant_id = ? AND id = ?", q));
    if (r.empty() || !impl_->CanSee(*conn, p, p.tenant_id, id)) return Status::NotFound("approval request");
    if (store::IsNull(r.rows[0][0]) || store::AsInt(r.rows[0][0]) != p.user_id) {
      return Status::Error(ErrorKind::kForbidden, "approval.not_submitter", "only the submitter may recall a request", "只有提交人可以撤回审批");
    }
    std::string status = store::AsText(r.rows[0][1]);
    if (status != "pending") {
      return Status::Error(ErrorKind::kConflict, "approval.closed", "the request is already " + status, "审批单已" + status + "，不能撤回", "status");
    }
    object = store::AsText(r.rows[0][3]);
    record_id = store::AsInt(r.rows[0][4]);
    std::string now = FormatTimestamp(impl_->clock.NowMs());
    Value up[] = {now, now, p.tenant_id, id, store::AsInt(r.rows[0][2])};
    KEEL_ASSIGN_OR_RETURN(int64_t changed, conn->Exec("UPDATE approval_requests SET status = 'recalled', updated_at = ?, decided_at = ?, "
                                                      "version = version + 1 WHERE tenant_id = ? AND id = ? AND version = ?", up));
    if (changed != 1) return Status::Error(ErrorKind::kConflict, "approval.changed", "the request changed; read it again", "审批单已更新，请刷新");
    Value sk[] = {p.tenant_id, id};
    KEEL_RETURN_IF_ERROR(conn->Exec("UPDATE approval_tasks SET status = 'skipped' WHERE tenant_id = ? AND request_id = ? AND status = 'pending'", sk).status());
    KEEL_RETURN_IF_ERROR(impl_->Log(*conn, p.tenant_id, id, p.user_id, 0, "recalled", store::AsInt(r.rows[0][5]), body.value("comment", "")));
    KEEL_RETURN_IF_ERROR(tx.Commit());
  }
  impl_->AfterCommit(p.tenant_id, object, record_id, id, "recalled", {}, "");
  impl_->CloseInboxTasks(p.tenant_id, id);
  KEEL_ASSIGN_OR_RETURN(auto conn, impl_->db.Acquire());
  return impl_->Describe(*conn, p.tenant_id, id);
}


Result<int64_t> ApprovalEngine::Tick(int64_t tenant) {
  std::vector<std::tuple<int64_t, std::string, int64_t, ApprovalEngine::Impl::Pending, std::string>> after;
  int64_t escalated = 0;
  {
    KEEL_ASSIGN_OR_RETURN(auto conn, impl_->db.Acquire());
    KEEL_ASSIGN_OR_RETURN(auto tx, store::Transaction::Begin(*conn, true));
    KEEL_RETURN_IF_ERROR(events::LockTenant(*conn, tenant));
    std::string now = FormatTimestamp(impl_->clock.NowMs());
    Value q[] = {tenant, now};
    KEEL_ASSIGN_OR_RETURN(store::Rows r, conn->Query(
        "SELECT t.id, t.request_id, t.step, r.def_name, r.def_version, r.snapshot, r.submitter_id, r.object, r.record_id FROM approval_tasks t "
        "JOIN approval_requests r ON r.tenant_id = t.tenant_id AND r.id = t.request_id WHERE t.tenant_id = ? AND t.status = 'pending' AND "
        "r.status = 'pending' AND t.due_at IS NOT NULL AND t.due_at < ? ORDER BY t.id", q));
    std::set<std::pair<int64_t, int64_t>> done;  // (request, step) escalated in this pass
    for (const auto& row : r.rows) {
      int64_t task = store::AsInt(row[0]), request = store::AsInt(row[1]), step = store::AsInt(row[2]);
      Value dq[] = {tenant, store::AsText(row[3]), store::AsInt(row[4])};
      KEEL_ASSIGN_OR_RETURN(store::Rows d, conn->Query("SELECT definition FROM approval_defs WHERE tenant_id = ? AND name = ? AND version = ?", dq));
      json def = json::parse(store::AsText(d.rows[0][0]));
      const json& s = def["steps"][static_cast<size_t>(step)];
      // Only when someone can take over: without escalate_to (or nobody matching), the task stays with its approver.
      if (!s.contains("escalate_to")) continue;
      json record = json::parse(store::AsText(row[5]));
      int64_t submitter = store::IsNull(row[6]) ? 0 : store::AsInt(row[6]);
      KEEL_ASSIGN_OR_RETURN(std::vector<int64_t> who, impl_->Approvers(*conn, tenant, s["escalate_to"], record, submitter));
      if (who.empty()) continue;
      Value tu[] = {now, tenant, task};
      KEEL_RETURN_IF_ERROR(conn->Exec("UPDATE approval_tasks SET status = 'escalated', acted_at = ? WHERE tenant_id = ? AND id = ?", tu).status());
      ++escalated;
      if (done.count({request, step})) continue;
      done.insert({request, step});
      KEEL_RETURN_IF_ERROR(impl_->Log(*conn, tenant, request, 0, 0, "escalated", step, "timeout " + s.value("timeout", "")));
      ApprovalEngine::Impl::Pending pending;
      for (int64_t a : who) {
        KEEL_ASSIGN_OR_RETURN(std::vector<int64_t> ids, conn->AllocateIds(1));
        Value ins[] = {tenant, ids[0], request, step, a, now};
        KEEL_RETURN_IF_ERROR(conn->Exec("INSERT INTO approval_tasks (tenant_id, id, request_id, step, approver_id, status, created_at) "
                                        "VALUES (?, ?, ?, ?, ?, 'pending', ?)", ins).status());
        pending.tasks.push_back({a, s.value("title_zh", "") + "（超时升级）"});
      }
      std::string title = def.value("title_zh", "") + " · " + LabelOf(record, 0);
      after.push_back({request, store::AsText(row[7]), store::AsInt(row[8]), pending, title});
    }
    KEEL_RETURN_IF_ERROR(tx.Commit());
  }
  for (auto& [request, object, record, pending, title] : after) {
    impl_->AfterCommit(tenant, object, record, request, "", pending, title);
    impl_->CloseInboxTasks(tenant, request);
  }
  return escalated;
}


}  // namespace keel::org
