// Routes of the text service: analysis of any text and of stored notes/feedback, intent
// corrections, key phrases by scope, settings (domain terms, intents, recap hour, generative
// endpoint), the sentiment model, the daily recap, the knowledge base, talk tracks and drafts.
// The service takes and gives structs (text/model.h); their JSON is read and written here, a
// change's body only once the caller may make it (TextService::Authorize).
#include "domain/codec.h"
#include "http/api.h"
#include "http/openapi.h"
#include "text/service.h"
#include "common/json_util.h"

namespace keel::http {
namespace {

using keel::OrNull;
json OrNull(const std::string& s) { return s.empty() ? json(nullptr) : json(s); }

template <typename T>
json All(const std::vector<T>& xs);

json ToJson(const text::KeyPhrase& k) { return {{"text", k.text}, {"score", k.score}, {"count", k.count}}; }
json ToJson(const text::IntentView& i) { return {{"code", i.code}, {"zh", i.zh}, {"en", i.en}}; }
json ToJson(const text::WordView& w) { return {{"word", w.word}, {"begin", w.begin}, {"end", w.end}}; }

json ToJson(const text::TextAnalysis& a) {
  json s = {{"label", a.sentiment.label}, {"score", a.sentiment.score}, {"model", a.sentiment.model}};
  if (a.sentiment.confidence) s["confidence"] = *a.sentiment.confidence;
  json out = {{"key_phrases", All(a.key_phrases)}, {"sentiment", s}, {"intents", All(a.intents)}, {"intent_source", a.intent_source}};
  if (a.entity) out["entity"] = *a.entity;
  if (a.id) out["id"] = *a.id;
  if (a.words) out["words"] = *a.words;
  if (a.word_list) out["word_list"] = All(*a.word_list);
  if (a.analysed_at) out["analysed_at"] = *a.analysed_at;
  return out;
}

json ToJson(const text::IntentModelState& m) {
  json out = {{"status", m.status}};
  if (m.corrections_needed) out["corrections_needed"] = *m.corrections_needed;
  if (m.next_training_at) out["next_training_at"] = *m.next_training_at;
  if (m.version) out["version"] = *m.version;
  if (m.examples) out["examples"] = *m.examples;
  return out;
}

json ToJson(const text::Correction& c) {
  json out = {{"id", c.id}, {"intents", All(c.intents)}, {"intent_source", c.intent_source}, {"corrections", c.corrections}};
  if (c.intent_model) out["intent_model"] = ToJson(*c.intent_model);
  return out;
}

json ToJson(const text::PhraseSummary& s) {
  return {{"notes", s.notes}, {"from", s.from}, {"to", s.to}, {"key_phrases", All(s.key_phrases)}};
}

json ToJson(const text::IntentDef& d) {
  return {{"code", d.code}, {"zh", d.zh}, {"en", d.en}, {"terms", d.terms}, {"follow_up_zh", d.follow_up_zh}, {"follow_up_en", d.follow_up_en}};
}

json ToJson(const text::SettingsView& s) {
  json llm = nullptr;
  if (s.llm) llm = {{"url", s.llm->url}, {"model", s.llm->model}, {"has_key", s.llm->has_key}};
  return {{"terms", s.terms}, {"intents", All(s.intents)}, {"tenant_intents", s.tenant_intents}, {"recap_hour", s.recap_hour}, {"llm", llm}};
}

json ToJson(const text::SentimentModelView& m) {
  const auto& f = m.feedback;
  json out = {{"model", m.model},
              {"feedback", {{"rated_texts", f.rated_texts}, {"positive", f.positive}, {"negative", f.negative}, {"needed", f.needed},
                            {"needed_per_class", f.needed_per_class}}}};
  if (m.card) out["card"] = *m.card;
  if (m.note_en) out["note_en"] = *m.note_en;
  if (m.note_zh) out["note_zh"] = *m.note_zh;
  return out;
}

json ToJson(const text::KbDocument& d) {
  json out = {{"id", d.id}, {"title", d.title}, {"kind", d.kind}, {"product_line", OrNull(d.product_line)}, {"segment", OrNull(d.segment)},
              {"opportunity_id", d.opportunity_id ? json(d.opportunity_id) : json(nullptr)}, {"created_at", d.created_at}};
  if (d.body) out["body"] = *d.body;
  if (d.chars) out["chars"] = *d.chars;
  if (d.archived) out["archived"] = true;
  return out;
}

json ToJson(const text::Source& s) {
  json out = {{"kind", s.kind}, {"title", s.title}};
  if (s.document_id) out["document_id"] = *s.document_id;
  if (s.activity_id) out["activity_id"] = *s.activity_id;
  if (s.opportunity_id) out["opportunity_id"] = *s.opportunity_id;
  return out;
}

json ToJson(const text::SearchHit& h) {
  json out = ToJson(text::Source{h.kind, h.title, h.document_id, h.activity_id, h.opportunity_id});
  out["snippet"] = h.snippet;
  out["score"] = h.score;
  out["product_line"] = OrNull(h.product_line);
  out["segment"] = OrNull(h.segment);
  return out;
}

json ToJson(const text::SearchResult& r) { return {{"q", r.q}, {"words", r.words}, {"total", r.total}, {"items", All(r.items)}}; }

json ToJson(const text::SimilarDeal& d) {
  json out = {{"anonymised", d.anonymised}, {"similarity", d.similarity}, {"reasons_zh", d.reasons_zh}, {"reasons_en", d.reasons_en},
              {"product_category", OrNull(d.product_category)}, {"segment", OrNull(d.segment)}};
  if (d.anonymised) {
    out["amount_band"] = d.amount_band ? json({d.amount_band->first, d.amount_band->second}) : json(nullptr);
    return out;
  }
  out["opportunity_id"] = d.opportunity_id;
  out["name"] = d.name;
  out["amount"] = d.amount;
  out["closed_at"] = OrNull(d.closed_at);
  out["key_phrases"] = All(d.key_phrases);
  return out;
}

json ToJson(const text::Hint& h) {
  return {{"intent", h.intent}, {"intent_zh", h.intent_zh}, {"intent_en", h.intent_en}, {"text", h.text}, {"source", ToJson(h.source)}};
}

json ToJson(const text::TalkTracksView& t) {
  return {{"opportunity_id", t.opportunity_id}, {"detected_intents", All(t.detected_intents)}, {"similar_won_deals", All(t.similar_won_deals)},
          {"phrases_in_won_deals", All(t.phrases_in_won_deals)}, {"hints", All(t.hints)}};
}

json ToJson(const text::Draft& d) {
  return {{"opportunity_id", d.opportunity_id}, {"draft", d.draft}, {"model", d.model}, {"lang", d.lang}, {"sources", All(d.sources)},
          {"grounded_on", d.grounded_on}};
}

template <typename T>
json All(const std::vector<T>& xs) {
  json out = json::array();
  for (const auto& x : xs) out.push_back(ToJson(x));
  return out;
}

template <typename T>
Result<Reply> One(Result<T> r, int status = 200) {
  if (!r.ok()) return r.status();
  return Reply{status, ToJson(*r)};
}

Result<Reply> Items(Result<std::vector<text::KbDocument>> r) {
  if (!r.ok()) return r.status();
  return Reply{200, json{{"items", All(*r)}}};
}

// ---- Request bodies

Status Required(const std::string& field) {
  return Status::Invalid("validation.required", field + " is required", field + " 为必填项", field);
}

// The string at `field` (its content is checked by the service).
Result<std::string> StringAt(const json& body, const std::string& field) {
  const json& v = body.at(field);
  if (!v.is_string()) return Status::Invalid("validation.type", field + " must be a string", field + " 应为字符串", field);
  return v.get<std::string>();
}

Result<text::AnalyzeCommand> AnalyzeOf(const json& body) {
  KEEL_RETURN_IF_ERROR(domain::CheckObject(body, {"text", "include_words"}));
  if (!body.contains("text")) return Required("text");
  KEEL_ASSIGN_OR_RETURN(std::string text, StringAt(body, "text"));
  return text::AnalyzeCommand{std::move(text), body.value("include_words", false)};
}

Result<text::CorrectIntentsCommand> CorrectionOf(const json& body) {
  KEEL_RETURN_IF_ERROR(domain::CheckObject(body, {"intents"}));
  text::CorrectIntentsCommand cmd;
  if (!body.contains("intents") || !body["intents"].is_array()) return cmd;
  cmd.intents.emplace();
  for (const auto& v : body["intents"]) cmd.intents->push_back(v.is_string() ? std::optional<std::string>(v.get<std::string>()) : std::nullopt);
  return cmd;
}

Result<text::KbDocumentCommand> DocumentOf(const json& body) {
  KEEL_RETURN_IF_ERROR(domain::CheckObject(body, {"title", "body", "kind", "product_line", "segment", "opportunity_id"}));
  if (!body.contains("title")) return Required("title");
  if (!body.contains("body")) return Required("body");
  text::KbDocumentCommand cmd;
  KEEL_ASSIGN_OR_RETURN(cmd.title, StringAt(body, "title"));
  KEEL_ASSIGN_OR_RETURN(cmd.body, StringAt(body, "body"));
  cmd.kind = body.value("kind", "playbook");
  for (const char* k : {"product_line", "segment"}) {
    if (!body.contains(k) || body[k].is_null()) continue;
    KEEL_ASSIGN_OR_RETURN(std::string v, StringAt(body, k));
    (std::string(k) == "segment" ? cmd.segment : cmd.product_line) = std::move(v);
  }
  if (body.contains("opportunity_id") && !body["opportunity_id"].is_null()) {
    if (!body["opportunity_id"].is_number_integer()) {
      return Status::Invalid("validation.type", "opportunity_id must be an id", "opportunity_id 应为 ID", "opportunity_id");
    }
    cmd.opportunity_id = body["opportunity_id"].get<int64_t>();
  }
  return cmd;
}

Result<text::DraftCommand> DraftOf(const json& body) {
  KEEL_RETURN_IF_ERROR(domain::CheckObject(body, {"lang", "instructions"}));
  text::DraftCommand cmd;
  if (body.contains("lang")) cmd.lang = body["lang"].get<std::string>();
  if (body.contains("instructions")) {
    KEEL_ASSIGN_OR_RETURN(cmd.instructions, StringAt(body, "instructions"));
  }
  return cmd;
}

}  // namespace

void Api::AddTextRoutes() {
  text::TextService* tx = services_.text;
  if (tx == nullptr) return;
  using namespace schema;  // NOLINT(google-build-using-namespace): the builders read as the schema
  const json phrase = Component("KeyPhrase", Obj({{"text", Str()}, {"score", Num("0…1, relative weight")}, {"count", Int("occurrences")}},
                                                 {"text", "score", "count"}, "A key phrase / 关键短语"));
  const json intent = Component("Intent", Obj({{"code", Str("stock_out, price_objection, competitor, …")}, {"zh", Str()}, {"en", Str()}},
                                             {"code", "zh", "en"}, "An intent category / 意图类别"));
  const json analysis = Component(
      "TextAnalysis",
      Obj({{"entity", Str("activities or feedback (a stored text)")},
           {"id", Int("the record (a stored text)")},
           {"words", Int("how many words (POST /text/analyze)")},
           {"word_list", Arr(Obj({{"word", Str()}, {"begin", Int("byte offset")}, {"end", Int()}}), "with include_words")},
           {"key_phrases", Arr(phrase)},
           {"sentiment", Obj({{"label", Enum({"positive", "neutral", "negative"})}, {"score", Num("-1…1")}, {"confidence", Num()},
                              {"model", Str("lexicon or fasttext:v<N>")}},
                             {"label", "score", "model"})},
           {"intents", Arr(intent)},
           {"intent_source", Str("rules, rules+model:v<N> or correction")},
           {"analysed_at", Time()}},
          {"key_phrases", "sentiment", "intents", "intent_source"},
          "What a text says: key phrases, sentiment with the model used, intents / 文本分析：关键短语、情感（含所用模型）与意图"));
  const json corrected = Obj({{"id", Int()}, {"intents", Arr(intent)}, {"intent_source", Str()}, {"corrections", Int("corrections so far")},
                              {"intent_model", Obj({{"status", Str("waiting, trained, …")}, {"corrections_needed", Int()}}, {}, "what the intent model learns")}},
                             {"id", "intents", "intent_source"}, "The corrected intents / 更正后的意图");
  const json phrases = Obj({{"from", Time()}, {"to", Time()}, {"notes", Int("notes read")}, {"key_phrases", Arr(phrase)}},
                           {"from", "to", "notes", "key_phrases"}, "Key phrases of the notes / 纪要的关键短语");
  const json sentiment_card = Component(
      "SentimentModelCard",
      Obj({{"version", Int()}, {"status", Str("rejected when it did not beat the lexicon")}, {"reason", Str()}, {"rows", Int("rated texts")},
           {"positive", Int()}, {"negative", Int()}, {"neutral", Int()}, {"classes", Int("2 or 3")}, {"holdout_rows", Int()},
           {"holdout_accuracy", Num()}, {"lexicon_holdout_accuracy", Num("the lexicon on the same holdout")}, {"trained_at", Time()},
           {"labels", Str("how ratings become labels")}, {"rescored_feedback", Int("feedback judged again by the new model")}},
          {"rows", "holdout_accuracy", "lexicon_holdout_accuracy", "trained_at"}, "A sentiment model's card / 情感模型卡"));
  const json sentiment_model = Obj(
      {{"model", Str("lexicon or fasttext:v<N>")}, {"card", sentiment_card},
       {"feedback", Obj({{"rated_texts", Int()}, {"positive", Int()}, {"negative", Int()}, {"needed", Int()}, {"needed_per_class", Int()}},
                        {"rated_texts"}, "rated feedback to learn from")},
       {"note_en", Str()}, {"note_zh", Str()}},
      {"model", "feedback"}, "Which model judges sentiment / 当前情感模型");
  const json quote = Obj({{"activity_id", Int()}, {"text", Str()}, {"rep", Null(Str())}, {"customer", Null(Str())}, {"store", Null(Str())}},
                         {"text"});
  const json named = Obj({{"id", Int()}, {"name", Null(Str())}}, {"id"});
  const json recap = Component(
      "Recap",
      Obj({{"id", Int()}, {"scope", Str("unit or team")}, {"scope_id", Int()}, {"name", Str()}, {"name_en", Null(Str())},
           {"day", Date()}, {"lang", Enum({"zh", "en"})}, {"notes", Int()}, {"reps", Int()}, {"customers", Int()},
           {"sentiment", Obj({{"today", Null(Num())}, {"last_week", Null(Num())}, {"last_week_notes", Int()}, {"change", Null(Num())},
                              {"trend", Str("up, down, flat or new")}})},
           {"key_phrases", Arr(phrase)},
           {"problems", Arr(Obj({{"intent", Str()}, {"title", Str()}, {"title_zh", Str()}, {"title_en", Str()}, {"count", Int()},
                                 {"customers", Int()}, {"stores", Int()}, {"affected_customers", Arr(named)}, {"affected_stores", Arr(named)},
                                 {"key_phrases", Arr(phrase)}, {"quotes", Arr(quote)}, {"sentiment", Null(Num())},
                                 {"follow_up", Str()}, {"follow_up_zh", Str()}, {"follow_up_en", Str()}},
                                {"intent", "title", "count"}))},
           {"summary", Str()}, {"summary_zh", Str()}, {"summary_en", Str()}, {"generated_at", Time()},
           {"delivered", Arr(Free("to whom it was sent"), "my recaps: where it was delivered")}},
          {"day", "notes", "key_phrases", "problems", "summary"},
          "A daily AI recap, in the reader's language (both kept as *_zh / *_en) / 每日 AI 复盘"));
  const json doc_props = {{"id", Int()}, {"title", Str()}, {"kind", Str("playbook, faq, case, won_deal_note, product, policy")},
                          {"product_line", Null(Str())}, {"segment", Null(Str())}, {"opportunity_id", Null(Int())}, {"created_at", Time()}};
  json doc_full = doc_props;
  doc_full["body"] = Str("Markdown or plain text");
  doc_full["chars"] = Int("the body's length");
  doc_full["archived"] = Bool();
  const json kb_doc = Component("KnowledgeDocument", Obj(doc_full, {"id", "title", "kind", "product_line", "segment", "opportunity_id", "created_at"},
                                                         "A knowledge base document / 知识库文档"));
  const json search = Obj({{"q", Str()}, {"words", Arr(Str(), "the query's words")}, {"total", Int()},
                           {"items", Arr(Obj({{"kind", Str()}, {"title", Str()}, {"snippet", Str("with <em> around the matches")}, {"score", Num("BM25")},
                                              {"document_id", Int()}, {"activity_id", Int("a won deal's note")}, {"opportunity_id", Int()},
                                              {"product_line", Null(Str())}, {"segment", Null(Str())}},
                                             {"kind", "title", "snippet", "score"}))}},
                          {"q", "total", "items"}, "Search results, best first / 检索结果");
  const json source = Obj({{"kind", Str()}, {"title", Str()}, {"document_id", Int()}, {"activity_id", Int()}, {"opportunity_id", Int()}},
                          {"kind", "title"});
  const json talk_tracks = Obj(
      {{"opportunity_id", Int()}, {"detected_intents", Arr(intent)},
       {"similar_won_deals", Arr(Obj({{"opportunity_id", Int()}, {"name", Str()}, {"amount", Num()}, {"amount_band", Arr(Num(), "[low, high] when anonymised")},
                                      {"anonymised", Bool("another unit's deal: name and amount hidden")}, {"closed_at", Time()},
                                      {"product_category", Null(Str())}, {"segment", Null(Str())}, {"similarity", Num("0…1")},
                                      {"reasons_zh", Arr(Str())}, {"reasons_en", Arr(Str())}, {"key_phrases", Arr(phrase)}},
                                     {"anonymised", "similarity"}))},
       {"phrases_in_won_deals", Arr(phrase)},
       {"hints", Arr(Obj({{"intent", Str()}, {"intent_zh", Str()}, {"intent_en", Str()}, {"text", Str("with <em> around the matches")}, {"source", source}},
                         {"intent", "text", "source"}))}},
      {"opportunity_id", "detected_intents", "similar_won_deals", "hints"}, "Similar won deals and talk-track hints / 相似赢单与话术提示");
  const json drafted = Obj({{"opportunity_id", Int()}, {"draft", Str("the message")}, {"model", Str("the endpoint's model")}, {"lang", Enum({"zh", "en"})},
                            {"sources", Arr(source)}, {"grounded_on", Int("sources given to the model")}},
                           {"opportunity_id", "draft", "model", "lang", "sources"}, "A drafted follow-up / 跟进消息草稿");
  json analyze_req = {{"type", "object"}, {"required", {"text"}},
                      {"properties", {{"text", {{"type", "string"}, {"description", "Chinese, English or mixed; at most 20 KB"}}},
                                      {"include_words", {{"type", "boolean"}}}}}};
  router_.Add("POST", "/api/v1/text/analyze", [tx](Call& c) -> Result<Reply> {
    KEEL_ASSIGN_OR_RETURN(auto cmd, AnalyzeOf(c.body));
    return One(tx->Analyze(c.p(), cmd));
  },
              {"Analyse a text: words, key phrases, sentiment (with the model used) and intents",
               "分析一段文字：分词、关键短语、情感（注明所用模型）和意图", "text", analyze_req, analysis});
  router_.Add("GET", "/api/v1/activities/{id}/analysis", [tx](Call& c) { return One(tx->AnalysisOf(c.p(), "activities", c.id())); },
              {"The analysis of an activity's notes", "活动纪要的分析结果", "text", nullptr, analysis});
  router_.Add("GET", "/api/v1/feedback/{id}/analysis", [tx](Call& c) { return One(tx->AnalysisOf(c.p(), "feedback", c.id())); },
              {"The analysis of a customer feedback's text", "客户反馈文字的分析结果", "text", nullptr, analysis});
  json correct = {{"type", "object"}, {"required", {"intents"}},
                  {"properties", {{"intents", {{"type", "array"}, {"items", {{"type", "string"}}},
                                               {"description", "the right intent codes (see GET /text/settings), or [\"other\"]"}}}}}};
  router_.Add("POST", "/api/v1/activities/{id}/intents", [tx](Call& c) -> Result<Reply> {
    KEEL_RETURN_IF_ERROR(tx->Authorize(c.p(), text::TextService::Change::kCorrectIntents));
    KEEL_ASSIGN_OR_RETURN(auto cmd, CorrectionOf(c.body));
    return One(tx->CorrectIntents(c.p(), c.id(), cmd));
  },
              {"Correct the intents of a note; the intent model learns from the corrections",
               "更正纪要的意图；意图模型从更正中学习", "text", correct, corrected});
  router_.Add("GET", "/api/v1/text/key-phrases", [tx](Call& c) { return One(tx->KeyPhrasesOf(c.p(), c.req.query)); },
              {"Key phrases of the notes you can see, by customer, unit, owner and day",
               "可见纪要的关键短语，可按客户、单元、负责人和日期筛选", "text", nullptr, phrases,
               {{"customer_id", "a customer"}, {"unit_id", "a unit and its subtree"}, {"owner_id", "a seller"},
                {"date", "a local day YYYY-MM-DD"}, {"days", "the last N days (default 7) when no date"}}});
  json settings = {{"type", "object"},
                   {"properties", {{"terms", {{"type", "array"}, {"items", {{"type", "string"}}},
                                              {"description", "domain terms kept whole: product names, competitor brands"}}},
                                   {"intents", {{"type", "array"}, {"description", "extra categories or extra terms for built-in ones: "
                                                                                   "[{code, zh, en, terms[], follow_up_zh, follow_up_en}]"}}},
                                   {"recap_hour", {{"type", "integer"}, {"description", "local hour of the daily recap, 0-23 (default 18)"}}},
                                   {"llm", {{"type", json::array({"object", "null"})}, {"description", "OpenAI-compatible endpoint {url, model, api_key} (admin only; a new url without api_key "
                                                                                                "clears the key; the url passes the outbound policy); null: off"}}}}}};
  router_.Add("GET", "/api/v1/text/settings", [tx](Call& c) { return One(tx->Settings(c.p())); },
              {"Text settings: domain terms, intent categories, recap hour, generative endpoint (key hidden)",
               "文本设置：领域词、意图类别、复盘时间、生成式接口（不显示密钥）", "text", nullptr, settings});
  router_.Add("PUT", "/api/v1/text/settings", [tx](Call& c) { return One(tx->SaveSettings(c.p(), c.body)); },
              {"Change the text settings (admin, hq_ops; llm admin only)", "修改文本设置（管理员、运营；llm 仅管理员）", "text", settings,
               settings});
  router_.Add("GET", "/api/v1/text/models/sentiment", [tx](Call& c) { return One(tx->SentimentModel(c.p())); },
              {"Which sentiment model judges feedback (lexicon or the tenant's fastText model) with its card",
               "当前判定情感的模型（词典或本租户的 fastText 模型）及模型卡", "text", nullptr, sentiment_model});
  router_.Add("POST", "/api/v1/text/models/sentiment/train", [tx](Call& c) { return Wrap(tx->TrainSentiment(c.p())); },
              {"Train the sentiment model from rated feedback now (it also retrains daily as feedback grows)",
               "立即用评分反馈训练情感模型（反馈增长后每天也会自动重训）", "text", nullptr, sentiment_card});
  router_.Add("GET", "/api/v1/text/recap", [tx](Call& c) { return Wrap(tx->Recap(c.p(), c.req.query)); },
              {"The daily AI recap (AI复盘) of a unit or a supervisor's team, made now", "单元或主管团队的每日 AI 复盘（即时生成）",
               "text", nullptr, recap,
               {{"unit_id", "a unit (default: yours)"}, {"supervisor_id", "a supervisor's team"}, {"date", "local day, default today"},
                {"lang", "zh or en (default: your locale)"}}});
  router_.Add("GET", "/api/v1/me/recaps", [tx](Call& c) -> Result<Reply> {
    KEEL_ASSIGN_OR_RETURN(std::vector<json> recaps, tx->MyRecaps(c.p(), Query(c, "lang")));
    return Reply{200, json{{"items", std::move(recaps)}}};
  },
              {"Recaps delivered to me (my units, my team), newest first", "我收到的复盘（我的单元、团队），最新在前", "text", nullptr, Items(recap),
               {{"lang", "zh or en"}}});
  json doc = {{"type", "object"}, {"required", {"title", "body"}},
              {"properties", {{"title", {{"type", "string"}}}, {"body", {{"type", "string"}, {"description", "Markdown or plain text"}}},
                              {"kind", {{"type", "string"}, {"enum", {"playbook", "faq", "case", "won_deal_note", "product", "policy"}}}},
                              {"product_line", {{"type", "string"}}}, {"segment", {{"type", "string"}}},
                              {"opportunity_id", {{"type", "integer"}}}}}};
  RouteDoc add_doc{"Add a playbook, FAQ or case to the knowledge base (JSON, or the file itself as text/markdown with "
                   "?title=&kind=&product_line=&segment=)",
                   "向知识库添加话术手册、FAQ 或案例（JSON，或直接以 text/markdown 上传文件并在查询串中给出标题等）", "text", doc, kb_doc,
                   {{"title", "with a text/markdown body"}, {"kind", "with a text/markdown body"},
                    {"product_line", "with a text/markdown body"}, {"segment", "with a text/markdown body"}}, 201};
  add_doc.text_field = "body";
  router_.Add("POST", "/api/v1/kb/documents", [tx](Call& c) -> Result<Reply> {
    KEEL_RETURN_IF_ERROR(tx->Authorize(c.p(), text::TextService::Change::kAddDocument));
    KEEL_ASSIGN_OR_RETURN(auto cmd, DocumentOf(c.body));
    return One(tx->AddDocument(c.p(), cmd), 201);
  }, add_doc);
  router_.Add("GET", "/api/v1/kb/documents", [tx](Call& c) { return Items(tx->ListDocuments(c.p())); },
              {"Knowledge base documents", "知识库文档", "text", nullptr, Items(kb_doc)});
  router_.Add("GET", "/api/v1/kb/documents/{id}", [tx](Call& c) { return One(tx->GetDocument(c.p(), c.id())); },
              {"A knowledge base document", "知识库文档", "text", nullptr, kb_doc});
  router_.Add("DELETE", "/api/v1/kb/documents/{id}", [tx](Call& c) { return One(tx->ArchiveDocument(c.p(), c.id())); },
              {"Archive a document", "归档知识库文档", "text", nullptr, kb_doc});
  router_.Add("GET", "/api/v1/kb/search", [tx](Call& c) { return One(tx->Search(c.p(), c.req.query)); },
              {"Search the knowledge base and the notes of won deals (BM25), with highlighted snippets",
               "检索知识库和赢单纪要（BM25），返回高亮摘要", "text", nullptr, search,
               {{"q", "the query (required)"}, {"product_line", "e.g. 空调"}, {"segment", "e.g. key_account"},
                {"kind", "playbook, faq, case, won_deal_note, product, policy"}, {"limit", "1-50, default 10"}}});
  router_.Add("GET", "/api/v1/opportunities/{id}/talk-tracks", [tx](Call& c) { return One(tx->TalkTracks(c.p(), c.id())); },
              {"Similar won deals and talk-track hints (objection handling) for an open deal, with their sources",
               "相似赢单与话术提示（异议处理），注明来源", "text", nullptr, talk_tracks});
  json draft = {{"type", "object"},
                {"properties", {{"lang", {{"type", "string"}, {"enum", {"zh", "en"}}}}, {"instructions", {{"type", "string"}}}}}};
  router_.Add("POST", "/api/v1/opportunities/{id}/draft-follow-up", [tx](Call& c) -> Result<Reply> {
    KEEL_RETURN_IF_ERROR(tx->Authorize(c.p(), text::TextService::Change::kDraftFollowUp));
    KEEL_ASSIGN_OR_RETURN(auto cmd, DraftOf(c.body.is_null() ? json::object() : c.body));
    return One(tx->DraftFollowUp(c.p(), c.id(), cmd));
  }, {"Draft a follow-up message grounded in the deal, its notes and talk tracks (needs a configured endpoint)",
      "基于商机、纪要和话术起草跟进消息（需配置生成式接口）", "text", draft, drafted});
}

}  // namespace keel::http
