// The AI repository: next best actions (ai_actions) and the reads of their rules, signals and
// the rep's open tasks.
#include "ai/store.h"

namespace keel::ai::repo {
namespace {

using store::Value;

}  // namespace

Result<std::vector<SignalRow>> CustomerSignals(Conn& conn, int64_t tenant, int64_t customer, int limit) {
  Value q[] = {tenant, customer, int64_t{limit}};
  KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query(
      "SELECT id, kind, source, title, body, url, sentiment, occurred_at FROM signals WHERE tenant_id = ? AND customer_id = ? "
      "ORDER BY occurred_at DESC, id DESC LIMIT ?", q));
  std::vector<SignalRow> out;
  for (store::Row r : rows) {
    out.push_back({r.Int("id"), r.Text("kind"), r.Text("source"), r.Text("title"), r.OptText("body"), r.OptText("url"),
                   r.OptDouble("sentiment"), r.Text("occurred_at")});
  }
  return out;
}

Result<std::vector<int64_t>> OpenDealsOf(Conn& conn, int64_t tenant, int64_t customer) {
  Value q[] = {tenant, customer};
  KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query(
      "SELECT id FROM opportunities WHERE tenant_id = ? AND customer_id = ? AND outcome = 'open'", q));
  std::vector<int64_t> out;
  for (store::Row r : rows) out.push_back(r.Int("id"));
  return out;
}

Result<std::optional<ActionRow>> LatestAction(Conn& conn, int64_t tenant, const std::string& rule, const std::string& entity,
                                              int64_t record_id) {
  Value q[] = {tenant, rule, entity, record_id};
  KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query(
      "SELECT a.id, t.status AS task_status, a.updated_at FROM ai_actions a LEFT JOIN tasks t ON t.tenant_id = a.tenant_id AND "
      "t.id = a.task_id WHERE a.tenant_id = ? AND a.rule = ? AND a.entity = ? AND a.record_id = ? ORDER BY a.id DESC LIMIT 1", q));
  if (rows.empty()) return std::optional<ActionRow>();
  store::Row r = rows.row(0);
  return std::optional<ActionRow>(ActionRow{r.Int("id"), r.Text("task_status"), r.Text("updated_at")});
}

Status RefreshAction(Conn& conn, int64_t tenant, int64_t id, const ActionText& a, const std::string& now) {
  Value q[] = {a.expected_value, a.reason_zh, a.reason_en, a.details, now, tenant, id};
  return conn.Exec("UPDATE ai_actions SET expected_value = ?, reason_zh = ?, reason_en = ?, details = ?, updated_at = ?, "
                   "status = 'open' WHERE tenant_id = ? AND id = ?", q).status();
}

Status CloseAction(Conn& conn, int64_t tenant, int64_t id, const std::string& status) {
  Value q[] = {status, tenant, id};
  return conn.Exec("UPDATE ai_actions SET status = ? WHERE tenant_id = ? AND id = ? AND status = 'open'", q).status();
}

Status InsertAction(Conn& conn, int64_t tenant, const NewAction& a) {
  Value q[] = {tenant, a.id, a.rule, a.entity, a.record_id, a.owner_id, a.task_id, a.text.expected_value, a.text.reason_zh,
               a.text.reason_en, a.text.details, a.now, a.now};
  return conn.Exec("INSERT INTO ai_actions (tenant_id, id, rule, entity, record_id, owner_id, task_id, expected_value, reason_zh, "
                   "reason_en, details, status, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'open', ?, ?)", q)
      .status();
}

Result<std::optional<int64_t>> ActiveUserUnit(Conn& conn, int64_t tenant, int64_t user) {
  Value q[] = {tenant, user};
  KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query("SELECT unit_id FROM users WHERE tenant_id = ? AND id = ? AND status = 'active'", q));
  if (rows.empty()) return std::optional<int64_t>();
  return std::optional<int64_t>(rows.row(0).Int("unit_id"));
}

Result<std::optional<double>> AverageWonAmount(Conn& conn, int64_t tenant) {
  Value q[] = {tenant};
  KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query(
      "SELECT AVG(amount) AS amount FROM opportunities WHERE tenant_id = ? AND outcome = 'won' AND archived_at IS NULL", q));
  if (rows.empty()) return std::optional<double>();
  return rows.row(0).OptDouble("amount");
}

Result<std::vector<StaleLeadRow>> ScoredOpenLeads(Conn& conn, int64_t tenant) {
  Value q[] = {tenant};
  KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query(
      "SELECT l.id, l.title, l.owner_id, l.created_at, s.score, s.band, s.probability, s.reasons, "
      "(SELECT MAX(a.occurred_at) FROM activities a WHERE a.tenant_id = l.tenant_id AND a.lead_id = l.id) AS last_activity "
      "FROM ai_scores s JOIN leads l ON l.tenant_id = s.tenant_id AND l.id = s.record_id WHERE s.tenant_id = ? AND "
      "s.target = 'lead' AND s.band IN ('A', 'B') AND l.status NOT IN ('converted', 'disqualified') AND l.archived_at IS NULL",
      q));
  std::vector<StaleLeadRow> out;
  for (store::Row r : rows) {
    StaleLeadRow s;
    s.id = r.Int("id");
    s.owner_id = r.Int("owner_id");
    s.score = r.Int("score");
    s.title = r.Text("title");
    s.created_at = r.Text("created_at");
    s.band = r.Text("band");
    s.reasons = r.Text("reasons");
    s.probability = r.Double("probability");
    s.last_activity = r.Text("last_activity");
    out.push_back(std::move(s));
  }
  return out;
}

Result<std::vector<Named>> OpenDealNames(Conn& conn, int64_t tenant) {
  Value q[] = {tenant};
  KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query("SELECT id, name FROM opportunities WHERE tenant_id = ? AND outcome = 'open'", q));
  std::vector<Named> out;
  for (store::Row r : rows) out.push_back({r.Int("id"), r.Text("name")});
  return out;
}

Result<std::vector<NoteRow>> DealNotesSince(Conn& conn, int64_t tenant, const std::string& from) {
  Value q[] = {tenant, from};
  KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query(
      "SELECT opportunity_id, notes FROM activities WHERE tenant_id = ? AND opportunity_id IS NOT NULL AND notes IS NOT NULL "
      "AND occurred_at >= ? AND archived_at IS NULL", q));
  std::vector<NoteRow> out;
  for (store::Row r : rows) out.push_back({r.Int("opportunity_id"), r.Text("notes")});
  return out;
}

Result<std::vector<CoverageRow>> BuyingCustomers(Conn& conn, int64_t tenant, const std::string& from) {
  Value q[] = {from, tenant};
  KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query(
      "SELECT c.id, c.name, c.owner_id, SUM(o.total) AS revenue, c.created_at, (SELECT MAX(a.occurred_at) FROM activities a WHERE "
      "a.tenant_id = c.tenant_id AND a.customer_id = c.id) AS last_activity FROM customers c JOIN orders o ON o.tenant_id = c.tenant_id AND "
      "o.customer_id = c.id AND o.status = 'paid' AND o.ordered_at >= ? WHERE c.tenant_id = ? AND c.kind = 'b2b' AND "
      "c.archived_at IS NULL GROUP BY c.tenant_id, c.id, c.name, c.owner_id, c.created_at", q));
  std::vector<CoverageRow> out;
  for (store::Row r : rows) {
    out.push_back({r.Int("id"), r.Int("owner_id"), r.Text("name"), r.Text("created_at"), r.Double("revenue"), r.OptText("last_activity")});
  }
  return out;
}

Result<std::vector<std::string>> CategoryPaths(Conn& conn, int64_t tenant) {
  Value q[] = {tenant};
  KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query(
      "SELECT DISTINCT category_path FROM products WHERE tenant_id = ? AND archived_at IS NULL", q));
  std::vector<std::string> out;
  for (store::Row r : rows) out.push_back(r.Text("category_path"));
  return out;
}

Result<std::optional<SignalOfCustomer>> SignalWithCustomer(Conn& conn, int64_t tenant, int64_t signal_id) {
  Value q[] = {tenant, signal_id};
  KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query(
      "SELECT s.kind, s.source, s.title, s.body, s.customer_id, s.sentiment, s.occurred_at, c.name, c.owner_id, c.unit_id "
      "FROM signals s JOIN customers c ON c.tenant_id = s.tenant_id AND c.id = s.customer_id WHERE s.tenant_id = ? AND s.id = ?", q));
  if (rows.empty()) return std::optional<SignalOfCustomer>();
  store::Row r = rows.row(0);
  SignalOfCustomer s;
  s.kind = r.Text("kind");
  s.source = r.Text("source");
  s.title = r.Text("title");
  s.body = r.Text("body");
  s.customer_id = r.Int("customer_id");
  s.sentiment = r.OptDouble("sentiment");
  s.occurred_at = r.Text("occurred_at");
  s.customer_name = r.Text("name");
  s.owner_id = r.Int("owner_id");
  s.unit_id = r.Int("unit_id");
  return std::optional<SignalOfCustomer>(std::move(s));
}

Result<SignalCounts> CountSignals(Conn& conn, int64_t tenant, int64_t customer, const std::string& month_from,
                                  const std::string& day_from, const std::string& until) {
  Value q[] = {month_from, day_from, day_from, until, tenant, customer};
  KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query(
      "SELECT SUM(CASE WHEN occurred_at >= ? AND occurred_at < ? THEN 1 ELSE 0 END) AS month_count, "
      "SUM(CASE WHEN occurred_at >= ? AND occurred_at <= ? THEN 1 ELSE 0 END) AS day_count FROM signals WHERE tenant_id = ? AND "
      "customer_id = ?", q));
  if (rows.empty()) return SignalCounts{};
  return SignalCounts{rows.row(0).Double("month_count"), rows.row(0).Double("day_count")};
}

Result<std::vector<OpenDealRow>> OpenDealsWithScores(Conn& conn, int64_t tenant, int64_t customer) {
  Value q[] = {tenant, customer};
  KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query(
      "SELECT o.id, o.name, o.owner_id, o.unit_id, o.amount, s.probability FROM opportunities o LEFT JOIN ai_scores s ON "
      "s.tenant_id = o.tenant_id AND s.target = 'opportunity' AND s.record_id = o.id WHERE o.tenant_id = ? AND o.customer_id = ? "
      "AND o.outcome = 'open' AND o.archived_at IS NULL", q));
  std::vector<OpenDealRow> out;
  for (store::Row r : rows) {
    out.push_back({r.Int("id"), r.Int("owner_id"), r.Int("unit_id"), r.Text("name"), r.Double("amount"), r.OptDouble("probability")});
  }
  return out;
}

Result<std::vector<TodayRow>> OpenTasksOf(Conn& conn, int64_t tenant, int64_t user) {
  Value q[] = {tenant, user};
  KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query(
      "SELECT t.id, t.title, t.description, t.due_at, t.priority, t.related_entity, t.related_id, t.source, a.rule, "
      "a.expected_value, a.reason_zh, a.reason_en FROM tasks t LEFT JOIN ai_actions a ON a.tenant_id = t.tenant_id AND "
      "a.task_id = t.id WHERE t.tenant_id = ? AND t.owner_id = ? AND t.status = 'open' AND t.archived_at IS NULL", q));
  std::vector<TodayRow> out;
  for (store::Row r : rows) {
    TodayRow t;
    t.task_id = r.Int("id");
    t.title = r.Text("title");
    t.description = r.Text("description");
    t.priority = r.Text("priority");
    t.source = r.Text("source");
    t.due_at = r.OptText("due_at");
    t.related_entity = r.OptText("related_entity");
    t.rule = r.OptText("rule");
    t.reason_zh = r.OptText("reason_zh");
    t.reason_en = r.OptText("reason_en");
    t.related_id = r.OptInt("related_id");
    t.expected_value = r.OptDouble("expected_value");
    out.push_back(std::move(t));
  }
  return out;
}

}  // namespace keel::ai::repo
