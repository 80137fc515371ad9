// Routes of unit governance: authorisation boundaries and reports, compliance checkpoints and
// their events, and unit leads' permission sandboxes over their members.
// Requests are read into the service's drafts here (a mistyped member becomes empty, NaN or a
// flag, so the service still names the same field in the same order); views go out through
// org/governance/json.h. Members stay user records (JSON) end to end.
#include <cmath>
#include <optional>

#include "domain/codec.h"
#include "http/api.h"
#include "http/members.h"
#include "http/openapi.h"
#include "org/governance.h"
#include "org/governance/json.h"

namespace keel::http {
namespace {

json Body(const Call& c) { return c.body.is_null() ? json::object() : c.body; }

// {items: [item], next_after}: a newest-first page under the list contract.
json NewestFirstPage(json item) {
  json s = schema::Items(std::move(item));
  s["properties"]["next_after"] = {{"type", "string"},
                                   {"description", "present only when older items follow: pass it as ?after= / 仅在还有更早的记录时出现"}};
  return s;
}

bool Has(const json& body, const char* key) { return body.is_object() && body.contains(key); }

// A text member: empty when absent or not text.
std::string Text(const json& body, const char* key) { return Has(body, key) && body[key].is_string() ? body[key].get<std::string>() : ""; }

// A number member that is present: NaN when not a number (the service names the error).
double Number(const json& v) { return v.is_number() ? v.get<double>() : std::nan(""); }

org::BoundaryEntryDraft BoundaryEntryOf(const json& e) {
  org::BoundaryEntryDraft d;
  d.problem = domain::CheckObject(e, {"action", "mode", "limit", "note"});
  d.action = Text(e, "action");
  d.mode = Text(e, "mode");
  if (Has(e, "limit") && !e["limit"].is_null()) d.limit = Number(e["limit"]);
  if (Has(e, "note") && !e["note"].is_null()) {
    if (e["note"].is_string()) {
      d.note = e["note"].get<std::string>();
    } else {
      d.note_mistyped = true;
    }
  }
  return d;
}

org::BoundaryListChange BoundaryListOf(const json& body) {
  org::BoundaryListChange c;
  c.problem = domain::CheckObject(body, {"entries"});
  if (Has(body, "entries") && body["entries"].is_array()) {
    c.entries.emplace();
    for (const auto& e : body["entries"]) c.entries->push_back(BoundaryEntryOf(e));
  }
  return c;
}

org::BoundaryReportDraft BoundaryReportOf(const json& body) {
  org::BoundaryReportDraft d;
  d.problem = domain::CheckObject(body, {"unit_id", "action", "amount", "summary", "object", "record_id"});
  if (Has(body, "unit_id") && body["unit_id"].is_number_integer()) d.unit_id = body["unit_id"].get<int64_t>();
  d.action = Text(body, "action");
  d.summary = Text(body, "summary");
  d.object = Text(body, "object");
  if (Has(body, "amount")) d.amount = Number(body["amount"]);
  if (Has(body, "record_id")) {
    if (body["record_id"].is_number_integer()) {
      d.record_id = body["record_id"].get<int64_t>();
    } else {
      d.record_id_mistyped = true;
    }
  }
  return d;
}

// The checkpoint's members; `problem` is the first unknown member or member of the wrong type.
org::CheckpointDraft CheckpointOf(const json& body) {
  org::CheckpointDraft d;
  d.problem = domain::CheckObject(body, {"name", "object", "on", "when", "action", "message_zh", "message_en", "active"});
  if (!d.problem.ok()) return d;
  std::pair<const char*, std::optional<std::string>*> texts[] = {{"name", &d.name}, {"object", &d.object}, {"on", &d.on}, {"when", &d.when},
                                                                 {"action", &d.action}, {"message_zh", &d.message_zh}, {"message_en", &d.message_en}};
  for (const auto& [k, to] : texts) {
    if (!body.contains(k)) continue;
    if (!body[k].is_string()) {
      d.problem = Status::Invalid("validation.type", std::string(k) + " must be text", std::string(k) + " 应为文本", k);
      return d;
    }
    *to = body[k].get<std::string>();
  }
  if (body.contains("active")) {
    if (!body["active"].is_boolean()) {
      d.problem = Status::Invalid("validation.type", "active must be true or false", "active 应为布尔值", "active");
      return d;
    }
    d.active = body["active"].get<bool>();
  }
  return d;
}

org::SandboxChange SandboxOf(const json& body) {
  org::SandboxChange c;
  c.problem = domain::CheckObject(body, {"allowed_roles", "max_members", "may_disable"});
  if (Has(body, "allowed_roles") && body["allowed_roles"].is_array()) {
    c.allowed_roles.emplace();
    for (const auto& r : body["allowed_roles"]) c.allowed_roles->push_back(r.is_string() ? r.get<std::string>() : "");
  }
  if (Has(body, "max_members") && !body["max_members"].is_null()) {
    c.max_members = body["max_members"].is_number_integer() ? body["max_members"].get<int64_t>() : -1;
  }
  if (Has(body, "may_disable")) {
    if (body["may_disable"].is_boolean()) {
      c.may_disable = body["may_disable"].get<bool>();
    } else {
      c.may_disable_mistyped = true;
    }
  }
  return c;
}

}  // namespace

void Api::AddGovernanceRoutes() {
  org::Governance* g = services_.governance;
  if (g == nullptr) return;
  using namespace schema;  // NOLINT(google-build-using-namespace): the builders read as the schema
  const char* tag = "governance";
  const json modes = Enum({"alone", "report", "approval"});
  const json tier = Obj({{"id", Int()}, {"action", Str()}, {"mode", modes}, {"limit", Null(Num("yuan; null: any amount"))}, {"note", Null(Str())}},
                        {"id", "action", "mode", "limit", "note"});
  const json boundaries = Obj(
      {{"unit_id", Int()}, {"unit", Str()}, {"entries", Arr(tier, "the unit's own entries")},
       {"effective", Arr(Obj({{"action", Str()}, {"from_unit_id", Null(Int("the unit whose entries apply; null: none, so approval"))},
                              {"from_unit", Null(Str())}, {"inherited", Bool()}, {"tiers", Arr(tier)},
                              {"default", Enum({"approval"}, "when no unit up the tree has entries")}},
                             {"action", "from_unit_id", "from_unit", "inherited", "tiers"}),
                         "per action, the entries of the nearest unit up the tree")},
       {"actions", Arr(Str(), "the built-in actions")}},
      {"unit_id", "unit", "entries", "effective", "actions"}, "A unit's authorisation boundaries / 单元授权边界清单");
  const json decision = Obj({{"mode", modes}, {"rule_id", Null(Int())}, {"unit_id", Null(Int("the unit whose entry decided"))},
                             {"limit", Null(Num("yuan"))}, {"action", Str()}, {"amount", Num()}},
                            {"mode", "rule_id", "unit_id", "limit"}, "What the unit may do / 单元权限判定");
  const json report_out = Obj({{"id", Int()}, {"unit_id", Int()}, {"action", Str()}, {"amount", Num()}, {"summary", Str()}, {"decision", decision}},
                              {"id", "unit_id", "action", "amount", "summary", "decision"}, "The report / 报备记录");
  const json report_item = Obj({{"id", Int()}, {"unit_id", Int()}, {"unit", Str()}, {"action", Str()}, {"object", Null(Str())},
                                {"record_id", Null(Int())}, {"amount", Num()}, {"summary", Str()}, {"rule_id", Null(Int())},
                                {"actor_id", Null(Int())}, {"at", Time()}},
                               {"id", "unit_id", "action", "amount", "summary", "at"});
  const json checkpoint_out = Component(
      "ComplianceCheckpoint",
      Obj({{"id", Int()}, {"name", Str()}, {"object", Str("quotes, contracts or expenses")}, {"on", Enum({"submit", "sign"})},
           {"when", Str("a formula over the record's fields and line_* fields")}, {"action", Enum({"block", "flag"})}, {"message_zh", Str()},
           {"message_en", Str()}, {"active", Bool()}, {"created_at", Time()}, {"updated_at", Time()}, {"archived_at", Null(Time())}},
          {"id", "name", "object", "on", "when", "action", "message_zh", "message_en", "active", "created_at", "updated_at", "archived_at"},
          "A compliance checkpoint / 合规检查点"));
  const json compliance_event = Obj({{"id", Int()}, {"checkpoint_id", Int()}, {"checkpoint", Str("its name then")}, {"object", Str()},
                                     {"on", Str()}, {"record_id", Null(Int())}, {"unit_id", Null(Int())},
                                     {"outcome", Enum({"flagged", "blocked", "overridden"})}, {"reason", Null(Str("why it was overridden"))},
                                     {"actor_id", Null(Int())}, {"at", Time()}},
                                    {"id", "checkpoint_id", "object", "on", "outcome", "at"});
  const json member_change = Null(Obj({{"username", Str()}, {"role", Str()}, {"unit_id", Int()}, {"status", Str()}}));
  const json sandbox_out = Obj(
      {{"unit_id", Int()}, {"unit", Str()}, {"configured", Bool("false: nothing set, the lead may not manage people")},
       {"allowed_roles", Arr(Str())}, {"max_members", Null(Int("null: no limit"))}, {"may_disable", Bool()},
       {"headcount", Int("active members of the subtree")},
       {"log", Arr(Obj({{"id", Int()}, {"actor_id", Int()}, {"action", Str()}, {"user_id", Int()}, {"before", member_change},
                        {"after", member_change}, {"at", Time()}},
                       {"id", "actor_id", "action", "user_id", "before", "after", "at"}),
                   "the lead's last 100 changes, newest first")}},
      {"configured", "allowed_roles", "max_members", "may_disable"}, "A unit lead's permission sandbox / 权限沙箱");
  const json members = Obj({{"unit_id", Int()}, {"headcount", Int()},
                            {"items", Arr(Obj({{"id", Int()}, {"username", Str()}, {"display_name", Str()}, {"role", Str()}, {"unit_id", Int()},
                                               {"unit", Str()}, {"status", Str()}, {"supervisor_id", Null(Int())}, {"last_login_at", Null(Time())}},
                                              {"id", "username", "display_name", "role", "unit_id", "status"}))}},
                           {"unit_id", "headcount", "items"}, "Members of a unit's subtree / 单元成员");

  // ---- Authorisation boundaries (授权边界清单) ----
  json entry = {{"type", "object"}, {"required", {"action", "mode"}},
                {"properties", {{"action", {{"type", "string"}, {"description", "expense, budget_transfer, discount, contract, price_change, member_change or your own"}}},
                                {"mode", {{"type", "string"}, {"enum", {"alone", "report", "approval"}}}},
                                {"limit", {{"type", "number"}, {"description", "yuan; above it the next tier applies, above every tier approval"}}},
                                {"note", {{"type", "string"}}}}}};
  json entries = {{"type", "object"}, {"required", {"entries"}}, {"properties", {{"entries", {{"type", "array"}, {"items", entry}}}}}};
  router_.Add("GET", "/api/v1/units/{id}/boundaries", [g](Call& c) { return Wrap(Sent(g->Boundaries(c.p(), c.id()))); },
              {"A unit's authorisation boundaries: its own entries and the effective list (nearest unit up the tree)",
               "单元的授权边界清单：本单元条目及生效清单（沿组织树向上最近的单元）", tag, nullptr, boundaries});
  router_.Add("PUT", "/api/v1/units/{id}/boundaries", [g](Call& c) { return Wrap(Sent(g->SetBoundaries(c.p(), c.id(), BoundaryListOf(c.body)))); },
              {"Replace a unit's boundary list (HQ); an empty list inherits everything", "替换单元的授权边界清单（总部）；空清单表示全部继承上级", tag,
               entries, boundaries});
  router_.Add("GET", "/api/v1/units/{id}/boundaries/decision",
              [g](Call& c) { return Wrap(Sent(g->Decide(c.p(), c.id(), c.req.query))); },
              {"What the unit may do for an action and an amount: alone, report or approval", "单元对某类事项和金额的权限：自主决定、决定后报备或需审批",
               tag, nullptr, decision, {{"action", "expense, budget_transfer, …"}, {"amount", "yuan"}}});
  json report = {{"type", "object"}, {"required", {"action", "amount", "summary"}},
                 {"properties", {{"unit_id", {{"type", "integer"}, {"description", "default: your unit"}}}, {"action", {{"type", "string"}}},
                                 {"amount", {{"type", "number"}}}, {"summary", {{"type", "string"}}}, {"object", {{"type", "string"}}},
                                 {"record_id", {{"type", "integer"}}}}}};
  router_.Add("POST", "/api/v1/boundary-reports", [g](Call& c) { return Wrap(Sent(g->AddReport(c.p(), BoundaryReportOf(c.body))), 201); },
              {"Report an action the unit decided (422 boundary.needs_approval when it needs approval)",
               "报备单元已自主决定的事项（需审批时返回 422 boundary.needs_approval）", tag, report, report_out, {}, 201});
  RouteDoc reports{"Decided-and-reported actions, newest first (HQ all, others their unit subtree)",
                   "已决定并报备的事项（总部看全部，其他人看本单元及下级）", tag, nullptr, NewestFirstPage(report_item),
                   {{"unit_id", "a unit"}, {"action", "an action"}}};
  reports.paging.kind = Paging::Kind::kService;
  router_.Add("GET", "/api/v1/boundary-reports", [g](Call& c) { return Wrap(Sent(g->Reports(c.p(), c.req.query))); }, reports);

  // ---- Compliance checkpoints (合规检查点) ----
  json checkpoint = {{"type", "object"}, {"required", {"name", "object", "on", "when", "action", "message_zh", "message_en"}},
                     {"properties", {{"name", {{"type", "string"}}}, {"object", {{"type", "string"}, {"description", "quotes, contracts or expenses"}}},
                                     {"on", {{"type", "string"}, {"enum", {"submit", "sign"}},
                                             {"description", "quotes and expenses: submit; contracts: sign (else 400 compliance.trigger_unsupported)"}}},
                                     {"when", {{"type", "string"}, {"description", "a formula over the record's fields and line_* fields"}}},
                                     {"action", {{"type", "string"}, {"enum", {"block", "flag"}}}}, {"message_zh", {{"type", "string"}}},
                                     {"message_en", {{"type", "string"}}}, {"active", {{"type", "boolean"}}}}}};
  json patch = checkpoint;
  patch.erase("required");
  router_.Add("GET", "/api/v1/compliance/checkpoints", [g](Call& c) { return Wrap(Sent(g->Checkpoints(c.p(), c.req.query))); },
              {"Compliance checkpoints", "合规检查点", tag, nullptr, Items(checkpoint_out), {{"object", "an object"}, {"on", "a moment"}, {"active", "true|false"}}});
  router_.Add("POST", "/api/v1/compliance/checkpoints", [g](Call& c) { return Wrap(Sent(g->SaveCheckpoint(c.p(), CheckpointOf(c.body))), 201); },
              {"Define a compliance checkpoint (HQ)", "定义合规检查点（总部）", tag, checkpoint, checkpoint_out, {}, 201});
  router_.Add("GET", "/api/v1/compliance/checkpoints/{id}", [g](Call& c) { return Wrap(Sent(g->Checkpoint(c.p(), c.id()))); },
              {"A compliance checkpoint", "合规检查点详情", tag, nullptr, checkpoint_out});
  router_.Add("PATCH", "/api/v1/compliance/checkpoints/{id}",
              [g](Call& c) { return Wrap(Sent(g->UpdateCheckpoint(c.p(), c.id(), CheckpointOf(c.body)))); },
              {"Change a compliance checkpoint, e.g. {active: false} (HQ)", "修改合规检查点，如 {active: false}（总部）", tag, patch, checkpoint_out});
  router_.Add("DELETE", "/api/v1/compliance/checkpoints/{id}", [g](Call& c) { return Wrap(Sent(g->ArchiveCheckpoint(c.p(), c.id()))); },
              {"Remove a compliance checkpoint (HQ)", "删除合规检查点（总部）", tag, nullptr, checkpoint_out});
  RouteDoc events{"Flags, blocks and overrides, newest first (HQ and auditors all, unit leads their subtree)",
                  "合规提示、拦截与放行记录（总部和审计看全部，战队负责人看本单元及下级）", tag, nullptr, NewestFirstPage(compliance_event),
                  {{"object", "an object"}, {"record_id", "a record"}, {"checkpoint_id", "a checkpoint"}, {"unit_id", "a unit"},
                   {"outcome", "flagged | blocked | overridden"}}};
  events.paging.kind = Paging::Kind::kService;
  router_.Add("GET", "/api/v1/compliance/events", [g](Call& c) { return Wrap(Sent(g->ComplianceEvents(c.p(), c.req.query))); }, events);

  // ---- Permission sandbox (权限沙箱) ----
  json sandbox = {{"type", "object"}, {"required", {"allowed_roles"}},
                  {"properties", {{"allowed_roles", {{"type", "array"}, {"items", {{"type", "string"}, {"enum", org::kSandboxRoles}}}}},
                                  {"max_members", {{"type", "integer"}, {"description", "active members of the lead's subtree; null: no limit"}}},
                                  {"may_disable", {{"type", "boolean"}}}}}};
  router_.Add("GET", "/api/v1/units/{id}/sandbox", [g](Call& c) { return Wrap(Sent(g->Sandbox(c.p(), c.id()))); },
              {"What the unit's lead may do with people, the headcount and the log of their changes", "单元负责人的人员权限沙箱、在职人数及变更记录", tag,
               nullptr, sandbox_out});
  router_.Add("PUT", "/api/v1/units/{id}/sandbox", [g](Call& c) { return Wrap(Sent(g->SetSandbox(c.p(), c.id(), SandboxOf(c.body)))); },
              {"Set the unit lead's permission sandbox (HQ)", "设置单元负责人的权限沙箱（总部）", tag, sandbox, sandbox_out});
  json member = {{"type", "object"}, {"required", {"username", "display_name", "role", "password"}},
                 {"properties", {{"username", {{"type", "string"}}}, {"display_name", {{"type", "string"}}}, {"role", {{"type", "string"}}},
                                 {"password", {{"type", "string"}, {"description", "initial password, at least 10 characters"}}},
                                 {"email", {{"type", "string"}}}, {"phone", {{"type", "string"}}}, {"supervisor_id", {{"type", "integer"}}},
                                 {"locale", {{"type", "string"}}}}}};
  json member_patch = {{"type", "object"},
                       {"properties", {{"role", {{"type", "string"}}}, {"unit_id", {{"type", "integer"}, {"description", "move inside your subtree"}}},
                                       {"status", {{"type", "string"}, {"enum", {"active", "disabled"}}}}, {"display_name", {{"type", "string"}}},
                                       {"email", {{"type", "string"}}}, {"phone", {{"type", "string"}}}, {"supervisor_id", {{"type", "integer"}}},
                                       {"locale", {{"type", "string"}}}}}};
  router_.Add("GET", "/api/v1/units/{id}/members", [g](Call& c) { return Wrap(Sent(g->Members(c.p(), c.id()))); },
              {"Members of the unit's subtree and its headcount (HQ, or the unit lead over it)", "单元及下级的成员与在职人数（总部或负责该单元的战队负责人）", tag,
               nullptr, members});
  router_.Add("POST", "/api/v1/units/{id}/members", [g](Call& c) { return Wrap(g->AddMember(c.p(), c.id(), c.body), 201); },
              {"Create a member in the unit (a unit lead within their sandbox, or an admin)", "在单元中创建成员（战队负责人在权限沙箱内，或管理员）", tag, member,
               SchemaRef("User"), {}, 201});
  router_.Add("PATCH", "/api/v1/units/{id}/members/{user_id}",
              [g](Call& c) { return Wrap(g->UpdateMember(c.p(), c.id(), c.ids.at("user_id"), Body(c))); },
              {"Change a member's role, unit or status within the sandbox", "在权限沙箱内调整成员的角色、单元或状态", tag, member_patch, SchemaRef("User")});
}

}  // namespace keel::http
