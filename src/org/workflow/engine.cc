// Requests: submission, decisions, escalation on timeout, the minute timer and the parts' hooks.
#include "org/rules/rules.h"
#include "org/workflow/approvals.h"
#include "org/workflow/internal.h"

#include <algorithm>
#include <set>
#include <tuple>

#include <spdlog/spdlog.h>

#include "domain/codec.h"
#include "domain/schema.h"
#include "events/consumer.h"
#include "events/event_log.h"
#include "org/conditions.h"
#include "org/internal.h"
#include "org/workflow/store.h"
#include "store/tenant_scope.h"

namespace keel::org {

namespace repo = workflow;

// The people who approve a step of a request on `record`, the submitter excluded.
Result<std::vector<int64_t>> ApprovalEngine::Impl::Approvers(store::Connection& conn, int64_t tenant, const json& who, const json& record, int64_t submitter) {
  std::vector<int64_t> out;
  int64_t unit = record.value("unit_id", json(0)).is_number() ? record["unit_id"].get<int64_t>() : 0;
  int64_t owner = record.value("owner_id", json(0)).is_number() ? record["owner_id"].get<int64_t>() : 0;
  auto unit_lead = [&](int64_t from_unit) -> Status {
    // The nearest unit lead up the tree from the record's unit (a store's unit lead is its sales unit's).
    KEEL_ASSIGN_OR_RETURN(std::optional<std::string> path, repo::UnitPath(conn, tenant, from_unit));
    if (!path) return Status();
    std::vector<int64_t> chain = PathIds(*path);
    for (auto it = chain.rbegin(); it != chain.rend() && out.empty(); ++it) {
      KEEL_ASSIGN_OR_RETURN(out, repo::UnitLeads(conn, tenant, *it, submitter));
    }
    return Status();
  };
  if (who.contains("unit_lead")) {
    KEEL_RETURN_IF_ERROR(unit_lead(unit));
  } else if (who.contains("manager")) {
    KEEL_ASSIGN_OR_RETURN(std::optional<int64_t> manager, repo::ActiveSupervisor(conn, tenant, owner));
    if (manager && *manager != submitter) out.push_back(*manager);
    if (out.empty()) KEEL_RETURN_IF_ERROR(unit_lead(unit));
  } else if (who.contains("role")) {
    KEEL_ASSIGN_OR_RETURN(out, repo::ActiveUsersWithRole(conn, tenant, who["role"].get<std::string>(), submitter));
  } else if (who.contains("users")) {
    for (const auto& u : who["users"]) {
      KEEL_ASSIGN_OR_RETURN(bool active, repo::IsActiveUser(conn, tenant, u.get<int64_t>()));
      if (active && u.get<int64_t>() != submitter) out.push_back(u.get<int64_t>());
    }
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

Status ApprovalEngine::Impl::Log(store::Connection& conn, int64_t tenant, int64_t request, int64_t actor, int64_t on_behalf, const std::string& action,
           int64_t step, const std::string& comment) {
  KEEL_ASSIGN_OR_RETURN(std::vector<int64_t> ids, conn.AllocateIds(1));
  repo::LogEntry e{actor ? std::optional<int64_t>(actor) : std::nullopt, on_behalf ? std::optional<int64_t>(on_behalf) : std::nullopt, action,
                   step, comment.empty() ? std::nullopt : std::optional<std::string>(comment), FormatTimestamp(clock.NowMs())};
  return repo::InsertLog(conn, tenant, ids[0], request, e);
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
    KEEL_RETURN_IF_ERROR(repo::SupersedeDecidedTasks(conn, tenant, request, static_cast<int64_t>(i)));
    for (int64_t a : who) {
      KEEL_ASSIGN_OR_RETURN(std::vector<int64_t> ids, conn.AllocateIds(1));
      std::optional<std::string> due = timeout ? std::optional<std::string>(FormatTimestamp(now + timeout)) : std::nullopt;
      KEEL_RETURN_IF_ERROR(repo::InsertTask(conn, tenant, ids[0], request, static_cast<int64_t>(i), a, due, FormatTimestamp(now)));
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
    auto stale = repo::StaleInboxTasks(**conn, tenant, request);
    if (!stale.ok()) return;
    ids = std::move(*stale);
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
    auto triggered = repo::LoadTriggeredDefinitions(**conn, p.tenant_id);
    if (!triggered.ok()) return false;
    for (const auto& row : *triggered) {
      json d = json::parse(row.definition, nullptr, false);
      if (d.is_object() && d.value("object", "") == e.name && d.contains("trigger")) defs.push_back(d);
    }
    const OwnWorkflow* own = OwnOf(e.name);
    if (own && defs.empty()) {
      json d = own->make();
      auto existing = repo::LoadActiveDefinition(**conn, p.tenant_id, own->name);
      if (existing.ok() && !existing->has_value() && d.contains("trigger")) defs.push_back(d);
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
    SubmitRequest request{.object = e.name, .record_id = id, .definition = d["name"].get<std::string>(), .problem = {}};
    auto submitted = Submit(p, request, /*via_service=*/true);
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
    if (auto r = repo::TenantsWithDueTasks(**conn); r.ok()) tenants = std::move(*r);
  }
  for (int64_t t : tenants) {
    store::TenantScope scope(t);  // the tenant's rows only (row-level security)
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
      if (auto r = repo::ActiveTenants(**conn); r.ok()) all = std::move(*r);
    }
    for (int64_t t : all) {
      store::TenantScope scope(t);
      for (const auto& h : hooks) h(t);
    }
  }
}




namespace {

Status ObjectEnum() {
  return Bad("validation.enum", "object must be one of: quotes, contracts, expenses, budget_transfers, price_changes, opportunities, orders, customers, leads, activities, feedback",
             "object 只能取：quotes、contracts、expenses、budget_transfers、price_changes、opportunities、orders、customers、leads、activities、feedback", "object");
}

Status Changed(int64_t version) {
  return Status::Error(ErrorKind::kConflict, "approval.changed", "the request changed since you read it (version " + std::to_string(version) + ")",
                       "审批单已被他人处理或更新（当前版本 " + std::to_string(version) + "）", "version");
}

}  // namespace

// The active definition of `name`; a built-in one the tenant has not used yet becomes its version 1.
Result<std::pair<int64_t, json>> ApprovalEngine::Impl::ActiveOrBuiltIn(store::Connection& conn, int64_t tenant, const std::string& name) {
  auto active = ActiveDef(conn, tenant, name);
  if (!active.ok() && OwnByName(name) && active.status().kind() == ErrorKind::kNotFound) {
    // The tenant's first approval of such a record: the default workflow, as version 1.
    json d = OwnByName(name)->make();
    KEEL_RETURN_IF_ERROR(repo::InsertDefinition(conn, tenant, name, 1, d.dump(), FormatTimestamp(clock.NowMs()), std::nullopt));
    active = std::make_pair(int64_t{1}, d);
  }
  return active;
}

// Under the tenant's lock: checks that the record may start `name` and starts it. Sets `id` (0:
// the entry condition does not hold, `not_needed` says why) and `status`.
Result<bool> ApprovalEngine::Impl::StartRequest(store::Connection& conn, const Principal& p, const std::string& object, int64_t record_id,
                                                json& record, const std::string& name, const std::string& comment, Started& out) {
  const domain::EntityDef& e = *domain::FindEntity(object);
  const OwnWorkflow* own = OwnOf(object);
  KEEL_ASSIGN_OR_RETURN(auto active, ActiveOrBuiltIn(conn, p.tenant_id, name));
  out.def = active.second;
  const json& def = out.def;
  // Quotes and contracts go through their own workflow, from draft (or rejected) only; checked
  // under the lock, so two submissions cannot both pass.
  if (own && name != own->name) {
    return Bad("validation.parameter", object + " are approved by the " + own->name + " workflow",
               object + " 须使用 " + own->name + " 审批流程", "definition");
  }
  if (own) {
    KEEL_ASSIGN_OR_RETURN(std::optional<std::string> cur, repo::RecordStatus(conn, object, p.tenant_id, record_id));
    std::string st = cur.value_or("");
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
  KEEL_ASSIGN_OR_RETURN(std::optional<int64_t> open, repo::PendingRequestOn(conn, p.tenant_id, object, record_id));
  if (open) {
    return Status::Error(ErrorKind::kConflict, "approval.pending", "this record already waits for approval (request " +
                         std::to_string(*open) + ")", "该记录已在审批中（审批单 " + std::to_string(*open) + "）", "record_id");
  }
  if (!Holds(e, def.value("entry", ""), record, clock.NowMs())) return false;
  KEEL_ASSIGN_OR_RETURN(std::vector<int64_t> ids, conn.AllocateIds(1));
  out.id = ids[0];
  std::string now = FormatTimestamp(clock.NowMs());
  int64_t unit = record.value("unit_id", json(0)).is_number() ? record["unit_id"].get<int64_t>() : 0;
  repo::RequestRow row;
  row.id = out.id;
  row.def_name = name;
  row.def_version = active.first;
  row.object = object;
  row.record_id = record_id;
  if (unit) row.unit_id = unit;
  if (p.user_id) row.submitter_id = p.user_id;
  row.snapshot = record.dump();
  row.created_at = now;
  KEEL_RETURN_IF_ERROR(repo::InsertRequest(conn, p.tenant_id, row));
  KEEL_RETURN_IF_ERROR(Log(conn, p.tenant_id, out.id, p.user_id, 0, "submitted", 0, comment));
  KEEL_ASSIGN_OR_RETURN(int64_t step, OpenStep(conn, p.tenant_id, out.id, def, record, 0, p.user_id, out.pending));
  out.status = "pending";
  if (step >= static_cast<int64_t>(def["steps"].size())) {
    out.status = "approved";
    KEEL_RETURN_IF_ERROR(repo::ApproveAtOnce(conn, p.tenant_id, out.id, now));
    KEEL_RETURN_IF_ERROR(Log(conn, p.tenant_id, out.id, 0, 0, "approved", step, "no step applies"));
  } else {
    KEEL_RETURN_IF_ERROR(repo::SetRequestStep(conn, p.tenant_id, out.id, step));
  }
  if (own && own->has_approval_id) KEEL_RETURN_IF_ERROR(repo::SetRecordApproval(conn, object, p.tenant_id, record_id, out.id));
  return true;
}

Result<Submission> ApprovalEngine::Submit(const Principal& p, const SubmitRequest& request, bool via_service) {
  if (domain::IsReadOnly(p.role)) return Forbidden("read-only roles do not submit approvals", "只读角色不能提交审批");
  KEEL_RETURN_IF_ERROR(request.problem);
  const std::string& object = request.object;
  if (std::find(kObjects.begin(), kObjects.end(), object) == kObjects.end()) return ObjectEnum();
  if (!request.record_id) return Bad("validation.required", "record_id is required", "record_id 为必填项", "record_id");
  if ((object == "quotes" || object == "expenses") && !via_service) {
    return Status::Error(ErrorKind::kUnprocessable, "approval.use_route",
                         object + " are submitted through POST /api/v1/" + object + "/{id}/submit (authority, policy and budget checks)",
                         object + " 须通过 POST /api/v1/" + object + "/{id}/submit 提交（权限、标准与预算校验）", "object");
  }
  int64_t record_id = *request.record_id;
  KEEL_ASSIGN_OR_RETURN(json record, impl_->records.Get(p, *domain::FindEntity(object), record_id));
  const OwnWorkflow* own = OwnOf(object);
  std::string name = own ? std::string(own->name) : std::string();
  if (request.definition) {
    KEEL_ASSIGN_OR_RETURN(name, *request.definition);
  }
  if (name.empty()) return Bad("validation.required", "definition is required", "definition 为必填项", "definition");
  KEEL_ASSIGN_OR_RETURN(std::string comment, request.comment);
  Impl::Started started;
  {
    KEEL_ASSIGN_OR_RETURN(auto conn, impl_->db.Acquire());
    KEEL_ASSIGN_OR_RETURN(auto tx, store::Transaction::Begin(*conn, true));
    KEEL_RETURN_IF_ERROR(events::LockTenant(*conn, p.tenant_id));
    KEEL_ASSIGN_OR_RETURN(bool needed, impl_->StartRequest(*conn, p, object, record_id, record, name, comment, started));
    if (!needed) return Submission{};
    KEEL_RETURN_IF_ERROR(tx.Commit());
  }
  std::string title = started.def.value("title_zh", name) + " · " + LabelOf(record, record_id);
  impl_->AfterCommit(p.tenant_id, object, record_id, started.id, started.status, started.pending, title);
  KEEL_ASSIGN_OR_RETURN(auto conn, impl_->db.Acquire());
  KEEL_ASSIGN_OR_RETURN(ApprovalView view, impl_->Describe(*conn, p.tenant_id, started.id));
  return Submission{std::move(view)};
}

// The task the caller acts on at the request's step: their own first, else one of a delegator's.
Result<std::pair<int64_t, int64_t>> ApprovalEngine::Impl::TaskToAct(store::Connection& conn, const Principal& p, const repo::RequestRow& r) {
  KEEL_ASSIGN_OR_RETURN(std::vector<int64_t> acting, ActingFor(conn, p.tenant_id, p.user_id, r.unit_id.value_or(0)));
  for (int64_t who : acting) {
    KEEL_ASSIGN_OR_RETURN(std::optional<int64_t> task, repo::PendingTaskOf(conn, p.tenant_id, r.id, r.step, who));
    if (task) return std::make_pair(*task, who == p.user_id ? int64_t{0} : who);
  }
  return Status::Error(ErrorKind::kForbidden, "approval.not_your_step", "you are not an approver of the current step (nor their delegate)",
                       "您不是当前步骤的审批人（也未获委托）");
}

// After a task of the step was decided: the step's outcome (by its mode), and where the request
// goes — the next applicable step, back to an earlier one, or decided. Returns the new status
// (pending, approved or rejected) and sets `step`.
Result<std::string> ApprovalEngine::Impl::NextAfterDecision(store::Connection& conn, const Principal& p, const repo::RequestRow& r,
                                                             const json& def, const json& record, const std::string& to, int64_t on_behalf,
                                                             const std::string& comment, int64_t& step, bool& closed_tasks, Pending& pending) {
  const json& s = def["steps"][static_cast<size_t>(r.step)];
  std::string mode = s.value("mode", "first");
  KEEL_ASSIGN_OR_RETURN(repo::StepTally c, repo::TallyStep(conn, p.tenant_id, r.id, r.step));
  int64_t need = mode == "first" ? 1 : mode == "all" ? c.counted : std::min<int64_t>(s.value("quorum", 1), c.counted);
  bool step_approved = c.approved >= need;
  bool step_rejected = mode == "first" ? c.rejected >= 1 : c.rejected > c.counted - need;
  step = r.step;
  if (step_approved || step_rejected) {
    KEEL_RETURN_IF_ERROR(repo::SkipPendingTasks(conn, p.tenant_id, r.id, r.step));
    closed_tasks = true;
  }
  if (step_approved) {
    KEEL_ASSIGN_OR_RETURN(step, OpenStep(conn, p.tenant_id, r.id, def, record, static_cast<size_t>(r.step + 1), r.submitter_id.value_or(0), pending));
    return std::string(step >= static_cast<int64_t>(def["steps"].size()) ? "approved" : "pending");
  }
  if (!step_rejected) return std::string("pending");
  bool back = (to == "previous" || (to.empty() && s.value("on_reject", "reject") == "back")) && r.step > 0;
  int64_t back_to = -1;
  if (back) {
    const domain::EntityDef& e = *domain::FindEntity(r.object);
    for (int64_t j = r.step - 1; j >= 0 && back_to < 0; --j) {
      if (Holds(e, def["steps"][static_cast<size_t>(j)].value("when", ""), record, clock.NowMs())) back_to = j;
    }
  }
  if (back_to < 0) return std::string("rejected");
  // Back to the nearest earlier step that applies: its approvers decide again.
  KEEL_ASSIGN_OR_RETURN(step, OpenStep(conn, p.tenant_id, r.id, def, record, static_cast<size_t>(back_to), r.submitter_id.value_or(0), pending));
  KEEL_RETURN_IF_ERROR(Log(conn, p.tenant_id, r.id, p.user_id, on_behalf, "sent_back", step, comment));
  return std::string("pending");
}

Result<ApprovalView> ApprovalEngine::Act(const Principal& p, int64_t id, const std::string& action, const ApprovalAction& a) {
  if (action != "approve" && action != "reject" && action != "comment") return Status::NotFound("action");
  if (domain::IsReadOnly(p.role)) return Forbidden("read-only roles do not act on approvals", "只读角色不能处理审批");
  KEEL_RETURN_IF_ERROR(a.problem);
  KEEL_ASSIGN_OR_RETURN(const std::string comment, a.comment);
  if (comment.size() > 2000) {
    return Bad("validation.type", "comment is a text of at most 2000 bytes", "comment 应为不超过 2000 字节的文字", "comment");
  }
  if (action == "reject" && comment.empty()) {
    return Bad("validation.required", "a rejection needs a comment saying why", "驳回须填写原因", "comment");
  }
  KEEL_ASSIGN_OR_RETURN(const std::string to, a.to);
  if (!to.empty() && to != "previous" && to != "submitter") {
    return Bad("validation.enum", "to is previous or submitter", "to 取值 previous 或 submitter", "to");
  }
  Impl::Pending pending;
  std::string final_status, title;
  repo::RequestRow r;
  bool closed_tasks = false;
  {
    KEEL_ASSIGN_OR_RETURN(auto conn, impl_->db.Acquire());
    KEEL_ASSIGN_OR_RETURN(auto tx, store::Transaction::Begin(*conn, true));
    KEEL_RETURN_IF_ERROR(events::LockTenant(*conn, p.tenant_id));
    KEEL_ASSIGN_OR_RETURN(std::optional<repo::RequestRow> found, repo::LoadRequest(*conn, p.tenant_id, id));
    if (!found || !impl_->CanSee(*conn, p, p.tenant_id, id)) return Status::NotFound("approval request");
    r = std::move(*found);
    json record = json::parse(r.snapshot);
    if (a.version && *a.version != r.version) return Changed(r.version);
    if (action == "comment") {
      if (comment.empty()) return Bad("validation.required", "comment is required", "comment 为必填项", "comment");
      KEEL_RETURN_IF_ERROR(impl_->Log(*conn, p.tenant_id, id, p.user_id, 0, "comment", r.step, comment));
      KEEL_RETURN_IF_ERROR(tx.Commit());
      return impl_->Describe(*conn, p.tenant_id, id);
    }
    if (r.status != "pending") {
      return Status::Error(ErrorKind::kConflict, "approval.closed", "the request is already " + r.status, "审批单已" + r.status + "，不能再处理", "status");
    }
    if (p.user_id == r.submitter_id.value_or(0)) {
      return Status::Error(ErrorKind::kForbidden, "approval.own_request", "nobody approves their own request, not even as a delegate",
                           "不能审批自己提交的申请（包括受托审批）");
    }
    KEEL_ASSIGN_OR_RETURN(auto task, impl_->TaskToAct(*conn, p, r));
    auto [task_id, on_behalf] = task;
    std::string now = FormatTimestamp(impl_->clock.NowMs());
    KEEL_RETURN_IF_ERROR(repo::DecideTask(*conn, p.tenant_id, task_id, action == "approve" ? "approved" : "rejected", p.user_id, now,
                                          comment.empty() ? std::nullopt : std::optional<std::string>(comment)));
    KEEL_RETURN_IF_ERROR(impl_->Log(*conn, p.tenant_id, id, p.user_id, on_behalf, action == "approve" ? "approved_step" : "rejected_step", r.step, comment));
    KEEL_ASSIGN_OR_RETURN(std::optional<std::string> doc, repo::LoadDefinitionDocument(*conn, p.tenant_id, r.def_name, r.def_version));
    json def = json::parse(doc.value_or(""));
    title = def.value("title_zh", "") + " · " + LabelOf(record, r.record_id);
    int64_t next_step = r.step;
    KEEL_ASSIGN_OR_RETURN(std::string next_status,
                          impl_->NextAfterDecision(*conn, p, r, def, record, to, on_behalf, comment, next_step, closed_tasks, pending));
    std::optional<std::string> decided_at = next_status == "pending" ? std::nullopt : std::optional<std::string>(now);
    KEEL_ASSIGN_OR_RETURN(int64_t changed, repo::AdvanceRequest(*conn, p.tenant_id, id, r.version, next_status, next_step, now, decided_at));
    if (changed != 1) {
      return Status::Error(ErrorKind::kConflict, "approval.changed", "the request changed while you acted; read it again",
                           "审批单在您处理时已被更新，请刷新后重试");
    }
    if (next_status != "pending") KEEL_RETURN_IF_ERROR(impl_->Log(*conn, p.tenant_id, id, 0, 0, next_status, next_step, ""));
    KEEL_RETURN_IF_ERROR(tx.Commit());
    final_status = next_status == "pending" ? "" : next_status;
  }
  impl_->AfterCommit(p.tenant_id, r.object, r.record_id, id, final_status, pending, title);
  if (closed_tasks || !final_status.empty()) impl_->CloseInboxTasks(p.tenant_id, id);
  KEEL_ASSIGN_OR_RETURN(auto conn, impl_->db.Acquire());
  return impl_->Describe(*conn, p.tenant_id, id);
}

Result<ApprovalView> ApprovalEngine::Recall(const Principal& p, int64_t id, const ApprovalAction& a) {
  if (domain::IsReadOnly(p.role)) return Forbidden("read-only roles do not submit or recall approvals", "只读角色不能撤回审批");
  KEEL_RETURN_IF_ERROR(a.problem);
  repo::RequestRow r;
  {
    KEEL_ASSIGN_OR_RETURN(auto conn, impl_->db.Acquire());
    KEEL_ASSIGN_OR_RETURN(auto tx, store::Transaction::Begin(*conn, true));
    KEEL_RETURN_IF_ERROR(events::LockTenant(*conn, p.tenant_id));
    KEEL_ASSIGN_OR_RETURN(std::optional<repo::RequestRow> found, repo::LoadRequest(*conn, p.tenant_id, id));
    if (!found || !impl_->CanSee(*conn, p, p.tenant_id, id)) return Status::NotFound("approval request");
    r = std::move(*found);
    if (!r.submitter_id || *r.submitter_id != p.user_id) {
      return Status::Error(ErrorKind::kForbidden, "approval.not_submitter", "only the submitter may recall a request", "只有提交人可以撤回审批");
    }
    if (r.status != "pending") {
      return Status::Error(ErrorKind::kConflict, "approval.closed", "the request is already " + r.status, "审批单已" + r.status + "，不能撤回", "status");
    }
    std::string now = FormatTimestamp(impl_->clock.NowMs());
    KEEL_ASSIGN_OR_RETURN(int64_t changed, repo::RecallRequest(*conn, p.tenant_id, id, r.version, now));
    if (changed != 1) return Status::Error(ErrorKind::kConflict, "approval.changed", "the request changed; read it again", "审批单已更新，请刷新");
    KEEL_RETURN_IF_ERROR(repo::SkipPendingTasks(*conn, p.tenant_id, id, std::nullopt));
    KEEL_ASSIGN_OR_RETURN(const std::string comment, a.comment);  // read last, as the log line is written
    KEEL_RETURN_IF_ERROR(impl_->Log(*conn, p.tenant_id, id, p.user_id, 0, "recalled", r.step, comment));
    KEEL_RETURN_IF_ERROR(tx.Commit());
  }
  impl_->AfterCommit(p.tenant_id, r.object, r.record_id, id, "recalled", {}, "");
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
    KEEL_ASSIGN_OR_RETURN(std::vector<repo::OverdueTask> overdue, repo::LoadOverdueTasks(*conn, tenant, now));
    std::set<std::pair<int64_t, int64_t>> done;  // (request, step) escalated in this pass
    for (const auto& o : overdue) {
      KEEL_ASSIGN_OR_RETURN(std::optional<std::string> doc, repo::LoadDefinitionDocument(*conn, tenant, o.def_name, o.def_version));
      json def = json::parse(doc.value_or(""));
      const json& s = def["steps"][static_cast<size_t>(o.step)];
      // Only when someone can take over: without escalate_to (or nobody matching), the task stays with its approver.
      if (!s.contains("escalate_to")) continue;
      json record = json::parse(o.snapshot);
      KEEL_ASSIGN_OR_RETURN(std::vector<int64_t> who, impl_->Approvers(*conn, tenant, s["escalate_to"], record, o.submitter_id.value_or(0)));
      if (who.empty()) continue;
      KEEL_RETURN_IF_ERROR(repo::EscalateTask(*conn, tenant, o.task_id, now));
      ++escalated;
      if (done.count({o.request_id, o.step})) continue;
      done.insert({o.request_id, o.step});
      KEEL_RETURN_IF_ERROR(impl_->Log(*conn, tenant, o.request_id, 0, 0, "escalated", o.step, "timeout " + s.value("timeout", "")));
      ApprovalEngine::Impl::Pending pending;
      for (int64_t a : who) {
        KEEL_ASSIGN_OR_RETURN(std::vector<int64_t> ids, conn->AllocateIds(1));
        KEEL_RETURN_IF_ERROR(repo::InsertTask(*conn, tenant, ids[0], o.request_id, o.step, a, std::nullopt, now));
        pending.tasks.push_back({a, s.value("title_zh", "") + "（超时升级）"});
      }
      std::string title = def.value("title_zh", "") + " · " + LabelOf(record, 0);
      after.push_back({o.request_id, o.object, o.record_id, pending, title});
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
