// Words of Chinese, English and mixed text (分词): ICU's BreakIterator (dictionary-based for
// Chinese) over the original text, each word normalised (NFKC case-folded: full-width → half-width,
// upper → lower), punctuation and spaces dropped, and a tenant's domain terms (product names,
// competitor brands) kept whole even where the dictionary would split them. Stop-word lists for
// both languages are ours (stopwords.cc). Thread-safe: each thread keeps its own break iterator.
#pragma once

#include <cstddef>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace keel::text {

struct Token {
  std::string norm;        // normalised form, what every statistic counts
  size_t begin = 0;        // byte offsets into the original text
  size_t end = 0;
  bool ideographic = false;  // Han (or kana) rather than Latin letters or digits
  bool number = false;
};

// NFKC with case folding, runs of white space to one space, trimmed. Invalid UTF-8 becomes U+FFFD.
std::string Normalize(std::string_view text);

// True when `text` is valid UTF-8 without NULs or other C0 controls except tab/newline/CR.
bool IsCleanText(std::string_view text);

// Domain terms kept whole (normalised on insert). Cheap to copy; immutable once built.
class Terms {
 public:
  Terms() = default;
  explicit Terms(const std::vector<std::string>& terms);
  bool Contains(const std::string& norm) const { return set_.count(norm) > 0; }
  size_t longest_tokens() const { return longest_; }
  bool empty() const { return set_.empty(); }

 private:
  std::set<std::string> set_;
  size_t longest_ = 0;
};

// The words of `text` in order. Domain terms spanning several adjacent words are merged into one.
std::vector<Token> Segment(std::string_view text, const Terms& terms = {});

// Stop words (either language), on normalised forms.
bool IsStopWord(const std::string& norm);

// Sentences of `text` (ICU sentence breaks), as byte ranges of the original, trimmed; empty ones dropped.
std::vector<std::pair<size_t, size_t>> Sentences(std::string_view text);

// Code points in a UTF-8 string.
size_t CodePoints(std::string_view s);

}  // namespace keel::text
