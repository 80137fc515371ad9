// What the text service takes and gives (commands and views); src/http/text_api.cc writes them
// as JSON. Optional members are left out of the JSON when empty unless the comment says null.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "text/classify.h"
#include "text/keywords.h"

namespace keel::text {

// ---- Analysis

// An intent category as shown: its code and names (意图).
struct IntentView {
  std::string code, zh, en;
};

struct SentimentView {
  std::string label;  // positive | neutral | negative
  double score = 0;   // -1 … 1
  std::optional<double> confidence;  // a fresh analysis only
  std::string model;  // lexicon | fasttext:v<N>
};

struct WordView {
  std::string word;  // normalised
  size_t begin = 0, end = 0;  // byte offsets in the text
};

// What a text says: key phrases, sentiment with the model used, intents.
struct TextAnalysis {
  std::optional<std::string> entity;  // a stored text: activities | feedback
  std::optional<int64_t> id;          // … and its record
  std::optional<int64_t> words;       // an analysed text: how many words
  std::optional<std::vector<WordView>> word_list;  // when asked for
  std::vector<KeyPhrase> key_phrases;
  SentimentView sentiment;
  std::vector<IntentView> intents;
  std::string intent_source;  // rules | rules+model:v<N> | correction
  std::optional<std::string> analysed_at;
};

struct AnalyzeCommand {
  std::string text;
  bool include_words = false;
};

// The intents a user gives a note: nullopt when not a list; an element nullopt when not text.
struct CorrectIntentsCommand {
  std::optional<std::vector<std::optional<std::string>>> intents;
};
// What the intent model did with the corrections so far.
struct IntentModelState {
  std::string status;  // waiting | trained | kept
  std::optional<int64_t> corrections_needed, next_training_at, version, examples;
};
struct Correction {
  int64_t id = 0;
  std::vector<IntentView> intents;
  std::string intent_source;
  int64_t corrections = 0;
  std::optional<IntentModelState> intent_model;  // absent when training failed
};

// Key phrases of the notes in a period.
struct PhraseSummary {
  int64_t notes = 0;
  std::string from, to;
  std::vector<KeyPhrase> key_phrases;
};

// ---- Settings

struct LlmView {
  std::string url, model;
  bool has_key = false;
};
struct SettingsView {
  std::vector<std::string> terms;
  std::vector<IntentDef> intents;  // built-in and the tenant's
  // The tenant's own categories as they were saved (a document the admin writes).
  nlohmann::json tenant_intents = nlohmann::json::array();
  int recap_hour = 18;
  std::optional<LlmView> llm;  // null when none
};

// ---- Sentiment model

struct RatedFeedback {
  int64_t rated_texts = 0, positive = 0, negative = 0, needed = 0, needed_per_class = 0;
};
struct SentimentModelView {
  std::string model;  // lexicon | fasttext:v<N>
  // The model card as stored with the model (its keys grew over versions).
  std::optional<nlohmann::json> card;
  RatedFeedback feedback;
  std::optional<std::string> note_en, note_zh;  // the lexicon's reason
};

// ---- Knowledge base

struct KbDocument {
  int64_t id = 0;
  std::string title, kind;
  std::string product_line, segment;  // null when ""
  int64_t opportunity_id = 0;         // null when 0
  std::string created_at;
  std::optional<std::string> body;  // one document
  std::optional<int64_t> chars;     // a new document: the body's length
  bool archived = false;            // shown only when true
};
struct KbDocumentCommand {
  std::string title, body;
  std::string kind = "playbook";
  std::optional<std::string> product_line, segment;
  std::optional<int64_t> opportunity_id;
};

// Where a hint or a draft's reference comes from.
struct Source {
  std::string kind, title;  // a document's kind, won_deal_note or won_deal
  std::optional<int64_t> document_id, activity_id, opportunity_id;
};

struct SearchHit {
  std::string kind, title, snippet;  // snippet with <em> around the matches
  double score = 0;
  std::string product_line, segment;  // null when ""
  std::optional<int64_t> document_id, activity_id, opportunity_id;
};
struct SearchResult {
  std::string q;
  std::vector<std::string> words;
  int64_t total = 0;
  std::vector<SearchHit> items;
};

// ---- Talk tracks and drafts

// A similar won deal; one the caller cannot open is anonymised (no id, name, date or phrases).
struct SimilarDeal {
  bool anonymised = false;
  double similarity = 0;
  std::vector<std::string> reasons_zh, reasons_en;
  std::optional<std::string> product_category, segment;  // null when none
  // Anonymised: [low, high) of the amount, null when unknown.
  std::optional<std::pair<double, double>> amount_band;
  // Not anonymised:
  int64_t opportunity_id = 0;
  std::string name;
  double amount = 0;
  std::optional<std::string> closed_at;  // null when none
  std::vector<KeyPhrase> key_phrases;
};
struct Hint {
  std::string intent, intent_zh, intent_en, text;  // text with <em> around the matches
  Source source;
};
struct TalkTracksView {
  int64_t opportunity_id = 0;
  std::vector<IntentView> detected_intents;
  std::vector<SimilarDeal> similar_won_deals;
  std::vector<KeyPhrase> phrases_in_won_deals;
  std::vector<Hint> hints;
};

struct DraftCommand {
  std::optional<std::string> lang, instructions;
};
struct Draft {
  int64_t opportunity_id = 0;
  std::string draft, model, lang;
  std::vector<Source> sources;
  int64_t grounded_on = 0;
};

}  // namespace keel::text
