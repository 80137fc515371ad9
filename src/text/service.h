// The text service (文本智能): reads what sellers and customers write as it arrives — visit
// notes, customer feedback, external signals — and keeps per tenant: corpus statistics, the
// analysis of each text (key phrases, sentiment with the model used, intents), a sentiment model
// trained from rated feedback, an intent model learnt from users' corrections, the daily AI recap
// (AI复盘) per unit and supervisor, and a knowledge base searched with BM25, from which an open
// deal gets similar won deals and talk-track hints (and, if an operator configured an
// OpenAI-compatible endpoint, a drafted follow-up grounded in them).
//
// Work triggered by commits runs on the service's own worker thread, reading the event log from
// a durable cursor (the log is the bounded queue); API calls analyse at most 20 KB of text each.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/outbound.h"
#include "common/secrets.h"
#include "common/status.h"
#include "common/time.h"
#include "domain/model.h"
#include "domain/records.h"
#include "store/database.h"
#include "text/model.h"

namespace keel::text {

// JSON stays for documents: the settings document an admin writes (SaveSettings), the stored
// sentiment model card (TrainSentiment) and the stored recaps (Recap, MakeRecap, MyRecaps).
using json = nlohmann::json;
using domain::Principal;

struct TextOptions {
  bool periodic = true;               // the worker makes recaps and retrains models by itself
  size_t max_text_bytes = 20000;      // larger texts are refused (413-like 400)
  int min_rated_feedback = 200;       // rated texts before a tenant's own sentiment model
  int min_per_class = 30;             // … with at least this many positive and negative ones
  int min_corrections = 30;           // corrected notes before the intent model learns
  int64_t llm_timeout_ms = 30000;
  // Where the LLM endpoint and recap webhooks may be reached (must outlive the service).
  // Null: public addresses only.
  const outbound::Policy* outbound = nullptr;
  // Seals the LLM API key at rest and opens webhook secrets (must outlive the service). Null:
  // a random key that lives as long as the process — for tests and tools.
  const SecretBox* secrets = nullptr;
};

class TextService {
 public:
  TextService(store::Database& db, domain::RecordService& records, const Clock& clock, TextOptions opt = {});
  ~TextService();
  TextService(const TextService&) = delete;
  TextService& operator=(const TextService&) = delete;

  // The worker: Notify after commits; Start initialises each tenant's cursor at its log head.
  void Start();
  void Stop();
  void Notify(int64_t tenant_id);
  bool WaitIdle(int64_t timeout_ms);
  // Processes the tenant's new events now, on the calling thread.
  Status ProcessNow(int64_t tenant_id);
  // Analyses notes since `since` and all feedback not analysed yet, and rebuilds the corpus
  // statistics from them (the demo, an import). Returns the texts analysed.
  Result<int64_t> Backfill(int64_t tenant_id, TimeMs since);

  // ---- API ----
  // Whether `p` may make a change at all (403 otherwise), checked before its request is read;
  // the calls below check it again.
  enum class Change { kCorrectIntents, kAddDocument, kDraftFollowUp };
  Status Authorize(const Principal& p, Change change) const;
  // Words, key phrases, sentiment (with model), intents of a text (at most max_text_bytes).
  Result<TextAnalysis> Analyze(const Principal& p, const AnalyzeCommand& cmd);
  // The stored analysis of an activity's notes or a feedback's text (404 when not visible).
  Result<TextAnalysis> AnalysisOf(const Principal& p, const std::string& entity, int64_t id);
  // A user's correction of a note's intents; teaches the intent model.
  Result<Correction> CorrectIntents(const Principal& p, int64_t activity_id, const CorrectIntentsCommand& cmd);
  // Key phrases of the notes of a customer, a unit, an owner and/or a day.
  Result<PhraseSummary> KeyPhrasesOf(const Principal& p, const std::vector<std::pair<std::string, std::string>>& query);
  // Domain terms, extra intents, the recap hour and the generative endpoint (admin/hq_ops
  // write; only an admin changes `llm`). The endpoint's URL must pass the outbound policy
  // (outbound.* at "llm.url"); a new URL without an api_key clears the stored key, so that a
  // key is never sent anywhere but where it was entered for. The key is stored sealed, never
  // returned (has_key), and every change of `llm` is audited without it.
  Result<SettingsView> Settings(const Principal& p);
  // `body` is the settings document the admin writes ({terms, intents, recap_hour, llm}, each
  // optional), validated here with field paths.
  Result<SettingsView> SaveSettings(const Principal& p, const json& body);
  // Seals every LLM key still stored in plain text or under an old key (see
  // AlertEngine::ResealSecrets).
  Result<ResealCount> ResealSecrets();
  // The sentiment model: which one is used, with its card; train it from rated feedback.
  Result<SentimentModelView> SentimentModel(const Principal& p);
  // The new model's card: the document stored with the model (status active or rejected).
  Result<json> TrainSentiment(const Principal& p);
  Result<json> TrainSentimentFor(int64_t tenant_id);
  // The daily recap for a unit or a supervisor's team ({unit_id | supervisor_id, date, lang}).
  // A recap is the document stored in text_recaps.content, as the reader reads it: kept as JSON.
  Result<json> Recap(const Principal& p, const std::vector<std::pair<std::string, std::string>>& query);
  Result<json> MakeRecap(int64_t tenant_id, const std::string& scope, int64_t scope_id, const std::string& day);
  // The recaps delivered to the caller (their units, their team), newest first: each the stored
  // recap document for the reader in `lang` (zh | en; "" — the caller's locale; else 400
  // validation.parameter at "lang") with its `id` and `delivered` (where it was sent).
  Result<std::vector<json>> MyRecaps(const Principal& p, const std::string& lang);
  // The recap of every sales unit and supervisor for a local day; returns how many were made.
  Result<int64_t> RecapsForDay(int64_t tenant_id, const std::string& day);
  // Knowledge base.
  Result<KbDocument> AddDocument(const Principal& p, const KbDocumentCommand& cmd);
  // The newest 500, without bodies.
  Result<std::vector<KbDocument>> ListDocuments(const Principal& p);
  Result<KbDocument> GetDocument(const Principal& p, int64_t id);
  Result<KbDocument> ArchiveDocument(const Principal& p, int64_t id);
  Result<SearchResult> Search(const Principal& p, const std::vector<std::pair<std::string, std::string>>& query);
  // For an open opportunity: similar won deals and talk-track hints with their sources.
  Result<TalkTracksView> TalkTracks(const Principal& p, int64_t opportunity_id);
  // A drafted follow-up from the configured OpenAI-compatible endpoint (409 when none).
  Result<Draft> DraftFollowUp(const Principal& p, int64_t opportunity_id, const DraftCommand& cmd);

  struct Stats {
    int64_t analysed = 0, recaps = 0;
  };
  Stats stats() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace keel::text
