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

Result<std::pair<TimeMs, TimeMs>> DayRange(const TimeZone& zone, const std::string& day) {
  KEEL_ASSIGN_OR_RETURN(int64_t d, ParseDate(day));
  TimeMs local = d * kDayMs;
  return std::make_pair(zone.ToUtc(local), zone.ToUtc(local + kDayMs));
}

Status Bad(const std::string& code, const std::string& en, const std::string& zh, const std::string& field) {
  return Status::Invalid(code, en, zh, field);
}

Status Forbidden() {
  return Status::Error(ErrorKind::kForbidden, "forbidden", "only admin and hq_ops may change this", "只有管理员和运营可以修改");
}

bool CanManage(const Principal& p) { return p.role == domain::Role::kAdmin || p.role == domain::Role::kHqOps || p.is_system(); }

json PhrasesJson(const std::vector<KeyPhrase>& kp) {
  json out = json::array();
  for (const auto& k : kp) out.push_back({{"text", k.text}, {"score", k.score}, {"count", k.count}});
  return out;
}

std::vector<KeyPhrase> PhrasesOf(const std::string& stored) {
  json a = json::parse(stored, nullptr, false);
  std::vector<KeyPhrase> out;
  if (!a.is_array()) return out;
  for (const auto& k : a) out.push_back({k.value("text", ""), k.value("score", 0.0), k.value("count", 0)});
  return out;
}

const IntentDef* FindIntent(const std::vector<IntentDef>& defs, const std::string& code) {
  for (const auto& d : defs) {
    if (d.code == code) return &d;
  }
  return nullptr;
}

Status CheckText(const std::string& s, const std::string& field, size_t max_bytes) {
  if (s.size() > max_bytes) {
    return Bad("validation.too_long", field + " is longer than " + std::to_string(max_bytes) + " bytes",
               field + " 超过 " + std::to_string(max_bytes) + " 字节", field);
  }
  if (!IsCleanText(s)) {
    return Bad("text.encoding", field + " must be UTF-8 text without control characters (binary or wrongly encoded?)",
               field + " 须为不含控制字符的 UTF-8 文本（可能是二进制或编码错误）", field);
  }
  if (Normalize(s).empty()) return Bad("validation.required", field + " is empty", field + " 为空", field);
  return Status();
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
  KEEL_ASSIGN_OR_RETURN(std::optional<std::string> tz, repo::TimeZoneOf(*conn, tenant));
  if (!tz) return Status::NotFound("tenant");
  auto zone = TimeZone::Load(*tz);
  if (!zone.ok()) zone = TimeZone::Load("Asia/Shanghai");
  KEEL_RETURN_IF_ERROR(zone.status());
  t->zone = *zone;
  KEEL_ASSIGN_OR_RETURN(std::optional<repo::SettingsRow> s, repo::LoadSettings(*conn, tenant));
  if (s) {
    json terms = json::parse(s->terms, nullptr, false);
    if (terms.is_array()) t->term_list = terms.get<std::vector<std::string>>();
    json intents = json::parse(s->intents, nullptr, false);
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
    t->recap_hour = static_cast<int>(s->recap_hour);
    if (s->llm) t->llm = json::parse(*s->llm, nullptr, false);
  }
  t->terms = Terms(t->term_list);
  for (const char* kind : {"sentiment", "intent"}) {
    KEEL_ASSIGN_OR_RETURN(std::optional<repo::ModelRow> m, repo::LatestModel(*conn, tenant, kind));
    if (!m) continue;
    std::string bytes;
    if (!Base64UrlDecode(m->model, &bytes)) continue;
    auto c = Classifier::Load(bytes);
    if (!c.ok()) {
      spdlog::warn("text: the {} model of tenant {} does not load: {}", kind, tenant, c.status().ToString());
      continue;
    }
    std::shared_ptr<Classifier> shared(std::move(*c));
    int version = static_cast<int>(m->version);
    json card = json::parse(m->card, nullptr, false);
    if (std::string(kind) == "sentiment") {
      t->sentiment = shared;
      t->sentiment_version = version;
      t->sentiment_card = card;
    } else {
      t->intent_model = shared;
      t->intent_version = version;
    }
  }
  KEEL_ASSIGN_OR_RETURN(t->stats.docs, repo::CorpusDocs(*conn, tenant));
  KEEL_ASSIGN_OR_RETURN(auto df, repo::DocumentFrequencies(*conn, tenant));
  for (auto& [term, n] : df) t->stats.df[term] = n;
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

std::vector<IntentView> TextService::Impl::Intents(const TenantText& t, const std::vector<std::string>& codes) {
  std::vector<IntentView> out;
  for (const auto& c : codes) {
    const IntentDef* d = FindIntent(t.intents, c);
    out.push_back({c, d ? d->zh : std::string("其他"), d ? d->en : std::string("other")});
  }
  return out;
}

Status TextService::Impl::StoreAnalysis(store::Connection& conn, int64_t tenant, const std::string& entity, const TextRow& row,
                                        const Analysis& a, const std::string& now) {
  auto id = [](int64_t v) { return v ? std::optional<int64_t>(v) : std::nullopt; };
  repo::AnalysisRow r{.entity = entity, .record_id = row.id, .unit_id = id(row.unit), .owner_id = id(row.owner),
                      .customer_id = id(row.customer), .occurred_at = row.occurred_at, .sentiment_label = a.sentiment.label,
                      .sentiment = a.sentiment.score, .sentiment_model = a.sentiment.model, .intents = json(a.intents).dump(),
                      .intent_source = a.intent_source, .key_phrases = PhrasesJson(a.phrases).dump(), .analysed_at = now};
  return repo::UpsertAnalysis(conn, tenant, r);
}

Result<std::vector<TextRow>> TextService::Impl::LoadRows(int64_t tenant, const std::string& entity, const repo::TextFilter& filter) {
  KEEL_ASSIGN_OR_RETURN(auto conn, db.Acquire());
  return repo::TextRows(*conn, tenant, entity, filter);
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
      KEEL_RETURN_IF_ERROR(repo::SetFeedbackSentiment(*conn, tenant, row.id, s, s > 0 ? "positive" : s < 0 ? "negative" : "neutral", "rating"));
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
      KEEL_RETURN_IF_ERROR(repo::SetFeedbackSentiment(*conn, tenant, row.id, a.sentiment.score, a.sentiment.label, a.sentiment.model));
    }
    if (entity == "signals" && std::isnan(row.extra)) {
      KEEL_RETURN_IF_ERROR(repo::SetSignalSentimentIfUnset(*conn, tenant, row.id, a.sentiment.score));
    }
    if (count_df) {
      std::lock_guard lock(t->mu);
      for (const auto& w : t->stats.Add(a.tokens)) df_add[w]++;
      docs_add++;
    }
    analysed.fetch_add(1);
  }
  KEEL_RETURN_IF_ERROR(repo::AddDocumentFrequencies(*conn, tenant, df_add));
  if (docs_add) KEEL_RETURN_IF_ERROR(repo::AddCorpusDocs(*conn, tenant, docs_add, now));
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
        repo::TextFilter f;
        f.ids.assign(list.begin() + static_cast<long>(from), list.begin() + static_cast<long>(std::min(list.size(), from + 400)));
        KEEL_ASSIGN_OR_RETURN(std::vector<TextRow> rows, LoadRows(tenant, entity, f));
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
    KEEL_ASSIGN_OR_RETURN(notes, repo::TextRows(*conn, tenant, "activities", {.from = FormatTimestamp(since)}));
    // What is in the log now is covered by the backfill: the worker starts after it.
    KEEL_ASSIGN_OR_RETURN(int64_t head, events::LastSeq(*conn, tenant));
    KEEL_RETURN_IF_ERROR(impl_->consumer.SetCursor(*conn, tenant, head));
    // The statistics are rebuilt from what is analysed here.
    KEEL_RETURN_IF_ERROR(repo::ResetCorpus(*conn, tenant, FormatTimestamp(impl_->clock.NowMs())));
  }
  impl_->Forget(tenant);
  for (size_t from = 0; from < notes.size(); from += 2000) {
    std::vector<TextRow> chunk(notes.begin() + static_cast<long>(from), notes.begin() + static_cast<long>(std::min(notes.size(), from + 2000)));
    KEEL_RETURN_IF_ERROR(impl_->AnalyseRows(tenant, "activities", chunk, true));
  }
  // Feedback after the model check: a tenant with enough rated feedback gets its own model first.
  {
    auto trained = TrainSentimentFor(tenant);
    if (!trained.ok() && trained.status().code() != "text.not_enough_data") return trained.status();
  }
  KEEL_ASSIGN_OR_RETURN(feedback, impl_->LoadRows(tenant, "feedback", {.unanalysed = true}));
  for (size_t from = 0; from < feedback.size(); from += 2000) {
    std::vector<TextRow> chunk(feedback.begin() + static_cast<long>(from),
                               feedback.begin() + static_cast<long>(std::min(feedback.size(), from + 2000)));
    KEEL_RETURN_IF_ERROR(impl_->AnalyseRows(tenant, "feedback", chunk, true));
  }
  return static_cast<int64_t>(notes.size() + feedback.size());
}

// ---- Analysis through the API ----

Result<TextAnalysis> TextService::Analyze(const Principal& p, const AnalyzeCommand& cmd) {
  KEEL_RETURN_IF_ERROR(CheckText(cmd.text, "text", impl_->opt.max_text_bytes));
  KEEL_ASSIGN_OR_RETURN(auto t, impl_->Tenant(p.tenant_id));
  Analysis a = impl_->Analyse(*t, cmd.text, true);
  TextAnalysis out;
  out.key_phrases = a.phrases;
  out.sentiment = {a.sentiment.label, a.sentiment.score, a.sentiment.confidence, a.sentiment.model};
  out.intents = impl_->Intents(*t, a.intents);
  out.intent_source = a.intent_source;
  out.words = static_cast<int64_t>(a.tokens.size());
  if (cmd.include_words) {
    out.word_list.emplace();
    for (const auto& tok : a.tokens) out.word_list->push_back({tok.norm, tok.begin, tok.end});
  }
  return out;
}

Result<TextAnalysis> TextService::AnalysisOf(const Principal& p, const std::string& entity, int64_t id) {
  const domain::EntityDef* e = domain::FindEntity(entity);
  if (!e) return Status::NotFound(entity);
  KEEL_ASSIGN_OR_RETURN(json record, impl_->records.Get(p, *e, id));
  KEEL_ASSIGN_OR_RETURN(auto t, impl_->Tenant(p.tenant_id));
  std::vector<TextRow> rows;
  {
    KEEL_ASSIGN_OR_RETURN(auto conn, impl_->db.Acquire());
    KEEL_ASSIGN_OR_RETURN(std::optional<repo::AnalysisRow> r, repo::LoadAnalysis(*conn, p.tenant_id, entity, id));
    if (r) {
      json intents = json::parse(r->intents, nullptr, false);
      TextAnalysis out;
      out.entity = entity;
      out.id = id;
      out.sentiment = {r->sentiment_label, r->sentiment, std::nullopt, r->sentiment_model};
      out.intents = impl_->Intents(*t, intents.is_array() ? intents.get<std::vector<std::string>>() : std::vector<std::string>());
      out.intent_source = r->intent_source;
      out.key_phrases = PhrasesOf(r->key_phrases);
      out.analysed_at = r->analysed_at;
      return out;
    }
    KEEL_ASSIGN_OR_RETURN(rows, repo::TextRows(*conn, p.tenant_id, entity, {.ids = {id}}));
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
    KEEL_ASSIGN_OR_RETURN(std::optional<repo::AnalysisRow> r, repo::LoadAnalysis(*conn, p.tenant_id, entity, id));
    if (!r) {
      return Status::Error(ErrorKind::kUnprocessable, "text.no_text", "this " + e->en + " has no text to analyse", "该" + e->zh + "没有可分析的文字");
    }
  }
  return AnalysisOf(p, entity, id);
}

Status TextService::Authorize(const Principal& p, Change change) const {
  switch (change) {
    case Change::kCorrectIntents:
      if (!domain::IsReadOnly(p.role)) return Status();
      return Status::Error(ErrorKind::kForbidden, "forbidden", "read-only roles may not correct notes", "只读角色不能更正纪要");
    case Change::kAddDocument:
      if (!domain::IsReadOnly(p.role) && p.role != domain::Role::kRep) return Status();
      return Status::Error(ErrorKind::kForbidden, "forbidden", "reps and read-only roles may not add to the knowledge base",
                           "销售代表和只读角色不能添加知识库文档");
    case Change::kDraftFollowUp:
      if (!domain::IsReadOnly(p.role)) return Status();
      return Status::Error(ErrorKind::kForbidden, "forbidden", "read-only roles do not write to customers", "只读角色不能起草客户消息");
  }
  return Status();
}

Result<Correction> TextService::CorrectIntents(const Principal& p, int64_t activity_id, const CorrectIntentsCommand& cmd) {
  KEEL_RETURN_IF_ERROR(Authorize(p, Change::kCorrectIntents));
  KEEL_ASSIGN_OR_RETURN(json record, impl_->records.Get(p, *domain::FindEntity("activities"), activity_id));
  KEEL_ASSIGN_OR_RETURN(auto t, impl_->Tenant(p.tenant_id));
  if (!cmd.intents || cmd.intents->empty()) {
    return Bad("validation.required", "intents must be a non-empty list of intent codes", "intents 应为非空的意图代码列表", "intents");
  }
  std::vector<std::string> labels;
  for (size_t i = 0; i < cmd.intents->size(); ++i) {
    const std::optional<std::string>& v = (*cmd.intents)[i];
    std::string at = "intents[" + std::to_string(i) + "]";
    if (!v || (*v != "other" && !FindIntent(t->intents, *v))) {
      std::string list = "other";
      for (const auto& d : t->intents) list += ", " + d.code;
      return Bad("validation.enum", at + " must be one of: " + list, at + " 只能取以下值：" + list, at);
    }
    if (std::find(labels.begin(), labels.end(), *v) == labels.end()) labels.push_back(*v);
  }
  if (!record["notes"].is_string()) return Bad("text.no_text", "this activity has no notes", "该活动没有纪要", "notes");
  KEEL_ASSIGN_OR_RETURN(std::vector<TextRow> rows, impl_->LoadRows(p.tenant_id, "activities", {.ids = {activity_id}}));
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
    KEEL_RETURN_IF_ERROR(repo::DeleteAnalysis(*conn, p.tenant_id, "activities", activity_id));
    KEEL_RETURN_IF_ERROR(impl_->StoreAnalysis(*conn, p.tenant_id, "activities", rows[0], a, now));
    KEEL_RETURN_IF_ERROR(repo::UpsertCorrection(*conn, p.tenant_id, activity_id, json(labels).dump(),
                                                p.user_id ? std::optional<int64_t>(p.user_id) : std::nullopt, now));
    KEEL_ASSIGN_OR_RETURN(corrections, repo::CountCorrections(*conn, p.tenant_id));
    KEEL_RETURN_IF_ERROR(tx.Commit());
  }
  Correction out{.id = activity_id, .intents = impl_->Intents(*t, labels), .intent_source = "correction", .corrections = corrections};
  // Enough corrections: the intent model learns from all of them (fast: a few hundred notes), at
  // the threshold and then after every ten more.
  if (corrections >= impl_->opt.min_corrections && (corrections - impl_->opt.min_corrections) % 10 == 0) {
    auto trained = impl_->TrainIntents(p.tenant_id);
    if (trained.ok()) out.intent_model = *trained;
    else spdlog::warn("text: intent model of tenant {}: {}", p.tenant_id, trained.status().ToString());
  } else if (corrections < impl_->opt.min_corrections) {
    out.intent_model = IntentModelState{.status = "waiting", .corrections_needed = impl_->opt.min_corrections};
  } else {
    out.intent_model = IntentModelState{.status = "kept",
                                        .next_training_at = corrections + 10 - (corrections - impl_->opt.min_corrections) % 10};
  }
  return out;
}

Result<IntentModelState> TextService::Impl::TrainIntents(int64_t tenant) {
  std::vector<Classifier::Example> ex;
  KEEL_ASSIGN_OR_RETURN(auto t, Tenant(tenant));
  {
    KEEL_ASSIGN_OR_RETURN(auto conn, db.Acquire());
    KEEL_ASSIGN_OR_RETURN(std::vector<repo::CorrectedNote> corrected, repo::CorrectedNotes(*conn, tenant));
    for (const auto& c : corrected) {
      json labels = json::parse(c.labels, nullptr, false);
      if (!labels.is_array()) continue;
      ex.push_back({labels.get<std::vector<std::string>>(), ClassifierInput(Segment(c.notes, t->terms))});
    }
  }
  Classifier::Options o;
  o.multi_label = true;
  o.epoch = 50;
  KEEL_ASSIGN_OR_RETURN(auto model, Classifier::Train(ex, o));
  KEEL_ASSIGN_OR_RETURN(std::string bytes, model->Save());
  KEEL_ASSIGN_OR_RETURN(auto conn, db.Acquire());
  KEEL_ASSIGN_OR_RETURN(auto tx, store::Transaction::Begin(*conn));
  KEEL_ASSIGN_OR_RETURN(int64_t version, repo::NextModelVersion(*conn, tenant, "intent"));
  json card = {{"examples", ex.size()}, {"trained_at", FormatTimestamp(clock.NowMs())}};
  KEEL_RETURN_IF_ERROR(repo::InsertModel(*conn, tenant, "intent", {version, Base64UrlEncode(bytes), card.dump()}, FormatTimestamp(clock.NowMs())));
  KEEL_RETURN_IF_ERROR(tx.Commit());
  Forget(tenant);
  return IntentModelState{.status = "trained", .version = version, .examples = static_cast<int64_t>(ex.size())};
}

// ---- Key phrases by scope ----

Result<PhraseSummary> TextService::KeyPhrasesOf(const Principal& p, const std::vector<std::pair<std::string, std::string>>& query) {
  repo::TextFilter filter;
  int days = 7;
  std::string day;
  for (const auto& [k, v] : query) {
    if (k == "customer_id" || k == "unit_id" || k == "owner_id") {
      char* end = nullptr;
      long long x = std::strtoll(v.c_str(), &end, 10);
      if (v.empty() || *end || x <= 0) return Bad("validation.parameter", k + " must be a positive id", k + " 应为正整数 ID", k);
      (k == "unit_id" ? filter.units_within : k == "owner_id" ? filter.owners : filter.customers).push_back(static_cast<int64_t>(x));
    } else if (k == "date") {
      if (!ParseDate(v).ok()) return Bad("validation.parameter", "date must be YYYY-MM-DD", "date 应为 YYYY-MM-DD", k);
      day = v;
    } else if (k == "days") {
      char* end = nullptr;
      long x = std::strtol(v.c_str(), &end, 10);
      if (v.empty() || *end || x < 1 || x > 365) return Bad("validation.parameter", "days is 1 to 365", "days 应为 1 到 365", k);
      days = static_cast<int>(x);
    } else if (k != "limit") {
      return Bad("validation.parameter", "unknown parameter '" + k + "'", "未知参数 '" + k + "'", k);
    }
  }
  KEEL_ASSIGN_OR_RETURN(auto t, impl_->Tenant(p.tenant_id));
  TimeMs to = impl_->clock.NowMs(), from = to - days * kDayMs;
  if (!day.empty()) {
    KEEL_ASSIGN_OR_RETURN(auto r, DayRange(*t->zone, day));
    from = r.first;
    to = r.second;
  }
  filter.from = FormatTimestamp(from);
  filter.to = FormatTimestamp(to);
  filter.visible_to = &p;
  filter.newest = 5000;
  KEEL_ASSIGN_OR_RETURN(std::vector<TextRow> rows, impl_->LoadRows(p.tenant_id, "activities", filter));
  std::vector<std::vector<Token>> docs;
  for (const auto& r : rows) docs.push_back(Segment(r.text, t->terms));
  CorpusStats stats;
  {
    std::lock_guard lock(t->mu);
    stats = t->stats;
  }
  return PhraseSummary{static_cast<int64_t>(rows.size()), FormatTimestamp(from), FormatTimestamp(to), KeyPhrases(docs, stats, t->terms, 12)};
}

}  // namespace keel::text
