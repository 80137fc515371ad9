// Internal to the alert part: the engine's state (AlertEngine::Impl) and the helpers its files
// share. Each file defines the members of its responsibility: rules.cc (definitions), evaluator.cc
// (evaluation and firing), escalation.cc (routes and in-app notifications), silences.cc,
// webhooks.cc (delivery threads and webhook admin), alert_log.cc (alerts and the notification
// log), engine.cc (lifecycle). SQL is in store.cc only.
#pragma once

#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "alerts/engine.h"
#include "alerts/json.h"
#include "alerts/store.h"
#include "events/consumer.h"
#include "formula/formula.h"

namespace keel::alerts {

using domain::Principal;
using domain::Role;

// Errors shared by the part's files.
Status Bad(const std::string& field, const std::string& en, const std::string& zh);
// "only admin and hq_ops may <what>".
Status Forbidden(const std::string& what_en, const std::string& what_zh);
// A refusal whose whole sentence is given.
Status Denied(const std::string& en, const std::string& zh);
bool CanWrite(Role r);
Status RequireAdmin(const Principal& p);

// Parses "30s", "15m", "2h", "1d", "4w" (a JSON string) into milliseconds ("alert.invalid" at
// `field`).
Result<int64_t> ParseDuration(const json& v, const std::string& field);
// The text at `key` of a JSON body ("" when absent and not required), at most `max` bytes.
Result<std::string> Text(const json& b, const char* key, bool required, size_t max = 2000);
// A rule definition document → a validated rule (alert.invalid / metric.not_found at the field).
Result<AlertRule> ParseRule(const json& b, metrics::MetricEngine& m, int64_t tenant);
// The fields a condition sees: `value`.
const std::vector<formula::FieldInfo>& ConditionFields();
// When step `step` of the rule's route is due: after its wait; none once the route is done.
std::optional<std::string> NextStepAt(const AlertRule& rule, size_t step, TimeMs now);
// Whether a silence in force mutes an alert of `rule` with these labels (dimension, value).
Result<bool> Muted(store::Connection& conn, int64_t tenant, const std::string& rule,
                   const std::vector<std::pair<std::string, std::string>>& labels, const std::string& now);
// Appends the caller's event for a change made through the API.
Status AppendEvent(store::Connection& conn, const Principal& p, const std::string& type, const std::string& entity,
                   int64_t id, const json& payload, TimeMs now);

struct GroupState {
  std::map<int, TimeMs> since;  // severity → when its condition started to hold (for `for`)
  int64_t alert_id = 0;  // firing
  Severity firing = Severity::kInfo;
};

struct RuleState {
  AlertRule rule;
  std::vector<formula::Formula> tiers;
  std::optional<formula::Formula> recover;
  TimeMs last_eval = 0;
  std::map<std::string, GroupState> groups;  // by group key
};

// A webhook delivery waiting in its tenant's queue. The URL and secret stay sealed until the
// moment of sending.
struct Outbound {
  int64_t tenant = 0, notification_id = 0, webhook_id = 0;
  Channel channel = Channel::kGeneric;
  std::string sealed_url, sealed_secret;
  Notification message;
};

struct AlertEngine::Impl : events::ConsumerHandler {
  store::Database& db;
  domain::RecordService& records;
  metrics::MetricEngine& metrics;
  const Clock& clock;
  AlertOptions opt;

  std::mutex mu;  // guards everything below
  std::map<int64_t, std::map<std::string, std::unique_ptr<RuleState>>> rules;  // tenant → rules
  std::set<int64_t> loaded;
  std::map<int64_t, std::set<std::string>> changed;  // metrics changed since the last evaluation
  bool stop = false, started = false;  // the delivery threads'
  std::vector<std::thread> deliverers;
  int listener_id = 0;
  int rules_listener = 0;  // the metric engine's event listener for alert_rule.* events
  Listener listener;
  std::mutex eval_mu;  // one evaluation at a time
  // Webhook deliveries: a FIFO per tenant; a tenant in `busy` has a delivery in flight and is
  // skipped until it ends; tenants are served in turn after `last_served`.
  std::map<int64_t, std::deque<Outbound>> outbox;
  std::set<int64_t> busy;
  int64_t last_served = 0;
  std::condition_variable outbox_cv;
  struct Breaker {
    int failures = 0;         // failed deliveries in a row
    TimeMs paused_until = 0;  // meaningful once failures >= opt.breaker_failures
  };
  std::map<std::pair<int64_t, int64_t>, Breaker> breakers;  // (tenant, webhook id)
  DeliveryStats delivered;  // counts by outcome (queued is worked out by delivery_stats)

  std::unique_ptr<outbound::Policy> own_policy;  // when the options give none
  SecretBox own_box;
  const outbound::Policy* policy;
  const SecretBox* box;

  Impl(store::Database& d, domain::RecordService& r, metrics::MetricEngine& m, const Clock& c, AlertOptions o)
      : db(d), records(r), metrics(m), clock(c), opt(std::move(o)) {
    if (opt.outbound == nullptr) own_policy = std::make_unique<outbound::Policy>();
    policy = opt.outbound != nullptr ? opt.outbound : own_policy.get();
    if (opt.secrets == nullptr) own_box = SecretBox::Ephemeral();
    box = opt.secrets != nullptr ? opt.secrets : &own_box;
  }

  Status Load(int64_t tenant);
  Status Evaluate(int64_t tenant, bool all);
  Status EvaluateRule(int64_t tenant, RuleState& rs, TimeMs now);
  Status Fire(int64_t tenant, RuleState& rs, const std::vector<std::pair<std::string, std::string>>& labels,
              GroupState& gs, Severity sev, std::optional<double> value, TimeMs now);
  Status Resolve(int64_t tenant, RuleState& rs, GroupState& gs, std::optional<double> value, TimeMs now);
  Status Escalate(int64_t tenant, TimeMs now);
  // Notifies in-app the people a route step names (`target`: unit_lead, hq, owner, supervisor,
  // user:<id>, role:<role>) of the alert of `unit` and `owner` (0: none).
  // Step `step` of the route; each person is notified once per alert and step (dedup_key).
  Status NotifyStep(store::Connection& conn, int64_t tenant, int64_t alert_id, size_t step, int64_t unit, int64_t owner,
                    const std::string& target);
  // With leases, in a write transaction: OK while this node still holds the tenant's evaluator
  // lease under the token it evaluates with; 409 lease.lost otherwise (the caller rolls back).
  Status FenceLease(store::Connection& conn, int64_t tenant);
  // Queues again the webhook deliveries of the tenant that nobody is sending (their node died
  // after the commit, or while sending); the claim keeps a delivery from going out twice.
  Status ResendStranded(int64_t tenant, TimeMs now);
  std::map<int64_t, int64_t> lease_tokens;  // tenant → the evaluator lease token last evaluated under
  std::map<int64_t, TimeMs> last_stranded_check;  // tenant → when ResendStranded last looked
  // Records a queued notification for every webhook that hears the alert and adds its
  // delivery to `pending`, which the caller enqueues once its transaction has committed.
  // `seq` is the alert event's sequence number: each webhook hears each change once (dedup_key).
  Status SendWebhooks(store::Connection& conn, int64_t tenant, const AlertChange& alert, int64_t seq, bool resolved,
                      std::vector<Outbound>* pending);
  void Enqueue(std::vector<Outbound> pending);
  // Creates the follow-up task of a newly firing alert in the alert's transaction, behind a
  // savepoint: a task that cannot be made is logged and rolled back; only a failure of the
  // savepoint itself fails the alert's transaction.
  Status CreateTask(store::Connection& conn, int64_t tenant, const AlertRule& rule, int64_t id, Severity sev, int64_t unit_id,
                    int64_t owner_id, const std::string& summary_zh, const std::string& summary_en, TimeMs now);
  Status MakeTask(store::Connection& conn, int64_t tenant, const AlertRule& rule, int64_t id, Severity sev, int64_t unit_id,
                  int64_t owner_id, const std::string& summary_zh, const std::string& summary_en, TimeMs now);
  // Hands the alert to the listener, if any (outside the lock).
  void Publish(int64_t tenant, const AlertChange& alert);
  // A delivery thread: takes the next tenant's next delivery until stopped and nothing is left.
  void Work();
  void DeliverOne(Outbound o);
  // events::ConsumerHandler: the evaluator is a consumer of no events, woken per tenant by metric
  // changes (the metric engine's listener) and every tick_ms for every tenant it has seen; a
  // tenant is evaluated at most once per min_interval_ms (sooner wake-ups are put off).
  Status Process(int64_t tenant, std::span<const events::Event>) override;
  std::map<int64_t, TimeMs> last_evaluated;  // the evaluator's thread only
  std::unique_ptr<events::Consumer> evaluator;
};

}  // namespace keel::alerts
