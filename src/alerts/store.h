// The alert part's repository (告警存储): every statement on alert_rules, alerts,
// alert_silences, webhooks and notifications, and the few reads of units and users the
// escalation routes need. Rows come back as structs read by column name. Each function runs on
// the caller's connection (inside the caller's transaction when there is one) and returns the
// store's Status on failure; nothing here checks permissions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "alerts/model.h"
#include "common/status.h"
#include "domain/model.h"
#include "store/database.h"

namespace keel::alerts::repo {

// ---- alert_rules (the versions themselves are written through domain/versions.h)

// The active version of every rule of the tenant, by name.
Result<std::vector<StoredRule>> ActiveRules(store::Connection& conn, int64_t tenant);
// Tenants with at least one active rule.
Result<std::vector<int64_t>> TenantsWithRules(store::Connection& conn);
// Archives the active version of `name`; returns how many rows changed (0: none was active).
Result<int64_t> ArchiveRule(store::Connection& conn, int64_t tenant, const std::string& name);

// ---- alerts

Result<std::vector<Alert>> FiringAlerts(store::Connection& conn, int64_t tenant);
// The id of the firing alert of `rule` on `group_key`, if any.
Result<std::optional<int64_t>> FindFiring(store::Connection& conn, int64_t tenant, const std::string& rule,
                                          const std::string& group_key);
// Inserts `a` (id, rule, group_key, labels, severity, state, value, summaries, unit, owner,
// started_at, updated_at).
Status InsertAlert(store::Connection& conn, int64_t tenant, const Alert& a);
// A firing alert changes severity: its value and summaries follow.
Status UpdateSeverity(store::Connection& conn, int64_t tenant, int64_t id, const std::string& severity,
                      std::optional<double> value, const std::string& summary, const std::string& summary_en,
                      const std::string& now);
// The route's position: the next step and when it is due (none: the route is done).
Status SetEscalation(store::Connection& conn, int64_t tenant, int64_t id, int64_t step, std::optional<std::string> next_step_at);
// Moves a firing, unacknowledged alert's route from step `from` (compare and set): false when
// another node (or an acknowledgement) moved it first, and the caller must not notify again.
Result<bool> AdvanceEscalation(store::Connection& conn, int64_t tenant, int64_t id, int64_t from, int64_t step,
                               std::optional<std::string> next_step_at);
Status SetTask(store::Connection& conn, int64_t tenant, int64_t id, int64_t task_id);
// Resolves the alert if it still fires: false when it was resolved already (by another node).
Result<bool> ResolveAlert(store::Connection& conn, int64_t tenant, int64_t id, std::optional<double> value,
                          const std::string& now);
// Resolves every firing alert of the rule (it was archived).
Status ResolveAlertsOfRule(store::Connection& conn, int64_t tenant, const std::string& rule, const std::string& now);
// Whether a critical alert other than `except_id` fires on the same group (inhibition).
Result<bool> CriticalFiring(store::Connection& conn, int64_t tenant, const std::string& group_key, int64_t except_id);
// Firing, unacknowledged alerts whose next route step is due at `now`.
Result<std::vector<Alert>> DueEscalations(store::Connection& conn, int64_t tenant, const std::string& now);
// Newest first, at most `limit` (1-500); `state` firing | resolved | "" for all. Only the alerts
// `p` sees: whole-tenant roles all, unit leads their subtree's, others their own and their team's.
Result<std::vector<Alert>> VisibleAlerts(store::Connection& conn, const domain::Principal& p, const std::string& state, int limit);
// One alert of the tenant; with `visible_to`, only if that principal sees it.
Result<std::optional<Alert>> LoadAlert(store::Connection& conn, int64_t tenant, int64_t id,
                                       const domain::Principal* visible_to = nullptr);
// Acknowledged: the escalation stops.
Status Acknowledge(store::Connection& conn, int64_t tenant, int64_t id, int64_t user, const std::string& now);

// ---- people along a route

// The unit's lead, if the unit exists and has one.
Result<std::optional<int64_t>> UnitLead(store::Connection& conn, int64_t tenant, int64_t unit);
// The lead of the unit the user belongs to.
Result<std::optional<int64_t>> LeadOfUsersUnit(store::Connection& conn, int64_t tenant, int64_t user);
Result<std::vector<int64_t>> ActiveUsersWithRole(store::Connection& conn, int64_t tenant, const std::string& role);
Result<std::optional<int64_t>> Supervisor(store::Connection& conn, int64_t tenant, int64_t user);
Result<bool> UserExists(store::Connection& conn, int64_t tenant, int64_t user);
// The user's unit (0 when they have none), or nullopt for an unknown user.
Result<std::optional<int64_t>> UnitOfUser(store::Connection& conn, int64_t tenant, int64_t user);
Result<bool> UnitExists(store::Connection& conn, int64_t tenant, int64_t unit);

// ---- alert_silences

// Silences in force at `now` (starts_at <= now < ends_at).
Result<std::vector<Silence>> ActiveSilences(store::Connection& conn, int64_t tenant, const std::string& now);
// Every silence of the tenant, newest first.
Result<std::vector<Silence>> Silences(store::Connection& conn, int64_t tenant);
Result<std::optional<Silence>> LoadSilence(store::Connection& conn, int64_t tenant, int64_t id);
Status InsertSilence(store::Connection& conn, int64_t tenant, const Silence& s);
Status DeleteSilence(store::Connection& conn, int64_t tenant, int64_t id);

// ---- webhooks

// A webhook as stored: URL and secret sealed (common/secrets.h).
struct WebhookRow {
  int64_t tenant_id = 0, id = 0;
  std::string name, channel;
  std::string sealed_url, sealed_secret;  // sealed_secret is "" when the column is NULL
  std::optional<int64_t> unit_id;
  std::string unit_path;  // the path of unit_id ("" without one)
  std::string min_severity, locale, created_at;
  int64_t created_by = 0;
};
// The tenant's active webhooks, by id.
Result<std::vector<WebhookRow>> ActiveWebhooks(store::Connection& conn, int64_t tenant);
Result<std::optional<WebhookRow>> ActiveWebhook(store::Connection& conn, int64_t tenant, int64_t id);
Status InsertWebhook(store::Connection& conn, const WebhookRow& w);
// Marks the active webhook deleted; false when there was none.
Result<bool> DeleteWebhook(store::Connection& conn, int64_t tenant, int64_t id);
// Every webhook of every tenant, whatever its status (re-sealing); unit_path is not read.
Result<std::vector<WebhookRow>> AllWebhooks(store::Connection& conn);
Status UpdateSealed(store::Connection& conn, int64_t tenant, int64_t id, const std::string& sealed_url,
                    const std::string& sealed_secret);

// ---- notifications

// Every notification has a natural key (dedup_key) and is inserted at most once: the inserts
// return false when a notification with that key exists already (another node wrote it).

// An in-app notification, delivered when written; key "a<alert>:s<step>:u<recipient>".
Result<bool> InsertInApp(store::Connection& conn, int64_t tenant, int64_t id, int64_t alert_id, const std::string& target,
                         int64_t recipient, const std::string& dedup_key, const std::string& now);
// A webhook delivery waiting to be sent, with its message (`payload`, JSON) so that any node
// can send it; key "e<event seq>:w<webhook>".
Result<bool> InsertQueued(store::Connection& conn, int64_t tenant, int64_t id, int64_t alert_id, const std::string& channel,
                          const std::string& target, const std::string& dedup_key, const std::string& payload,
                          const std::string& now);
// Claims a queued delivery (or one whose sender's claim ran out) for sending until `until`:
// false when it was delivered, given up or is being sent by someone else.
Result<bool> ClaimDelivery(store::Connection& conn, int64_t tenant, int64_t id, const std::string& now, const std::string& until);
// Webhook deliveries nobody is sending: queued before `queued_before`, or claimed by a sender
// whose claim ran out before `now` (its node died). Oldest first, at most `limit`.
struct StrandedDelivery {
  int64_t id = 0, alert_id = 0;
  std::string channel, target, payload;
};
Result<std::vector<StrandedDelivery>> StrandedDeliveries(store::Connection& conn, int64_t tenant,
                                                         const std::string& queued_before, const std::string& now, int limit);
struct DeliveryOutcome {
  std::string status;  // delivered | failed | skipped
  int64_t attempts = 0, http_status = 0;
  std::optional<std::string> error, delivered_at;
};
Status RecordDelivery(store::Connection& conn, int64_t tenant, int64_t id, const DeliveryOutcome& d);
// Newest first, at most `limit` (1-500): the recipient's, or every one when nullopt.
Result<std::vector<NotificationEntry>> Notifications(store::Connection& conn, int64_t tenant, std::optional<int64_t> recipient,
                                                     int limit);

}  // namespace keel::alerts::repo
