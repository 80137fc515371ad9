// Alerts as records: alerts raised by other parts, the list within the caller's scope,
// acknowledgement, and the notification inbox / delivery log.
#include "alerts/engine_impl.h"

#include "events/event_log.h"

namespace keel::alerts {

Result<AlertChange> AlertEngine::Raise(int64_t tenant, const Raised& a) {
  Impl& m = *impl_;
  TimeMs now = m.clock.NowMs();
  std::string now_text = FormatTimestamp(now);
  KEEL_ASSIGN_OR_RETURN(auto conn, m.db.Acquire());
  KEEL_ASSIGN_OR_RETURN(auto tx, store::Transaction::Begin(*conn));
  KEEL_RETURN_IF_ERROR(events::LockTenant(*conn, tenant));
  KEEL_ASSIGN_OR_RETURN(std::optional<int64_t> dup, repo::FindFiring(*conn, tenant, a.rule, a.key));
  if (dup) {
    AlertChange existing;
    existing.id = *dup;
    existing.rule = a.rule;
    existing.state = "firing";
    existing.duplicate = true;
    return existing;
  }
  KEEL_ASSIGN_OR_RETURN(std::vector<int64_t> ids, conn->AllocateIds(1));
  int64_t id = ids[0];
  Alert row;
  row.id = id;
  row.rule = a.rule;
  row.group_key = a.key;
  row.labels = ToJson(a.labels).dump();
  row.severity = SeverityName(a.severity);
  row.state = "firing";
  row.summary = a.summary_zh;
  row.summary_en = a.summary_en;
  if (a.unit_id) row.unit_id = a.unit_id;
  if (a.owner_id) row.owner_id = a.owner_id;
  row.started_at = row.updated_at = now_text;
  KEEL_RETURN_IF_ERROR(repo::InsertAlert(*conn, tenant, row));
  AlertChange alert;
  alert.id = id;
  alert.rule = a.rule;
  alert.state = "firing";
  alert.severity = SeverityName(a.severity);
  alert.labels = a.labels;
  alert.summary = a.summary_zh;
  alert.summary_en = a.summary_en;
  alert.label = a.label_zh;
  alert.label_en = a.label_en;
  alert.unit_id = row.unit_id;
  alert.owner_id = row.owner_id;
  alert.started_at = now_text;
  alert.muted = false;
  KEEL_ASSIGN_OR_RETURN(int64_t seq, events::AppendOne(*conn, tenant, now, "alert.fired", "alerts", id, 0, ToJson(alert).dump()));
  // A raised alert's route has two steps at once: who it names, and the supervisor when critical.
  KEEL_RETURN_IF_ERROR(m.NotifyStep(*conn, tenant, id, 0, a.unit_id, a.owner_id, a.notify));
  if (a.severity == Severity::kCritical) KEEL_RETURN_IF_ERROR(m.NotifyStep(*conn, tenant, id, 1, a.unit_id, a.owner_id, "supervisor"));
  std::vector<Outbound> pending;
  KEEL_RETURN_IF_ERROR(m.SendWebhooks(*conn, tenant, alert, seq, false, &pending));
  KEEL_RETURN_IF_ERROR(tx.Commit());
  m.Enqueue(std::move(pending));
  m.Publish(tenant, alert);
  return alert;
}

Result<std::vector<Alert>> AlertEngine::ListAlerts(const Principal& p, const std::string& state, int limit) {
  if (state != "firing" && state != "resolved" && state != "all") {
    return Status::Invalid("validation.enum", "state is firing, resolved or all", "state 可为 firing、resolved 或 all", "state");
  }
  KEEL_ASSIGN_OR_RETURN(auto conn, impl_->db.Acquire());
  return repo::VisibleAlerts(*conn, p, state == "all" ? "" : state, limit);
}

Result<Alert> AlertEngine::Acknowledge(const Principal& p, int64_t alert_id, const std::string& comment) {
  if (domain::IsReadOnly(p.role)) return Denied("your role may not acknowledge alerts", "您的角色不能确认告警");
  KEEL_ASSIGN_OR_RETURN(auto conn, impl_->db.Acquire());
  KEEL_ASSIGN_OR_RETURN(auto tx, store::Transaction::Begin(*conn));
  KEEL_ASSIGN_OR_RETURN(std::optional<Alert> before, repo::LoadAlert(*conn, p.tenant_id, alert_id, &p));
  if (!before) return Status::NotFound("alert");
  TimeMs now = impl_->clock.NowMs();
  if (!before->acked_at) {
    KEEL_RETURN_IF_ERROR(repo::Acknowledge(*conn, p.tenant_id, alert_id, p.user_id, FormatTimestamp(now)));
    KEEL_RETURN_IF_ERROR(AppendEvent(*conn, p, "alert.acknowledged", "alerts", alert_id, {{"comment", comment}}, now));
  }
  KEEL_ASSIGN_OR_RETURN(std::optional<Alert> after, repo::LoadAlert(*conn, p.tenant_id, alert_id));
  KEEL_RETURN_IF_ERROR(tx.Commit());
  if (!after) return Status::NotFound("alert");
  return std::move(*after);
}

Result<std::vector<NotificationEntry>> AlertEngine::Notifications(const Principal& p, bool all, int limit) {
  if (all && p.role != Role::kAdmin && p.role != Role::kAuditor) {
    return Denied("only admins and auditors read the delivery log", "只有管理员和审计可以查看投递日志");
  }
  KEEL_ASSIGN_OR_RETURN(auto conn, impl_->db.Acquire());
  return repo::Notifications(*conn, p.tenant_id, all ? std::nullopt : std::optional<int64_t>(p.user_id), limit);
}

}  // namespace keel::alerts
