// Sentiment and intent of what customers and sellers write.
//  - Sentiment: a fastText classifier (libfasttext) trained per tenant from rated feedback
//    (ratings → labels), or — before there is enough — a lexicon of ours with negation and
//    degree words. Every result says which model produced it.
//  - Intent of a visit note (price objection, competitor, stock-out, display, complaint,
//    purchase intent, payment/credit, other): term lists per category (extendable per tenant)
//    plus a multi-label fastText classifier that learns from users' corrections.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/status.h"
#include "text/segment.h"

namespace fasttext {
class FastText;
}

namespace keel::text {

struct Sentiment {
  std::string label;  // "positive", "neutral", "negative"
  double score = 0;   // -1 … 1
  double confidence = 0;
  std::string model;  // "lexicon" or "fasttext:v<N>"
};

// The lexicon fallback over segmented words.
Sentiment LexiconSentiment(const std::vector<Token>& tokens);

// A supervised fastText model over normalised words. Thread-safe for Predict once built.
class Classifier {
 public:
  struct Example {
    std::vector<std::string> labels;  // one for sentiment, several for intents
    std::string words;                // normalised words joined by spaces
  };
  struct Options {
    int epoch = 25, word_ngrams = 2, dim = 50, min_count = 1, threads = 1;
    double lr = 0.5;
    bool multi_label = false;  // one-vs-all loss; otherwise softmax
  };
  // Trains on `examples` (at least one per label). Deterministic with one thread.
  static Result<std::unique_ptr<Classifier>> Train(const std::vector<Example>& examples, const Options& opt);
  static Result<std::unique_ptr<Classifier>> Load(const std::string& bytes);
  Result<std::string> Save() const;
  ~Classifier();

  // Labels with their probabilities, best first (at most k, at least `threshold`).
  std::vector<std::pair<std::string, double>> Predict(const std::string& words, int k = -1, double threshold = 0.0) const;

 private:
  Classifier();
  std::unique_ptr<fasttext::FastText> ft_;
};

// The words a classifier reads: normalised tokens (punctuation dropped) joined by spaces.
std::string ClassifierInput(const std::vector<Token>& tokens);

// Sentiment from a trained model's prediction (labels "pos", "neu", "neg").
Sentiment ModelSentiment(const Classifier& model, const std::vector<Token>& tokens, int version);

// ---- Intent ----
struct IntentDef {
  std::string code, zh, en;
  std::vector<std::string> terms;  // normalised words or phrases (matched on words, and as substrings for Han)
  std::string follow_up_zh, follow_up_en;  // the suggested follow-up in a recap
};
// The built-in categories (without "other").
const std::vector<IntentDef>& BuiltinIntents();
// Categories matched by terms; empty when none (the caller says "other").
std::vector<std::string> RuleIntents(const std::vector<IntentDef>& defs, const std::vector<Token>& tokens,
                                     const std::string& normalized_text);

}  // namespace keel::text
