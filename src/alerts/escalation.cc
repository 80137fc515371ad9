// Escalation (升级): the route's steps — who hears of an alert in-app, and when the next step is due.
#include "alerts/engine_impl.h"

#include <algorithm>

namespace keel::alerts {


// When step `step` of the rule's route is due: after its wait; none once the route is done.
std::optional<std::string> NextStepAt(const AlertRule& rule, size_t step, TimeMs now) {
  if (step >= rule.route.size()) return std::nullopt;
  return FormatTimestamp(now + rule.route[step].wait_ms);
}

Status AlertEngine::Impl::NotifyStep(store::Connection& conn, int64_t tenant, int64_t alert_id, int64_t unit, int64_t owner,
                                     const std::string& target) {
  std::vector<int64_t> recipients;
  auto add = [&](Result<std::optional<int64_t>> user) -> Status {
    if (!user.ok()) return user.status();
    if (*user) recipients.push_back(**user);
    return Status();
  };
  auto add_all = [&](Result<std::vector<int64_t>> users) -> Status {
    if (!users.ok()) return users.status();
    recipients.insert(recipients.end(), users->begin(), users->end());
    return Status();
  };
  if (target == "unit_lead") {
    if (unit) KEEL_RETURN_IF_ERROR(add(repo::UnitLead(conn, tenant, unit)));
    if (owner) KEEL_RETURN_IF_ERROR(add(repo::LeadOfUsersUnit(conn, tenant, owner)));
    if (recipients.empty()) KEEL_RETURN_IF_ERROR(add_all(repo::ActiveUsersWithRole(conn, tenant, "hq_ops")));
  } else if (target == "hq") {
    KEEL_RETURN_IF_ERROR(add_all(repo::ActiveUsersWithRole(conn, tenant, "hq_ops")));
  } else if (target == "owner") {
    if (owner) recipients.push_back(owner);
  } else if (target == "supervisor") {
    if (owner) KEEL_RETURN_IF_ERROR(add(repo::Supervisor(conn, tenant, owner)));
  } else if (target.rfind("user:", 0) == 0) {
    int64_t user = std::strtoll(target.c_str() + 5, nullptr, 10);
    KEEL_ASSIGN_OR_RETURN(bool exists, repo::UserExists(conn, tenant, user));
    if (exists) recipients.push_back(user);
  } else if (target.rfind("role:", 0) == 0) {
    KEEL_RETURN_IF_ERROR(add_all(repo::ActiveUsersWithRole(conn, tenant, target.substr(5))));
  }
  std::sort(recipients.begin(), recipients.end());
  recipients.erase(std::unique(recipients.begin(), recipients.end()), recipients.end());
  if (recipients.empty()) return Status();
  KEEL_ASSIGN_OR_RETURN(std::vector<int64_t> ids, conn.AllocateIds(static_cast<int64_t>(recipients.size())));
  std::string now_text = FormatTimestamp(clock.NowMs());
  for (size_t i = 0; i < recipients.size(); ++i) {
    KEEL_RETURN_IF_ERROR(repo::InsertInApp(conn, tenant, ids[i], alert_id, target, recipients[i], now_text));
  }
  return Status();
}

Status AlertEngine::Impl::Escalate(int64_t tenant, TimeMs now) {
  std::map<std::string, AlertRule> by_name;
  {
    std::lock_guard lock(mu);
    for (const auto& [n, rs] : rules[tenant]) by_name[n] = rs->rule;
  }
  KEEL_ASSIGN_OR_RETURN(auto conn, db.Acquire());
  KEEL_ASSIGN_OR_RETURN(std::vector<Alert> due, repo::DueEscalations(*conn, tenant, FormatTimestamp(now)));
  for (const Alert& a : due) {
    auto it = by_name.find(a.rule);
    if (it == by_name.end()) continue;
    const AlertRule& rule = it->second;
    KEEL_ASSIGN_OR_RETURN(auto tx, store::Transaction::Begin(*conn));
    size_t step = static_cast<size_t>(a.escalation_step);
    if (step < rule.route.size() && rule.route[step].wait_ms > 0) ++step;  // the wait is over
    for (; step < rule.route.size() && rule.route[step].wait_ms == 0; ++step) {
      KEEL_RETURN_IF_ERROR(NotifyStep(*conn, tenant, a.id, a.unit_id.value_or(0), a.owner_id.value_or(0), rule.route[step].notify));
    }
    KEEL_RETURN_IF_ERROR(repo::SetEscalation(*conn, tenant, a.id, int64_t(step), NextStepAt(rule, step, now)));
    KEEL_RETURN_IF_ERROR(tx.Commit());
  }
  return Status();
}

}  // namespace keel::alerts
