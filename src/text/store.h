// The text part's repository (文本存储): every statement on text_settings, text_state, text_df,
// text_analyses, text_models, text_corrections, text_recaps and kb_documents, and the reads of
// notes, feedback, signals, deals, units, users and webhooks the analyses, recaps and talk tracks
// need. Rows come back as structs read by column name. Each function runs on the caller's
// connection (inside the caller's transaction when there is one) and returns the store's Status
// on failure; nothing here checks permissions (a `visible_to` filter narrows a read to what a
// principal sees, it does not refuse).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "domain/model.h"
#include "store/database.h"

namespace keel::text::repo {

// ---- Tenant state: settings, corpus statistics, models

// The tenant's IANA time zone (nullopt: no such tenant).
Result<std::optional<std::string>> TimeZoneOf(store::Connection& conn, int64_t tenant);
// Tenants whose status is active.
Result<std::vector<int64_t>> ActiveTenants(store::Connection& conn);

// text_settings: terms and intents are JSON arrays as text, llm a JSON object as text or NULL.
struct SettingsRow {
  std::string terms = "[]", intents = "[]";
  int64_t recap_hour = 18;
  std::optional<std::string> llm;
};
Result<std::optional<SettingsRow>> LoadSettings(store::Connection& conn, int64_t tenant);
Status SaveSettings(store::Connection& conn, int64_t tenant, const SettingsRow& s, const std::string& now);
// Every stored llm setting (re-sealing its key).
struct LlmRow {
  int64_t tenant_id = 0;
  std::string llm;
};
Result<std::vector<LlmRow>> StoredLlms(store::Connection& conn);
Status SetLlm(store::Connection& conn, int64_t tenant, const std::string& llm);

// The corpus: how many texts were counted (0 before any) and each word's document frequency.
Result<int64_t> CorpusDocs(store::Connection& conn, int64_t tenant);
Result<std::map<std::string, int64_t>> DocumentFrequencies(store::Connection& conn, int64_t tenant);
// Adds to the frequencies and the document count.
Status AddDocumentFrequencies(store::Connection& conn, int64_t tenant, const std::map<std::string, int64_t>& df);
Status AddCorpusDocs(store::Connection& conn, int64_t tenant, int64_t docs, const std::string& now);
// Empties the statistics (a backfill rebuilds them).
Status ResetCorpus(store::Connection& conn, int64_t tenant, const std::string& now);
// The local day the last daily recaps were made for (nullopt: never).
Result<std::optional<std::string>> RecapDay(store::Connection& conn, int64_t tenant);
Status MarkRecapDay(store::Connection& conn, int64_t tenant, const std::string& day, const std::string& now);

// text_models: kind is "sentiment" or "intent"; model is the fastText model in base64url, card
// a JSON object as text.
struct ModelRow {
  int64_t version = 0;
  std::string model, card;
};
Result<std::optional<ModelRow>> LatestModel(store::Connection& conn, int64_t tenant, const std::string& kind);
// The version after the newest of `kind` (1 for the first).
Result<int64_t> NextModelVersion(store::Connection& conn, int64_t tenant, const std::string& kind);
Status InsertModel(store::Connection& conn, int64_t tenant, const std::string& kind, const ModelRow& m, const std::string& now);

// ---- Texts to analyse

// A text-bearing row: an activity's notes, a feedback's text, a signal's title and body.
struct TextRow {
  int64_t id = 0, unit = 0, owner = 0, customer = 0, store = 0;  // 0: none
  std::string text, occurred_at;
  double extra = 0;  // feedback: rating; signals: sentiment given (NaN: none)
};
// Which rows of an entity to read; every condition given must hold.
struct TextFilter {
  std::vector<int64_t> ids;  // empty: any id
  std::optional<std::string> from, to;  // occurred_at in [from, to)
  bool unanalysed = false;  // feedback not judged yet (no sentiment model)
  bool with_text = false;   // feedback with a text
  std::optional<std::string> unit_path;  // the row's unit lies in this subtree
  std::optional<int64_t> team_of;        // the owner is this supervisor or reports to them
  std::vector<int64_t> customers, owners, units_within;  // each one: customer = , owner = , unit in the unit id's subtree
  const domain::Principal* visible_to = nullptr;          // only what this principal sees (activities)
  std::optional<int> newest;                              // the newest N by occurred_at
};
// Rows of `entity` (activities: notes not archived; feedback: not archived; signals) with their text.
Result<std::vector<TextRow>> TextRows(store::Connection& conn, int64_t tenant, const std::string& entity, const TextFilter& f);

// Sentiment judged on a feedback (model "rating" when it has no text) or given to a signal that had none.
Status SetFeedbackSentiment(store::Connection& conn, int64_t tenant, int64_t id, double score, const std::string& label,
                            const std::string& model);
Status SetSignalSentimentIfUnset(store::Connection& conn, int64_t tenant, int64_t id, double score);

// ---- Analyses and corrections

// text_analyses: intents and key_phrases are JSON arrays as text.
struct AnalysisRow {
  std::string entity;
  int64_t record_id = 0;
  std::optional<int64_t> unit_id, owner_id, customer_id;
  std::string occurred_at, sentiment_label;
  double sentiment = 0;
  std::string sentiment_model, intents, intent_source, key_phrases, analysed_at;
};
// Inserts or replaces the analysis of a record; a user's correction of the intents is kept.
Status UpsertAnalysis(store::Connection& conn, int64_t tenant, const AnalysisRow& a);
Result<std::optional<AnalysisRow>> LoadAnalysis(store::Connection& conn, int64_t tenant, const std::string& entity, int64_t id);
Status DeleteAnalysis(store::Connection& conn, int64_t tenant, const std::string& entity, int64_t id);
// Sentiment and intents (JSON text) of the analysed activities among `ids`.
struct NoteSentiment {
  int64_t record_id = 0;
  double sentiment = 0;
  std::string intents;
};
Result<std::vector<NoteSentiment>> NoteSentiments(store::Connection& conn, int64_t tenant, const std::vector<int64_t>& ids);

// text_corrections: labels is a JSON array as text. Upsert returns nothing; Count how many the tenant has.
Status UpsertCorrection(store::Connection& conn, int64_t tenant, int64_t activity_id, const std::string& labels,
                        std::optional<int64_t> actor, const std::string& now);
Result<int64_t> CountCorrections(store::Connection& conn, int64_t tenant);
// The corrected labels with the notes they were given for (notes still there).
struct CorrectedNote {
  std::string labels, notes;
};
Result<std::vector<CorrectedNote>> CorrectedNotes(store::Connection& conn, int64_t tenant);

// Rated feedback with text (not archived), oldest first.
struct RatedText {
  int64_t rating = 0;
  std::string text;
};
Result<std::vector<RatedText>> RatedTexts(store::Connection& conn, int64_t tenant);
struct RatedCounts {
  int64_t total = 0, positive = 0, negative = 0;  // rating 4-5 / 1-2
};
Result<RatedCounts> CountRatedTexts(store::Connection& conn, int64_t tenant);

// ---- Recaps

struct UnitRow {
  std::string path, name, name_en;  // name_en falls back to name
};
Result<std::optional<UnitRow>> LoadUnit(store::Connection& conn, int64_t tenant, int64_t id);
Result<std::optional<int64_t>> UnitIdByPath(store::Connection& conn, int64_t tenant, const std::string& path);
struct UserRow {
  std::string display_name;
  std::optional<int64_t> unit_id;
};
Result<std::optional<UserRow>> LoadUser(store::Connection& conn, int64_t tenant, int64_t id);
// The path of the user's unit, when the user exists and has a unit.
Result<std::optional<std::string>> UserUnitPath(store::Connection& conn, int64_t tenant, int64_t user);
// Sales units (kind unit) and supervisors not archived: the scopes of the daily recaps.
Result<std::vector<int64_t>> SalesUnits(store::Connection& conn, int64_t tenant);
Result<std::vector<int64_t>> Supervisors(store::Connection& conn, int64_t tenant);
// Names by id: users' display names, customers' and stores' names.
enum class Named { kUser, kCustomer, kStore };
Result<std::map<int64_t, std::string>> Names(store::Connection& conn, int64_t tenant, Named what, const std::vector<int64_t>& ids);

// text_recaps: content is the recap document as JSON text; delivered a JSON array as text or NULL.
struct RecapRow {
  int64_t id = 0;
  std::string scope;  // unit | team
  int64_t scope_id = 0, unit_id = 0;
  std::string day, content;
  std::optional<std::string> delivered;
};
// One recap per scope and day: a second one replaces the content of the first (an upsert, so
// racing writers both succeed). Returns the id the recap has (`r.id` when it is new).
Result<int64_t> UpsertRecap(store::Connection& conn, int64_t tenant, const RecapRow& r, const std::string& now);
// The newest 50, by day: all of the tenant's, or those of units in `unit_path`'s subtree, or of
// the team of `team_of`.
Result<std::vector<RecapRow>> Recaps(store::Connection& conn, int64_t tenant, std::optional<std::string> unit_path,
                                     std::optional<int64_t> team_of);
Status SetRecapDelivered(store::Connection& conn, int64_t tenant, int64_t id, const std::string& delivered);
// The tenant's active webhooks that hear info messages, with the path of their unit and of `unit`.
struct RecapWebhookRow {
  int64_t id = 0;
  std::string channel, sealed_url, sealed_secret, locale;
  std::optional<int64_t> unit_id;
  std::optional<std::string> unit_path, recap_unit_path;
};
Result<std::vector<RecapWebhookRow>> RecapWebhooks(store::Connection& conn, int64_t tenant, int64_t unit);

// ---- Knowledge base

// kb_documents (optional columns: "" / 0 when NULL); chars is the body's length when listed.
struct KbDocumentRow {
  int64_t id = 0;
  std::string kind, title, body, product_line, segment, created_at;
  int64_t opportunity_id = 0, chars = 0;
  std::optional<int64_t> created_by;
};
// Every document not archived (with bodies).
Result<std::vector<KbDocumentRow>> KbDocuments(store::Connection& conn, int64_t tenant);
// The newest 500 not archived, without bodies.
Result<std::vector<KbDocumentRow>> ListKbDocuments(store::Connection& conn, int64_t tenant);
Result<std::optional<KbDocumentRow>> LoadKbDocument(store::Connection& conn, int64_t tenant, int64_t id);
Status InsertKbDocument(store::Connection& conn, int64_t tenant, const KbDocumentRow& d);
Status ArchiveKbDocument(store::Connection& conn, int64_t tenant, int64_t id, const std::string& now);

// The notes of won deals (newest 50,000).
struct WonDealNote {
  int64_t activity_id = 0, opportunity_id = 0;
  std::string notes, opportunity_name;
  std::optional<std::string> product_category, segment;
};
Result<std::vector<WonDealNote>> WonDealNotes(store::Connection& conn, int64_t tenant);
// A deal's latest notes (not archived), newest first.
struct DealNote {
  std::string occurred_at, kind, notes;
};
Result<std::vector<DealNote>> DealNotes(store::Connection& conn, int64_t tenant, int64_t opportunity_id, int limit);
Result<std::optional<std::string>> CustomerSegment(store::Connection& conn, int64_t tenant, int64_t customer);
// Deals by id with their customer's segment (amount in fen).
struct DealRow {
  int64_t id = 0, amount = 0;
  std::string name;
  std::optional<std::string> product_category, segment, closed_at;
};
Result<std::vector<DealRow>> Deals(store::Connection& conn, int64_t tenant, const std::vector<int64_t>& ids);

}  // namespace keel::text::repo
