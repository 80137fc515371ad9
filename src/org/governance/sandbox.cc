// Unit leads' permission sandbox (权限沙箱): what HQ lets a unit lead do with people, the members
// of a subtree, and the lead's changes to them (each logged).
#include "org/governance.h"

#include <algorithm>
#include <optional>

#include "domain/codec.h"
#include "domain/schema.h"
#include "events/event_log.h"
#include "org/governance/internal.h"
#include "org/governance/json.h"
#include "org/governance/store.h"
#include "org/internal.h"

namespace keel::org {

namespace repo = governance;
using governance::Audit;
using governance::FindUnit;
using governance::Forbidden;
using governance::NotHq;
using governance::Text;
using governance::UnitRow;
using repo::Headcount;

const std::vector<std::string> kSandboxRoles = {"rep", "supervisor", "unit_lead"};

namespace {

json Parse(const std::string& s) {
  auto j = json::parse(s, nullptr, false);
  return j.is_discarded() ? json() : j;
}

struct SandboxSettings {
  bool configured = false;
  std::vector<std::string> allowed_roles;
  std::optional<int64_t> max_members;
  bool may_disable = false;
};

Result<SandboxSettings> SandboxOf(store::Connection& conn, int64_t tenant, int64_t unit) {
  KEEL_ASSIGN_OR_RETURN(std::optional<repo::SandboxRow> r, repo::LoadSandbox(conn, tenant, unit));
  SandboxSettings s;
  if (!r) return s;
  s.configured = true;
  json roles = Parse(r->allowed_roles);
  if (roles.is_array()) {
    for (const auto& x : roles) {
      if (x.is_string()) s.allowed_roles.push_back(x);
    }
  }
  s.max_members = r->max_members;
  s.may_disable = r->may_disable;
  return s;
}

// The settings as a view (without the unit, headcount and log).
UnitSandbox SettingsView(const SandboxSettings& s) {
  UnitSandbox v;
  v.configured = s.configured;
  v.allowed_roles = s.allowed_roles;
  v.max_members = s.max_members;
  v.may_disable = s.may_disable;
  return v;
}

std::string Join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ", ") + s;
  return out.empty() ? "none" : out;
}

}  // namespace

Result<UnitSandbox> Governance::Sandbox(const Principal& p, int64_t unit) {
  KEEL_ASSIGN_OR_RETURN(auto conn, db_.Acquire());
  KEEL_ASSIGN_OR_RETURN(UnitRow u, FindUnit(*conn, p.tenant_id, unit, "id"));
  bool lead_over = p.role == domain::Role::kUnitLead && u.path.rfind(p.unit_path, 0) == 0;
  if (!domain::SeesWholeTenant(p.role) && !p.is_system() && !lead_over) {
    return Forbidden("forbidden", "a unit's sandbox is for HQ and its unit lead", "单元的权限沙箱仅总部和该单元负责人可查看");
  }
  KEEL_ASSIGN_OR_RETURN(SandboxSettings s, SandboxOf(*conn, p.tenant_id, unit));
  UnitSandbox out = SettingsView(s);
  out.unit_id = unit;
  out.unit = u.name;
  KEEL_ASSIGN_OR_RETURN(out.headcount, Headcount(*conn, p.tenant_id, u.path));
  KEEL_ASSIGN_OR_RETURN(std::vector<repo::SandboxLogRow> entries, repo::LoadSandboxLog(*conn, p.tenant_id, unit));
  for (auto& x : entries) {
    out.log.push_back({x.id, x.actor_id, std::move(x.action), x.user_id, std::move(x.before), std::move(x.after), std::move(x.at)});
  }
  return out;
}

Result<UnitSandbox> Governance::SetSandbox(const Principal& p, int64_t unit, const SandboxChange& change) {
  if (!IsHq(p)) return NotHq("set a unit's permission sandbox", "设置单元的权限沙箱");
  {
    KEEL_ASSIGN_OR_RETURN(auto conn, db_.Acquire());
    KEEL_ASSIGN_OR_RETURN(UnitRow u, FindUnit(*conn, p.tenant_id, unit, "id"));
    if (u.archived) return Bad("validation.reference", "the unit is archived", "该单元已归档", "id");
  }
  KEEL_RETURN_IF_ERROR(change.problem);
  if (!change.allowed_roles) {
    return Bad("validation.required", "allowed_roles (a list of roles) is required", "allowed_roles（角色列表）为必填项", "allowed_roles");
  }
  std::vector<std::string> roles;
  for (size_t i = 0; i < change.allowed_roles->size(); ++i) {
    const std::string& r = (*change.allowed_roles)[i];
    std::string at = "allowed_roles[" + std::to_string(i) + "]";
    if (!domain::ParseRole(r)) return Bad("validation.enum", at + " is not a role", at + " 不是有效角色", at);
    if (std::find(kSandboxRoles.begin(), kSandboxRoles.end(), r) == kSandboxRoles.end()) {
      return Status::Error(ErrorKind::kUnprocessable, "sandbox.role_not_grantable",
                           "a unit lead can never grant " + r + " (only rep, supervisor, unit_lead)",
                           "战队负责人不能授予 " + r + " 角色（仅限 rep、supervisor、unit_lead）", at);
    }
    if (std::find(roles.begin(), roles.end(), r) == roles.end()) roles.push_back(r);
  }
  std::optional<int64_t> max_members = change.max_members;
  if (max_members && (*max_members < 0 || *max_members > 100000)) {
    return Bad("validation.range", "max_members is a count from 0 to 100000 (or null: no limit)",
               "max_members 应为 0 到 100000 的人数（null 表示不限）", "max_members");
  }
  if (change.may_disable_mistyped) return Bad("validation.type", "may_disable must be true or false", "may_disable 应为布尔值", "may_disable");
  bool may_disable = change.may_disable.value_or(false);
  KEEL_ASSIGN_OR_RETURN(auto conn, db_.Acquire());
  KEEL_ASSIGN_OR_RETURN(auto tx, store::Transaction::Begin(*conn, true));
  KEEL_RETURN_IF_ERROR(events::LockTenant(*conn, p.tenant_id));
  KEEL_ASSIGN_OR_RETURN(SandboxSettings before, SandboxOf(*conn, p.tenant_id, unit));
  std::string now = FormatTimestamp(clock_.NowMs());
  KEEL_RETURN_IF_ERROR(repo::ReplaceSandbox(*conn, p.tenant_id, unit, {json(roles).dump(), max_members, may_disable}, now,
                                            p.user_id ? std::optional<int64_t>(p.user_id) : std::nullopt));
  SandboxSettings after{true, roles, max_members, may_disable};
  json audit_before = before.configured ? SandboxSettingsJson(SettingsView(before)) : json(nullptr);
  KEEL_RETURN_IF_ERROR(Audit(*conn, p, before.configured ? "update" : "create", "unit_sandboxes", unit, audit_before,
                             SandboxSettingsJson(SettingsView(after)), now));
  KEEL_RETURN_IF_ERROR(tx.Commit());
  return Sandbox(p, unit);
}

Result<UnitMembers> Governance::Members(const Principal& p, int64_t unit) {
  KEEL_ASSIGN_OR_RETURN(auto conn, db_.Acquire());
  KEEL_ASSIGN_OR_RETURN(UnitRow u, FindUnit(*conn, p.tenant_id, unit, "id"));
  bool lead_over = p.role == domain::Role::kUnitLead && u.path.rfind(p.unit_path, 0) == 0;
  if (!domain::SeesWholeTenant(p.role) && !p.is_system() && !lead_over) {
    return Forbidden("sandbox.outside_subtree", "you manage members only in your own unit subtree", "只能管理本单元及下级单元的成员", "id");
  }
  KEEL_ASSIGN_OR_RETURN(std::vector<repo::MemberRow> members, repo::LoadMembers(*conn, p.tenant_id, u.path));
  UnitMembers out;
  out.unit_id = unit;
  for (auto& x : members) {
    out.items.push_back({x.id, std::move(x.username), std::move(x.display_name), std::move(x.role), x.unit_id, std::move(x.unit),
                         std::move(x.status), x.supervisor_id, std::move(x.last_login_at)});
  }
  KEEL_ASSIGN_OR_RETURN(out.headcount, Headcount(*conn, p.tenant_id, u.path));
  return out;
}

namespace {

// What a unit lead's request is checked against: their home unit's sandbox and subtree.
struct LeadScope {
  SandboxSettings sandbox;
  UnitRow home;
  int64_t headcount = 0;
};

Result<LeadScope> ScopeOf(store::Connection& conn, const Principal& p, const UnitRow& target) {
  if (p.role != domain::Role::kUnitLead) {
    return Forbidden("sandbox.not_lead", "only unit leads (within their sandbox) and admins manage members", "只有战队负责人（在权限沙箱内）和管理员可以管理成员");
  }
  if (target.path.rfind(p.unit_path, 0) != 0) {
    return Forbidden("sandbox.outside_subtree", "the unit is outside your unit subtree", "该单元不在您管理的单元范围内", "id");
  }
  LeadScope s;
  KEEL_ASSIGN_OR_RETURN(s.home, FindUnit(conn, p.tenant_id, p.unit_id));
  KEEL_ASSIGN_OR_RETURN(s.sandbox, SandboxOf(conn, p.tenant_id, p.unit_id));
  if (!s.sandbox.configured) {
    return Forbidden("sandbox.none", "HQ has not set a permission sandbox for your unit", "总部尚未为您的单元设置权限沙箱");
  }
  KEEL_ASSIGN_OR_RETURN(s.headcount, Headcount(conn, p.tenant_id, s.home.path));
  return s;
}

Status RoleAllowed(const LeadScope& s, const std::string& role, const std::string& field) {
  if (std::find(s.sandbox.allowed_roles.begin(), s.sandbox.allowed_roles.end(), role) != s.sandbox.allowed_roles.end()) return Status();
  return Forbidden("sandbox.role", "your sandbox does not let you grant the role " + role + " (allowed: " + Join(s.sandbox.allowed_roles) + ")",
                   "您的权限沙箱不允许授予 " + role + " 角色（允许：" + Join(s.sandbox.allowed_roles) + "）", field);
}

Status RoomForOneMore(const LeadScope& s) {
  if (!s.sandbox.max_members || s.headcount + 1 <= *s.sandbox.max_members) return Status();
  std::string n = std::to_string(s.headcount), m = std::to_string(*s.sandbox.max_members);
  return Forbidden("sandbox.headcount", "your unit subtree has " + n + " active members and its limit is " + m,
                   "您的单元已有 " + n + " 名在职成员，上限为 " + m + " 人", "max_members");
}

}  // namespace

Result<json> Governance::AddMember(const Principal& p, int64_t unit, const json& body) {
  std::lock_guard g(members_mu_);
  const domain::EntityDef& users = *domain::FindEntity("users");
  std::optional<LeadScope> scope;
  {
    KEEL_ASSIGN_OR_RETURN(auto conn, db_.Acquire());
    KEEL_ASSIGN_OR_RETURN(UnitRow target, FindUnit(*conn, p.tenant_id, unit, "id"));
    if (p.role != domain::Role::kAdmin) {
      KEEL_ASSIGN_OR_RETURN(scope, ScopeOf(*conn, p, target));
    }
    KEEL_RETURN_IF_ERROR(domain::CheckObject(body, {"username", "display_name", "role", "password", "email", "phone", "supervisor_id", "locale"}));
    if (scope) {
      KEEL_RETURN_IF_ERROR(RoleAllowed(*scope, Text(body, "role"), "role"));
      KEEL_RETURN_IF_ERROR(RoomForOneMore(*scope));
      if (Text(body, "password").empty()) return Bad("validation.required", "an initial password is required", "须设置初始密码", "password");
      if (body.contains("supervisor_id") && body["supervisor_id"].is_number_integer()) {
        KEEL_ASSIGN_OR_RETURN(bool inside, repo::UserInSubtree(*conn, p.tenant_id, body["supervisor_id"].get<int64_t>(), p.unit_path));
        if (!inside) return Forbidden("sandbox.outside_subtree", "the supervisor is outside your unit subtree", "主管不在您管理的单元范围内", "supervisor_id");
      }
    }
  }
  json create = body;
  create["unit_id"] = unit;
  Principal writer = scope ? Principal::System(p.tenant_id) : p;
  writer.request_id = p.request_id;
  KEEL_ASSIGN_OR_RETURN(json user, records_.Create(writer, users, create));
  if (scope) {
    KEEL_ASSIGN_OR_RETURN(auto conn, db_.Acquire());
    KEEL_ASSIGN_OR_RETURN(std::vector<int64_t> ids, conn->AllocateIds(1));
    KEEL_RETURN_IF_ERROR(repo::InsertSandboxLog(*conn, p.tenant_id, {ids[0], scope->home.id, p.user_id, "create", user["id"].get<int64_t>(),
                                                                      std::nullopt,
                                                                      json{{"username", user["username"]}, {"role", user["role"]}, {"unit_id", unit}}.dump(),
                                                                      FormatTimestamp(clock_.NowMs())}));
  }
  return user;
}

Result<json> Governance::UpdateMember(const Principal& p, int64_t unit, int64_t user_id, const json& body) {
  std::lock_guard g(members_mu_);
  const domain::EntityDef& users = *domain::FindEntity("users");
  std::optional<LeadScope> scope;
  json before;
  {
    KEEL_ASSIGN_OR_RETURN(auto conn, db_.Acquire());
    KEEL_ASSIGN_OR_RETURN(UnitRow target, FindUnit(*conn, p.tenant_id, unit, "id"));
    if (p.role != domain::Role::kAdmin) {
      KEEL_ASSIGN_OR_RETURN(scope, ScopeOf(*conn, p, target));
    }
    KEEL_ASSIGN_OR_RETURN(std::optional<repo::MemberState> m, repo::LoadMemberIn(*conn, p.tenant_id, user_id, target.path));
    if (!m) return Status::NotFound("member", "user_id");
    before = {{"role", m->role}, {"unit_id", m->unit_id}, {"status", m->status}, {"username", m->username}};
    KEEL_RETURN_IF_ERROR(domain::CheckObject(body, {"role", "unit_id", "status", "display_name", "email", "phone", "supervisor_id", "locale"}));
    if (scope) {
      if (user_id == p.user_id) return Forbidden("sandbox.self", "a unit lead does not change their own account here", "战队负责人不能在此修改自己的账号");
      KEEL_RETURN_IF_ERROR(RoleAllowed(*scope, before["role"], "role"));  // a member above the sandbox is not the lead's to change
      if (body.contains("role")) KEEL_RETURN_IF_ERROR(RoleAllowed(*scope, Text(body, "role"), "role"));
      if (body.contains("unit_id")) {
        if (!body["unit_id"].is_number_integer()) return Bad("validation.type", "unit_id is an id", "unit_id 应为 ID", "unit_id");
        auto to = FindUnit(*conn, p.tenant_id, body["unit_id"].get<int64_t>());
        if (!to.ok() || to->path.rfind(p.unit_path, 0) != 0) {
          return Forbidden("sandbox.outside_subtree", "members move only between units of your subtree", "成员只能在您管理的单元之间调动", "unit_id");
        }
        if (to->archived) return Bad("validation.reference", "the unit is archived", "该单元已归档", "unit_id");
      }
      if (body.contains("status") && body["status"] != before["status"]) {
        if (!scope->sandbox.may_disable) {
          return Forbidden("sandbox.disable", "your sandbox does not let you disable or re-enable members", "您的权限沙箱不允许停用或启用成员", "status");
        }
        if (body["status"] == "active") KEEL_RETURN_IF_ERROR(RoomForOneMore(*scope));
      }
      if (body.contains("supervisor_id") && body["supervisor_id"].is_number_integer()) {
        KEEL_ASSIGN_OR_RETURN(bool inside, repo::UserInSubtree(*conn, p.tenant_id, body["supervisor_id"].get<int64_t>(), p.unit_path));
        if (!inside) return Forbidden("sandbox.outside_subtree", "the supervisor is outside your unit subtree", "主管不在您管理的单元范围内", "supervisor_id");
      }
    }
  }
  Principal writer = scope ? Principal::System(p.tenant_id) : p;
  writer.request_id = p.request_id;
  KEEL_ASSIGN_OR_RETURN(json user, records_.Update(writer, users, user_id, body));
  if (scope) {
    json after = {{"role", user["role"]}, {"unit_id", user["unit_id"]}, {"status", user["status"]}, {"username", user["username"]}};
    std::string action = after["status"] != before["status"] ? (after["status"] == "disabled" ? "disable" : "enable")
                         : after["unit_id"] != before["unit_id"] ? "move"
                         : after["role"] != before["role"]       ? "role"
                                                                 : "update";
    KEEL_ASSIGN_OR_RETURN(auto conn, db_.Acquire());
    KEEL_ASSIGN_OR_RETURN(std::vector<int64_t> ids, conn->AllocateIds(1));
    KEEL_RETURN_IF_ERROR(repo::InsertSandboxLog(*conn, p.tenant_id, {ids[0], scope->home.id, p.user_id, action, user_id, before.dump(), after.dump(),
                                                                      FormatTimestamp(clock_.NowMs())}));
  }
  return user;
}


}  // namespace keel::org
