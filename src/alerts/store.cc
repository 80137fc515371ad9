#include "alerts/store.h"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "domain/unit_tree.h"

namespace keel::alerts::repo {
namespace {

using store::Nullable;
using store::Value;
using Conn = store::Connection;

// One row of a result, its columns read by name.
class Row {
 public:
  Row(const store::Rows& rows, size_t i) : rows_(rows), row_(rows.rows[i]) {}
  const Value& At(std::string_view column) const { return row_[static_cast<size_t>(rows_.Column(column))]; }
  int64_t Int(std::string_view c) const { return store::AsInt(At(c)); }
  std::string Text(std::string_view c) const { return store::AsText(At(c)); }
  std::optional<int64_t> OptInt(std::string_view c) const {
    return store::IsNull(At(c)) ? std::nullopt : std::optional<int64_t>(store::AsInt(At(c)));
  }
  std::optional<double> OptDouble(std::string_view c) const {
    return store::IsNull(At(c)) ? std::nullopt : std::optional<double>(store::AsDouble(At(c)));
  }
  std::optional<std::string> OptText(std::string_view c) const {
    return store::IsNull(At(c)) ? std::nullopt : std::optional<std::string>(store::AsText(At(c)));
  }

 private:
  const store::Rows& rows_;
  const std::vector<Value>& row_;
};

template <typename T, typename F>
std::vector<T> Each(const store::Rows& rows, F read) {
  std::vector<T> out;
  out.reserve(rows.size());
  for (size_t i = 0; i < rows.size(); ++i) out.push_back(read(Row(rows, i)));
  return out;
}

Alert ReadAlert(const Row& r) {
  Alert a;
  a.id = r.Int("id");
  a.rule = r.Text("rule");
  a.group_key = r.Text("group_key");
  a.labels = r.Text("labels");
  a.severity = r.Text("severity");
  a.state = r.Text("state");
  a.value = r.OptDouble("value");
  a.summary = r.Text("summary");
  a.summary_en = r.Text("summary_en");
  a.unit_id = r.OptInt("unit_id");
  a.owner_id = r.OptInt("owner_id");
  a.started_at = r.Text("started_at");
  a.updated_at = r.Text("updated_at");
  a.resolved_at = r.OptText("resolved_at");
  a.acked_at = r.OptText("acked_at");
  a.acked_by = r.OptInt("acked_by");
  a.escalation_step = r.Int("escalation_step");
  a.next_step_at = r.OptText("next_step_at");
  a.task_id = r.OptInt("task_id");
  return a;
}

Silence ReadSilence(const Row& r) {
  Silence s;
  s.id = r.Int("id");
  s.rule = r.OptText("rule");
  nlohmann::json m = nlohmann::json::parse(r.Text("matchers"), nullptr, false);
  if (m.is_object()) {
    for (const auto& [k, v] : m.items()) {
      if (v.is_string()) s.matchers[k] = v.get<std::string>();
    }
  }
  s.starts_at = r.Text("starts_at");
  s.ends_at = r.Text("ends_at");
  s.comment = r.OptText("comment");
  s.created_by = r.Int("created_by");
  s.created_at = r.Text("created_at");
  return s;
}

WebhookRow ReadWebhook(const Row& r, bool with_path) {
  WebhookRow w;
  w.tenant_id = r.Int("tenant_id");
  w.id = r.Int("id");
  w.name = r.Text("name");
  w.channel = r.Text("channel");
  w.sealed_url = r.Text("url");
  w.sealed_secret = r.Text("secret");
  w.unit_id = r.OptInt("unit_id");
  if (with_path) w.unit_path = r.Text("path");
  w.min_severity = r.Text("min_severity");
  w.locale = r.Text("locale");
  w.created_at = r.Text("created_at");
  w.created_by = r.Int("created_by");
  return w;
}

constexpr const char* kWebhookColumns =
    "w.tenant_id, w.id, w.name, w.channel, w.url, w.secret, w.unit_id, w.min_severity, w.locale, w.created_at, "
    "w.created_by, u.path FROM webhooks w LEFT JOIN units u ON u.tenant_id = w.tenant_id AND u.id = w.unit_id ";

// Which alerts a principal sees: whole-tenant roles all; unit leads their subtree; others
// their own and (supervisors) their team's.
std::string AlertScope(const domain::Principal& p, std::vector<Value>& params) {
  if (domain::SeesWholeTenant(p.role) || p.is_system()) return "";
  if (p.role == domain::Role::kUnitLead) return domain::UnitTree::UnitWithin("unit_id", p.tenant_id, p.unit_path, params);
  params.emplace_back(p.user_id);
  params.emplace_back(p.tenant_id);
  params.emplace_back(p.user_id);
  return " AND (owner_id = ? OR owner_id IN (SELECT id FROM users WHERE tenant_id = ? AND supervisor_id = ?))";
}

std::string Limit(int limit) { return " LIMIT " + std::to_string(std::clamp(limit, 1, 500)); }

}  // namespace

// ---- alert_rules

Result<std::vector<StoredRule>> ActiveRules(Conn& conn, int64_t tenant) {
  Value q[] = {tenant};
  KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query(
      "SELECT name, version, definition, owner_id, created_at FROM alert_rules WHERE tenant_id = ? AND status = 'active' "
      "ORDER BY name", q));
  return Each<StoredRule>(rows, [](const Row& r) {
    return StoredRule{r.Text("name"), static_cast<int>(r.Int("version")), r.Text("definition"), r.Int("owner_id"),
                      r.Text("created_at")};
  });
}

Result<std::vector<int64_t>> TenantsWithRules(Conn& conn) {
  KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query("SELECT DISTINCT tenant_id FROM alert_rules WHERE status = 'active'"));
  return Each<int64_t>(rows, [](const Row& r) { return r.Int("tenant_id"); });
}

Result<int64_t> ArchiveRule(Conn& conn, int64_t tenant, const std::string& name) {
  Value q[] = {tenant, name};
  return conn.Exec("UPDATE alert_rules SET status = 'archived' WHERE tenant_id = ? AND name = ? AND status = 'active'", q);
}

// ---- alerts

Result<std::vector<Alert>> FiringAlerts(Conn& conn, int64_t tenant) {
  Value q[] = {tenant};
  KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query("SELECT * FROM alerts WHERE tenant_id = ? AND state = 'firing'", q));
  return Each<Alert>(rows, ReadAlert);
}

Result<std::optional<int64_t>> FindFiring(Conn& conn, int64_t tenant, const std::string& rule, const std::string& group_key) {
  Value q[] = {tenant, rule, group_key};
  KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query(
      "SELECT id FROM alerts WHERE tenant_id = ? AND rule = ? AND group_key = ? AND state = 'firing'", q));
  if (rows.empty()) return std::optional<int64_t>();
  return std::optional<int64_t>(Row(rows, 0).Int("id"));
}

Status InsertAlert(Conn& conn, int64_t tenant, const Alert& a) {
  Value q[] = {tenant, a.id, a.rule, a.group_key, a.labels, a.severity, a.state, Nullable(a.value), a.summary, a.summary_en,
               Nullable(a.unit_id), Nullable(a.owner_id), a.started_at, a.updated_at};
  return conn.Exec(
      "INSERT INTO alerts (tenant_id, id, rule, group_key, labels, severity, state, value, summary, summary_en, unit_id, "
      "owner_id, started_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", q).status();
}

Status UpdateSeverity(Conn& conn, int64_t tenant, int64_t id, const std::string& severity, std::optional<double> value,
                      const std::string& summary, const std::string& summary_en, const std::string& now) {
  Value q[] = {severity, Nullable(value), summary, summary_en, now, tenant, id};
  return conn.Exec("UPDATE alerts SET severity = ?, value = ?, summary = ?, summary_en = ?, updated_at = ? "
                   "WHERE tenant_id = ? AND id = ?", q).status();
}

Status SetEscalation(Conn& conn, int64_t tenant, int64_t id, int64_t step, std::optional<std::string> next_step_at) {
  Value q[] = {step, Nullable(next_step_at), tenant, id};
  return conn.Exec("UPDATE alerts SET escalation_step = ?, next_step_at = ? WHERE tenant_id = ? AND id = ?", q).status();
}

Result<bool> AdvanceEscalation(Conn& conn, int64_t tenant, int64_t id, int64_t from, int64_t step,
                               std::optional<std::string> next_step_at) {
  Value q[] = {step, Nullable(next_step_at), tenant, id, from};
  KEEL_ASSIGN_OR_RETURN(int64_t n, conn.Exec("UPDATE alerts SET escalation_step = ?, next_step_at = ? WHERE tenant_id = ? "
                                             "AND id = ? AND escalation_step = ? AND state = 'firing' AND acked_at IS NULL", q));
  return n > 0;
}

Status SetTask(Conn& conn, int64_t tenant, int64_t id, int64_t task_id) {
  Value q[] = {task_id, tenant, id};
  return conn.Exec("UPDATE alerts SET task_id = ? WHERE tenant_id = ? AND id = ?", q).status();
}

Result<bool> ResolveAlert(Conn& conn, int64_t tenant, int64_t id, std::optional<double> value, const std::string& now) {
  Value q[] = {now, now, Nullable(value), tenant, id};
  KEEL_ASSIGN_OR_RETURN(int64_t n, conn.Exec("UPDATE alerts SET state = 'resolved', resolved_at = ?, updated_at = ?, value = ?, "
                                             "next_step_at = NULL WHERE tenant_id = ? AND id = ? AND state = 'firing'", q));
  return n > 0;
}

Status ResolveAlertsOfRule(Conn& conn, int64_t tenant, const std::string& rule, const std::string& now) {
  Value q[] = {now, now, tenant, rule};
  return conn.Exec("UPDATE alerts SET state = 'resolved', resolved_at = ?, updated_at = ?, next_step_at = NULL "
                   "WHERE tenant_id = ? AND rule = ? AND state = 'firing'", q).status();
}

Result<bool> CriticalFiring(Conn& conn, int64_t tenant, const std::string& group_key, int64_t except_id) {
  Value q[] = {tenant, group_key, except_id};
  KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query(
      "SELECT COUNT(*) AS n FROM alerts WHERE tenant_id = ? AND group_key = ? AND state = 'firing' AND severity = 'critical' "
      "AND id <> ?", q));
  return Row(rows, 0).Int("n") > 0;
}

Result<std::vector<Alert>> DueEscalations(Conn& conn, int64_t tenant, const std::string& now) {
  Value q[] = {tenant, now};
  KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query(
      "SELECT * FROM alerts WHERE tenant_id = ? AND state = 'firing' AND acked_at IS NULL AND next_step_at IS NOT NULL "
      "AND next_step_at <= ?", q));
  return Each<Alert>(rows, ReadAlert);
}

Result<std::vector<Alert>> VisibleAlerts(Conn& conn, const domain::Principal& p, const std::string& state, int limit) {
  std::vector<Value> params = {p.tenant_id};
  std::string sql = "SELECT * FROM alerts WHERE tenant_id = ?";
  if (!state.empty()) {
    sql += " AND state = ?";
    params.emplace_back(state);
  }
  sql += AlertScope(p, params) + " ORDER BY id DESC" + Limit(limit);
  KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query(sql, params));
  return Each<Alert>(rows, ReadAlert);
}

Result<std::optional<Alert>> LoadAlert(Conn& conn, int64_t tenant, int64_t id, const domain::Principal* visible_to) {
  std::vector<Value> params = {tenant, id};
  std::string scope = visible_to != nullptr ? AlertScope(*visible_to, params) : "";
  KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query("SELECT * FROM alerts WHERE tenant_id = ? AND id = ?" + scope, params));
  if (rows.empty()) return std::optional<Alert>();
  return std::optional<Alert>(ReadAlert(Row(rows, 0)));
}

Status Acknowledge(Conn& conn, int64_t tenant, int64_t id, int64_t user, const std::string& now) {
  Value q[] = {now, user, tenant, id};
  return conn.Exec("UPDATE alerts SET acked_at = ?, acked_by = ?, next_step_at = NULL WHERE tenant_id = ? AND id = ?", q).status();
}

// ---- people along a route

Result<std::optional<int64_t>> UnitLead(Conn& conn, int64_t tenant, int64_t unit) {
  Value q[] = {tenant, unit};
  KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query("SELECT lead_user_id FROM units WHERE tenant_id = ? AND id = ?", q));
  if (rows.empty()) return std::optional<int64_t>();
  return Row(rows, 0).OptInt("lead_user_id");
}

Result<std::optional<int64_t>> LeadOfUsersUnit(Conn& conn, int64_t tenant, int64_t user) {
  Value q[] = {tenant, user};
  KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query(
      "SELECT u.lead_user_id FROM units u JOIN users s ON s.tenant_id = u.tenant_id AND s.unit_id = u.id "
      "WHERE u.tenant_id = ? AND s.id = ?", q));
  if (rows.empty()) return std::optional<int64_t>();
  return Row(rows, 0).OptInt("lead_user_id");
}

Result<std::vector<int64_t>> ActiveUsersWithRole(Conn& conn, int64_t tenant, const std::string& role) {
  Value q[] = {tenant, role};
  KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query(
      "SELECT id FROM users WHERE tenant_id = ? AND role = ? AND status = 'active'", q));
  return Each<int64_t>(rows, [](const Row& r) { return r.Int("id"); });
}

Result<std::optional<int64_t>> Supervisor(Conn& conn, int64_t tenant, int64_t user) {
  Value q[] = {tenant, user};
  KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query("SELECT supervisor_id FROM users WHERE tenant_id = ? AND id = ?", q));
  if (rows.empty()) return std::optional<int64_t>();
  return Row(rows, 0).OptInt("supervisor_id");
}

Result<bool> UserExists(Conn& conn, int64_t tenant, int64_t user) {
  KEEL_ASSIGN_OR_RETURN(std::optional<int64_t> unit, UnitOfUser(conn, tenant, user));
  return unit.has_value();
}

Result<std::optional<int64_t>> UnitOfUser(Conn& conn, int64_t tenant, int64_t user) {
  Value q[] = {tenant, user};
  KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query("SELECT unit_id FROM users WHERE tenant_id = ? AND id = ?", q));
  if (rows.empty()) return std::optional<int64_t>();
  return std::optional<int64_t>(Row(rows, 0).Int("unit_id"));
}

Result<bool> UnitExists(Conn& conn, int64_t tenant, int64_t unit) {
  Value q[] = {tenant, unit};
  KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query("SELECT id FROM units WHERE tenant_id = ? AND id = ?", q));
  return !rows.empty();
}

// ---- alert_silences

Result<std::vector<Silence>> ActiveSilences(Conn& conn, int64_t tenant, const std::string& now) {
  Value q[] = {tenant, now, now};
  KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query(
      "SELECT * FROM alert_silences WHERE tenant_id = ? AND starts_at <= ? AND ends_at > ?", q));
  return Each<Silence>(rows, ReadSilence);
}

Result<std::vector<Silence>> Silences(Conn& conn, int64_t tenant) {
  Value q[] = {tenant};
  KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query("SELECT * FROM alert_silences WHERE tenant_id = ? ORDER BY id DESC", q));
  return Each<Silence>(rows, ReadSilence);
}

Result<std::optional<Silence>> LoadSilence(Conn& conn, int64_t tenant, int64_t id) {
  Value q[] = {tenant, id};
  KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query("SELECT * FROM alert_silences WHERE tenant_id = ? AND id = ?", q));
  if (rows.empty()) return std::optional<Silence>();
  return std::optional<Silence>(ReadSilence(Row(rows, 0)));
}

Status InsertSilence(Conn& conn, int64_t tenant, const Silence& s) {
  nlohmann::json matchers = s.matchers;
  Value q[] = {tenant, s.id, Nullable(s.rule), matchers.dump(), s.starts_at, s.ends_at, Nullable(s.comment), s.created_by,
               s.created_at};
  return conn.Exec("INSERT INTO alert_silences (tenant_id, id, rule, matchers, starts_at, ends_at, comment, created_by, "
                   "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", q).status();
}

Status DeleteSilence(Conn& conn, int64_t tenant, int64_t id) {
  Value q[] = {tenant, id};
  return conn.Exec("DELETE FROM alert_silences WHERE tenant_id = ? AND id = ?", q).status();
}

// ---- webhooks

Result<std::vector<WebhookRow>> ActiveWebhooks(Conn& conn, int64_t tenant) {
  Value q[] = {tenant};
  KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query(
      std::string("SELECT ") + kWebhookColumns + "WHERE w.tenant_id = ? AND w.status = 'active' ORDER BY w.id", q));
  return Each<WebhookRow>(rows, [](const Row& r) { return ReadWebhook(r, true); });
}

Result<std::optional<WebhookRow>> ActiveWebhook(Conn& conn, int64_t tenant, int64_t id) {
  Value q[] = {tenant, id};
  KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query(
      std::string("SELECT ") + kWebhookColumns + "WHERE w.tenant_id = ? AND w.id = ? AND w.status = 'active'", q));
  if (rows.empty()) return std::optional<WebhookRow>();
  return std::optional<WebhookRow>(ReadWebhook(Row(rows, 0), true));
}

Status InsertWebhook(Conn& conn, const WebhookRow& w) {
  Value q[] = {w.tenant_id, w.id, w.name, w.channel, w.sealed_url, w.sealed_secret, Nullable(w.unit_id), w.min_severity,
               w.locale, std::string("active"), w.created_at, w.created_by};
  return conn.Exec("INSERT INTO webhooks (tenant_id, id, name, channel, url, secret, unit_id, min_severity, locale, "
                   "status, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", q).status();
}

Result<bool> DeleteWebhook(Conn& conn, int64_t tenant, int64_t id) {
  Value q[] = {tenant, id};
  KEEL_ASSIGN_OR_RETURN(int64_t n, conn.Exec(
      "UPDATE webhooks SET status = 'deleted' WHERE tenant_id = ? AND id = ? AND status = 'active'", q));
  return n > 0;
}

Result<std::vector<WebhookRow>> AllWebhooks(Conn& conn) {
  KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query("SELECT * FROM webhooks"));
  return Each<WebhookRow>(rows, [](const Row& r) { return ReadWebhook(r, false); });
}

Status UpdateSealed(Conn& conn, int64_t tenant, int64_t id, const std::string& sealed_url, const std::string& sealed_secret) {
  Value q[] = {sealed_url, sealed_secret, tenant, id};
  return conn.Exec("UPDATE webhooks SET url = ?, secret = ? WHERE tenant_id = ? AND id = ?", q).status();
}

// ---- notifications

Result<bool> InsertInApp(Conn& conn, int64_t tenant, int64_t id, int64_t alert_id, const std::string& target,
                         int64_t recipient, const std::string& dedup_key, const std::string& now) {
  Value q[] = {tenant, id, alert_id, std::string("in_app"), target, recipient, std::string("delivered"), int64_t{1}, now, now,
               dedup_key};
  KEEL_ASSIGN_OR_RETURN(int64_t n, conn.Exec("INSERT INTO notifications (tenant_id, id, alert_id, channel, target, recipient_id, "
                                             "status, attempts, created_at, delivered_at, dedup_key) "
                                             "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING", q));
  return n > 0;
}

Result<bool> InsertQueued(Conn& conn, int64_t tenant, int64_t id, int64_t alert_id, const std::string& channel,
                          const std::string& target, const std::string& dedup_key, const std::string& payload,
                          const std::string& now) {
  Value q[] = {tenant, id, alert_id, channel, target, std::string("queued"), int64_t{0}, now, dedup_key, payload};
  KEEL_ASSIGN_OR_RETURN(int64_t n, conn.Exec("INSERT INTO notifications (tenant_id, id, alert_id, channel, target, status, "
                                             "attempts, created_at, dedup_key, payload) "
                                             "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING", q));
  return n > 0;
}

Result<bool> ClaimDelivery(Conn& conn, int64_t tenant, int64_t id, const std::string& now, const std::string& until) {
  Value q[] = {until, tenant, id, now};
  KEEL_ASSIGN_OR_RETURN(int64_t n, conn.Exec("UPDATE notifications SET status = 'sending', claimed_until = ? "
                                             "WHERE tenant_id = ? AND id = ? AND (status = 'queued' OR "
                                             "(status = 'sending' AND claimed_until < ?))", q));
  return n > 0;
}

Result<std::vector<StrandedDelivery>> StrandedDeliveries(Conn& conn, int64_t tenant, const std::string& queued_before,
                                                         const std::string& now, int limit) {
  Value q[] = {tenant, queued_before, now};
  KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query(
      "SELECT id, alert_id, channel, target, payload FROM notifications WHERE tenant_id = ? AND payload IS NOT NULL AND "
      "((status = 'queued' AND created_at < ?) OR (status = 'sending' AND claimed_until < ?)) ORDER BY id" + Limit(limit), q));
  return Each<StrandedDelivery>(rows, [](const Row& r) {
    StrandedDelivery d;
    d.id = r.Int("id");
    d.alert_id = r.Int("alert_id");
    d.channel = r.Text("channel");
    d.target = r.Text("target");
    d.payload = r.Text("payload");
    return d;
  });
}

Status RecordDelivery(Conn& conn, int64_t tenant, int64_t id, const DeliveryOutcome& d) {
  Value q[] = {d.status, d.attempts, d.http_status, Nullable(d.error), Nullable(d.delivered_at), tenant, id};
  return conn.Exec("UPDATE notifications SET status = ?, attempts = ?, http_status = ?, error = ?, delivered_at = ? "
                   "WHERE tenant_id = ? AND id = ?", q).status();
}

Result<std::vector<NotificationEntry>> Notifications(Conn& conn, int64_t tenant, std::optional<int64_t> recipient, int limit) {
  std::vector<Value> params = {tenant};
  std::string sql = "SELECT n.id, n.alert_id, n.channel, n.target, n.recipient_id, n.status, n.attempts, n.http_status, n.error, "
                    "n.created_at, n.delivered_at, a.summary, a.summary_en, a.severity, a.state FROM notifications n "
                    "JOIN alerts a ON a.tenant_id = n.tenant_id AND a.id = n.alert_id WHERE n.tenant_id = ?";
  if (recipient) {
    sql += " AND n.recipient_id = ?";
    params.emplace_back(*recipient);
  }
  sql += " ORDER BY n.id DESC" + Limit(limit);
  KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query(sql, params));
  return Each<NotificationEntry>(rows, [](const Row& r) {
    NotificationEntry n;
    n.id = r.Int("id");
    n.alert_id = r.Int("alert_id");
    n.channel = r.Text("channel");
    n.target = r.Text("target");
    n.recipient_id = r.OptInt("recipient_id");
    n.status = r.Text("status");
    n.attempts = r.Int("attempts");
    n.http_status = r.OptInt("http_status");
    n.error = r.OptText("error");
    n.created_at = r.Text("created_at");
    n.delivered_at = r.OptText("delivered_at");
    n.summary = r.Text("summary");
    n.summary_en = r.Text("summary_en");
    n.severity = r.Text("severity");
    n.alert_state = r.Text("state");
    return n;
  });
}

}  // namespace keel::alerts::repo
