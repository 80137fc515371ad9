// The alert engine (告警引擎): rules over metrics, written in the formula language, evaluated
// when their metrics change and on a timer. Each rule watches one metric per group (e.g. per
// unit); tiers (info/warning/critical) each have a condition and an optional `for` duration;
// a recovery condition keeps an alert from flapping; a no-data policy says what silence means.
// A firing alert is stored, notifies along an escalation route (in-app, webhooks in the WeCom,
// DingTalk, Feishu or generic format), may create a task, and can be acknowledged or silenced;
// a critical alert inhibits warnings on the same labels. Pending (`for`) state lives in memory:
// a restart restarts the waiting, never the alerts that already fire.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "alerts/model.h"
#include "alerts/notify.h"
#include "common/outbound.h"
#include "common/secrets.h"
#include "common/status.h"
#include "common/time.h"
#include "domain/model.h"
#include "domain/records.h"
#include "metrics/engine.h"
#include "store/database.h"

namespace keel::alerts {

// JSON stays for the rule definition document (SaveRule, CheckRule, AlertRule::ToJson): it is
// what the user writes and is stored as written.
using json = nlohmann::json;

enum class Severity { kInfo = 0, kWarning = 1, kCritical = 2 };
const char* SeverityName(Severity s);
Result<Severity> ParseSeverity(std::string_view s);

struct Tier {
  Severity severity = Severity::kWarning;
  std::string when;
  int64_t for_ms = 0;
};

struct RouteStep {
  std::string notify;  // unit_lead | hq | owner | supervisor | user:<id> | role:<role>
  int64_t wait_ms = 0; // a wait step when > 0
};

struct AlertRule {
  std::string name;
  int version = 1;
  std::string label_zh, label_en;
  std::string metric;
  std::vector<std::string> group_by;
  int64_t window_ms = 86400000;  // the window of `value`
  int64_t every_ms = 60000;
  std::vector<Tier> tiers;       // highest severity first after parsing
  std::string recover_when;
  std::string no_data = "ok";    // ok | keep | alert
  std::vector<RouteStep> route;
  bool create_task = false;
  std::string message_zh, message_en;  // optional text; {value} {group} {severity} are replaced
  int64_t owner_id = 0;
  json ToJson() const;
};

struct AlertOptions {
  int64_t tick_ms = 1000;             // the timer: for-durations, escalation, `every`
  int64_t min_interval_ms = 200;      // at most this often per tenant on metric changes
  alerts::RetryPolicy retry;
  std::function<void(int64_t)> sleep; // webhook backoff (tests inject)
  // Where webhooks may go, checked when one is saved, tested and sent (must outlive the
  // engine). Null: public addresses only.
  const outbound::Policy* outbound = nullptr;
  // Seals webhook URLs and secrets at rest (must outlive the engine). Null: a random key that
  // lives as long as the process — for tests and tools; a server passes its configured box.
  const SecretBox* secrets = nullptr;
  // Webhook delivery threads. Each serves one tenant at a time and tenants take turns, so a
  // tenant's slow or dead endpoints hold at most one thread and never delay the others.
  int delivery_workers = 4;
  // Per-webhook circuit breaker: after `breaker_failures` failed deliveries in a row the
  // webhook is paused for `breaker_cooldown_ms` (by the engine's clock); what it would have
  // sent meanwhile is recorded as "skipped" with the reason, without a request. The first
  // delivery after the pause is tried; a failure pauses it again.
  int breaker_failures = 3;
  int64_t breaker_cooldown_ms = 5 * 60 * 1000;
};

// A silence as asked for (src/http converts the request body; the shape of each field is
// checked there, what it means here).
struct SilenceSpec {
  std::optional<std::string> rule;              // only alerts of this rule
  std::map<std::string, std::string> matchers;  // label → value
  std::optional<std::string> starts_at;         // timestamp text; none: now
  std::optional<std::string> ends_at;           // timestamp text; none: starts + duration
  std::optional<std::string> duration;          // "4h", "7d" …, read when ends_at is none
  std::string comment;
};

// A webhook as asked for.
struct WebhookSpec {
  std::string name, channel, url;  // required, not empty
  std::string secret;              // "" when none
  int64_t unit_id = 0;             // 0: every unit
  std::string min_severity = "warning";
  std::string locale = "zh-CN";
};

// What a test message to a webhook did: only the status and a short clean excerpt of the reply.
struct WebhookTest {
  bool delivered = false;
  int http_status = 0;
  int attempts = 0;
  std::string error, response;
};

// How far from now a silence by `role` may end: admin and hq_ops 90 days, unit leads 7 days;
// 0 for roles that do not silence.
int64_t MaxSilenceMs(domain::Role role);

class AlertEngine {
 public:
  // All references must outlive the engine.
  AlertEngine(store::Database& db, domain::RecordService& records, metrics::MetricEngine& metrics,
              const Clock& clock, AlertOptions options = {});
  ~AlertEngine();
  AlertEngine(const AlertEngine&) = delete;
  AlertEngine& operator=(const AlertEngine&) = delete;

  // Subscribes to the metric engine and starts the evaluation and delivery threads.
  void Start();
  void Stop();
  // Evaluates every rule of the tenant now and delivers what it sends (tests, CLI).
  Status EvaluateNow(int64_t tenant_id);

  // Rules (admin, hq_ops write; everyone reads). A rule is a definition document (JSON or YAML,
  // docs/alerts.md) kept as written, one version per save: SaveRule and CheckRule take the
  // document and report errors at their path in it ("tiers[1].when@12", metric.not_found at
  // "metric"); SaveRule returns the saved rule (its canonical document is AlertRule::ToJson).
  // Writing needs admin or hq_ops (403 auth.forbidden); archiving resolves the rule's alerts.
  Result<std::vector<StoredRule>> ListRules(const domain::Principal& p);
  Result<StoredRule> GetRule(const domain::Principal& p, const std::string& name);
  Result<AlertRule> SaveRule(const domain::Principal& p, const json& definition, const std::string& replace_name = {});
  Status ArchiveRule(const domain::Principal& p, const std::string& name);
  Status CheckRule(const domain::Principal& p, const json& definition);
  // Alerts within the caller's scope, newest first, at most `limit` (1-500); `state`
  // firing|resolved|all (else 422 validation.enum at "state").
  Result<std::vector<Alert>> ListAlerts(const domain::Principal& p, const std::string& state, int limit);
  // Stops the alert's escalation (once; later calls change nothing) and returns it. Not found
  // outside the caller's scope; read-only roles get 403.
  Result<Alert> Acknowledge(const domain::Principal& p, int64_t alert_id, const std::string& comment);
  // Silences (静默) mute the notifications of matching alerts for a time, never the alerts.
  // Admin and hq_ops silence anything; a unit lead only alerts of units in their subtree (the
  // matchers must name such a unit: 403 silence.unit_required / silence.outside_subtree). A
  // silence ends within MaxSilenceMs(role) of now (422 silence.too_long at ends_at or duration).
  // A unit lead ends only their own silences; anyone's are HQ's to end (403 silence.not_yours).
  // Creating and ending are in the event log and the audit log (before/after).
  // CreateSilence returns the silence as stored. MaySilence is its permission check alone (the
  // API answers 403 before it reads the body).
  Result<std::vector<Silence>> ListSilences(const domain::Principal& p);
  Status MaySilence(const domain::Principal& p) const;
  Result<Silence> CreateSilence(const domain::Principal& p, const SilenceSpec& spec);
  Status DeleteSilence(const domain::Principal& p, int64_t id);
  // Webhooks (admin). A webhook's URL must pass the outbound policy (outbound.refused,
  // outbound.url, outbound.unresolved at "url"); its URL and secret are stored sealed and never
  // returned: the list shows the URL's origin and whether a secret is set, a test only the
  // status and a short clean excerpt of the reply. Creating and deleting one is audited.
  // CreateWebhook returns the webhook as listed (its name as given, the URL masked).
  // MayManageWebhooks is the permission check alone (403 before the body is read).
  Result<std::vector<WebhookInfo>> ListWebhooks(const domain::Principal& p);
  Status MayManageWebhooks(const domain::Principal& p) const;
  Result<WebhookInfo> CreateWebhook(const domain::Principal& p, const WebhookSpec& spec);
  Status DeleteWebhook(const domain::Principal& p, int64_t id);
  Result<WebhookTest> TestWebhook(const domain::Principal& p, int64_t id);
  // Seals every webhook URL and secret still stored in plain text (databases from before
  // encryption) or under an old key (rotation), across tenants. Values no key opens are
  // counted, left as they are and logged.
  Result<ResealCount> ResealSecrets();
  // The caller's in-app notifications, newest first, at most `limit` (1-500); admins and
  // auditors may pass all=true for the whole delivery log (others: 403).
  Result<std::vector<NotificationEntry>> Notifications(const domain::Principal& p, bool all, int limit);

  // An alert raised by another part for a fact rather than a metric rule — e.g. the AI service
  // on a negative news item about a customer with open deals. `rule` names the kind ("signal.
  // negative"), `key` identifies the occurrence: a firing alert with the same rule and key is
  // returned instead of a second one (`duplicate` set, only id, rule and state filled). It is
  // recorded like any alert (acknowledge, stream, webhooks) and notified in-app to its owner, and
  // to the owner's supervisor when critical. Returns the alert as the event log and the live
  // streams carry it.
  struct Raised {
    std::string rule, key, label_zh, label_en, summary_zh, summary_en;
    Severity severity = Severity::kWarning;
    AlertLabels labels;
    int64_t unit_id = 0, owner_id = 0;
    std::string notify = "owner";  // who is told in-app: a route target (owner, hq, role:…, user:…)
  };
  Result<AlertChange> Raise(int64_t tenant_id, const Raised& a);

  // Webhook deliveries since the engine was built, by outcome (delivered; failed after its
  // retries, or refused by the outbound policy; skipped while the webhook's circuit breaker
  // pauses it), and those waiting in the outbox for a delivery thread. For operators
  // (/metrics); thread-safe and cheap.
  struct DeliveryStats {
    int64_t delivered = 0, failed = 0, skipped = 0;
    int64_t queued = 0;
  };
  DeliveryStats delivery_stats() const;

  // Called for every alert that fires, changes severity or resolves (live streams), outside the
  // engine's locks, on the thread that made the change. Must be quick.
  using Listener = std::function<void(int64_t tenant_id, const AlertChange& alert)>;
  void SetListener(Listener l);

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace keel::alerts
