// Escalation (升级): the route's steps — who hears of an alert in-app, and when the next step is due.
#include "alerts/engine_impl.h"

#include <algorithm>

namespace keel::alerts {


// When step `step` of the rule's route is due: after its wait; none once the route is done.
std::optional<std::string> NextStepAt(const AlertRule& rule, size_t step, TimeMs now) {
  if (step >= rule.route.size()) return std::nullopt;
  return FormatTimestamp(now + rule.route[step].wait_ms);
}

Status AlertEngine::Impl::NotifyStep(store::Connection& conn, int64_t tenant, int64_t alert_id, size_t step, int64_t unit,
                                     int64_t owner, const std::string& target) {
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
    // One notification per alert, route step and person, whichever node writes it first.
    std::string key = "a" + std::to_string(alert_id) + ":s" + std::to_string(step) + ":u" + std::to_string(recipients[i]);
    KEEL_RETURN_IF_ERROR(repo::InsertInApp(conn, tenant, ids[i], alert_id, target, recipients[i], key, now_text).status());
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
    KEEL_RETURN_IF_ERROR(FenceLease(*conn, tenant));
    const size_t from = static_cast<size_t>(a.escalation_step);
    size_t step = from;
    if (step < rule.route.size() && rule.route[step].wait_ms > 0) ++step;  // the wait is over
    size_t last = step;
    while (last < rule.route.size() && rule.route[last].wait_ms == 0) ++last;
    // Compare and set first: only the evaluation that moves the route notifies its steps.
    KEEL_ASSIGN_OR_RETURN(bool moved, repo::AdvanceEscalation(*conn, tenant, a.id, int64_t(from), int64_t(last),
                                                              NextStepAt(rule, last, now)));
    if (!moved) continue;  // moved or acknowledged meanwhile; the transaction rolls back
    for (; step < last; ++step) {
      KEEL_RETURN_IF_ERROR(NotifyStep(*conn, tenant, a.id, step, a.unit_id.value_or(0), a.owner_id.value_or(0),
                                      rule.route[step].notify));
    }
    KEEL_RETURN_IF_ERROR(tx.Commit());
  }
  return Status();
}

}  // namespace keel::alerts
