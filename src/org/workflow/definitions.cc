// Workflow definitions: validation, versions, and the built-in workflows a tenant starts with.
#include "org/workflow/approvals.h"
#include "org/workflow/internal.h"

#include <algorithm>

#include "domain/codec.h"
#include "domain/schema.h"
#include "domain/versions.h"
#include "events/event_log.h"
#include "org/conditions.h"
#include "org/internal.h"
#include "org/workflow/store.h"

namespace keel::org {

namespace repo = workflow;

namespace {

constexpr int64_t kMinuteMs = 60000;





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

const OwnWorkflow kOwnWorkflows[] = {
    {"quotes", "quote_discount", DefaultQuoteWorkflow, true},
    {"contracts", "contract_review", DefaultContractWorkflow, true},
    {"expenses", "expense_claim", DefaultExpenseWorkflow, true},
    {"budget_transfers", "budget_transfer", DefaultBudgetTransferWorkflow, true},
    {"price_changes", "price_change", DefaultPriceChangeWorkflow, true},
};

}  // namespace

const std::vector<std::string> kObjects = {"quotes",    "contracts", "expenses",  "budget_transfers", "price_changes", "opportunities",
                                           "orders",    "customers", "leads",     "activities",       "feedback"};

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

// Validates a definition and returns it normalised.
Result<json> ApprovalEngine::Impl::CheckDefinition(const json& body) {
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

Result<json> ApprovalEngine::Impl::CheckApprovers(const json& a, const std::string& at) {
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
Result<std::pair<int64_t, json>> ApprovalEngine::Impl::ActiveDef(store::Connection& conn, int64_t tenant, const std::string& name) {
  KEEL_ASSIGN_OR_RETURN(std::optional<repo::DefinitionRow> r, repo::LoadActiveDefinition(conn, tenant, name));
  if (!r) return Status::Error(ErrorKind::kNotFound, "approval.no_definition", "no active workflow '" + name + "'",
                               "没有启用的审批流程 '" + name + "'", "definition");
  return std::make_pair(r->version, json::parse(r->definition));
}

Result<WorkflowVersion> ApprovalEngine::SaveDefinition(const Principal& p, const json& document) {
  if (!IsHq(p)) return Forbidden("only admin and hq_ops define workflows", "只有管理员和运营可以定义审批流程");
  KEEL_ASSIGN_OR_RETURN(json def, impl_->CheckDefinition(document));
  const std::string name = def["name"].get<std::string>();
  KEEL_ASSIGN_OR_RETURN(auto conn, impl_->db.Acquire());
  KEEL_ASSIGN_OR_RETURN(auto tx, store::Transaction::Begin(*conn, true));
  KEEL_RETURN_IF_ERROR(events::LockTenant(*conn, p.tenant_id));
  KEEL_ASSIGN_OR_RETURN(int64_t latest, repo::MaxDefinitionVersion(*conn, p.tenant_id, name));
  int64_t version = latest + 1;
  static const domain::VersionedKind kKind{"approval_defs", "approval.exists", "workflow", "审批流程"};
  KEEL_ASSIGN_OR_RETURN(json before, domain::ActiveVersion(*conn, kKind, p.tenant_id, name));
  // Running requests keep the version they started with; new ones take this one.
  KEEL_RETURN_IF_ERROR(repo::SupersedeDefinition(*conn, p.tenant_id, name));
  KEEL_RETURN_IF_ERROR(repo::InsertDefinition(*conn, p.tenant_id, name, version, def.dump(), FormatTimestamp(impl_->clock.NowMs()),
                                              p.user_id ? std::optional<int64_t>(p.user_id) : std::nullopt));
  WorkflowVersion saved{.name = name, .version = version, .status = "active", .created_at = std::nullopt, .definition = def};
  def["version"] = version;
  def["status"] = "active";
  KEEL_RETURN_IF_ERROR(domain::AuditChange(*conn, p, impl_->clock.NowMs(), {before.is_null() ? "create" : "update", "approval_defs", 0, before, def}));
  KEEL_RETURN_IF_ERROR(tx.Commit());
  return saved;
}

Result<std::vector<WorkflowVersion>> ApprovalEngine::Definitions(const Principal& p) {
  KEEL_ASSIGN_OR_RETURN(auto conn, impl_->db.Acquire());
  KEEL_ASSIGN_OR_RETURN(std::vector<repo::DefinitionRow> rows, repo::LoadActiveDefinitions(*conn, p.tenant_id));
  std::vector<WorkflowVersion> out;
  for (const auto& r : rows) {
    out.push_back({.name = r.name, .version = r.version, .status = std::nullopt, .created_at = r.created_at, .definition = json::parse(r.definition)});
  }
  return out;
}

Result<WorkflowHistory> ApprovalEngine::Definition(const Principal& p, const std::string& name) {
  KEEL_ASSIGN_OR_RETURN(auto conn, impl_->db.Acquire());
  KEEL_ASSIGN_OR_RETURN(std::vector<repo::DefinitionRow> rows, repo::LoadDefinitionVersions(*conn, p.tenant_id, name));
  if (rows.empty()) return Status::NotFound("workflow");
  WorkflowHistory out{.name = name, .versions = {}};
  for (const auto& r : rows) {
    out.versions.push_back({.name = name, .version = r.version, .status = r.status, .created_at = r.created_at, .definition = json::parse(r.definition)});
  }
  return out;
}

}  // namespace keel::org
