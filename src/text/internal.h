// Internals of the text service shared by service.cc, recap.cc and knowledge.cc.
#pragma once

#include <atomic>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "common/crypto.h"
#include "common/tz.h"
#include "domain/codec.h"
#include "domain/schema.h"
#include "events/consumer.h"
#include "text/classify.h"
#include "text/keywords.h"
#include "text/service.h"
#include "text/store.h"

namespace keel::text {

// What is known of one tenant's texts; rebuilt (Forget) when settings or models change. The
// JSON members are the stored documents as loaded (text_settings, the model card).
struct TenantText {
  std::mutex mu;  // guards stats and the model pointers
  std::shared_ptr<const TimeZone> zone;
  std::vector<std::string> term_list;
  Terms terms;
  std::vector<IntentDef> intents;  // built-in and the tenant's
  json tenant_intents = json::array();
  int recap_hour = 18;
  json llm;  // {url, model, api_key (sealed)} or null
  CorpusStats stats;
  std::shared_ptr<Classifier> sentiment, intent_model;
  int sentiment_version = 0, intent_version = 0;
  json sentiment_card;
};

struct Analysis {
  std::vector<Token> tokens;
  std::vector<KeyPhrase> phrases;
  Sentiment sentiment;
  std::vector<std::string> intents;
  std::string intent_source;
};

using repo::TextRow;

constexpr TimeMs kDayMs = 86400000;
// [start, end) in UTC of local day "YYYY-MM-DD".
Result<std::pair<TimeMs, TimeMs>> DayRange(const TimeZone& zone, const std::string& day);

Status Bad(const std::string& code, const std::string& en, const std::string& zh, const std::string& field);
Status Forbidden();
bool CanManage(const Principal& p);
// Key phrases as stored in text_analyses.key_phrases and recaps, and back.
json PhrasesJson(const std::vector<KeyPhrase>& kp);
std::vector<KeyPhrase> PhrasesOf(const std::string& stored);
const IntentDef* FindIntent(const std::vector<IntentDef>& defs, const std::string& code);
// Text a user gives: at most `max_bytes`, clean UTF-8, not empty (errors at `field`).
Status CheckText(const std::string& s, const std::string& field, size_t max_bytes);

struct TextService::Impl : events::ConsumerHandler {
  Impl(store::Database& d, domain::RecordService& r, const Clock& c, TextOptions o) : db(d), records(r), clock(c), opt(o) {
    if (opt.outbound == nullptr) own_policy = std::make_unique<outbound::Policy>();
    policy = opt.outbound != nullptr ? opt.outbound : own_policy.get();
    if (opt.secrets == nullptr) own_box = SecretBox::Ephemeral();
    box = opt.secrets != nullptr ? opt.secrets : &own_box;
  }

  Result<std::shared_ptr<TenantText>> Tenant(int64_t tenant);
  void Forget(int64_t tenant);
  Analysis Analyse(TenantText& t, const std::string& text, bool with_phrases);
  std::vector<IntentView> Intents(const TenantText& t, const std::vector<std::string>& codes);
  Status StoreAnalysis(store::Connection& conn, int64_t tenant, const std::string& entity, const TextRow& row, const Analysis& a,
                       const std::string& now);
  // Reads rows of `entity` on a connection of its own.
  Result<std::vector<TextRow>> LoadRows(int64_t tenant, const std::string& entity, const repo::TextFilter& filter);
  Status AnalyseRows(int64_t tenant, const std::string& entity, const std::vector<TextRow>& rows, bool count_df);
  // events::ConsumerHandler: new and changed notes, feedback and signals are analysed; the
  // daily recap and model upkeep run in Tick.
  Status Process(int64_t tenant, std::span<const events::Event> evs) override;
  void Tick() override {
    if (opt.periodic) Periodic();
  }
  Result<IntentModelState> TrainIntents(int64_t tenant);
  void Periodic();
  // `content` is the recap document as stored in text_recaps.content (kept as JSON, see Recap).
  Status DeliverRecap(int64_t tenant, int64_t recap_id, int64_t unit, const json& content);
  // The `llm` setting `p` asks for (`in`: null or {url, model, api_key?}) given the stored
  // `current`, with its key sealed; fills `*audit` with {before, after} when it changes. JSON:
  // `in` is part of the settings document SaveSettings validates, `current` the stored setting.
  Result<json> NewLlm(const Principal& p, const json& current, const json& in, json* audit);

  TextService* self = nullptr;
  store::Database& db;
  domain::RecordService& records;
  const Clock& clock;
  TextOptions opt;
  std::unique_ptr<outbound::Policy> own_policy;  // when the options give none
  SecretBox own_box;
  const outbound::Policy* policy;
  const SecretBox* box;

  std::mutex mu;  // guards tenants and generation
  std::map<int64_t, std::shared_ptr<TenantText>> tenants;
  std::map<int64_t, uint64_t> generation;  // bumped by Forget
  std::atomic<int64_t> analysed{0}, recaps{0};
  TimeMs last_periodic = 0;

  // Knowledge base indexes per tenant (knowledge.cc).
  struct Kb;
  std::mutex kb_mu;
  std::map<int64_t, std::shared_ptr<Kb>> kb;
  Result<std::shared_ptr<Kb>> KbOf(int64_t tenant);
  void ForgetKb(int64_t tenant);

  // Last: stopped (its thread joined) before anything above is destroyed.
  events::Consumer consumer{db, *this, clock, {.name = "text", .batch = 500}};
};

}  // namespace keel::text
