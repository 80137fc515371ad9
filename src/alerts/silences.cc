// Silences (静默): who may mute which alerts for how long, and the silences API.
#include "alerts/engine_impl.h"

#include <algorithm>

#include "domain/audit.h"
#include "domain/codec.h"
#include "domain/store.h"
#include "events/event_log.h"

namespace keel::alerts {

Result<std::vector<Silence>> AlertEngine::ListSilences(const Principal& p) {
  KEEL_ASSIGN_OR_RETURN(auto conn, impl_->db.Acquire());
  return repo::Silences(*conn, p.tenant_id);
}

namespace {

// The labels whose values are unit ids (the alert's unit_id comes from them, see Fire).
bool NamesUnit(const std::string& label) { return label == "unit" || label == "region"; }

std::string DurationText(int64_t ms) {
  return ms % 86400000 == 0 ? std::to_string(ms / 86400000) + "d" : std::to_string(ms / 3600000) + "h";
}

// The silence as the event and audit logs show it.
json SilenceJson(const Silence& s) {
  return {{"id", s.id}, {"rule", s.rule ? json(*s.rule) : json(nullptr)}, {"matchers", s.matchers}, {"starts_at", s.starts_at},
          {"ends_at", s.ends_at}, {"comment", s.comment ? json(*s.comment) : json(nullptr)}, {"created_by", s.created_by}, {"created_at", s.created_at}};
}

// A unit lead's silence names at least one unit (matchers.unit or matchers.region), and every unit
// it names lies in their subtree: since a matcher must equal the alert's label, the silence then
// mutes only alerts of their own units.
Status CheckSilenceScope(store::Connection& conn, const Principal& p, const json& matchers) {
  if (p.role != Role::kUnitLead) return Status();
  bool named = false;
  for (const auto& [k, v] : matchers.items()) {
    if (!NamesUnit(k)) continue;
    named = true;
    const std::string& text = v.get_ref<const std::string&>();
    bool in_subtree = false;
    if (!text.empty() && text.size() < 19 && text.find_first_not_of("0123456789") == std::string::npos) {
      KEEL_ASSIGN_OR_RETURN(std::optional<std::string> path,
                            domain::LoadUnitPath(conn, p.tenant_id, static_cast<int64_t>(std::stoll(text))));
      in_subtree = path && !p.unit_path.empty() && path->rfind(p.unit_path, 0) == 0;
    }
    if (!in_subtree) {
      return Status::Error(ErrorKind::kForbidden, "silence.outside_subtree",
                           "a unit lead silences only alerts of units in their own subtree; unit " + text + " is not one of them",
                           "战队负责人只能静默本单元及下级单元的告警；单元 " + text + " 不在其中", "matchers." + k);
    }
  }
  if (!named) {
    return Status::Error(ErrorKind::kForbidden, "silence.unit_required",
                         "a unit lead's silence names one of their units (matchers.unit or matchers.region)",
                         "战队负责人的静默须指定本人管辖的单元（matchers.unit 或 matchers.region）", "matchers");
  }
  return Status();
}

}  // namespace

Result<bool> Muted(store::Connection& conn, int64_t tenant, const std::string& rule,
                   const std::vector<std::pair<std::string, std::string>>& labels, const std::string& now) {
  KEEL_ASSIGN_OR_RETURN(std::vector<Silence> silences, repo::ActiveSilences(conn, tenant, now));
  for (const auto& s : silences) {
    if (s.rule && *s.rule != rule) continue;
    bool match = true;
    for (const auto& [k, val] : s.matchers) {
      auto same = [&](const auto& label) { return label.first == k && label.second == val; };
      match = match && std::any_of(labels.begin(), labels.end(), same);
    }
    if (match) return true;
  }
  return false;
}

int64_t MaxSilenceMs(Role role) {
  switch (role) {
    case Role::kAdmin:
    case Role::kHqOps:
      return 90LL * 86400000;
    case Role::kUnitLead:
      return 7LL * 86400000;
    default:
      return 0;
  }
}

Status AlertEngine::MaySilence(const Principal& p) const {
  if (!CanWrite(p.role) && p.role != Role::kUnitLead) return Denied("only unit leads, admin and hq_ops may silence alerts", "只有战队负责人、管理员和销售运营可以静默告警");
  return Status();
}

Result<Silence> AlertEngine::CreateSilence(const Principal& p, const SilenceSpec& spec) {
  KEEL_RETURN_IF_ERROR(MaySilence(p));
  TimeMs now = impl_->clock.NowMs();
  TimeMs starts = now, ends = 0;
  if (spec.starts_at) {
    KEEL_ASSIGN_OR_RETURN(starts, ParseTimestamp(*spec.starts_at));
  }
  std::string end_field = "ends_at";
  if (spec.ends_at) {
    auto e = ParseTimestamp(*spec.ends_at);
    if (!e.ok()) return e.status().WithField("ends_at");
    ends = *e;
  } else if (spec.duration) {
    KEEL_ASSIGN_OR_RETURN(int64_t d, ParseDuration(json(*spec.duration), "duration"));
    ends = starts + d;
    end_field = "duration";
  } else {
    return Status::Invalid("validation.required", "give ends_at or duration (e.g. 4h)", "请提供 ends_at 或 duration（如 4h）", "ends_at");
  }
  if (ends <= starts) return Status::Invalid("alert.invalid", "ends_at must be after starts_at", "结束时间必须晚于开始时间", "ends_at");
  // A silence ends within the caller's maximum from now, however it is written (a far start
  // does not stretch it).
  const int64_t max_ms = MaxSilenceMs(p.role);
  if (ends > now + max_ms) {
    std::string role(domain::RoleName(p.role));
    return Status::Error(ErrorKind::kUnprocessable, "silence.too_long",
                         "a silence by " + role + " ends within " + DurationText(max_ms) + " (by " + FormatTimestamp(now + max_ms) + ")",
                         "角色 " + role + " 的静默须在 " + DurationText(max_ms) + " 内结束（不晚于 " + FormatTimestamp(now + max_ms) + "）",
                         end_field);
  }
  json matchers = spec.matchers;
  std::string rule = spec.rule.value_or("");
  KEEL_ASSIGN_OR_RETURN(auto conn, impl_->db.Acquire());
  KEEL_RETURN_IF_ERROR(CheckSilenceScope(*conn, p, matchers));
  KEEL_ASSIGN_OR_RETURN(auto tx, store::Transaction::Begin(*conn));
  KEEL_RETURN_IF_ERROR(events::LockTenant(*conn, p.tenant_id));
  KEEL_ASSIGN_OR_RETURN(std::vector<int64_t> ids, conn->AllocateIds(1));
  Silence row;
  row.id = ids[0];
  if (!rule.empty()) row.rule = rule;
  row.matchers = spec.matchers;
  row.starts_at = FormatTimestamp(starts);
  row.ends_at = FormatTimestamp(ends);
  row.comment = spec.comment;
  row.created_by = p.user_id;
  row.created_at = FormatTimestamp(now);
  KEEL_RETURN_IF_ERROR(repo::InsertSilence(*conn, p.tenant_id, row));
  json out = {{"id", ids[0]}, {"rule", rule.empty() ? json(nullptr) : json(rule)}, {"matchers", matchers},
              {"starts_at", FormatTimestamp(starts)}, {"ends_at", FormatTimestamp(ends)}};
  KEEL_RETURN_IF_ERROR(AppendEvent(*conn, p, "alert_silence.created", "alert_silences", ids[0], out, now));
  json audited = out;
  audited["comment"] = spec.comment;
  audited["created_by"] = p.user_id;
  KEEL_RETURN_IF_ERROR(domain::AuditChange(*conn, p, now, {"create", "alert_silences", ids[0], nullptr, audited}));
  KEEL_RETURN_IF_ERROR(tx.Commit());
  return row;
}

Status AlertEngine::DeleteSilence(const Principal& p, int64_t id) {
  if (!CanWrite(p.role) && p.role != Role::kUnitLead) return Denied("only unit leads, admin and hq_ops may end silences", "只有战队负责人、管理员和销售运营可以结束静默");
  KEEL_ASSIGN_OR_RETURN(auto conn, impl_->db.Acquire());
  KEEL_ASSIGN_OR_RETURN(auto tx, store::Transaction::Begin(*conn));
  KEEL_RETURN_IF_ERROR(events::LockTenant(*conn, p.tenant_id));
  KEEL_ASSIGN_OR_RETURN(std::optional<Silence> silence, repo::LoadSilence(*conn, p.tenant_id, id));
  if (!silence) return Status::NotFound("silence");
  json before = SilenceJson(*silence);
  // Ending a silence restores notifications, yet whose silence it was matters: a unit lead ends
  // only their own; someone else's (another lead's, HQ's) is HQ's to end.
  if (before["created_by"].get<int64_t>() != p.user_id && !CanWrite(p.role)) {
    return Status::Error(ErrorKind::kForbidden, "silence.not_yours", "only admin and hq_ops end a silence someone else created",
                         "只有管理员和销售运营可以结束他人创建的静默");
  }
  KEEL_RETURN_IF_ERROR(repo::DeleteSilence(*conn, p.tenant_id, id));
  TimeMs now = impl_->clock.NowMs();
  KEEL_RETURN_IF_ERROR(AppendEvent(*conn, p, "alert_silence.deleted", "alert_silences", id, before, now));
  KEEL_RETURN_IF_ERROR(domain::AuditChange(*conn, p, now, {"delete", "alert_silences", id, before, nullptr}));
  return tx.Commit();
}

}  // namespace keel::alerts
