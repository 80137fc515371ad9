#include "text/store.h"

#include <cmath>

#include "domain/records.h"
#include "domain/schema.h"
#include "domain/unit_tree.h"

namespace keel::text::repo {

using store::Nullable;
using store::Value;
using Conn = store::Connection;

namespace {

// Ids are sent this many at a time in an IN list.
constexpr size_t kInChunk = 400;

// " IN (?, ?, …)" for ids[from, from + kInChunk), the ids appended to `params`.
std::string InList(const std::vector<int64_t>& ids, size_t from, std::vector<Value>& params) {
  std::string in = " IN (?";
  params.emplace_back(ids[from]);
  for (size_t i = from + 1; i < ids.size() && i < from + kInChunk; ++i) {
    in += ", ?";
    params.emplace_back(ids[i]);
  }
  return in + ")";
}

std::vector<int64_t> Ids(const store::Rows& rows) {
  std::vector<int64_t> out;
  for (store::Row r : rows) out.push_back(r.Int("id"));
  return out;
}

std::optional<int64_t> NonZero(int64_t v) { return v ? std::optional<int64_t>(v) : std::nullopt; }

AnalysisRow AnalysisOf(const store::Row& r) {
  AnalysisRow a;
  a.entity = r.Text("entity");
  a.record_id = r.Int("record_id");
  a.sentiment_label = r.Text("sentiment_label");
  a.sentiment = r.Double("sentiment");
  a.sentiment_model = r.Text("sentiment_model");
  a.intents = r.Text("intents");
  a.intent_source = r.Text("intent_source");
  a.key_phrases = r.Text("key_phrases");
  a.analysed_at = r.Text("analysed_at");
  return a;
}

void ReadTextRows(const store::Rows& rows, std::vector<TextRow>& out) {
  for (store::Row r : rows) {
    TextRow t;
    t.id = r.Int("id");
    t.text = r.Text("text");
    t.unit = r.Int("unit_id");
    t.owner = r.Int("owner_id");
    t.customer = r.Int("customer_id");
    t.occurred_at = r.Text("occurred_at");
    t.extra = r.Null("extra") ? NAN : r.Double("extra");
    t.store = r.Int("store_id");
    out.push_back(std::move(t));
  }
}

KbDocumentRow KbDocumentOf(const store::Row& r) {
  KbDocumentRow d;
  d.id = r.Int("id");
  d.kind = r.Text("kind");
  d.title = r.Text("title");
  d.product_line = r.Text("product_line");
  d.segment = r.Text("segment");
  d.opportunity_id = r.Int("opportunity_id");
  return d;
}

}  // namespace

// ---- Tenant state

Result<std::optional<std::string>> TimeZoneOf(Conn& conn, int64_t tenant) {
  Value q[] = {tenant};
  KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query("SELECT time_zone FROM tenants WHERE id = ?", q));
  if (rows.empty()) return std::optional<std::string>();
  return std::optional<std::string>(rows.row(0).Text("time_zone"));
}

Result<std::vector<int64_t>> ActiveTenants(Conn& conn) {
  KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query("SELECT id FROM tenants WHERE status = 'active'"));
  return Ids(rows);
}

Result<std::optional<SettingsRow>> LoadSettings(Conn& conn, int64_t tenant) {
  Value q[] = {tenant};
  KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query("SELECT terms, intents, recap_hour, llm FROM text_settings WHERE tenant_id = ?", q));
  if (rows.empty()) return std::optional<SettingsRow>();
  store::Row r = rows.row(0);
  return std::optional<SettingsRow>(SettingsRow{r.Text("terms"), r.Text("intents"), r.Int("recap_hour"), r.OptText("llm")});
}

Status SaveSettings(Conn& conn, int64_t tenant, const SettingsRow& s, const std::string& now) {
  Value q[] = {tenant, s.terms, s.intents, s.recap_hour, Nullable(s.llm), now};
  return conn.Exec("INSERT INTO text_settings (tenant_id, terms, intents, recap_hour, llm, updated_at) VALUES (?, ?, ?, ?, ?, ?) "
                   "ON CONFLICT (tenant_id) DO UPDATE SET terms = excluded.terms, intents = excluded.intents, "
                   "recap_hour = excluded.recap_hour, llm = excluded.llm, updated_at = excluded.updated_at", q).status();
}

Result<std::vector<LlmRow>> StoredLlms(Conn& conn) {
  KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query("SELECT tenant_id, llm FROM text_settings WHERE llm IS NOT NULL"));
  std::vector<LlmRow> out;
  for (store::Row r : rows) out.push_back({r.Int("tenant_id"), r.Text("llm")});
  return out;
}

Status SetLlm(Conn& conn, int64_t tenant, const std::string& llm) {
  Value q[] = {llm, tenant};
  return conn.Exec("UPDATE text_settings SET llm = ? WHERE tenant_id = ?", q).status();
}

Result<int64_t> CorpusDocs(Conn& conn, int64_t tenant) {
  Value q[] = {tenant};
  KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query("SELECT docs FROM text_state WHERE tenant_id = ?", q));
  return rows.empty() ? int64_t{0} : rows.row(0).Int("docs");
}

Result<std::map<std::string, int64_t>> DocumentFrequencies(Conn& conn, int64_t tenant) {
  Value q[] = {tenant};
  KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query("SELECT term, df FROM text_df WHERE tenant_id = ?", q));
  std::map<std::string, int64_t> out;
  for (store::Row r : rows) out[r.Text("term")] = r.Int("df");
  return out;
}

Status AddDocumentFrequencies(Conn& conn, int64_t tenant, const std::map<std::string, int64_t>& df) {
  for (const auto& [term, n] : df) {
    Value q[] = {tenant, term, n};
    KEEL_RETURN_IF_ERROR(conn.Exec("INSERT INTO text_df (tenant_id, term, df) VALUES (?, ?, ?) ON CONFLICT (tenant_id, term) DO "
                                   "UPDATE SET df = text_df.df + excluded.df", q).status());
  }
  return Status();
}

Status AddCorpusDocs(Conn& conn, int64_t tenant, int64_t docs, const std::string& now) {
  Value q[] = {tenant, docs, now};
  return conn.Exec("INSERT INTO text_state (tenant_id, seq, docs, updated_at) VALUES (?, 0, ?, ?) ON CONFLICT (tenant_id) "
                   "DO UPDATE SET docs = text_state.docs + excluded.docs, updated_at = excluded.updated_at", q).status();
}

Status ResetCorpus(Conn& conn, int64_t tenant, const std::string& now) {
  Value q[] = {tenant};
  KEEL_RETURN_IF_ERROR(conn.Exec("DELETE FROM text_df WHERE tenant_id = ?", q).status());
  Value s[] = {tenant, now};
  return conn.Exec("INSERT INTO text_state (tenant_id, seq, docs, updated_at) VALUES (?, 0, 0, ?) ON CONFLICT (tenant_id) "
                   "DO UPDATE SET docs = 0", s).status();
}

Result<std::optional<std::string>> RecapDay(Conn& conn, int64_t tenant) {
  Value q[] = {tenant};
  KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query("SELECT recap_day FROM text_state WHERE tenant_id = ?", q));
  if (rows.empty()) return std::optional<std::string>();
  return rows.row(0).OptText("recap_day");
}

Status MarkRecapDay(Conn& conn, int64_t tenant, const std::string& day, const std::string& now) {
  Value q[] = {tenant, day, now};
  return conn.Exec("INSERT INTO text_state (tenant_id, seq, docs, recap_day, updated_at) VALUES (?, 0, 0, ?, ?) ON CONFLICT (tenant_id) "
                   "DO UPDATE SET recap_day = excluded.recap_day", q).status();
}

Result<std::optional<ModelRow>> LatestModel(Conn& conn, int64_t tenant, const std::string& kind) {
  Value q[] = {tenant, kind};
  KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query(
      "SELECT version, model, card FROM text_models WHERE tenant_id = ? AND kind = ? ORDER BY version DESC LIMIT 1", q));
  if (rows.empty()) return std::optional<ModelRow>();
  store::Row r = rows.row(0);
  return std::optional<ModelRow>(ModelRow{r.Int("version"), r.Text("model"), r.Text("card")});
}

Result<int64_t> NextModelVersion(Conn& conn, int64_t tenant, const std::string& kind) {
  Value q[] = {tenant, kind};
  KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query(
      "SELECT COALESCE(MAX(version), 0) AS version FROM text_models WHERE tenant_id = ? AND kind = ?", q));
  return rows.row(0).Int("version") + 1;
}

Status InsertModel(Conn& conn, int64_t tenant, const std::string& kind, const ModelRow& m, const std::string& now) {
  Value q[] = {tenant, kind, m.version, m.model, m.card, now};
  return conn.Exec("INSERT INTO text_models (tenant_id, kind, version, model, card, created_at) VALUES (?, ?, ?, ?, ?, ?)", q).status();
}

// ---- Texts to analyse

Result<std::vector<TextRow>> TextRows(Conn& conn, int64_t tenant, const std::string& entity, const TextFilter& f) {
  std::string sql;
  if (entity == "activities") {
    sql = "SELECT id, notes AS text, unit_id, owner_id, customer_id, occurred_at, NULL AS extra, store_id FROM activities "
          "WHERE tenant_id = ? AND archived_at IS NULL AND notes IS NOT NULL";
  } else if (entity == "feedback") {
    sql = "SELECT id, text, unit_id, NULL AS owner_id, customer_id, submitted_at AS occurred_at, rating AS extra, store_id FROM feedback "
          "WHERE tenant_id = ? AND archived_at IS NULL";
  } else {
    sql = "SELECT id, COALESCE(title, '') || CASE WHEN body IS NULL THEN '' ELSE '。' || body END AS text, unit_id, owner_id, "
          "customer_id, occurred_at, sentiment AS extra, NULL AS store_id FROM signals WHERE tenant_id = ?";
  }
  std::vector<Value> params = {tenant};
  if (f.from) {
    sql += " AND occurred_at >= ?";
    params.emplace_back(*f.from);
  }
  if (f.to) {
    sql += " AND occurred_at < ?";
    params.emplace_back(*f.to);
  }
  if (f.unanalysed) sql += " AND sentiment_model IS NULL";
  if (f.with_text) sql += " AND text IS NOT NULL";
  if (f.unit_path) sql += domain::UnitTree::UnitWithin("unit_id", tenant, *f.unit_path, params);
  if (f.team_of) {
    sql += " AND owner_id IN (SELECT id FROM users WHERE tenant_id = ? AND (id = ? OR supervisor_id = ?))";
    params.insert(params.end(), {tenant, *f.team_of, *f.team_of});
  }
  for (int64_t c : f.customers) {
    sql += " AND customer_id = ?";
    params.emplace_back(c);
  }
  for (int64_t o : f.owners) {
    sql += " AND owner_id = ?";
    params.emplace_back(o);
  }
  for (int64_t u : f.units_within) {
    sql += " AND unit_id IN (SELECT c.id FROM units c JOIN units p ON p.tenant_id = c.tenant_id AND c.path LIKE p.path || '%' "
           "WHERE c.tenant_id = ? AND p.id = ?)";
    params.insert(params.end(), {tenant, u});
  }
  if (f.visible_to) sql += domain::ScopeClause(*f.visible_to, *domain::FindEntity(entity), params);
  std::string order = f.newest ? " ORDER BY occurred_at DESC LIMIT " + std::to_string(*f.newest) : std::string();
  std::vector<TextRow> out;
  // By id: a query per chunk of ids, the chunk's parameters after the others.
  for (size_t from = 0; from == 0 || from < f.ids.size(); from += kInChunk) {
    std::vector<Value> p = params;
    std::string in = f.ids.empty() ? std::string() : " AND id" + InList(f.ids, from, p);
    KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query(sql + in + order, p));
    ReadTextRows(rows, out);
  }
  return out;
}

Status SetFeedbackSentiment(Conn& conn, int64_t tenant, int64_t id, double score, const std::string& label, const std::string& model) {
  Value q[] = {score, label, model, tenant, id};
  return conn.Exec("UPDATE feedback SET sentiment = ?, sentiment_label = ?, sentiment_model = ? WHERE tenant_id = ? AND id = ?", q).status();
}

Status SetSignalSentimentIfUnset(Conn& conn, int64_t tenant, int64_t id, double score) {
  Value q[] = {score, tenant, id};
  return conn.Exec("UPDATE signals SET sentiment = ? WHERE tenant_id = ? AND id = ? AND sentiment IS NULL", q).status();
}

// ---- Analyses and corrections

Status UpsertAnalysis(Conn& conn, int64_t tenant, const AnalysisRow& a) {
  Value q[] = {tenant, a.entity, a.record_id, Nullable(a.unit_id), Nullable(a.owner_id), Nullable(a.customer_id), a.occurred_at,
               a.sentiment_label, a.sentiment, a.sentiment_model, a.intents, a.intent_source, a.key_phrases, a.analysed_at};
  return conn.Exec(
      "INSERT INTO text_analyses (tenant_id, entity, record_id, unit_id, owner_id, customer_id, occurred_at, sentiment_label, "
      "sentiment, sentiment_model, intents, intent_source, key_phrases, analysed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
      "ON CONFLICT (tenant_id, entity, record_id) DO UPDATE SET unit_id = excluded.unit_id, owner_id = excluded.owner_id, "
      "customer_id = excluded.customer_id, occurred_at = excluded.occurred_at, sentiment_label = excluded.sentiment_label, "
      "sentiment = excluded.sentiment, sentiment_model = excluded.sentiment_model, intents = CASE WHEN "
      "text_analyses.intent_source = 'correction' THEN text_analyses.intents ELSE excluded.intents END, intent_source = CASE WHEN "
      "text_analyses.intent_source = 'correction' THEN 'correction' ELSE excluded.intent_source END, "
      "key_phrases = excluded.key_phrases, analysed_at = excluded.analysed_at",
      q).status();
}

Result<std::optional<AnalysisRow>> LoadAnalysis(Conn& conn, int64_t tenant, const std::string& entity, int64_t id) {
  Value q[] = {tenant, entity, id};
  KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query(
      "SELECT entity, record_id, sentiment_label, sentiment, sentiment_model, intents, intent_source, key_phrases, analysed_at "
      "FROM text_analyses WHERE tenant_id = ? AND entity = ? AND record_id = ?", q));
  if (rows.empty()) return std::optional<AnalysisRow>();
  return std::optional<AnalysisRow>(AnalysisOf(rows.row(0)));
}

Status DeleteAnalysis(Conn& conn, int64_t tenant, const std::string& entity, int64_t id) {
  Value q[] = {tenant, entity, id};
  return conn.Exec("DELETE FROM text_analyses WHERE tenant_id = ? AND entity = ? AND record_id = ?", q).status();
}

Result<std::vector<NoteSentiment>> NoteSentiments(Conn& conn, int64_t tenant, const std::vector<int64_t>& ids) {
  std::vector<NoteSentiment> out;
  for (size_t from = 0; from < ids.size(); from += kInChunk) {
    std::vector<Value> p = {tenant};
    std::string in = InList(ids, from, p);
    KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query(
        "SELECT record_id, sentiment, intents FROM text_analyses WHERE tenant_id = ? AND entity = 'activities' AND record_id" + in, p));
    for (store::Row r : rows) out.push_back({r.Int("record_id"), r.Double("sentiment"), r.Text("intents")});
  }
  return out;
}

Status UpsertCorrection(Conn& conn, int64_t tenant, int64_t activity_id, const std::string& labels, std::optional<int64_t> actor,
                        const std::string& now) {
  Value q[] = {tenant, activity_id, labels, Nullable(actor), now};
  return conn.Exec("INSERT INTO text_corrections (tenant_id, activity_id, labels, actor_id, created_at) VALUES (?, ?, ?, ?, ?) "
                   "ON CONFLICT (tenant_id, activity_id) DO UPDATE SET labels = excluded.labels, actor_id = excluded.actor_id, "
                   "created_at = excluded.created_at", q).status();
}

Result<int64_t> CountCorrections(Conn& conn, int64_t tenant) {
  Value q[] = {tenant};
  KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query("SELECT COUNT(*) AS n FROM text_corrections WHERE tenant_id = ?", q));
  return rows.row(0).Int("n");
}

Result<std::vector<CorrectedNote>> CorrectedNotes(Conn& conn, int64_t tenant) {
  Value q[] = {tenant};
  KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query(
      "SELECT c.labels, a.notes FROM text_corrections c JOIN activities a ON a.tenant_id = c.tenant_id AND a.id = c.activity_id "
      "WHERE c.tenant_id = ? AND a.notes IS NOT NULL", q));
  std::vector<CorrectedNote> out;
  for (store::Row r : rows) out.push_back({r.Text("labels"), r.Text("notes")});
  return out;
}

Result<std::vector<RatedText>> RatedTexts(Conn& conn, int64_t tenant) {
  Value q[] = {tenant};
  KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query(
      "SELECT rating, text FROM feedback WHERE tenant_id = ? AND rating IS NOT NULL AND text IS NOT NULL AND archived_at IS NULL "
      "ORDER BY submitted_at, id", q));
  std::vector<RatedText> out;
  for (store::Row r : rows) out.push_back({r.Int("rating"), r.Text("text")});
  return out;
}

Result<RatedCounts> CountRatedTexts(Conn& conn, int64_t tenant) {
  Value q[] = {tenant};
  KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query(
      "SELECT COUNT(*) AS total, SUM(CASE WHEN rating >= 4 THEN 1 ELSE 0 END) AS positive, "
      "SUM(CASE WHEN rating <= 2 THEN 1 ELSE 0 END) AS negative FROM feedback "
      "WHERE tenant_id = ? AND rating IS NOT NULL AND text IS NOT NULL AND archived_at IS NULL", q));
  store::Row r = rows.row(0);
  return RatedCounts{r.Int("total"), r.Int("positive"), r.Int("negative")};  // SUM of no rows is NULL: 0
}

// ---- Recaps

Result<std::optional<UnitRow>> LoadUnit(Conn& conn, int64_t tenant, int64_t id) {
  Value q[] = {tenant, id};
  KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query(
      "SELECT path, name, COALESCE(name_en, name) AS name_en FROM units WHERE tenant_id = ? AND id = ?", q));
  if (rows.empty()) return std::optional<UnitRow>();
  store::Row r = rows.row(0);
  return std::optional<UnitRow>(UnitRow{r.Text("path"), r.Text("name"), r.Text("name_en")});
}

Result<std::optional<int64_t>> UnitIdByPath(Conn& conn, int64_t tenant, const std::string& path) {
  Value q[] = {tenant, path};
  KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query("SELECT id FROM units WHERE tenant_id = ? AND path = ?", q));
  if (rows.empty()) return std::optional<int64_t>();
  return std::optional<int64_t>(rows.row(0).Int("id"));
}

Result<std::optional<UserRow>> LoadUser(Conn& conn, int64_t tenant, int64_t id) {
  Value q[] = {tenant, id};
  KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query("SELECT display_name, unit_id FROM users WHERE tenant_id = ? AND id = ?", q));
  if (rows.empty()) return std::optional<UserRow>();
  store::Row r = rows.row(0);
  return std::optional<UserRow>(UserRow{r.Text("display_name"), r.OptInt("unit_id")});
}

Result<std::optional<std::string>> UserUnitPath(Conn& conn, int64_t tenant, int64_t user) {
  Value q[] = {tenant, user};
  KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query(
      "SELECT un.path FROM users u JOIN units un ON un.tenant_id = u.tenant_id AND un.id = u.unit_id WHERE u.tenant_id = ? AND u.id = ?", q));
  if (rows.empty()) return std::optional<std::string>();
  return std::optional<std::string>(rows.row(0).Text("path"));
}

Result<std::vector<int64_t>> SalesUnits(Conn& conn, int64_t tenant) {
  Value q[] = {tenant};
  KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query("SELECT id FROM units WHERE tenant_id = ? AND kind = 'unit' AND archived_at IS NULL", q));
  return Ids(rows);
}

Result<std::vector<int64_t>> Supervisors(Conn& conn, int64_t tenant) {
  Value q[] = {tenant};
  KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query(
      "SELECT id FROM users WHERE tenant_id = ? AND role = 'supervisor' AND archived_at IS NULL", q));
  return Ids(rows);
}

Result<std::map<int64_t, std::string>> Names(Conn& conn, int64_t tenant, Named what, const std::vector<int64_t>& ids) {
  const char* sql = what == Named::kUser       ? "SELECT id, display_name AS name FROM users WHERE tenant_id = ? AND id"
                    : what == Named::kCustomer ? "SELECT id, name FROM customers WHERE tenant_id = ? AND id"
                                               : "SELECT id, name FROM stores WHERE tenant_id = ? AND id";
  std::map<int64_t, std::string> out;
  for (size_t from = 0; from < ids.size(); from += kInChunk) {
    std::vector<Value> p = {tenant};
    std::string in = InList(ids, from, p);
    KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query(sql + in, p));
    for (store::Row r : rows) out[r.Int("id")] = r.Text("name");
  }
  return out;
}

Result<int64_t> UpsertRecap(Conn& conn, int64_t tenant, const RecapRow& r, const std::string& now) {
  Value ins[] = {tenant, r.id, r.scope, r.scope_id, r.unit_id, r.day, r.content, now};
  KEEL_RETURN_IF_ERROR(conn.Exec("INSERT INTO text_recaps (tenant_id, id, scope, scope_id, unit_id, day, content, created_at) "
                                 "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (tenant_id, scope, scope_id, day) DO UPDATE SET "
                                 "content = excluded.content, created_at = excluded.created_at", ins).status());
  Value q[] = {tenant, r.scope, r.scope_id, r.day};
  KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query(
      "SELECT id FROM text_recaps WHERE tenant_id = ? AND scope = ? AND scope_id = ? AND day = ?", q));
  return rows.row(0).Int("id");
}

Result<std::vector<RecapRow>> Recaps(Conn& conn, int64_t tenant, std::optional<std::string> unit_path, std::optional<int64_t> team_of) {
  std::vector<Value> q = {tenant};
  std::string sql = "SELECT r.id, r.content, r.delivered FROM text_recaps r WHERE r.tenant_id = ?";
  if (unit_path) {
    sql += domain::UnitTree::UnitWithin("r.unit_id", tenant, *unit_path, q);
  } else if (team_of) {
    sql += " AND r.scope = 'team' AND r.scope_id = ?";
    q.emplace_back(*team_of);
  }
  KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query(sql + " ORDER BY r.day DESC, r.id DESC LIMIT 50", q));
  std::vector<RecapRow> out;
  for (store::Row r : rows) {
    RecapRow row;
    row.id = r.Int("id");
    row.content = r.Text("content");
    row.delivered = r.OptText("delivered");
    out.push_back(std::move(row));
  }
  return out;
}

Status SetRecapDelivered(Conn& conn, int64_t tenant, int64_t id, const std::string& delivered) {
  Value q[] = {delivered, tenant, id};
  return conn.Exec("UPDATE text_recaps SET delivered = ? WHERE tenant_id = ? AND id = ?", q).status();
}

Result<std::vector<RecapWebhookRow>> RecapWebhooks(Conn& conn, int64_t tenant, int64_t unit) {
  Value q[] = {tenant, unit, tenant};
  KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query(
      "SELECT w.id, w.channel, w.url, w.secret, w.locale, w.unit_id, wu.path AS unit_path, ru.path AS recap_unit_path FROM webhooks w "
      "LEFT JOIN units wu ON wu.tenant_id = w.tenant_id AND wu.id = w.unit_id "
      "LEFT JOIN units ru ON ru.tenant_id = ? AND ru.id = ? "
      "WHERE w.tenant_id = ? AND w.status = 'active' AND w.min_severity = 'info'", q));
  std::vector<RecapWebhookRow> out;
  for (store::Row r : rows) {
    RecapWebhookRow w;
    w.id = r.Int("id");
    w.channel = r.Text("channel");
    w.sealed_url = r.Text("url");
    w.sealed_secret = r.Text("secret");
    w.locale = r.Text("locale");
    w.unit_id = r.OptInt("unit_id");
    w.unit_path = r.OptText("unit_path");
    w.recap_unit_path = r.OptText("recap_unit_path");
    out.push_back(std::move(w));
  }
  return out;
}

// ---- Knowledge base

Result<std::vector<KbDocumentRow>> KbDocuments(Conn& conn, int64_t tenant) {
  Value q[] = {tenant};
  KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query(
      "SELECT id, kind, title, body, product_line, segment, opportunity_id FROM kb_documents WHERE tenant_id = ? AND archived_at IS NULL", q));
  std::vector<KbDocumentRow> out;
  for (store::Row r : rows) {
    KbDocumentRow d = KbDocumentOf(r);
    d.body = r.Text("body");
    out.push_back(std::move(d));
  }
  return out;
}

Result<std::vector<KbDocumentRow>> ListKbDocuments(Conn& conn, int64_t tenant) {
  Value q[] = {tenant};
  KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query(
      "SELECT id, title, kind, product_line, segment, opportunity_id, created_at, LENGTH(body) AS chars FROM kb_documents "
      "WHERE tenant_id = ? AND archived_at IS NULL ORDER BY id DESC LIMIT 500", q));
  std::vector<KbDocumentRow> out;
  for (store::Row r : rows) {
    KbDocumentRow d = KbDocumentOf(r);
    d.created_at = r.Text("created_at");
    d.chars = r.Int("chars");
    out.push_back(std::move(d));
  }
  return out;
}

Result<std::optional<KbDocumentRow>> LoadKbDocument(Conn& conn, int64_t tenant, int64_t id) {
  Value q[] = {tenant, id};
  KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query(
      "SELECT id, title, kind, product_line, segment, opportunity_id, created_at, body FROM kb_documents WHERE tenant_id = ? AND id = ? "
      "AND archived_at IS NULL", q));
  if (rows.empty()) return std::optional<KbDocumentRow>();
  KbDocumentRow d = KbDocumentOf(rows.row(0));
  d.created_at = rows.row(0).Text("created_at");
  d.body = rows.row(0).Text("body");
  return std::optional<KbDocumentRow>(std::move(d));
}

Status InsertKbDocument(Conn& conn, int64_t tenant, const KbDocumentRow& d) {
  auto text = [](const std::string& s) { return s.empty() ? Value() : Value(s); };
  Value q[] = {tenant, d.id, d.title, d.body, d.kind, text(d.product_line), text(d.segment), Nullable(NonZero(d.opportunity_id)),
               d.created_at, Nullable(d.created_by)};
  return conn.Exec("INSERT INTO kb_documents (tenant_id, id, title, body, kind, product_line, segment, opportunity_id, "
                   "created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", q).status();
}

Status ArchiveKbDocument(Conn& conn, int64_t tenant, int64_t id, const std::string& now) {
  Value q[] = {now, tenant, id};
  return conn.Exec("UPDATE kb_documents SET archived_at = ? WHERE tenant_id = ? AND id = ?", q).status();
}

Result<std::vector<WonDealNote>> WonDealNotes(Conn& conn, int64_t tenant) {
  Value q[] = {tenant};
  KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query(
      "SELECT a.id AS activity_id, a.notes, o.id AS opportunity_id, o.name, o.product_category, c.segment FROM activities a "
      "JOIN opportunities o ON o.tenant_id = a.tenant_id AND o.id = a.opportunity_id LEFT JOIN customers c ON c.tenant_id = o.tenant_id "
      "AND c.id = o.customer_id WHERE a.tenant_id = ? AND o.outcome = 'won' AND a.notes IS NOT NULL AND a.archived_at IS NULL "
      "ORDER BY a.id DESC LIMIT 50000", q));
  std::vector<WonDealNote> out;
  out.reserve(rows.size());
  for (store::Row r : rows) {
    out.push_back({r.Int("activity_id"), r.Int("opportunity_id"), r.Text("notes"), r.Text("name"), r.OptText("product_category"),
                   r.OptText("segment")});
  }
  return out;
}

Result<std::vector<DealNote>> DealNotes(Conn& conn, int64_t tenant, int64_t opportunity_id, int limit) {
  Value q[] = {tenant, opportunity_id};
  KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query(
      "SELECT occurred_at, kind, notes FROM activities WHERE tenant_id = ? AND opportunity_id = ? AND notes IS NOT NULL AND "
      "archived_at IS NULL ORDER BY occurred_at DESC LIMIT " + std::to_string(limit), q));
  std::vector<DealNote> out;
  for (store::Row r : rows) out.push_back({r.Text("occurred_at"), r.Text("kind"), r.Text("notes")});
  return out;
}

Result<std::optional<std::string>> CustomerSegment(Conn& conn, int64_t tenant, int64_t customer) {
  Value q[] = {tenant, customer};
  KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query("SELECT segment FROM customers WHERE tenant_id = ? AND id = ?", q));
  if (rows.empty()) return std::optional<std::string>();
  return rows.row(0).OptText("segment");
}

Result<std::vector<DealRow>> Deals(Conn& conn, int64_t tenant, const std::vector<int64_t>& ids) {
  std::vector<DealRow> out;
  for (size_t from = 0; from < ids.size(); from += kInChunk) {
    std::vector<Value> p = {tenant};
    std::string in = InList(ids, from, p);
    KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query(
        "SELECT o.id, o.name, o.amount, o.product_category, c.segment, o.closed_at FROM opportunities o LEFT JOIN customers c ON "
        "c.tenant_id = o.tenant_id AND c.id = o.customer_id WHERE o.tenant_id = ? AND o.id" + in, p));
    for (store::Row r : rows) {
      out.push_back({r.Int("id"), r.Int("amount"), r.Text("name"), r.OptText("product_category"), r.OptText("segment"),
                     r.OptText("closed_at")});
    }
  }
  return out;
}

}  // namespace keel::text::repo
