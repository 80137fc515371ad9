// The alert part's records as the service hands them out (告警、静默、Webhook、通知): plain structs
// with named fields, no JSON. Timestamps are the stored UTC text ("2024-05-01T08:00:00Z"); an
// empty optional is a NULL column. src/http/alerts_api.cc turns them into the API's JSON.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

namespace keel::alerts {

// An alert (告警) as stored in `alerts`.
struct Alert {
  int64_t id = 0;
  std::string rule;       // the rule's name, or the kind of a raised alert ("signal.negative")
  std::string group_key;  // "dim=value;" per label, or a raised alert's key
  // JSON text {dimension: {value, name}}: free-form, raised alerts bring their own labels.
  std::string labels = "{}";
  std::string severity;  // info | warning | critical
  std::string state;     // firing | resolved
  std::optional<double> value;
  std::string summary, summary_en;
  std::optional<int64_t> unit_id, owner_id;
  std::string started_at, updated_at;
  std::optional<std::string> resolved_at, acked_at;
  std::optional<int64_t> acked_by;
  int64_t escalation_step = 0;
  std::optional<std::string> next_step_at;
  std::optional<int64_t> task_id;
};

// A label of an alert: a dimension's value as text and its display name, e.g. "unit" →
// {"1015", "上海战队"}. Raised alerts bring their own dimensions ("customer", "model", …).
struct AlertLabel {
  std::string value, name;
};
using AlertLabels = std::map<std::string, AlertLabel>;

// An alert that fired, changed severity or resolved (告警变化): what the event log records
// ("alert.fired", "alert.changed", "alert.resolved"), the webhooks announce and the live streams
// push (alerts/json.h writes it), and what AlertEngine::Raise returns.
struct AlertChange {
  int64_t id = 0;
  std::string rule;   // the rule's name, or the kind of a raised alert
  std::string state;  // firing | resolved
  // Raise only: a firing alert with the same rule and key already existed; only id, rule and
  // state are set.
  bool duplicate = false;
  std::string severity;  // info | warning | critical
  AlertLabels labels;
  std::optional<double> value;    // the metric's value; none for raised alerts or no data
  std::string summary, summary_en;
  std::string label, label_en;    // the rule's (or the raised kind's) name
  // Firing only: the unit and owner the alert concerns (none: 0), when it started and, once the
  // notifications were decided, whether a silence or a critical alert muted them (the event of
  // a rule's alert is written before that and has no `muted`).
  std::optional<int64_t> unit_id, owner_id;
  std::string started_at;
  std::optional<bool> muted;
  std::string resolved_at;  // resolved only
};

// A silence (静默): mutes the notifications of matching alerts between starts_at and ends_at.
struct Silence {
  int64_t id = 0;
  std::optional<std::string> rule;            // only alerts of this rule; empty: any rule
  std::map<std::string, std::string> matchers;  // label → value the alert's label must equal
  std::string starts_at, ends_at;
  std::optional<std::string> comment;
  int64_t created_by = 0;
  std::string created_at;
};

// A webhook as listed: never its URL past the origin, never its secret.
struct WebhookInfo {
  int64_t id = 0;
  std::string name, channel;
  std::string url;  // the origin and "/…" (the rest carries the robot's key)
  bool has_secret = false;
  std::optional<int64_t> unit_id;
  std::string min_severity, locale, created_at;
};

// One notification: an in-app message to a user or a webhook delivery, with its alert.
struct NotificationEntry {
  int64_t id = 0, alert_id = 0;
  std::string channel;  // in_app | wecom | dingtalk | feishu | generic
  std::string target;   // the route step (unit_lead, hq, user:7 …) or "webhook:<id>"
  std::optional<int64_t> recipient_id;
  std::string status;  // queued | delivered | failed | skipped
  int64_t attempts = 0;
  std::optional<int64_t> http_status;
  std::optional<std::string> error;
  std::string created_at;
  std::optional<std::string> delivered_at;
  std::string summary, summary_en, severity, alert_state;  // of the alert
};

// A stored alert rule version: the definition document as saved (JSON text, see docs/alerts.md)
// with its version, owner and creation time.
struct StoredRule {
  std::string name;
  int version = 1;
  std::string definition;
  int64_t owner_id = 0;
  std::string created_at;
};

}  // namespace keel::alerts
