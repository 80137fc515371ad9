// Next best actions (下一步最佳行动): findings turned into tasks with reasons, assigned to the
// record's owner, de-duplicated (one open action per rule and record, refreshed in place) and
// ranked by expected value (probability × amount):
//   stale_lead    an A/B-band lead untouched for days
//   deal_at_risk  an open deal whose close date passed or slipped, that nobody touched for
//                 weeks, with negative news about its customer or a competitor in the notes
//   signal        a news item, tender or social post about a customer — negative, a tender in
//                 our categories, or a sudden burst — raises an alert on the linked open deals
//                 and a follow-up task, as soon as the signal is committed
//   coverage_gap  a customer that bought in the last year and was not contacted for 60 days
// The rep's "today" list is their open tasks in that order, each with its reason in zh/en.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "ai/model.h"
#include "common/status.h"
#include "common/time.h"
#include "domain/records.h"
#include "store/database.h"

namespace keel::alerts {
class AlertEngine;
}

namespace keel::ai {

struct ActionOptions {
  int stale_days_a = 2, stale_days_b = 4;  // an A-band lead untouched this long; a B-band one
  int deal_idle_days = 14;
  int coverage_days = 60;
  int per_owner = 5;                        // at most this many new actions per owner and rule per run
  double negative_sentiment = -0.3;         // a signal at or below is negative
  int burst_count = 3;                      // signals about one customer in 24 h that make a burst …
  double burst_ratio = 3;                   // … at this multiple of its usual daily rate
  std::vector<std::string> competitor_terms = {"竞品", "竞争对手", "对手", "competitor", "格力", "美的", "海尔",
                                               "奥克斯", "海信", "TCL", "小米", "Gree", "Midea", "Haier"};
};

class ActionPlanner {
 public:
  // All references must outlive the planner. Thread-safe (no state between calls but options).
  ActionPlanner(store::Database& db, domain::RecordService& records, const Clock& clock, ActionOptions options = {});
  // Where signal alerts go; without it signals only create tasks.
  void SetAlerts(alerts::AlertEngine* alerts) { alerts_ = alerts; }

  // Runs the stale-lead, deal-at-risk and coverage rules for the tenant; returns counts per rule
  // {created, refreshed}.
  Result<PlanCounts> Plan(int64_t tenant);
  // Signals just committed (ids of `signals` rows): alerts on linked deals and follow-up tasks.
  Result<SignalOutcome> OnSignals(int64_t tenant, const std::vector<int64_t>& signal_ids);
  // The caller's open tasks, best first, with reasons (zh/en) and expected values.
  Result<TodayList> Today(const domain::Principal& p, int limit);

 private:
  struct Finding;
  // Creates the task and its action, or refreshes the open one; true when a task was created.
  // Acquires its own connection (the record service does too): callers hold none.
  Result<bool> Upsert(int64_t tenant, const Finding& f);

  store::Database& db_;
  domain::RecordService& records_;
  const Clock& clock_;
  ActionOptions opt_;
  alerts::AlertEngine* alerts_ = nullptr;
  std::mutex plan_mu_;  // one planning pass at a time: no finding becomes two tasks
};

}  // namespace keel::ai
