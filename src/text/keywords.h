// Key phrases (关键词/关键短语) of a note, a customer, a team or a day: TF-IDF against the
// tenant's corpus statistics (document frequencies kept incrementally as texts arrive) and
// TextRank over a co-occurrence window, combined; adjacent key words are joined into phrases.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "text/segment.h"

namespace keel::text {

// Document frequencies of one tenant's texts. Not thread-safe; the owner locks.
struct CorpusStats {
  int64_t docs = 0;
  std::unordered_map<std::string, int64_t> df;

  // Counts a document's distinct candidate words; returns them (for persisting the increments).
  std::vector<std::string> Add(const std::vector<Token>& tokens);
  double Idf(const std::string& term) const;
};

// Words worth ranking: not stop words, not numbers, at least two Han characters or three Latin
// letters (or a domain term).
bool IsCandidate(const Token& t, const Terms& terms);

struct KeyPhrase {
  std::string text;
  double score = 0;   // 0…1 relative to the best phrase
  int count = 0;      // occurrences in the text(s)
};

// The top `k` phrases of one or more documents (each a token list). `stats` may be empty (then
// TextRank alone ranks).
std::vector<KeyPhrase> KeyPhrases(const std::vector<std::vector<Token>>& docs, const CorpusStats& stats,
                                  const Terms& terms, size_t k = 8);

}  // namespace keel::text
