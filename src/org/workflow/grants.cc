// Delegation: time-bounded grants of one's approvals.
#include "org/workflow/approvals.h"
#include "org/workflow/internal.h"

#include <spdlog/spdlog.h>

#include "alerts/engine.h"
#include "domain/codec.h"
#include "events/event_log.h"
#include "org/internal.h"
#include "org/workflow/store.h"
#include "common/json_util.h"

namespace keel::org {

namespace repo = workflow;

namespace {

struct Person {
  std::string name, role;
  int64_t unit_id = 0;
};

Result<Person> PersonOf(store::Connection& conn, int64_t tenant, int64_t user) {
  KEEL_ASSIGN_OR_RETURN(std::optional<repo::PersonRow> r, repo::LoadPerson(conn, tenant, user));
  if (!r) return Person{"#" + std::to_string(user), "", 0};
  return Person{r->display_name.empty() ? r->username : r->display_name, r->role, r->unit_id};
}

json GrantJson(const repo::GrantRow& g) {
  return {{"id", g.id}, {"grantor_id", g.grantor_id}, {"grantee_id", g.grantee_id}, {"kind", g.kind},
          {"unit_id", OrNull(g.unit_id)}, {"starts_at", g.starts_at}, {"ends_at", g.ends_at}, {"reason", OrNull(g.reason)},
          {"created_at", OrNull(g.created_at)}, {"created_by", OrNull(g.created_by)}, {"revoked_at", OrNull(g.revoked_at)}};
}

}  // namespace

void ApprovalEngine::SetAlerts(alerts::AlertEngine* alerts) { impl_->alerts = alerts; }

Result<GrantView> ApprovalEngine::CreateGrant(const Principal& p, const GrantCommand& c) {
  if (domain::IsReadOnly(p.role)) return Forbidden("read-only roles do not delegate", "只读角色不能委托");
  int64_t grantor = c.grantor_id.value_or(p.user_id);
  // Delegating someone else's approvals lets the grantee act as them: an admin's decision
  // (hq_ops could otherwise hand themselves anyone's authority), audited and told to the grantor.
  if (grantor != p.user_id && p.role != domain::Role::kAdmin) {
    return Status::Error(ErrorKind::kForbidden, "grant.on_behalf", "only an admin may delegate someone else's approvals; delegate your own",
                         "只有管理员可以代他人委托审批权；您只能委托自己的审批权", "grantor_id");
  }
  int64_t grantee = c.grantee_id;
  if (grantee == grantor) return Bad("validation.parameter", "a user cannot delegate to themselves", "不能委托给自己", "grantee_id");
  TimeMs now = impl_->clock.NowMs(), starts = c.starts_at.value_or(now), ends = c.ends_at;
  if (ends <= starts || ends - starts > 90LL * 86400000) {
    return Bad("validation.range", "ends_at must be after starts_at and within 90 days", "ends_at 须晚于 starts_at 且不超过 90 天", "ends_at");
  }
  if (c.reason.size() > 500) return Bad("validation.type", "reason is a text of at most 500 bytes", "reason 应为不超过 500 字节的文本", "reason");
  const std::string& reason = c.reason;
  KEEL_ASSIGN_OR_RETURN(auto conn, impl_->db.Acquire());
  for (int64_t u : {grantor, grantee}) {
    KEEL_ASSIGN_OR_RETURN(bool exists, repo::UserExists(*conn, p.tenant_id, u));
    if (!exists) return Bad("validation.reference", "no user " + std::to_string(u) + " in this tenant", "本租户没有用户 " + std::to_string(u),
                              u == grantee ? "grantee_id" : "grantor_id");
  }
  int64_t unit = c.unit_id.value_or(0);
  if (c.unit_id) {
    KEEL_ASSIGN_OR_RETURN(std::optional<std::string> path, repo::UnitPath(*conn, p.tenant_id, unit));
    if (!path || (!IsHq(p) && path->rfind(p.unit_path, 0) != 0)) {
      return Bad("validation.reference", "unit_id is not a unit in your part of the organisation", "unit_id 不在您的管辖范围内", "unit_id");
    }
  }
  KEEL_ASSIGN_OR_RETURN(auto tx, store::Transaction::Begin(*conn));
  KEEL_RETURN_IF_ERROR(events::LockTenant(*conn, p.tenant_id));
  KEEL_ASSIGN_OR_RETURN(std::vector<int64_t> ids, conn->AllocateIds(1));
  repo::GrantRow g;
  g.id = ids[0];
  g.grantor_id = grantor;
  g.grantee_id = grantee;
  g.kind = "approvals";
  if (unit) g.unit_id = unit;
  g.starts_at = FormatTimestamp(starts);
  g.ends_at = FormatTimestamp(ends);
  g.reason = reason;
  g.created_at = FormatTimestamp(now);
  if (p.user_id) g.created_by = p.user_id;
  KEEL_RETURN_IF_ERROR(repo::InsertGrant(*conn, p.tenant_id, g));
  GrantView out{ids[0], grantor, grantee, "approvals", g.unit_id, g.starts_at, g.ends_at, reason, g.created_by, std::nullopt, false};
  out.active = out.starts_at <= g.created_at && out.ends_at > g.created_at;
  json recorded = {{"id", ids[0]}, {"grantor_id", grantor}, {"grantee_id", grantee}, {"kind", "approvals"}, {"unit_id", unit ? json(unit) : json(nullptr)},
                   {"starts_at", g.starts_at}, {"ends_at", g.ends_at}, {"reason", reason}};
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
    a.labels = {{"grant", {std::to_string(ids[0]), "#" + std::to_string(ids[0])}}};
    a.unit_id = from.unit_id;
    a.owner_id = grantor;
    a.notify = "owner";
    auto raised = impl_->alerts->Raise(p.tenant_id, a);
    if (!raised.ok()) spdlog::error("grant {}: the grantor {} was not notified: {}", ids[0], grantor, raised.status().ToString());
  }
  return out;
}

Result<std::vector<GrantView>> ApprovalEngine::Grants(const Principal& p) {
  KEEL_ASSIGN_OR_RETURN(auto conn, impl_->db.Acquire());
  std::optional<int64_t> party;
  if (!domain::SeesWholeTenant(p.role) && !p.is_system()) party = p.user_id;
  KEEL_ASSIGN_OR_RETURN(std::vector<repo::GrantRow> grants, repo::LoadGrants(*conn, p.tenant_id, party));
  std::string now = FormatTimestamp(impl_->clock.NowMs());
  std::vector<GrantView> out;
  for (const auto& g : grants) {
    bool active = !g.revoked_at && g.starts_at <= now && g.ends_at > now;
    out.push_back({g.id, g.grantor_id, g.grantee_id, g.kind, g.unit_id, g.starts_at, g.ends_at, g.reason.value_or(""), g.created_by,
                   g.revoked_at, active});
  }
  return out;
}

Status ApprovalEngine::RevokeGrant(const Principal& p, int64_t id) {
  KEEL_ASSIGN_OR_RETURN(auto conn, impl_->db.Acquire());
  KEEL_ASSIGN_OR_RETURN(auto tx, store::Transaction::Begin(*conn));
  KEEL_RETURN_IF_ERROR(events::LockTenant(*conn, p.tenant_id));
  KEEL_ASSIGN_OR_RETURN(std::optional<repo::GrantRow> g, repo::LoadGrant(*conn, p.tenant_id, id));
  if (!g) return Status::NotFound("grant");
  json before = GrantJson(*g);
  if (g->grantor_id != p.user_id && !IsHq(p)) return Forbidden("only the grantor or HQ may revoke a grant", "只有委托人或总部可以撤销委托");
  if (!g->revoked_at) {
    TimeMs now = impl_->clock.NowMs();
    KEEL_RETURN_IF_ERROR(repo::RevokeGrant(*conn, p.tenant_id, id, FormatTimestamp(now)));
    json after = before;
    after["revoked_at"] = FormatTimestamp(now);
    KEEL_RETURN_IF_ERROR(RecordChange(*conn, p, now, "grant.revoked", "grants", id, after, before));
  }
  return tx.Commit();
}

}  // namespace keel::org
