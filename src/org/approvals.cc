#include "org/approvals.h"

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

namespace {

constexpr int64_t kMinuteMs = 60000;


// "30m", "48h", "2d", "1w" → milliseconds; 0 on a malformed text.
int64_t ParseDuration(const std::string& s) {
  if (s.size() < 2) return 0;
  char unit = s.back();
  const std::string number = s.substr(0, s.size() - 1);  // `end` points into it: it must outlive the check
  char* end = nullptr;
  double n = std::strtod(number.c_str(), &end);
  if (*end || n <= 0 || n > 10000) return 0;
  double k = unit == 'm' ? 1 : unit == 'h' ? 60 : unit == 'd' ? 1440 : unit == 'w' ? 10080 : 0;
  return static_cast<int64_t>(n * k * kMinuteMs);
}

// How a record is named in titles: its code, else its name, else its id.
std::string LabelOf(const json& record, int64_t id) {
  if (record.contains("code") && record["code"].is_string()) return record["code"].get<std::string>();
  if (record.contains("name") && record["name"].is_string()) return record["name"].get<std::string>();
  return std::to_string(id);
}

const std::vector<std::string> kObjects = {"quotes",    "contracts", "expenses",  "budget_transfers", "price_changes", "opportunities",
                                           "orders",    "customers", "leads",     "activities",       "feedback"};

// The default discount workflow a tenant starts with.
json DefaultQuoteWorkflow() {
  return {{"name", "quote_discount"},
          {"object", "quotes"},
          {"title_zh", "报价折扣审批"},
          {"title_en", "Quote discount approval"},
          {"steps",
           {{{"name", "unit_lead"}, {"title_zh", "战队负责人审批"}, {"title_en", "Unit lead"}, {"approvers", {{"unit_lead", true}}},
             {"mode", "first"}, {"timeout", "48h"}, {"escalate_to", {{"role", "hq_ops"}}}, {"on_reject", "reject"}},
            {{"name", "hq"}, {"title_zh", "总部运营审批"}, {"title_en", "HQ sales ops"}, {"when", "max_discount_pct > 20 OR total > 500000"},
             {"approvers", {{"role", "hq_ops"}}}, {"mode", "first"}, {"on_reject", "back"}}}}};
}

// The default contract review: the unit lead, then HQ for large contracts.
json DefaultContractWorkflow() {
  return {{"name", "contract_review"},
          {"object", "contracts"},
          {"title_zh", "合同审批"},
          {"title_en", "Contract review"},
          {"steps",
           {{{"name", "unit_lead"}, {"title_zh", "战队负责人审批"}, {"title_en", "Unit lead"}, {"approvers", {{"unit_lead", true}}},
             {"mode", "first"}, {"timeout", "48h"}, {"escalate_to", {{"role", "hq_ops"}}}, {"on_reject", "reject"}},
            {{"name", "hq"}, {"title_zh", "总部审批"}, {"title_en", "HQ"}, {"when", "amount > 1000000"}, {"approvers", {{"role", "hq_ops"}}},
             {"mode", "first"}, {"on_reject", "back"}}}}};
}

// The default expense claim approval: the claimant's manager, the unit lead above 5,000, HQ above 20,000.
json DefaultExpenseWorkflow() {
  return {{"name", "expense_claim"},
          {"object", "expenses"},
          {"title_zh", "费用报销审批"},
          {"title_en", "Expense claim"},
          {"steps",
           {{{"name", "manager"}, {"title_zh", "直属主管审批"}, {"title_en", "Manager"}, {"approvers", {{"manager", true}}},
             {"mode", "first"}, {"timeout", "48h"}, {"escalate_to", {{"unit_lead", true}}}, {"on_reject", "reject"}},
            {{"name", "unit_lead"}, {"title_zh", "战队负责人审批"}, {"title_en", "Unit lead"}, {"when", "total > 5000"},
             {"approvers", {{"unit_lead", true}}}, {"mode", "first"}, {"timeout", "48h"}, {"escalate_to", {{"role", "hq_ops"}}},
             {"on_reject", "back"}},
            {{"name", "hq"}, {"title_zh", "总部财务审批"}, {"title_en", "HQ finance"}, {"when", "total > 20000"}, {"approvers", {{"role", "hq_ops"}}},
             {"mode", "first"}, {"on_reject", "back"}}}}};
}

// Budget transfers beyond a unit's boundary: HQ decides. Started by the transfer's creation.
json DefaultBudgetTransferWorkflow() {
  return {{"name", "budget_transfer"},
          {"object", "budget_transfers"},
          {"title_zh", "预算调剂审批"},
          {"title_en", "Budget transfer"},
          {"trigger", {{"on", {"create"}}, {"fields", {"amount"}}}},
          {"steps",
           {{{"name", "hq"}, {"title_zh", "总部运营审批"}, {"title_en", "HQ sales ops"}, {"approvers", {{"role", "hq_ops"}}}, {"mode", "first"},
             {"timeout", "48h"}, {"escalate_to", {{"role", "admin"}}}, {"on_reject", "reject"}}}}};
}

// Price changes: HQ sales ops, then the admin for a change of more than 10 % either way.
json DefaultPriceChangeWorkflow() {
  return {{"name", "price_change"},
          {"object", "price_changes"},
          {"title_zh", "调价审批"},
          {"title_en", "Price change"},
          {"trigger", {{"on", {"create"}}, {"fields", {"new_price"}}}},
          {"steps",
           {{{"name", "hq"}, {"title_zh", "总部运营审批"}, {"title_en", "HQ sales ops"}, {"approvers", {{"role", "hq_ops"}}}, {"mode", "first"},
             {"timeout", "48h"}, {"escalate_to", {{"role", "admin"}}}, {"on_reject", "reject"}},
            {{"name", "admin"}, {"title_zh", "总经理审批"}, {"title_en", "General manager"}, {"when", "ABS(change_pct) > 10"},
             {"approvers", {{"role", "admin"}}}, {"mode", "first"}, {"on_reject", "back"}}}}};
}

// Objects whose status the approval decides: each goes through its own workflow (a default is
// created on first use), from draft (or rejected) only.
struct OwnWorkflow {
  const char* object;
  const char* name;
  json (*make)();
  bool has_approval_id;
};
const OwnWorkflow kOwnWorkflows[] = {
    {"quotes", "quote_discount", DefaultQuoteWorkflow, true},
    {"contracts", "contract_review", DefaultContractWorkflow, true},
    {"expenses", "expense_claim", DefaultExpenseWorkflow, true},
    {"budget_transfers", "budget_transfer", DefaultBudgetTransferWorkflow, true},
    {"price_changes", "price_change", DefaultPriceChangeWorkflow, true},
};
const OwnWorkflow* OwnOf(const std::string& object) {
  for (const auto& w : kOwnWorkflows) {
    if (object == w.object) return &w;
  }
  return nullptr;
}
const OwnWorkflow* OwnByName(const std::string& name) {
  for (const auto& w : kOwnWorkflows) {
    if (name == w.name) return &w;
  }
  return nullptr;
}

}  // namespace

struct ApprovalEngine::Impl {
  Impl(store::Database& d, domain::RecordService& r, const Clock& c) : db(d), records(r), clock(c) {}
  store::Database& db;
  domain::RecordService& records;
  const Clock& clock;
  Governance* governance = nullptr;
  alerts::AlertEngine* alerts = nullptr;  // grantors hear of grants made on their behalf; null: no notices
  // The timer (escalations, contract lifecycle, the parts' tick hooks): a consumer of no events
  // that ticks every minute.
  struct Timer : events::ConsumerHandler {
    ApprovalEngine* engine = nullptr;
    Status Process(int64_t, std::span<const events::Event>) override { return Status(); }
    void Tick() override { engine->RunTimers(); }
  } timer_handler;
  std::unique_ptr<events::Consumer> timer;
  std::map<std::string, std::vector<DecisionHook>> decision_hooks;
  std::map<std::string, std::vector<TriggerHook>> trigger_hooks;
  std::vector<TickHook> tick_hooks;
  std::mutex hooks_mu;  // guards the hook lists
  int observer = 0;

  // Validates a definition and returns it normalised.
  Result<json> CheckDefinition(const json& body) {
    KEEL_RETURN_IF_ERROR(domain::CheckObject(body, {"name", "object", "title_zh", "title_en", "entry", "steps", "trigger"}));
    std::string name = body.value("name", "");
    bool ok = !name.empty() && name.size() <= 60 && name[0] >= 'a' && name[0] <= 'z' &&
              std::all_of(name.begin(), name.end(), [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'; });
    if (!ok) return Bad("validation.parameter", "name must be a-z, 0-9, _ (at most 60)", "name 应为 a-z、0-9、下划线（不超过 60）", "name");
    std::string object = body.value("object", "");
    if (std::find(kObjects.begin(), kObjects.end(), object) == kObjects.end()) {
      return Bad("validation.enum", "object must be one of: quotes, contracts, expenses, budget_transfers, price_changes, opportunities, orders, customers, leads, activities, feedback",
                 "object 只能取：quotes、contracts、expenses、budget_transfers、price_changes、opportunities、orders、customers、leads、activities、feedback", "object");
    }
    const domain::EntityDef& e = *domain::FindEntity(object);
    json out = {{"name", name}, {"object", object}, {"title_zh", body.value("title_zh", name)}, {"title_en", body.value("title_en", name)},
                {"entry", body.value("entry", "")}, {"steps", json::array()}};
    if (body.contains("entry") && !body["entry"].is_string()) return Bad("validation.type", "entry must be a formula", "entry 应为公式", "entry");
    if (!out["entry"].get<std::string>().empty()) KEEL_RETURN_IF_ERROR(Condition(e, out["entry"], "entry").status());
    if (body.contains("trigger") && !body["trigger"].is_null()) {
      // {on: [create, update], fields: [...]}: started when a record is created, or when one of
      // the named fields changes — by a person (the engine's own updates never start one).
      const json& t = body["trigger"];
      KEEL_RETURN_IF_ERROR(domain::CheckObject(t, {"on", "fields"}).WithFieldPrefix("trigger"));
      json on = t.contains("on") ? t["on"] : json::array({"create"});
      if (on.is_string()) on = json::array({on});
      if (!on.is_array() || on.empty()) return Bad("validation.type", "trigger.on lists create and/or update", "trigger.on 应列出 create 和/或 update", "trigger.on");
      for (const auto& x : on) {
        if (x != "create" && x != "update") return Bad("validation.enum", "trigger.on is create or update", "trigger.on 只能取 create 或 update", "trigger.on");
      }
      json fields = t.value("fields", json::array());
      if (!fields.is_array() || (fields.empty() && std::find(on.begin(), on.end(), "update") != on.end())) {
        return Bad("validation.required", "a trigger on update names the fields it listens to", "按修改触发时须指明监听的字段", "trigger.fields");
      }
      for (size_t i = 0; i < fields.size(); ++i) {
        if (!fields[i].is_string() || e.Field(fields[i].get<std::string>()) == nullptr) {
          return Bad("validation.unknown_field", "trigger.fields[" + std::to_string(i) + "] is not a field of " + object,
                     "trigger.fields[" + std::to_string(i) + "] 不是 " + object + " 的字段", "trigger.fields[" + std::to_string(i) + "]");
        }
      }
      if (object == "quotes" || object == "expenses") {
        return Bad("validation.parameter", object + " start their workflow when they are submitted, not by a trigger",
                   object + " 在提交时发起审批，不能设置触发器", "trigger");
      }
      out["trigger"] = {{"on", on}, {"fields", fields}};
    }
    if (!body.contains("steps") || !body["steps"].is_array() || body["steps"].empty() || body["steps"].size() > 10) {
      return Bad("validation.required", "steps must list 1 to 10 steps", "steps 应包含 1 到 10 个步骤", "steps");
    }
    for (size_t i = 0; i < body["steps"].size(); ++i) {
      const json& s = body["steps"][i];
      std::string at = "steps[" + std::to_string(i) + "]";
      Status st = domain::CheckObject(s, {"name", "title_zh", "title_en", "approvers", "mode", "quorum", "when", "timeout", "escalate_to", "on_reject"});
      if (!st.ok()) return st.WithFieldPrefix(at);
      json step = {{"name", s.value("name", "step" + std::to_string(i + 1))}, {"title_zh", s.value("title_zh", s.value("name", ""))},
                   {"title_en", s.value("title_en", s.value("name", ""))}, {"mode", s.value("mode", "first")},
                   {"when", s.value("when", "")}, {"on_reject", s.value("on_reject", "reject")}};
      if (!s.contains("approvers")) return Bad("validation.required", at + ".approvers is required", at + ".approvers 为必填项", at + ".approvers");
      KEEL_ASSIGN_OR_RETURN(step["approvers"], CheckApprovers(s["approvers"], at + ".approvers"));
      std::string mode = step["mode"];
      if (mode != "first" && mode != "all" && mode != "quorum") {
        return Bad("validation.enum", at + ".mode is first, all or quorum", at + ".mode 取值 first、all 或 quorum", at + ".mode");
      }
      if (mode == "quorum") {
        if (!s.contains("quorum") || !s["quorum"].is_number_integer() || s["quorum"].get<int>() < 1) {
          return Bad("validation.required", at + ".quorum (a count ≥ 1) is required for mode quorum", at + ".quorum 为必填项（≥1）", at + ".quorum");
        }
        step["quorum"] = s["quorum"];
      }
      if (!step["when"].get<std::string>().empty()) KEEL_RETURN_IF_ERROR(Condition(e, step["when"], at + ".when").status());
      if (s.contains("timeout")) {
        if (!s["timeout"].is_string() || ParseDuration(s["timeout"]) == 0) {
          return Bad("validation.parameter", at + ".timeout is a duration like 30m, 48h or 2d", at + ".timeout 应为时长，如 30m、48h、2d", at + ".timeout");
        }
        step["timeout"] = s["timeout"];
        if (s.contains("escalate_to")) {
          KEEL_ASSIGN_OR_RETURN(step["escalate_to"], CheckApprovers(s["escalate_to"], at + ".escalate_to"));
        }
      }
      std::string rej = step["on_reject"];
      if (rej != "reject" && rej != "back") {
        return Bad("validation.enum", at + ".on_reject is reject or back", at + ".on_reject 取值 reject 或 back", at + ".on_reject");
      }
      out["steps"].push_back(step);
    }
    return out;
  }

  Result<json> CheckApprovers(const json& a, const std::string& at) {
    if (!a.is_object() || a.size() != 1) {
      return Bad("validation.parameter", at + " is one of {unit_lead: true}, {role: …}, {manager: true}, {users: [ids]}",
                 at + " 应为 {unit_lead: true}、{role: …}、{manager: true}、{users: [ids]} 之一", at);
    }
    if (a.contains("unit_lead") || a.contains("manager")) return a;
    if (a.contains("role")) {
      if (!a["role"].is_string() || !domain::ParseRole(a["role"].get<std::string>())) {
        return Bad("validation.enum", at + ".role is not a role", at + ".role 不是有效角色", at + ".role");
      }
      return a;
    }
    if (a.contains("users") && a["users"].is_array() && !a["users"].empty()) {
      for (const auto& u : a["users"]) {
        if (!u.is_number_integer()) return Bad("validation.type", at + ".users are user ids", at + ".users 应为用户 ID", at + ".users");
      }
      return a;
    }
    return Bad("validation.parameter", at + " is one of {unit_lead: true}, {role: …}, {manager: true}, {users: [ids]}",
               at + " 应为 {unit_lead: true}、{role: …}、{manager: true}、{users: [ids]} 之一", at);
  }

  // The active definition of `name` (version and body), or NotFound.
  Result<std::pair<int64_t, json>> ActiveDef(store::Connection& conn, int64_t tenant, const std::string& name) {
    Value q[] = {tenant, name};
    KEEL_ASSIGN_OR_RETURN(store::Rows r, conn.Query(
        "SELECT version, definition FROM approval_defs WHERE tenant_id = ? AND name = ? AND status = 'active' ORDER BY version DESC LIMIT 1", q));
    if (r.empty()) return Status::Error(ErrorKind::kNotFound, "approval.no_definition", "no active workflow '" + name + "'",
                                        "没有启用的审批流程 '" + name + "'", "definition");
    return std::make_pair(store::AsInt(r.rows[0][0]), json::parse(store::AsText(r.rows[0][1])));
  }

  // The people who approve a step of a request on `record`, the submitter excluded.
  Result<std::vector<int64_t>> Approvers(store::Connection& conn, int64_t tenant, const json& who, const json& record, int64_t submitter) {
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

  struct Pending {
    std::vector<std::pair<int64_t, std::string>> tasks;  // approver → title, for the inbox tasks written after commit
  };

  Status Log(store::Connection& conn, int64_t tenant, int64_t request, int64_t actor, int64_t on_behalf, const std::string& action,
             int64_t step, const std::string& comment) {
    KEEL_ASSIGN_OR_RETURN(std::vector<int64_t> ids, conn.AllocateIds(1));
    Value q[] = {tenant, ids[0], request, actor ? Value(actor) : Value(), on_behalf ? Value(on_behalf) : Value(), action, step,
                 comment.empty() ? Value() : Value(comment), FormatTimestamp(clock.NowMs())};
    return conn.Exec("INSERT INTO approval_log (tenant_id, id, request_id, actor_id, on_behalf_of, action, step, comment, at) "
                     "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", q).status();
  }

  // Opens the first applicable step at or after `from`; returns the step opened (or steps.size()
  // when none applies: the request is approved).
  Result<int64_t> OpenStep(store::Connection& conn, int64_t tenant, int64_t request, const json& def, const json& record, size_t from,
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
  void AfterCommit(int64_t tenant, const std::string& object, int64_t record, int64_t request, const std::string& status, const Pending& pending,
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
  void CloseInboxTasks(int64_t tenant, int64_t request) {
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

  // The request as the API shows it.
  Result<json> Describe(store::Connection& conn, int64_t tenant, int64_t id) {
    Value q[] = {tenant, id};
    KEEL_ASSIGN_OR_RETURN(store::Rows r, conn.Query(
        "SELECT def_name, def_version, object, record_id, unit_id, submitter_id, status, step, version, snapshot, created_at, "
        "updated_at, decided_at FROM approval_requests WHERE tenant_id = ? AND id = ?", q));
    if (r.empty()) return Status::NotFound("approval request");
    const auto& row = r.rows[0];
    Value dq[] = {tenant, store::AsText(row[0]), store::AsInt(row[1])};
    KEEL_ASSIGN_OR_RETURN(store::Rows d, conn.Query("SELECT definition FROM approval_defs WHERE tenant_id = ? AND name = ? AND version = ?", dq));
    json def = d.empty() ? json::object() : json::parse(store::AsText(d.rows[0][0]));
    json out = {{"id", id}, {"definition", store::AsText(row[0])}, {"definition_version", store::AsInt(row[1])},
                {"title_zh", def.value("title_zh", "")}, {"title_en", def.value("title_en", "")},
                {"object", store::AsText(row[2])}, {"record_id", store::AsInt(row[3])},
                {"unit_id", store::IsNull(row[4]) ? json(nullptr) : json(store::AsInt(row[4]))},
                {"submitter_id", store::IsNull(row[5]) ? json(nullptr) : json(store::AsInt(row[5]))}, {"status", store::AsText(row[6])},
                {"step", store::AsInt(row[7])}, {"version", store::AsInt(row[8])}, {"record", json::parse(store::AsText(row[9]))},
                {"created_at", store::AsText(row[10])}, {"updated_at", store::AsText(row[11])},
                {"decided_at", store::IsNull(row[12]) ? json(nullptr) : json(store::AsText(row[12]))}};
    if (def.contains("steps")) {
      json steps = json::array();
      for (const auto& s : def["steps"]) steps.push_back({{"name", s["name"]}, {"title_zh", s["title_zh"]}, {"title_en", s["title_en"]}, {"mode", s["mode"]}});
      out["steps"] = steps;
    }
    KEEL_ASSIGN_OR_RETURN(store::Rows t, conn.Query(
        "SELECT t.id, t.step, t.approver_id, u.display_name, t.status, t.due_at, t.acted_by, t.acted_at, t.comment FROM approval_tasks t "
        "LEFT JOIN users u ON u.tenant_id = t.tenant_id AND u.id = t.approver_id WHERE t.tenant_id = ? AND t.request_id = ? ORDER BY t.id", q));
    json tasks = json::array();
    for (const auto& x : t.rows) {
      tasks.push_back({{"id", store::AsInt(x[0])}, {"step", store::AsInt(x[1])}, {"approver_id", store::AsInt(x[2])},
                       {"approver", store::IsNull(x[3]) ? json(nullptr) : json(store::AsText(x[3]))}, {"status", store::AsText(x[4])},
                       {"due_at", store::IsNull(x[5]) ? json(nullptr) : json(store::AsText(x[5]))},
                       {"acted_by", store::IsNull(x[6]) ? json(nullptr) : json(store::AsInt(x[6]))},
                       {"acted_at", store::IsNull(x[7]) ? json(nullptr) : json(store::AsText(x[7]))},
                       {"comment", store::IsNull(x[8]) ? json(nullptr) : json(store::AsText(x[8]))}});
    }
    out["tasks"] = tasks;
    KEEL_ASSIGN_OR_RETURN(store::Rows l, conn.Query(
        "SELECT actor_id, on_behalf_of, action, step, comment, at FROM approval_log WHERE tenant_id = ? AND request_id = ? ORDER BY id", q));
    json log = json::array();
    for (const auto& x : l.rows) {
      log.push_back({{"actor_id", store::IsNull(x[0]) ? json(nullptr) : json(store::AsInt(x[0]))},
                     {"on_behalf_of", store::IsNull(x[1]) ? json(nullptr) : json(store::AsInt(x[1]))}, {"action", store::AsText(x[2])},
                     {"step", store::IsNull(x[3]) ? json(nullptr) : json(store::AsInt(x[3]))},
                     {"comment", store::IsNull(x[4]) ? json(nullptr) : json(store::AsText(x[4]))}, {"at", store::AsText(x[5])}});
    }
    out["log"] = log;
    return out;
  }

  // The users whose approvals `user` may act on now (themselves, and active delegations to them
  // whose scope covers `unit`).
  Result<std::vector<int64_t>> ActingFor(store::Connection& conn, int64_t tenant, int64_t user, int64_t unit) {
    std::vector<int64_t> out = {user};
    std::string now = FormatTimestamp(clock.NowMs());
    Value q[] = {tenant, user, now, now};
    KEEL_ASSIGN_OR_RETURN(store::Rows r, conn.Query(
        "SELECT g.grantor_id, u.path FROM grants g LEFT JOIN units u ON u.tenant_id = g.tenant_id AND u.id = g.unit_id WHERE g.tenant_id = ? "
        "AND g.grantee_id = ? AND g.kind = 'approvals' AND g.revoked_at IS NULL AND g.starts_at <= ? AND g.ends_at > ?", q));
    std::string unit_path;
    if (unit) {
      Value uq[] = {tenant, unit};
      KEEL_ASSIGN_OR_RETURN(store::Rows u, conn.Query("SELECT path FROM units WHERE tenant_id = ? AND id = ?", uq));
      if (!u.empty()) unit_path = store::AsText(u.rows[0][0]);
    }
    for (const auto& row : r.rows) {
      bool covers = store::IsNull(row[1]) || (!unit_path.empty() && unit_path.rfind(store::AsText(row[1]), 0) == 0);
      if (covers) out.push_back(store::AsInt(row[0]));
    }
    return out;
  }

  bool CanSee(store::Connection& conn, const Principal& p, int64_t tenant, int64_t id) {
    if (domain::SeesWholeTenant(p.role) || p.is_system()) return true;
    std::string now = FormatTimestamp(clock.NowMs());
    Value q[] = {tenant, id, p.user_id, p.user_id, tenant, p.user_id, now, now};
    auto r = conn.Query("SELECT 1 FROM approval_requests r WHERE r.tenant_id = ? AND r.id = ? AND (r.submitter_id = ? OR EXISTS (SELECT 1 FROM "
                        "approval_tasks t WHERE t.tenant_id = r.tenant_id AND t.request_id = r.id AND (t.approver_id = ? OR t.approver_id IN "
                        "(SELECT grantor_id FROM grants WHERE tenant_id = ? AND grantee_id = ? AND kind = 'approvals' AND revoked_at IS NULL AND "
                        "starts_at <= ? AND ends_at > ?))))", q);
    if (r.ok() && !r->empty()) return true;
    // Whoever sees the record sees its approvals.
    auto rr = conn.Query("SELECT object, record_id FROM approval_requests WHERE tenant_id = ? AND id = ?", std::vector<Value>{tenant, id});
    if (!rr.ok() || rr->empty()) return false;
    return records.Get(p, *domain::FindEntity(store::AsText(rr->rows[0][0])), store::AsInt(rr->rows[0][1])).ok();
  }
};

ApprovalEngine::ApprovalEngine(store::Database& db, domain::RecordService& records, const Clock& clock)
    : impl_(std::make_unique<Impl>(db, records, clock)) {
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
    auto r = (*conn)->Query("SELECT DISTINCT tenant_id FROM approval_tasks WHERE status = 'pending' AND due_at IS NOT NULL UNION "
                            "SELECT DISTINCT tenant_id FROM contracts WHERE status IN ('signed', 'active', 'expiring')");
    if (r.ok()) {
      for (const auto& row : r->rows) tenants.push_back(store::AsInt(row[0]));
    }
  }
  for (int64_t t : tenants) {
    auto n = Tick(t);
    if (!n.ok()) spdlog::warn("approvals: escalation of tenant {} failed: {}", t, n.status().ToString());
    auto c = ContractLifecycle(t);
    if (!c.ok()) spdlog::warn("contracts: lifecycle of tenant {} failed: {}", t, c.status().ToString());
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

Result<json> ApprovalEngine::SaveDefinition(const Principal& p, const json& body) {
  if (!IsHq(p)) return Forbidden("only admin and hq_ops define workflows", "只有管理员和运营可以定义审批流程");
  KEEL_ASSIGN_OR_RETURN(json def, impl_->CheckDefinition(body));
  KEEL_ASSIGN_OR_RETURN(auto conn, impl_->db.Acquire());
  KEEL_ASSIGN_OR_RETURN(auto tx, store::Transaction::Begin(*conn, true));
  KEEL_RETURN_IF_ERROR(events::LockTenant(*conn, p.tenant_id));
  Value q[] = {p.tenant_id, def["name"].get<std::string>()};
  KEEL_ASSIGN_OR_RETURN(store::Rows v, conn->Query("SELECT COALESCE(MAX(version), 0) FROM approval_defs WHERE tenant_id = ? AND name = ?", q));
  int64_t version = store::AsInt(v.rows[0][0]) + 1;
  static const domain::VersionedKind kKind{"approval_defs", "approval.exists", "workflow", "审批流程"};
  KEEL_ASSIGN_OR_RETURN(json before, domain::ActiveVersion(*conn, kKind, p.tenant_id, def["name"].get<std::string>()));
  // Running requests keep the version they started with; new ones take this one.
  KEEL_RETURN_IF_ERROR(conn->Exec("UPDATE approval_defs SET status = 'superseded' WHERE tenant_id = ? AND name = ? AND status = 'active'", q).status());
  Value ins[] = {p.tenant_id, def["name"].get<std::string>(), version, def.dump(), FormatTimestamp(impl_->clock.NowMs()),
                 p.user_id ? Value(p.user_id) : Value()};
  KEEL_RETURN_IF_ERROR(conn->Exec("INSERT INTO approval_defs (tenant_id, name, version, status, definition, created_at, created_by) "
                                  "VALUES (?, ?, ?, 'active', ?, ?, ?)", ins).status());
  def["version"] = version;
  def["status"] = "active";
  KEEL_RETURN_IF_ERROR(domain::AuditChange(*conn, p, impl_->clock.NowMs(), {before.is_null() ? "create" : "update", "approval_defs", 0, before, def}));
  KEEL_RETURN_IF_ERROR(tx.Commit());
  return def;
}

Result<json> ApprovalEngine::Definitions(const Principal& p) {
  KEEL_ASSIGN_OR_RETURN(auto conn, impl_->db.Acquire());
  Value q[] = {p.tenant_id};
  KEEL_ASSIGN_OR_RETURN(store::Rows r, conn->Query(
      "SELECT name, version, definition, created_at FROM approval_defs WHERE tenant_id = ? AND status = 'active' ORDER BY name", q));
  json items = json::array();
  for (const auto& row : r.rows) {
    json d = json::parse(store::AsText(row[2]));
    d["version"] = store::AsInt(row[1]);
    d["created_at"] = store::AsText(row[3]);
    items.push_back(d);
  }
  return json{{"items", items}};
}

Result<json> ApprovalEngine::Definition(const Principal& p, const std::string& name) {
  KEEL_ASSIGN_OR_RETURN(auto conn, impl_->db.Acquire());
  Value q[] = {p.tenant_id, name};
  KEEL_ASSIGN_OR_RETURN(store::Rows r, conn->Query(
      "SELECT version, status, definition, created_at FROM approval_defs WHERE tenant_id = ? AND name = ? ORDER BY version DESC", q));
  if (r.empty()) return Status::NotFound("workflow");
  json versions = json::array();
  for (const auto& row : r.rows) {
    versions.push_back({{"version", store::AsInt(row[0])}, {"status", store::AsText(row[1])}, {"created_at", store::AsText(row[3])},
                        {"definition", json::parse(store::AsText(row[2]))}});
  }
  return json{{"name", name}, {"versions", versions}};
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

Result<json> ApprovalEngine::Get(const Principal& p, int64_t id) {
  KEEL_ASSIGN_OR_RETURN(auto conn, impl_->db.Acquire());
  if (!impl_->CanSee(*conn, p, p.tenant_id, id)) return Status::NotFound("approval request");
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

Result<json> ApprovalEngine::Inbox(const Principal& p, const std::string& status, int limit) {
  if (status != "pending" && status != "decided" && status != "submitted") {
    return Status::Invalid("validation.enum", "status is pending, decided or submitted", "status 取值 pending、decided 或 submitted", "status");
  }
  if (limit < 1 || limit > 500) return Status::Invalid("validation.range", "limit is 1-500", "limit 须为 1-500", "limit");
  KEEL_ASSIGN_OR_RETURN(auto conn, impl_->db.Acquire());
  std::string now = FormatTimestamp(impl_->clock.NowMs());
  // What a list shows of the record as it was submitted, whatever its object.
  auto summary = [](const json& rec) {
    json out = {{"code", rec.value("code", json(nullptr))}, {"name", rec.value("name", json(nullptr))},
                {"total", rec.value("total", json(nullptr))}, {"discount_pct", rec.value("discount_pct", json(nullptr))},
                {"max_discount_pct", rec.value("max_discount_pct", json(nullptr))}};
    for (const char* k : {"title", "amount", "category", "reason", "product_id", "old_price", "new_price", "from_budget_id",
                          "to_budget_id", "discount_total"}) {
      if (rec.contains(k)) out[k] = rec[k];
    }
    return out;
  };
  if (status != "pending") {
    // Requests I decided (a task I acted on, for myself or on someone's behalf), or that I submitted.
    std::string sql =
        "SELECT r.id, r.def_name, r.object, r.record_id, r.submitter_id, r.snapshot, r.created_at, r.status, r.decided_at, r.version, "
        "(SELECT t.status FROM approval_tasks t WHERE t.tenant_id = r.tenant_id AND t.request_id = r.id AND t.acted_by = ? "
        "ORDER BY t.id DESC LIMIT 1), "
        "(SELECT t.acted_at FROM approval_tasks t WHERE t.tenant_id = r.tenant_id AND t.request_id = r.id AND t.acted_by = ? "
        "ORDER BY t.id DESC LIMIT 1) "
        "FROM approval_requests r WHERE r.tenant_id = ? AND ";
    sql += status == "decided"
               ? "EXISTS (SELECT 1 FROM approval_tasks t WHERE t.tenant_id = r.tenant_id AND t.request_id = r.id AND t.acted_by = ? "
                 "AND t.status IN ('approved', 'rejected'))"
               : "r.submitter_id = ?";
    sql += " ORDER BY r.id DESC LIMIT ?";
    Value q[] = {p.user_id, p.user_id, p.tenant_id, p.user_id, int64_t{limit}};
    KEEL_ASSIGN_OR_RETURN(store::Rows r, conn->Query(sql, q));
    json items = json::array();
    for (const auto& row : r.rows) {
      json rec = json::parse(store::AsText(row[5]));
      auto text = [&](size_t i) { return store::IsNull(row[i]) ? json(nullptr) : json(store::AsText(row[i])); };
      items.push_back({{"request_id", store::AsInt(row[0])}, {"definition", store::AsText(row[1])}, {"object", store::AsText(row[2])},
                       {"record_id", store::AsInt(row[3])}, {"submitter_id", store::IsNull(row[4]) ? json(nullptr) : json(store::AsInt(row[4]))},
                       {"summary", summary(rec)}, {"submitted_at", store::AsText(row[6])}, {"status", store::AsText(row[7])},
                       {"decided_at", text(8)}, {"version", store::AsInt(row[9])}, {"my_decision", text(10)}, {"my_decision_at", text(11)}});
    }
    return json{{"items", items}};
  }
  Value q[] = {p.tenant_id, p.user_id, p.tenant_id, p.user_id, now, now};
  KEEL_ASSIGN_OR_RETURN(store::Rows r, conn->Query(
      "SELECT t.id, t.request_id, t.step, t.approver_id, t.due_at, r.def_name, r.object, r.record_id, r.unit_id, r.submitter_id, "
      "r.snapshot, r.created_at, r.version FROM approval_tasks t JOIN approval_requests r ON r.tenant_id = t.tenant_id AND r.id = t.request_id "
      "WHERE t.tenant_id = ? AND t.status = 'pending' AND r.status = 'pending' AND (t.approver_id = ? OR t.approver_id IN (SELECT grantor_id FROM "
      "grants WHERE tenant_id = ? AND grantee_id = ? AND kind = 'approvals' AND revoked_at IS NULL AND starts_at <= ? AND ends_at > ?)) "
      "ORDER BY t.id", q));
  json items = json::array();
  for (const auto& row : r.rows) {
    int64_t approver = store::AsInt(row[3]);
    int64_t unit = store::IsNull(row[8]) ? 0 : store::AsInt(row[8]);
    if (!store::IsNull(row[9]) && store::AsInt(row[9]) == p.user_id) continue;  // one's own request, delegated back
    if (approver != p.user_id) {
      // Delegated: only within the grant's unit scope.
      KEEL_ASSIGN_OR_RETURN(std::vector<int64_t> acting, impl_->ActingFor(*conn, p.tenant_id, p.user_id, unit));
      if (std::find(acting.begin(), acting.end(), approver) == acting.end()) continue;
    }
    json rec = json::parse(store::AsText(row[10]));
    items.push_back({{"task_id", store::AsInt(row[0])}, {"request_id", store::AsInt(row[1])}, {"step", store::AsInt(row[2])},
                     {"on_behalf_of", approver == p.user_id ? json(nullptr) : json(approver)},
                     {"due_at", store::IsNull(row[4]) ? json(nullptr) : json(store::AsText(row[4]))},
                     {"overdue", !store::IsNull(row[4]) && store::AsText(row[4]) < now}, {"definition", store::AsText(row[5])},
                     {"object", store::AsText(row[6])}, {"record_id", store::AsInt(row[7])},
                     {"submitter_id", store::IsNull(row[9]) ? json(nullptr) : json(store::AsInt(row[9]))},
                     {"summary", summary(rec)},
                     {"submitted_at", store::AsText(row[11])}, {"version", store::AsInt(row[12])}});
  }
  return json{{"items", items}};
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

// ---- Grants ----

namespace {

struct Person {
  std::string name, role;
  int64_t unit_id = 0;
};

Result<Person> PersonOf(store::Connection& conn, int64_t tenant, int64_t user) {
  Value q[] = {tenant, user};
  KEEL_ASSIGN_OR_RETURN(store::Rows r, conn.Query("SELECT display_name, username, role, unit_id FROM users WHERE tenant_id = ? AND id = ?", q));
  if (r.empty()) return Person{"#" + std::to_string(user), "", 0};
  std::string name = store::AsText(r.rows[0][0]);
  return Person{name.empty() ? store::AsText(r.rows[0][1]) : name, store::AsText(r.rows[0][2]), store::AsInt(r.rows[0][3])};
}

json GrantRow(const store::Rows& r, size_t i) {
  const auto& row = r.rows[i];
  auto text = [&](const char* c) { int k = r.Column(c); return store::IsNull(row[k]) ? json(nullptr) : json(store::AsText(row[k])); };
  auto num = [&](const char* c) { int k = r.Column(c); return store::IsNull(row[k]) ? json(nullptr) : json(store::AsInt(row[k])); };
  return {{"id", num("id")}, {"grantor_id", num("grantor_id")}, {"grantee_id", num("grantee_id")}, {"kind", text("kind")},
          {"unit_id", num("unit_id")}, {"starts_at", text("starts_at")}, {"ends_at", text("ends_at")}, {"reason", text("reason")},
          {"created_at", text("created_at")}, {"created_by", num("created_by")}, {"revoked_at", text("revoked_at")}};
}

}  // namespace

void ApprovalEngine::SetAlerts(alerts::AlertEngine* alerts) { impl_->alerts = alerts; }

Result<json> ApprovalEngine::CreateGrant(const Principal& p, const json& body) {
  if (domain::IsReadOnly(p.role)) return Forbidden("read-only roles do not delegate", "只读角色不能委托");
  KEEL_RETURN_IF_ERROR(domain::CheckObject(body, {"grantee_id", "grantor_id", "unit_id", "starts_at", "ends_at", "reason"}));
  int64_t grantor = body.value("grantor_id", json(p.user_id)).is_number_integer() ? body.value("grantor_id", p.user_id) : -1;
  // Delegating someone else's approvals lets the grantee act as them: an admin's decision
  // (hq_ops could otherwise hand themselves anyone's authority), audited and told to the grantor.
  if (grantor != p.user_id && p.role != domain::Role::kAdmin) {
    return Status::Error(ErrorKind::kForbidden, "grant.on_behalf", "only an admin may delegate someone else's approvals; delegate your own",
                         "只有管理员可以代他人委托审批权；您只能委托自己的审批权", "grantor_id");
  }
  if (!body.contains("grantee_id") || !body["grantee_id"].is_number_integer()) {
    return Bad("validation.required", "grantee_id is required", "grantee_id 为必填项", "grantee_id");
  }
  int64_t grantee = body["grantee_id"].get<int64_t>();
  if (grantee == grantor) return Bad("validation.parameter", "a user cannot delegate to themselves", "不能委托给自己", "grantee_id");
  TimeMs now = impl_->clock.NowMs(), starts = now, ends = 0;
  if (body.contains("starts_at")) {
    auto t = body["starts_at"].is_string() ? ParseTimestamp(body["starts_at"].get<std::string>()) : Result<TimeMs>(Status::Internal(""));
    if (!t.ok()) return Bad("validation.type", "starts_at is an ISO-8601 time with a zone", "starts_at 应为带时区的 ISO-8601 时间", "starts_at");
    starts = *t;
  }
  auto e = body.contains("ends_at") && body["ends_at"].is_string() ? ParseTimestamp(body["ends_at"].get<std::string>()) : Result<TimeMs>(Status::Internal(""));
  if (!e.ok()) return Bad("validation.required", "ends_at (an ISO-8601 time with a zone) is required: a grant ends by itself",
                          "ends_at 为必填项（带时区的 ISO-8601 时间）：委托须自动到期", "ends_at");
  ends = *e;
  if (ends <= starts || ends - starts > 90LL * 86400000) {
    return Bad("validation.range", "ends_at must be after starts_at and within 90 days", "ends_at 须晚于 starts_at 且不超过 90 天", "ends_at");
  }
  auto reason_it = body.find("reason");
  if (reason_it != body.end() && !reason_it->is_null() && (!reason_it->is_string() || reason_it->get_ref<const std::string&>().size() > 500)) {
    return Bad("validation.type", "reason is a text of at most 500 bytes", "reason 应为不超过 500 字节的文本", "reason");
  }
  std::string reason = reason_it != body.end() && reason_it->is_string() ? reason_it->get<std::string>() : "";
  KEEL_ASSIGN_OR_RETURN(auto conn, impl_->db.Acquire());
  for (int64_t u : {grantor, grantee}) {
    Value q[] = {p.tenant_id, u};
    KEEL_ASSIGN_OR_RETURN(store::Rows r, conn->Query("SELECT 1 FROM users WHERE tenant_id = ? AND id = ? AND archived_at IS NULL", q));
    if (r.empty()) return Bad("validation.reference", "no user " + std::to_string(u) + " in this tenant", "本租户没有用户 " + std::to_string(u),
                              u == grantee ? "grantee_id" : "grantor_id");
  }
  int64_t unit = 0;
  if (body.contains("unit_id") && !body["unit_id"].is_null()) {
    if (!body["unit_id"].is_number_integer()) return Bad("validation.type", "unit_id is a unit id", "unit_id 应为单元 ID", "unit_id");
    unit = body["unit_id"].get<int64_t>();
    Value q[] = {p.tenant_id, unit};
    KEEL_ASSIGN_OR_RETURN(store::Rows r, conn->Query("SELECT path FROM units WHERE tenant_id = ? AND id = ?", q));
    if (r.empty() || (!IsHq(p) && store::AsText(r.rows[0][0]).rfind(p.unit_path, 0) != 0)) {
      return Bad("validation.reference", "unit_id is not a unit in your part of the organisation", "unit_id 不在您的管辖范围内", "unit_id");
    }
  }
  KEEL_ASSIGN_OR_RETURN(auto tx, store::Transaction::Begin(*conn));
  KEEL_RETURN_IF_ERROR(events::LockTenant(*conn, p.tenant_id));
  KEEL_ASSIGN_OR_RETURN(std::vector<int64_t> ids, conn->AllocateIds(1));
  Value ins[] = {p.tenant_id, ids[0], grantor, grantee, std::string("approvals"), unit ? Value(unit) : Value(), FormatTimestamp(starts),
                 FormatTimestamp(ends), reason, FormatTimestamp(now), p.user_id ? Value(p.user_id) : Value()};
  KEEL_RETURN_IF_ERROR(conn->Exec("INSERT INTO grants (tenant_id, id, grantor_id, grantee_id, kind, unit_id, starts_at, ends_at, reason, "
                                  "created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", ins).status());
  json out = {{"id", ids[0]}, {"grantor_id", grantor}, {"grantee_id", grantee}, {"kind", "approvals"}, {"unit_id", unit ? json(unit) : json(nullptr)},
              {"starts_at", FormatTimestamp(starts)}, {"ends_at", FormatTimestamp(ends)}, {"reason", reason}};
  json recorded = out;
  recorded["created_by"] = p.user_id;
  recorded["on_behalf"] = grantor != p.user_id;
  KEEL_RETURN_IF_ERROR(RecordChange(*conn, p, now, "grant.created", "grants", ids[0], recorded));
  Person by, from, to;
  if (grantor != p.user_id) {
    KEEL_ASSIGN_OR_RETURN(by, PersonOf(*conn, p.tenant_id, p.user_id));
    KEEL_ASSIGN_OR_RETURN(from, PersonOf(*conn, p.tenant_id, grantor));
    KEEL_ASSIGN_OR_RETURN(to, PersonOf(*conn, p.tenant_id, grantee));
  }
  KEEL_RETURN_IF_ERROR(tx.Commit());
  if (grantor != p.user_id && impl_->alerts != nullptr) {
    // The grantor hears of it in their inbox. After the commit: the grant and its audit row stand
    // even if the notice cannot be written, which is logged.
    if (p.is_system()) by.name = "system";
    alerts::AlertEngine::Raised a;
    a.rule = "grant.on_behalf";
    a.key = "grant:" + std::to_string(ids[0]);
    a.label_zh = "他人代您委托了审批权";
    a.label_en = "Your approvals were delegated on your behalf";
    a.summary_zh = by.name + "（" + by.role + "）代您将审批权委托给 " + to.name + "，" + FormatTimestamp(starts) + " 至 " +
                   FormatTimestamp(ends) + "（委托 #" + std::to_string(ids[0]) + "）；如非您本意，请撤销";
    a.summary_en = by.name + " (" + by.role + ") delegated your approvals to " + to.name + " from " + FormatTimestamp(starts) + " until " +
                   FormatTimestamp(ends) + " (grant #" + std::to_string(ids[0]) + "); revoke it if you did not ask for it";
    a.severity = alerts::Severity::kInfo;
    a.labels = {{"grant", {{"value", std::to_string(ids[0])}, {"name", "#" + std::to_string(ids[0])}}}};
    a.unit_id = from.unit_id;
    a.owner_id = grantor;
    a.notify = "owner";
    auto raised = impl_->alerts->Raise(p.tenant_id, a);
    if (!raised.ok()) spdlog::error("grant {}: the grantor {} was not notified: {}", ids[0], grantor, raised.status().ToString());
  }
  return out;
}

Result<json> ApprovalEngine::Grants(const Principal& p) {
  KEEL_ASSIGN_OR_RETURN(auto conn, impl_->db.Acquire());
  std::vector<Value> q = {p.tenant_id};
  std::string sql = "SELECT id, grantor_id, grantee_id, kind, unit_id, starts_at, ends_at, reason, revoked_at, created_by FROM grants WHERE tenant_id = ?";
  if (!domain::SeesWholeTenant(p.role) && !p.is_system()) {
    sql += " AND (grantor_id = ? OR grantee_id = ?)";
    q.push_back(p.user_id);
    q.push_back(p.user_id);
  }
  KEEL_ASSIGN_OR_RETURN(store::Rows r, conn->Query(sql + " ORDER BY id DESC LIMIT 500", q));
  std::string now = FormatTimestamp(impl_->clock.NowMs());
  json items = json::array();
  for (const auto& row : r.rows) {
    bool active = store::IsNull(row[8]) && store::AsText(row[5]) <= now && store::AsText(row[6]) > now;
    items.push_back({{"id", store::AsInt(row[0])}, {"grantor_id", store::AsInt(row[1])}, {"grantee_id", store::AsInt(row[2])},
                     {"kind", store::AsText(row[3])}, {"unit_id", store::IsNull(row[4]) ? json(nullptr) : json(store::AsInt(row[4]))},
                     {"starts_at", store::AsText(row[5])}, {"ends_at", store::AsText(row[6])}, {"reason", store::AsText(row[7])},
                     {"revoked_at", store::IsNull(row[8]) ? json(nullptr) : json(store::AsText(row[8]))},
                     {"created_by", store::IsNull(row[9]) ? json(nullptr) : json(store::AsInt(row[9]))},
                     {"active", active}});
  }
  return json{{"items", items}};
}

Result<json> ApprovalEngine::RevokeGrant(const Principal& p, int64_t id) {
  KEEL_ASSIGN_OR_RETURN(auto conn, impl_->db.Acquire());
  KEEL_ASSIGN_OR_RETURN(auto tx, store::Transaction::Begin(*conn));
  KEEL_RETURN_IF_ERROR(events::LockTenant(*conn, p.tenant_id));
  Value q[] = {p.tenant_id, id};
  KEEL_ASSIGN_OR_RETURN(store::Rows r, conn->Query("SELECT * FROM grants WHERE tenant_id = ? AND id = ?", q));
  if (r.empty()) return Status::NotFound("grant");
  json before = GrantRow(r, 0);
  if (before["grantor_id"].get<int64_t>() != p.user_id && !IsHq(p)) return Forbidden("only the grantor or HQ may revoke a grant", "只有委托人或总部可以撤销委托");
  if (before["revoked_at"].is_null()) {
    TimeMs now = impl_->clock.NowMs();
    Value up[] = {FormatTimestamp(now), p.tenant_id, id};
    KEEL_RETURN_IF_ERROR(conn->Exec("UPDATE grants SET revoked_at = ? WHERE tenant_id = ? AND id = ? AND revoked_at IS NULL", up).status());
    json after = before;
    after["revoked_at"] = FormatTimestamp(now);
    KEEL_RETURN_IF_ERROR(RecordChange(*conn, p, now, "grant.revoked", "grants", id, after, before));
  }
  KEEL_RETURN_IF_ERROR(tx.Commit());
  return json{{"id", id}, {"revoked", true}};
}

// ---- Pricing authority ----

Result<json> ApprovalEngine::SaveAuthority(const Principal& p, const json& body) {
  if (!IsHq(p)) return Forbidden("only HQ sets pricing authority", "只有总部可以设置定价权限");
  KEEL_RETURN_IF_ERROR(domain::CheckObject(body, {"unit_id", "role", "category_prefix", "min_amount", "max_discount_pct"}));
  if (!body.contains("unit_id") || !body["unit_id"].is_number_integer()) return Bad("validation.required", "unit_id is required", "unit_id 为必填项", "unit_id");
  if (!body.contains("max_discount_pct") || !body["max_discount_pct"].is_number() || body["max_discount_pct"].get<double>() < 0 ||
      body["max_discount_pct"].get<double>() > 100) {
    return Bad("validation.range", "max_discount_pct is 0 to 100", "max_discount_pct 应为 0 到 100", "max_discount_pct");
  }
  std::string role = body.value("role", json("")).is_string() ? body.value("role", "") : "?";
  if (!role.empty() && !domain::ParseRole(role)) return Bad("validation.enum", "role is not a role", "role 不是有效角色", "role");
  double min_amount = body.value("min_amount", json(0.0)).is_number() ? body.value("min_amount", 0.0) : -1;
  if (min_amount < 0 || min_amount > 1e12) return Bad("validation.range", "min_amount is 0 to 1e12 yuan", "min_amount 应为 0 到 1e12 元", "min_amount");
  std::string prefix = body.value("category_prefix", json("")).is_string() ? body.value("category_prefix", "") : "";
  KEEL_ASSIGN_OR_RETURN(auto conn, impl_->db.Acquire());
  Value uq[] = {p.tenant_id, body["unit_id"].get<int64_t>()};
  KEEL_ASSIGN_OR_RETURN(store::Rows u, conn->Query("SELECT 1 FROM units WHERE tenant_id = ? AND id = ?", uq));
  if (u.empty()) return Bad("validation.reference", "no such unit in this tenant", "本租户没有该单元", "unit_id");
  KEEL_ASSIGN_OR_RETURN(auto tx, store::Transaction::Begin(*conn));
  KEEL_RETURN_IF_ERROR(events::LockTenant(*conn, p.tenant_id));
  KEEL_ASSIGN_OR_RETURN(std::vector<int64_t> ids, conn->AllocateIds(1));
  const TimeMs now = impl_->clock.NowMs();
  Value ins[] = {p.tenant_id, ids[0], body["unit_id"].get<int64_t>(), role.empty() ? Value() : Value(role), prefix.empty() ? Value() : Value(prefix),
                 static_cast<int64_t>(std::llround(min_amount * 100)), body["max_discount_pct"].get<double>(), FormatTimestamp(now),
                 p.user_id ? Value(p.user_id) : Value()};
  KEEL_RETURN_IF_ERROR(conn->Exec("INSERT INTO pricing_authority (tenant_id, id, unit_id, role, category_prefix, min_amount, max_discount_pct, "
                                  "created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", ins).status());
  json out = {{"id", ids[0]}, {"unit_id", body["unit_id"]}, {"role", role.empty() ? json(nullptr) : json(role)},
              {"category_prefix", prefix.empty() ? json(nullptr) : json(prefix)}, {"min_amount", min_amount},
              {"max_discount_pct", body["max_discount_pct"]}};
  KEEL_RETURN_IF_ERROR(domain::AuditChange(*conn, p, now, {"create", "pricing_authority", ids[0], nullptr, out}));
  KEEL_RETURN_IF_ERROR(tx.Commit());
  return out;
}

Result<json> ApprovalEngine::Authorities(const Principal& p) {
  KEEL_ASSIGN_OR_RETURN(auto conn, impl_->db.Acquire());
  Value q[] = {p.tenant_id};
  KEEL_ASSIGN_OR_RETURN(store::Rows r, conn->Query(
      "SELECT a.id, a.unit_id, un.name, a.role, a.category_prefix, a.min_amount, a.max_discount_pct FROM pricing_authority a JOIN units un ON "
      "un.tenant_id = a.tenant_id AND un.id = a.unit_id WHERE a.tenant_id = ? AND a.archived_at IS NULL ORDER BY un.path, a.min_amount", q));
  json items = json::array();
  for (const auto& row : r.rows) {
    items.push_back({{"id", store::AsInt(row[0])}, {"unit_id", store::AsInt(row[1])}, {"unit", store::AsText(row[2])},
                     {"role", store::IsNull(row[3]) ? json(nullptr) : json(store::AsText(row[3]))},
                     {"category_prefix", store::IsNull(row[4]) ? json(nullptr) : json(store::AsText(row[4]))},
                     {"min_amount", static_cast<double>(store::AsInt(row[5])) / 100.0}, {"max_discount_pct", store::AsDouble(row[6])}});
  }
  return json{{"items", items}};
}

Result<json> ApprovalEngine::ArchiveAuthority(const Principal& p, int64_t id) {
  if (!IsHq(p)) return Forbidden("only HQ sets pricing authority", "只有总部可以设置定价权限");
  KEEL_ASSIGN_OR_RETURN(auto conn, impl_->db.Acquire());
  KEEL_ASSIGN_OR_RETURN(auto tx, store::Transaction::Begin(*conn));
  KEEL_RETURN_IF_ERROR(events::LockTenant(*conn, p.tenant_id));
  Value sel[] = {p.tenant_id, id};
  KEEL_ASSIGN_OR_RETURN(store::Rows r, conn->Query("SELECT unit_id, role, category_prefix, min_amount, max_discount_pct FROM pricing_authority "
                                                   "WHERE tenant_id = ? AND id = ? AND archived_at IS NULL", sel));
  if (r.empty()) return Status::NotFound("pricing authority rule");
  const auto& row = r.rows[0];
  json before = {{"id", id}, {"unit_id", store::AsInt(row[0])}, {"role", store::IsNull(row[1]) ? json(nullptr) : json(store::AsText(row[1]))},
                 {"category_prefix", store::IsNull(row[2]) ? json(nullptr) : json(store::AsText(row[2]))},
                 {"min_amount", static_cast<double>(store::AsInt(row[3])) / 100.0}, {"max_discount_pct", store::AsDouble(row[4])}};
  const TimeMs now = impl_->clock.NowMs();
  Value q[] = {FormatTimestamp(now), p.tenant_id, id};
  KEEL_RETURN_IF_ERROR(conn->Exec("UPDATE pricing_authority SET archived_at = ? WHERE tenant_id = ? AND id = ? AND archived_at IS NULL", q).status());
  json after = before;
  after["archived_at"] = FormatTimestamp(now);
  KEEL_RETURN_IF_ERROR(domain::AuditChange(*conn, p, now, {"archive", "pricing_authority", id, before, after}));
  KEEL_RETURN_IF_ERROR(tx.Commit());
  return json{{"id", id}, {"archived", true}};
}

Result<json> ApprovalEngine::CheckQuote(const Principal& p, int64_t quote_id) {
  KEEL_ASSIGN_OR_RETURN(json quote, impl_->records.Get(p, *domain::FindEntity("quotes"), quote_id));
  KEEL_ASSIGN_OR_RETURN(auto conn, impl_->db.Acquire());
  // Who decides the price: the quote's owner, in the quote's unit.
  int64_t owner = quote["owner_id"].is_number() ? quote["owner_id"].get<int64_t>() : p.user_id;
  int64_t unit = quote["unit_id"].is_number() ? quote["unit_id"].get<int64_t>() : 0;
  Value oq[] = {p.tenant_id, owner};
  KEEL_ASSIGN_OR_RETURN(store::Rows o, conn->Query("SELECT role FROM users WHERE tenant_id = ? AND id = ?", oq));
  std::string role = o.empty() ? "rep" : store::AsText(o.rows[0][0]);
  Value uq[] = {p.tenant_id, unit};
  KEEL_ASSIGN_OR_RETURN(store::Rows up, conn->Query("SELECT path FROM units WHERE tenant_id = ? AND id = ?", uq));
  std::string path = up.empty() ? "/" : store::AsText(up.rows[0][0]);
  Value rq[] = {p.tenant_id};
  KEEL_ASSIGN_OR_RETURN(store::Rows rules, conn->Query(
      "SELECT a.id, u.path, a.role, a.category_prefix, a.min_amount, a.max_discount_pct FROM pricing_authority a JOIN units u ON "
      "u.tenant_id = a.tenant_id AND u.id = a.unit_id WHERE a.tenant_id = ? AND a.archived_at IS NULL", rq));
  int64_t total = static_cast<int64_t>(std::llround(quote["total"].get<double>() * 100));
  json checks = json::array();
  bool within = true;
  for (const auto& line : quote["lines"]) {
    Value pq[] = {p.tenant_id, line["product_id"].get<int64_t>()};
    KEEL_ASSIGN_OR_RETURN(store::Rows prod, conn->Query("SELECT category_path, sku FROM products WHERE tenant_id = ? AND id = ?", pq));
    std::string category = prod.empty() ? "" : store::AsText(prod.rows[0][0]);
    // The most specific rule: the deepest unit on the quote's path, then a role-specific one, then the
    // longest category prefix, then the largest deal-size threshold the quote reaches.
    const store::Value* best = nullptr;
    std::tuple<size_t, int, size_t, int64_t> best_key{0, 0, 0, -1};
    double max_disc = 5.0;  // without any rule: 5 %
    int64_t rule_id = 0;
    for (const auto& r : rules.rows) {
      std::string rp = store::AsText(r[1]);
      if (path.rfind(rp, 0) != 0) continue;
      if (!store::IsNull(r[2]) && store::AsText(r[2]) != role) continue;
      std::string prefix = store::IsNull(r[3]) ? "" : store::AsText(r[3]);
      if (!prefix.empty() && category.rfind(prefix, 0) != 0) continue;
      if (store::AsInt(r[4]) > total) continue;
      std::tuple<size_t, int, size_t, int64_t> key{rp.size(), store::IsNull(r[2]) ? 0 : 1, prefix.size(), store::AsInt(r[4])};
      if (!best || key > best_key) {
        best = &r[0];
        best_key = key;
        max_disc = store::AsDouble(r[5]);
        rule_id = store::AsInt(r[0]);
      }
    }
    double disc = line["discount_pct"].is_number() ? line["discount_pct"].get<double>() : 0;
    bool ok = disc <= max_disc + 1e-9;
    within = within && ok;
    checks.push_back({{"line_no", line["line_no"]}, {"product_id", line["product_id"]}, {"category", category},
                      {"discount_pct", disc}, {"max_discount_pct", max_disc}, {"rule_id", rule_id ? json(rule_id) : json(nullptr)},
                      {"within", ok}});
  }
  return json{{"quote_id", quote_id}, {"role", role}, {"within_authority", within}, {"lines", checks}};
}

Result<json> ApprovalEngine::SubmitQuote(const Principal& p, int64_t quote_id, const json& body) {
  if (domain::IsReadOnly(p.role)) return Forbidden("read-only roles do not submit quotes", "只读角色不能提交报价");
  KEEL_RETURN_IF_ERROR(domain::CheckObject(body, {"comment", "override_reason"}));
  if (body.contains("override_reason") && !body["override_reason"].is_string()) {
    return Bad("validation.type", "override_reason must be text", "override_reason 应为文本", "override_reason");
  }
  KEEL_ASSIGN_OR_RETURN(json quote, impl_->records.Get(p, *domain::FindEntity("quotes"), quote_id));
  std::string status = quote.value("status", "");
  if (status != "draft" && status != "rejected") {
    return Status::Error(ErrorKind::kConflict, "quote.status", "only a draft (or rejected) quote can be submitted; this one is " + status,
                         "只有草稿（或已驳回）的报价单可以提交；当前状态为 " + status, "status");
  }
  json compliance = {{"flags", json::array()}, {"overrides", json::array()}};
  if (impl_->governance) {
    KEEL_ASSIGN_OR_RETURN(compliance, impl_->governance->Check(p, "quotes", "submit", quote_id, quote, body.value("override_reason", "")));
  }
  KEEL_ASSIGN_OR_RETURN(json check, CheckQuote(p, quote_id));
  if (check["within_authority"].get<bool>()) {
    auto sys = Principal::System(p.tenant_id);
    KEEL_ASSIGN_OR_RETURN(json updated, impl_->records.Update(sys, *domain::FindEntity("quotes"), quote_id, {{"status", "approved"}}));
    return json{{"status", "approved"}, {"within_authority", true}, {"check", check}, {"quote", updated}, {"compliance", compliance}};
  }
  json submit = {{"object", "quotes"}, {"record_id", quote_id}, {"definition", "quote_discount"}};
  if (body.contains("comment")) submit["comment"] = body["comment"];
  KEEL_ASSIGN_OR_RETURN(json request, Submit(p, submit, /*via_service=*/true));
  KEEL_ASSIGN_OR_RETURN(json q2, impl_->records.Get(Principal::System(p.tenant_id), *domain::FindEntity("quotes"), quote_id));
  return json{{"status", q2["status"]}, {"within_authority", false}, {"check", check}, {"approval", request}, {"quote", q2}, {"compliance", compliance}};
}

void ApprovalEngine::SetGovernance(Governance* governance) { impl_->governance = governance; }

// ---- Contracts over time ----

Result<json> ApprovalEngine::OrderFromQuote(const Principal& p, int64_t quote_id, const json& body) {
  if (domain::IsReadOnly(p.role)) return Forbidden("read-only roles do not create orders", "只读角色不能下单");
  const domain::EntityDef& quotes = *domain::FindEntity("quotes");
  KEEL_ASSIGN_OR_RETURN(json quote, impl_->records.Get(p, quotes, quote_id));
  KEEL_RETURN_IF_ERROR(domain::CheckObject(body, {"channel", "ordered_at"}));
  std::string status = quote.value("status", "");
  if (status != "approved" && status != "sent" && status != "accepted") {
    return Status::Error(ErrorKind::kConflict, "quote.status", "only an approved, sent or accepted quote becomes an order; this one is " + status,
                         "只有已批准、已发送或客户已接受的报价单可以转成订单；当前状态为 " + status, "status");
  }
  if (!quote["order_id"].is_null()) {
    return Status::Error(ErrorKind::kConflict, "quote.ordered", "the quote already became order " + quote["order_id"].dump(),
                         "该报价单已转成订单 " + quote["order_id"].dump(), "order_id");
  }
  TimeMs now = impl_->clock.NowMs();
  if (quote["valid_until"].is_string()) {
    KEEL_ASSIGN_OR_RETURN(auto conn, impl_->db.Acquire());
    KEEL_ASSIGN_OR_RETURN(std::string today, LocalToday(*conn, p.tenant_id, now));
    if (quote["valid_until"].get<std::string>() < today) {
      return Status::Error(ErrorKind::kConflict, "quote.expired", "the quote was valid until " + quote["valid_until"].get<std::string>(),
                           "报价单已过有效期（" + quote["valid_until"].get<std::string>() + "）", "valid_until");
    }
  }
  json lines = json::array();
  for (const auto& l : quote["lines"]) {
    int64_t qty = l["qty"].get<int64_t>();
    int64_t list = std::llround(l["unit_price"].get<double>() * 100), amount = std::llround(l["amount"].get<double>() * 100);
    lines.push_back({{"product_id", l["product_id"]}, {"qty", qty}, {"unit_price", l["unit_price"]}, {"discount", Yuan(qty * list - amount)}});
  }
  json order = {{"code", "SO-" + quote.value("code", std::to_string(quote_id))},
                {"channel", body.value("channel", json("b2b"))},
                {"ordered_at", body.value("ordered_at", json(FormatTimestamp(now)))},
                {"customer_id", quote["customer_id"]},
                {"owner_id", quote["owner_id"]},
                {"unit_id", quote["unit_id"]},
                {"lines", lines}};
  KEEL_ASSIGN_OR_RETURN(json created, impl_->records.Create(p, *domain::FindEntity("orders"), order));
  {
    KEEL_ASSIGN_OR_RETURN(auto conn, impl_->db.Acquire());
    Value q[] = {created["id"].get<int64_t>(), p.tenant_id, quote_id};
    KEEL_RETURN_IF_ERROR(conn->Exec("UPDATE quotes SET order_id = ? WHERE tenant_id = ? AND id = ? AND order_id IS NULL", q).status());
  }
  auto sys = Principal::System(p.tenant_id);
  json updated;
  if (status != "accepted") {
    KEEL_ASSIGN_OR_RETURN(updated, impl_->records.Update(sys, quotes, quote_id, {{"status", "accepted"}}));
  } else {
    KEEL_ASSIGN_OR_RETURN(updated, impl_->records.Get(sys, quotes, quote_id));
  }
  return json{{"order", created}, {"quote", updated}};
}

Result<json> ApprovalEngine::SignContract(const Principal& p, int64_t id, const json& body) {
  if (domain::IsReadOnly(p.role)) return Forbidden("read-only roles do not sign contracts", "只读角色不能签署合同");
  const domain::EntityDef& contracts = *domain::FindEntity("contracts");
  KEEL_ASSIGN_OR_RETURN(json contract, impl_->records.Get(p, contracts, id));
  KEEL_RETURN_IF_ERROR(domain::CheckObject(body, {"legal_reviewed", "override_reason"}));
  if (body.contains("legal_reviewed") && !body["legal_reviewed"].is_boolean()) {
    return Bad("validation.type", "legal_reviewed is true or false", "legal_reviewed 应为 true 或 false", "legal_reviewed");
  }
  if (body.contains("override_reason") && !body["override_reason"].is_string()) {
    return Bad("validation.type", "override_reason is a text", "override_reason 应为文本", "override_reason");
  }
  if (contract.value("status", "") != "approved") {
    return Status::Error(ErrorKind::kConflict, "contract.status", "only an approved contract is signed; this one is " + contract.value("status", ""),
                         "只有已批准的合同可以签署；当前状态为 " + contract.value("status", ""), "status");
  }
  json patch = {{"status", "signed"}};
  if (body.contains("legal_reviewed")) {
    patch["legal_reviewed"] = body["legal_reviewed"];
    contract["legal_reviewed"] = body["legal_reviewed"];
  }
  // Legal review first: a signing that cannot happen leaves no compliance event behind.
  if (!contract.value("legal_reviewed", json(false)).is_boolean() || !contract["legal_reviewed"].get<bool>()) {
    return Status::Error(ErrorKind::kUnprocessable, "contract.legal_review", "a contract is signed only after legal review",
                         "合同须经法务审核后方可签署", "legal_reviewed");
  }
  json compliance = json::object();
  if (impl_->governance != nullptr) {
    KEEL_ASSIGN_OR_RETURN(compliance, impl_->governance->Check(p, "contracts", "sign", id, contract, body.value("override_reason", "")));
  }
  domain::WriteOptions opt;
  opt.checked = true;
  KEEL_ASSIGN_OR_RETURN(json signed_, impl_->records.Update(p, contracts, id, patch, opt));
  return json{{"contract", signed_}, {"compliance", compliance}};
}

Result<json> ApprovalEngine::ContractLifecycle(int64_t tenant) {
  auto sys = Principal::System(tenant);
  const domain::EntityDef& contracts = *domain::FindEntity("contracts");
  std::string today;
  std::vector<std::tuple<int64_t, std::string, std::string, std::string, int64_t, std::string, std::string>> rows;
  std::set<int64_t> renewed;
  {
    KEEL_ASSIGN_OR_RETURN(auto conn, impl_->db.Acquire());
    Value q[] = {tenant};
    KEEL_ASSIGN_OR_RETURN(store::Rows tz, conn->Query("SELECT time_zone FROM tenants WHERE id = ?", q));
    if (tz.empty()) return Status::NotFound("tenant");
    auto zone = TimeZone::Load(store::AsText(tz.rows[0][0]));
    TimeMs now = impl_->clock.NowMs();
    today = FormatDate((zone.ok() ? (*zone)->ToLocal(now) : now + 8 * 3600000LL) / 86400000);
    KEEL_ASSIGN_OR_RETURN(store::Rows r, conn->Query(
        "SELECT id, status, start_date, end_date, owner_id, code, name FROM contracts WHERE tenant_id = ? AND archived_at IS NULL AND "
        "status IN ('signed', 'active', 'expiring')", q));
    for (const auto& row : r.rows) {
      rows.push_back({store::AsInt(row[0]), store::AsText(row[1]), store::AsText(row[2]), store::AsText(row[3]),
                      store::IsNull(row[4]) ? 0 : store::AsInt(row[4]), store::AsText(row[5]), store::AsText(row[6])});
    }
    KEEL_ASSIGN_OR_RETURN(store::Rows n, conn->Query(
        "SELECT renewal_of FROM contracts WHERE tenant_id = ? AND renewal_of IS NOT NULL AND status IN ('signed', 'active', 'expiring')", q));
    for (const auto& row : n.rows) renewed.insert(store::AsInt(row[0]));
  }
  auto day_minus = [](const std::string& date, int days) {
    auto d = ParseDate(date);
    return d.ok() ? FormatDate(*d - days) : date;
  };
  json changed = json::array();
  for (const auto& [id, status, start, end, owner, code, name] : rows) {
    std::string next = status;
    if (renewed.count(id)) next = "renewed";
    else if (end < today) next = "expired";
    else if (day_minus(end, 30) <= today && start <= today) next = "expiring";
    else if (status == "signed" && start <= today) next = "active";
    if (next == status) continue;
    // Only if nobody moved it meanwhile (a contract terminated a moment ago stays terminated).
    KEEL_ASSIGN_OR_RETURN(json now_rec, impl_->records.Get(sys, contracts, id));
    if (now_rec["status"] != status) continue;
    KEEL_RETURN_IF_ERROR(impl_->records.Update(sys, contracts, id, {{"status", next}}).status());
    changed.push_back({{"id", id}, {"from", status}, {"to", next}});
    if (next == "expiring" && owner) {
      // The owner's renewal reminder, due on the last day.
      auto t = impl_->records.Create(sys, *domain::FindEntity("tasks"),
                                     {{"title", "续约 · " + code + " " + name}, {"owner_id", owner}, {"source", "workflow"}, {"priority", "high"},
                                      {"related_entity", "contracts"}, {"related_id", id}, {"due_at", end + "T18:00:00+08:00"},
                                      {"description", "The contract ends on " + end + ": agree the renewal (a new contract with renewal_of)."}});
      if (!t.ok()) spdlog::warn("contracts: renewal task for {} failed: {}", id, t.status().ToString());
    }
  }
  return json{{"day", today}, {"changed", changed}};
}

}  // namespace keel::org
