#include "text/service.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <condition_variable>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include <spdlog/spdlog.h>

#include "common/tz.h"
#include "events/event_log.h"
#include "text/classify.h"
#include "text/internal.h"
#include "text/keywords.h"
#include "text/segment.h"

namespace keel::text {

using store::Value;

Status Bad(const std::string& code, const std::string& en, const std::string& zh, const std::string& field) {
  return Status::Invalid(code, en, zh, field);
}

Status Forbidden() {
  return Status::Error(ErrorKind::kForbidden, "forbidden", "only admin and hq_ops may change this", "只有管理员和运营可以修改");
}

bool CanManage(const Principal& p) { return p.role == domain::Role::kAdmin || p.role == domain::Role::kHqOps || p.is_system(); }

TimeMs TimeOf(const Value& v) {
  if (store::IsNull(v)) return 0;
  auto t = ParseTimestamp(store::AsText(v));
  return t.ok() ? *t : 0;
}

json PhrasesJson(const std::vector<KeyPhrase>& kp) {
  json out = json::array();
  for (const auto& k : kp) out.push_back({{"text", k.text}, {"score", k.score}, {"count", k.count}});
  return out;
}

const IntentDef* FindIntent(const std::vector<IntentDef>& defs, const std::string& code) {
  for (const auto& d : defs) {
    if (d.code == code) return &d;
  }
  return nullptr;
}

Result<std::string> CheckedText(const json& v, const std::string& field, size_t max_bytes) {
  if (!v.is_string()) return Bad("validation.type", field + " must be a string", field + " 应为字符串", field);
  const std::string& s = v.get_ref<const std::string&>();
  if (s.size() > max_bytes) {
    return Bad("validation.too_long", field + " is longer than " + std::to_string(max_bytes) + " bytes",
               field + " 超过 " + std::to_string(max_bytes) + " 字节", field);
  }
  if (!IsCleanText(s)) {
    return Bad("text.encoding", field + " must be UTF-8 text without control characters (binary or wrongly encoded?)",
               field + " 须为不含控制字符的 UTF-8 文本（可能是二进制或编码错误）", field);
  }
  if (Normalize(s).empty()) return Bad("validation.required", field + " is empty", field + " 为空", field);
  return s;
}

// ---- Tenant state ----

Result<std::shared_ptr<TenantText>> TextService::Impl::Tenant(int64_t tenant) {
  {
    std::lock_guard lock(mu);
    if (auto it = tenants.find(tenant); it != tenants.end()) return it->second;
  }
  uint64_t gen = 0;
  {
    std::lock_guard lock(mu);
    gen = generation[tenant];
  }
  auto t = std::make_shared<TenantText>();
  t->intents = BuiltinIntents();
  KEEL_ASSIGN_OR_RETURN(auto conn, db.Acquire());
  Value q[] = {tenant};
  KEEL_ASSIGN_OR_RETURN(store::Rows tz, conn->Query("SELECT time_zone FROM tenants WHERE id = ?", q));
  if (tz.empty()) return Status::NotFound("tenant");
  auto zone = TimeZone::Load(store::AsText(tz.rows[0][0]));
  if (!zone.ok()) zone = TimeZone::Load("Asia/Shanghai");
  KEEL_RETURN_IF_ERROR(zone.status());
  t->zone = *zone;
  KEEL_ASSIGN_OR_RETURN(store::Rows s, conn->Query("SELECT terms, intents, recap_hour, llm FROM text_settings WHERE tenant_id = ?", q));
  if (!s.empty()) {
    json terms = json::parse(store::AsText(s.rows[0][0]), nullptr, false);
    if (terms.is_array()) t->term_list = terms.get<std::vector<std::string>>();
    json intents = json::parse(store::AsText(s.rows[0][1]), nullptr, false);
    if (intents.is_array()) {
      t->tenant_intents = intents;
      for (const auto& i : intents) {
        IntentDef d{i.value("code", ""), i.value("zh", ""), i.value("en", ""), {}, i.value("follow_up_zh", ""), i.value("follow_up_en", "")};
        for (const auto& term : i.value("terms", json::array())) d.terms.push_back(Normalize(term.get<std::string>()));
        if (auto* existing = const_cast<IntentDef*>(FindIntent(t->intents, d.code))) {
          existing->terms.insert(existing->terms.end(), d.terms.begin(), d.terms.end());
        } else {
          t->intents.push_back(std::move(d));
        }
      }
    }
    t->recap_hour = static_cast<int>(store::AsInt(s.rows[0][2]));
    if (!store::IsNull(s.rows[0][3])) t->llm = json::parse(store::AsText(s.rows[0][3]), nullptr, false);
  }
  t->terms = Terms(t->term_list);
  for (const char* kind : {"sentiment", "intent"}) {
    Value mq[] = {tenant, std::string(kind)};
    KEEL_ASSIGN_OR_RETURN(store::Rows m, conn->Query(
        "SELECT version, model, card FROM text_models WHERE tenant_id = ? AND kind = ? ORDER BY version DESC LIMIT 1", mq));
    if (m.empty()) continue;
    std::string bytes;
    if (!Base64UrlDecode(store::AsText(m.rows[0][1]), &bytes)) continue;
    auto c = Classifier::Load(bytes);
    if (!c.ok()) {
      spdlog::warn("text: the {} model of tenant {} does not load: {}", kind, tenant, c.status().ToString());
      continue;
    }
    std::shared_ptr<Classifier> shared(std::move(*c));
    int version = static_cast<int>(store::AsInt(m.rows[0][0]));
    json card = json::parse(store::AsText(m.rows[0][2]), nullptr, false);
    if (std::string(kind) == "sentiment") {
      t->sentiment = shared;
      t->sentiment_version = version;
      t->sentiment_card = card;
    } else {
      t->intent_model = shared;
      t->intent_version = version;
    }
  }
  KEEL_ASSIGN_OR_RETURN(store::Rows st, conn->Query("SELECT docs FROM text_state WHERE tenant_id = ?", q));
  t->stats.docs = st.empty() ? 0 : store::AsInt(st.rows[0][0]);
  KEEL_ASSIGN_OR_RETURN(store::Rows df, conn->Query("SELECT term, df FROM text_df WHERE tenant_id = ?", q));
  for (const auto& r : df.rows) t->stats.df[store::AsText(r[0])] = store::AsInt(r[1]);
  std::lock_guard lock(mu);
  // Settings or a model changed while this was loading: use it once, do not keep it.
  if (generation[tenant] != gen) return t;
  auto [it, fresh] = tenants.emplace(tenant, t);
  return it->second;
}

void TextService::Impl::Forget(int64_t tenant) {
  std::lock_guard lock(mu);
  tenants.erase(tenant);
  ++generation[tenant];
}

Analysis TextService::Impl::Analyse(TenantText& t, const std::string& text, bool with_phrases) {
  Analysis a;
  a.tokens = Segment(text, t.terms);
  std::shared_ptr<Classifier> sentiment, intents;
  int sv = 0, iv = 0;
  {
    std::lock_guard lock(t.mu);
    sentiment = t.sentiment;
    intents = t.intent_model;
    sv = t.sentiment_version;
    iv = t.intent_version;
    if (with_phrases) a.phrases = KeyPhrases({a.tokens}, t.stats, t.terms, 5);
  }
  a.sentiment = sentiment ? ModelSentiment(*sentiment, a.tokens, sv) : LexiconSentiment(a.tokens);
  std::string norm = Normalize(text);
  a.intents = RuleIntents(t.intents, a.tokens, norm);
  a.intent_source = "rules";
  if (intents) {
    for (const auto& [label, p] : intents->Predict(ClassifierInput(a.tokens), -1, 0.5)) {
      if (label == "other" || !FindIntent(t.intents, label)) continue;
      if (std::find(a.intents.begin(), a.intents.end(), label) == a.intents.end()) a.intents.push_back(label);
      a.intent_source = "rules+model:v" + std::to_string(iv);
    }
  }
  if (a.intents.empty()) a.intents.push_back("other");
  return a;
}

json TextService::Impl::IntentsJson(const TenantText& t, const std::vector<std::string>& codes) {
  json out = json::array();
  for (const auto& c : codes) {
    const IntentDef* d = FindIntent(t.intents, c);
    out.push_back({{"code", c}, {"zh", d ? d->zh : std::string("其他")}, {"en", d ? d->en : std::string("other")}});
  }
  return out;
}

Status TextService::Impl::StoreAnalysis(store::Connection& conn, int64_t tenant, const std::string& entity, const TextRow& row,
                                        const Analysis& a, const std::string& now) {
  json intents = a.intents;
  Value q[] = {tenant, entity, row.id, row.unit ? Value(row.unit) : Value(), row.owner ? Value(row.owner) : Value(),
               row.customer ? Value(row.customer) : Value(), row.occurred_at, a.sentiment.label, a.sentiment.score,
               a.sentiment.model, intents.dump(), a.intent_source, PhrasesJson(a.phrases).dump(), now};
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

// Rows of `entity` by id with their text (activities: notes; feedback: text; signals: title + body).
Result<std::vector<TextRow>> TextService::Impl::LoadRows(store::Connection& conn, int64_t tenant, const std::string& entity,
                                                         const std::string& where, std::vector<Value> params) {
  std::string sql;
  if (entity == "activities") {
    sql = "SELECT id, notes, unit_id, owner_id, customer_id, occurred_at, NULL, store_id FROM activities WHERE tenant_id = ? AND "
          "archived_at IS NULL AND notes IS NOT NULL";
  } else if (entity == "feedback") {
    sql = "SELECT id, text, unit_id, NULL, customer_id, submitted_at, rating, store_id FROM feedback WHERE tenant_id = ? AND "
          "archived_at IS NULL";
  } else {
    sql = "SELECT id, COALESCE(title, '') || CASE WHEN body IS NULL THEN '' ELSE '。' || body END, unit_id, owner_id, customer_id, "
          "occurred_at, sentiment, NULL FROM signals WHERE tenant_id = ?";
  }
  params.insert(params.begin(), Value(tenant));
  KEEL_ASSIGN_OR_RETURN(store::Rows r, conn.Query(sql + where, params));
  std::vector<TextRow> out;
  for (const auto& row : r.rows) {
    TextRow t;
    t.id = store::AsInt(row[0]);
    t.text = store::IsNull(row[1]) ? "" : store::AsText(row[1]);
    t.unit = store::IsNull(row[2]) ? 0 : store::AsInt(row[2]);
    t.owner = store::IsNull(row[3]) ? 0 : store::AsInt(row[3]);
    t.customer = store::IsNull(row[4]) ? 0 : store::AsInt(row[4]);
    t.occurred_at = store::IsNull(row[5]) ? std::string() : store::AsText(row[5]);
    t.extra = store::IsNull(row[6]) ? NAN : store::AsDouble(row[6]);
    t.store = store::IsNull(row[7]) ? 0 : store::AsInt(row[7]);
    out.push_back(std::move(t));
  }
  return out;
}

// Analyses and stores rows (and, for feedback and signals, their sentiment columns); `count_df`
// adds them to the corpus statistics.
Status TextService::Impl::AnalyseRows(int64_t tenant, const std::string& entity, const std::vector<TextRow>& rows, bool count_df) {
  if (rows.empty()) return Status();
  KEEL_ASSIGN_OR_RETURN(auto t, Tenant(tenant));
  std::string now = FormatTimestamp(clock.NowMs());
  std::map<std::string, int64_t> df_add;
  int64_t docs_add = 0;
  KEEL_ASSIGN_OR_RETURN(auto conn, db.Acquire());
  KEEL_ASSIGN_OR_RETURN(auto tx, store::Transaction::Begin(*conn));
  for (const auto& row : rows) {
    if (entity == "feedback" && (row.text.empty() || !IsCleanText(row.text))) {
      if (std::isnan(row.extra)) continue;
      // No text: the rating alone says how the customer feels.
      double s = (row.extra - 3.0) / 2.0;
      Value q[] = {s, std::string(s > 0 ? "positive" : s < 0 ? "negative" : "neutral"), std::string("rating"), tenant, row.id};
      KEEL_RETURN_IF_ERROR(conn->Exec("UPDATE feedback SET sentiment = ?, sentiment_label = ?, sentiment_model = ? WHERE tenant_id = ? AND id = ?", q).status());
      continue;
    }
    if (row.text.empty() || !IsCleanText(row.text)) continue;
    std::string text = row.text;
    if (text.size() > opt.max_text_bytes) {
      size_t cut = opt.max_text_bytes;
      while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;  // not inside a character
      text.resize(cut);
    }
    Analysis a = Analyse(*t, text, true);
    KEEL_RETURN_IF_ERROR(StoreAnalysis(*conn, tenant, entity, row, a, now));
    if (entity == "feedback") {
      Value q[] = {a.sentiment.score, a.sentiment.label, a.sentiment.model, tenant, row.id};
      KEEL_RETURN_IF_ERROR(conn->Exec("UPDATE feedback SET sentiment = ?, sentiment_label = ?, sentiment_model = ? WHERE tenant_id = ? AND id = ?", q).status());
    }
    if (entity == "signals" && std::isnan(row.extra)) {
      Value q[] = {a.sentiment.score, tenant, row.id};
      KEEL_RETURN_IF_ERROR(conn->Exec("UPDATE signals SET sentiment = ? WHERE tenant_id = ? AND id = ? AND sentiment IS NULL", q).status());
    }
    if (count_df) {
      std::lock_guard lock(t->mu);
      for (const auto& w : t->stats.Add(a.tokens)) df_add[w]++;
      docs_add++;
    }
    analysed.fetch_add(1);
  }
  for (const auto& [term, n] : df_add) {
    Value q[] = {tenant, term, n};
    KEEL_RETURN_IF_ERROR(conn->Exec("INSERT INTO text_df (tenant_id, term, df) VALUES (?, ?, ?) ON CONFLICT (tenant_id, term) DO "
                                    "UPDATE SET df = text_df.df + excluded.df", q).status());
  }
  if (docs_add) {
    Value q[] = {tenant, docs_add, now};
    KEEL_RETURN_IF_ERROR(conn->Exec("INSERT INTO text_state (tenant_id, seq, docs, updated_at) VALUES (?, 0, ?, ?) ON CONFLICT (tenant_id) "
                                    "DO UPDATE SET docs = text_state.docs + excluded.docs, updated_at = excluded.updated_at", q).status());
  }
  return tx.Commit();
}

Status TextService::Impl::Process(int64_t tenant, std::span<const events::Event> evs) {
  std::map<std::string, std::set<int64_t>> fresh, changed;  // entity → ids (created / updated)
  for (const auto& ev : evs) {
    std::string entity = ev.type.rfind("activity.", 0) == 0 ? "activities"
                         : ev.type.rfind("feedback.", 0) == 0 ? "feedback"
                         : ev.type == "signal.received" ? "signals" : "";
    if (entity.empty() || !ev.entity_id) continue;
    bool created = ev.type.size() > 8 && (ev.type.compare(ev.type.size() - 8, 8, ".created") == 0 || ev.type == "signal.received");
    if (!created) {
      // Only a change of the text (or the rating) is worth a new analysis.
      json p = json::parse(ev.payload, nullptr, false);
      if (!p.is_object() || !p.contains("changes")) continue;
      const json& c = p["changes"];
      if (!c.contains("notes") && !c.contains("text") && !c.contains("rating")) continue;
    }
    (created ? fresh : changed)[entity].insert(ev.entity_id);
  }
  for (auto* group : {&fresh, &changed}) {
    for (const auto& [entity, ids] : *group) {
      std::vector<int64_t> list(ids.begin(), ids.end());
      for (size_t from = 0; from < list.size(); from += 400) {
        std::string in = " AND id IN (?";
        std::vector<Value> params = {list[from]};
        for (size_t i = from + 1; i < list.size() && i < from + 400; ++i) {
          in += ", ?";
          params.emplace_back(list[i]);
        }
        std::vector<TextRow> rows;
        {
          KEEL_ASSIGN_OR_RETURN(auto conn, db.Acquire());
          KEEL_ASSIGN_OR_RETURN(rows, LoadRows(*conn, tenant, entity, in + ")", params));
        }
        KEEL_RETURN_IF_ERROR(AnalyseRows(tenant, entity, rows, group == &fresh));
      }
    }
  }
  return Status();
}

// ---- The service ----

TextService::TextService(store::Database& db, domain::RecordService& records, const Clock& clock, TextOptions opt)
    : impl_(std::make_unique<Impl>(db, records, clock, opt)) {
  impl_->self = this;
}

TextService::~TextService() { Stop(); }

void TextService::Start() { impl_->consumer.Start(); }

void TextService::Stop() { impl_->consumer.Stop(); }

void TextService::Notify(int64_t tenant) { impl_->consumer.Notify(tenant); }

bool TextService::WaitIdle(int64_t timeout_ms) { return impl_->consumer.WaitIdle(timeout_ms); }

Status TextService::ProcessNow(int64_t tenant) { return impl_->consumer.Drain(tenant); }

TextService::Stats TextService::stats() const { return {impl_->analysed.load(), impl_->recaps.load()}; }

Result<int64_t> TextService::Backfill(int64_t tenant, TimeMs since) {
  std::vector<TextRow> notes, feedback;
  {
    KEEL_ASSIGN_OR_RETURN(auto conn, impl_->db.Acquire());
    KEEL_ASSIGN_OR_RETURN(notes, impl_->LoadRows(*conn, tenant, "activities", " AND occurred_at >= ?", {FormatTimestamp(since)}));
    KEEL_ASSIGN_OR_RETURN(feedback, impl_->LoadRows(*conn, tenant, "feedback", " AND sentiment_model IS NULL", {}));
    // The statistics are rebuilt from what is analysed here.
    Value q[] = {tenant};
    KEEL_RETURN_IF_ERROR(conn->Exec("DELETE FROM text_df WHERE tenant_id = ?", q).status());
    // What is in the log now is covered by the backfill: the worker starts after it.
    KEEL_ASSIGN_OR_RETURN(int64_t head, events::LastSeq(*conn, tenant));
    KEEL_RETURN_IF_ERROR(impl_->consumer.SetCursor(*conn, tenant, head));
    Value s[] = {tenant, FormatTimestamp(impl_->clock.NowMs())};
    KEEL_RETURN_IF_ERROR(conn->Exec("INSERT INTO text_state (tenant_id, seq, docs, updated_at) VALUES (?, 0, 0, ?) ON CONFLICT (tenant_id) "
                                    "DO UPDATE SET docs = 0", s).status());
  }
  impl_->Forget(tenant);
  for (size_t from = 0; from < notes.size(); from += 2000) {
    std::vector<TextRow> chunk(notes.begin() + static_cast<long>(from), notes.begin() + static_cast<long>(std::min(notes.size(), from + 2000)));
    KEEL_RETURN_IF_ERROR(impl_->AnalyseRows(tenant, "activities", chunk, true));
  }
  // Feedback after the model check: a tenant with enough rated feedback gets its own model first.
  if (impl_->opt.periodic || true) {
    auto trained = TrainSentimentFor(tenant);
    if (!trained.ok() && trained.status().code() != "text.not_enough_data") return trained.status();
  }
  {
    KEEL_ASSIGN_OR_RETURN(auto conn, impl_->db.Acquire());
    KEEL_ASSIGN_OR_RETURN(feedback, impl_->LoadRows(*conn, tenant, "feedback", " AND sentiment_model IS NULL", {}));
  }
  for (size_t from = 0; from < feedback.size(); from += 2000) {
    std::vector<TextRow> chunk(feedback.begin() + static_cast<long>(from),
                               feedback.begin() + static_cast<long>(std::min(feedback.size(), from + 2000)));
    KEEL_RETURN_IF_ERROR(impl_->AnalyseRows(tenant, "feedback", chunk, true));
  }
  return static_cast<int64_t>(notes.size() + feedback.size());
}

// ---- Analysis through the API ----

Result<json> TextService::Analyze(const Principal& p, const json& body) {
  KEEL_RETURN_IF_ERROR(domain::CheckObject(body, {"text", "include_words"}));
  if (!body.contains("text")) return Bad("validation.required", "text is required", "text 为必填项", "text");
  KEEL_ASSIGN_OR_RETURN(std::string text, CheckedText(body["text"], "text", impl_->opt.max_text_bytes));
  KEEL_ASSIGN_OR_RETURN(auto t, impl_->Tenant(p.tenant_id));
  Analysis a = impl_->Analyse(*t, text, true);
  json out = {{"key_phrases", PhrasesJson(a.phrases)},
              {"sentiment", {{"label", a.sentiment.label}, {"score", a.sentiment.score}, {"confidence", a.sentiment.confidence},
                             {"model", a.sentiment.model}}},
              {"intents", impl_->IntentsJson(*t, a.intents)},
              {"intent_source", a.intent_source},
              {"words", a.tokens.size()}};
  if (body.value("include_words", false)) {
    json words = json::array();
    for (const auto& tok : a.tokens) words.push_back({{"word", tok.norm}, {"begin", tok.begin}, {"end", tok.end}});
    out["word_list"] = words;
  }
  return out;
}

Result<json> TextService::AnalysisOf(const Principal& p, const std::string& entity, int64_t id) {
  const domain::EntityDef* e = domain::FindEntity(entity);
  if (!e) return Status::NotFound(entity);
  KEEL_ASSIGN_OR_RETURN(json record, impl_->records.Get(p, *e, id));
  KEEL_ASSIGN_OR_RETURN(auto t, impl_->Tenant(p.tenant_id));
  std::vector<TextRow> rows;
  {
    KEEL_ASSIGN_OR_RETURN(auto conn, impl_->db.Acquire());
    Value q[] = {p.tenant_id, entity, id};
    KEEL_ASSIGN_OR_RETURN(store::Rows r, conn->Query(
        "SELECT sentiment_label, sentiment, sentiment_model, intents, intent_source, key_phrases, analysed_at FROM text_analyses "
        "WHERE tenant_id = ? AND entity = ? AND record_id = ?", q));
    if (!r.empty()) {
      json intents = json::parse(store::AsText(r.rows[0][3]), nullptr, false);
      return json{{"entity", entity}, {"id", id},
                  {"sentiment", {{"label", store::AsText(r.rows[0][0])}, {"score", store::AsDouble(r.rows[0][1])},
                                 {"model", store::AsText(r.rows[0][2])}}},
                  {"intents", impl_->IntentsJson(*t, intents.is_array() ? intents.get<std::vector<std::string>>() : std::vector<std::string>())},
                  {"intent_source", store::AsText(r.rows[0][4])},
                  {"key_phrases", json::parse(store::AsText(r.rows[0][5]), nullptr, false)},
                  {"analysed_at", store::AsText(r.rows[0][6])}};
    }
    KEEL_ASSIGN_OR_RETURN(rows, impl_->LoadRows(*conn, p.tenant_id, entity, " AND id = ?", {id}));
  }
  // Not analysed yet (written a moment ago, or before the service ran): analyse it now.
  if (rows.empty() || rows[0].text.empty()) {
    return Status::Error(ErrorKind::kNotFound, "text.no_text", "this " + e->en + " has no text to analyse", "该" + e->zh + "没有可分析的文字");
  }
  if (!IsCleanText(rows[0].text)) {
    return Status::Error(ErrorKind::kUnprocessable, "text.encoding", "the text of this " + e->en + " is not clean UTF-8 and cannot be analysed",
                         "该" + e->zh + "的文字不是有效的 UTF-8，无法分析", "text");
  }
  KEEL_RETURN_IF_ERROR(impl_->AnalyseRows(p.tenant_id, entity, rows, false));
  {
    KEEL_ASSIGN_OR_RETURN(auto conn, impl_->db.Acquire());
    Value q[] = {p.tenant_id, entity, id};
    KEEL_ASSIGN_OR_RETURN(store::Rows r, conn->Query("SELECT 1 FROM text_analyses WHERE tenant_id = ? AND entity = ? AND record_id = ?", q));
    if (r.empty()) {
      return Status::Error(ErrorKind::kUnprocessable, "text.no_text", "this " + e->en + " has no text to analyse", "该" + e->zh + "没有可分析的文字");
    }
  }
  return AnalysisOf(p, entity, id);
}

Result<json> TextService::CorrectIntents(const Principal& p, int64_t activity_id, const json& body) {
  if (domain::IsReadOnly(p.role)) {
    return Status::Error(ErrorKind::kForbidden, "forbidden", "read-only roles may not correct notes", "只读角色不能更正纪要");
  }
  KEEL_RETURN_IF_ERROR(domain::CheckObject(body, {"intents"}));
  KEEL_ASSIGN_OR_RETURN(json record, impl_->records.Get(p, *domain::FindEntity("activities"), activity_id));
  KEEL_ASSIGN_OR_RETURN(auto t, impl_->Tenant(p.tenant_id));
  if (!body.contains("intents") || !body["intents"].is_array() || body["intents"].empty()) {
    return Bad("validation.required", "intents must be a non-empty list of intent codes", "intents 应为非空的意图代码列表", "intents");
  }
  std::vector<std::string> labels;
  for (size_t i = 0; i < body["intents"].size(); ++i) {
    const json& v = body["intents"][i];
    std::string at = "intents[" + std::to_string(i) + "]";
    if (!v.is_string() || (v.get<std::string>() != "other" && !FindIntent(t->intents, v.get<std::string>()))) {
      std::string list = "other";
      for (const auto& d : t->intents) list += ", " + d.code;
      return Bad("validation.enum", at + " must be one of: " + list, at + " 只能取以下值：" + list, at);
    }
    if (std::find(labels.begin(), labels.end(), v.get<std::string>()) == labels.end()) labels.push_back(v.get<std::string>());
  }
  if (!record["notes"].is_string()) return Bad("text.no_text", "this activity has no notes", "该活动没有纪要", "notes");
  std::vector<TextRow> rows;
  {
    KEEL_ASSIGN_OR_RETURN(auto conn, impl_->db.Acquire());
    KEEL_ASSIGN_OR_RETURN(rows, impl_->LoadRows(*conn, p.tenant_id, "activities", " AND id = ?", {activity_id}));
  }
  if (rows.empty()) {
    return Status::Error(ErrorKind::kConflict, "record.archived", "this activity is archived", "该活动已归档", "id");
  }
  Analysis a = impl_->Analyse(*t, rows[0].text, true);
  a.intents = labels;
  a.intent_source = "correction";
  int64_t corrections = 0;
  {
    KEEL_ASSIGN_OR_RETURN(auto conn, impl_->db.Acquire());
    KEEL_ASSIGN_OR_RETURN(auto tx, store::Transaction::Begin(*conn));
    std::string now = FormatTimestamp(impl_->clock.NowMs());
    Value del[] = {p.tenant_id, std::string("activities"), activity_id};
    KEEL_RETURN_IF_ERROR(conn->Exec("DELETE FROM text_analyses WHERE tenant_id = ? AND entity = ? AND record_id = ?", del).status());
    KEEL_RETURN_IF_ERROR(impl_->StoreAnalysis(*conn, p.tenant_id, "activities", rows[0], a, now));
    Value q[] = {p.tenant_id, activity_id, json(labels).dump(), p.user_id ? Value(p.user_id) : Value(), now};
    KEEL_RETURN_IF_ERROR(conn->Exec("INSERT INTO text_corrections (tenant_id, activity_id, labels, actor_id, created_at) VALUES (?, ?, ?, ?, ?) "
                                    "ON CONFLICT (tenant_id, activity_id) DO UPDATE SET labels = excluded.labels, actor_id = excluded.actor_id, "
                                    "created_at = excluded.created_at", q).status());
    Value c[] = {p.tenant_id};
    KEEL_ASSIGN_OR_RETURN(store::Rows n, conn->Query("SELECT COUNT(*) FROM text_corrections WHERE tenant_id = ?", c));
    corrections = store::AsInt(n.rows[0][0]);
    KEEL_RETURN_IF_ERROR(tx.Commit());
  }
  json out = {{"id", activity_id}, {"intents", impl_->IntentsJson(*t, labels)}, {"intent_source", "correction"}, {"corrections", corrections}};
  // Enough corrections: the intent model learns from all of them (fast: a few hundred notes), at
  // the threshold and then after every ten more.
  if (corrections >= impl_->opt.min_corrections && (corrections - impl_->opt.min_corrections) % 10 == 0) {
    auto trained = impl_->TrainIntents(p.tenant_id);
    if (trained.ok()) out["intent_model"] = *trained;
    else spdlog::warn("text: intent model of tenant {}: {}", p.tenant_id, trained.status().ToString());
  } else if (corrections < impl_->opt.min_corrections) {
    out["intent_model"] = {{"status", "waiting"}, {"corrections_needed", impl_->opt.min_corrections}};
  } else {
    out["intent_model"] = {{"status", "kept"}, {"next_training_at", corrections + 10 - (corrections - impl_->opt.min_corrections) % 10}};
  }
  return out;
}

Result<json> TextService::Impl::TrainIntents(int64_t tenant) {
  std::vector<Classifier::Example> ex;
  KEEL_ASSIGN_OR_RETURN(auto t, Tenant(tenant));
  {
    KEEL_ASSIGN_OR_RETURN(auto conn, db.Acquire());
    Value q[] = {tenant};
    KEEL_ASSIGN_OR_RETURN(store::Rows r, conn->Query(
        "SELECT c.labels, a.notes FROM text_corrections c JOIN activities a ON a.tenant_id = c.tenant_id AND a.id = c.activity_id "
        "WHERE c.tenant_id = ? AND a.notes IS NOT NULL", q));
    for (const auto& row : r.rows) {
      json labels = json::parse(store::AsText(row[0]), nullptr, false);
      if (!labels.is_array()) continue;
      ex.push_back({labels.get<std::vector<std::string>>(), ClassifierInput(Segment(store::AsText(row[1]), t->terms))});
    }
  }
  Classifier::Options o;
  o.multi_label = true;
  o.epoch = 50;
  KEEL_ASSIGN_OR_RETURN(auto model, Classifier::Train(ex, o));
  KEEL_ASSIGN_OR_RETURN(std::string bytes, model->Save());
  KEEL_ASSIGN_OR_RETURN(auto conn, db.Acquire());
  KEEL_ASSIGN_OR_RETURN(auto tx, store::Transaction::Begin(*conn));
  Value q[] = {tenant};
  KEEL_ASSIGN_OR_RETURN(store::Rows v, conn->Query("SELECT COALESCE(MAX(version), 0) FROM text_models WHERE tenant_id = ? AND kind = 'intent'", q));
  int64_t version = store::AsInt(v.rows[0][0]) + 1;
  json card = {{"examples", ex.size()}, {"trained_at", FormatTimestamp(clock.NowMs())}};
  Value ins[] = {tenant, std::string("intent"), version, Base64UrlEncode(bytes), card.dump(), FormatTimestamp(clock.NowMs())};
  KEEL_RETURN_IF_ERROR(conn->Exec("INSERT INTO text_models (tenant_id, kind, version, model, card, created_at) VALUES (?, ?, ?, ?, ?, ?)", ins).status());
  KEEL_RETURN_IF_ERROR(tx.Commit());
  Forget(tenant);
  return json{{"status", "trained"}, {"version", version}, {"examples", ex.size()}};
}

}  // namespace keel::text
