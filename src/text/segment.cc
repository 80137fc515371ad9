#include "text/segment.h"

#include <memory>

#include <unicode/brkiter.h>
#include <unicode/normalizer2.h>
#include <unicode/ubrk.h>
#include <unicode/unistr.h>
#include <unicode/utext.h>

namespace keel::text {
namespace {

// One break iterator per thread and kind (ICU iterators are not thread-safe; creating one loads
// the dictionaries, so each thread keeps its own).
icu::BreakIterator* Iterator(bool sentences) {
  thread_local std::unique_ptr<icu::BreakIterator> words, sents;
  auto& it = sentences ? sents : words;
  if (!it) {
    UErrorCode st = U_ZERO_ERROR;
    it.reset(sentences ? icu::BreakIterator::createSentenceInstance(icu::Locale("zh"), st)
                       : icu::BreakIterator::createWordInstance(icu::Locale("zh"), st));
    if (U_FAILURE(st)) it.reset();
  }
  return it.get();
}

const icu::Normalizer2* Nfkc() {
  static const icu::Normalizer2* n = [] {
    UErrorCode st = U_ZERO_ERROR;
    const icu::Normalizer2* x = icu::Normalizer2::getNFKCCasefoldInstance(st);
    return U_FAILURE(st) ? nullptr : x;
  }();
  return n;
}

std::string NormalizeWord(std::string_view w) {
  icu::UnicodeString u = icu::UnicodeString::fromUTF8(icu::StringPiece(w.data(), static_cast<int32_t>(w.size())));
  UErrorCode st = U_ZERO_ERROR;
  icu::UnicodeString out = Nfkc() ? Nfkc()->normalize(u, st) : u;
  std::string s;
  (U_FAILURE(st) ? u : out).toUTF8String(s);
  return s;
}

// Calls f(begin, end, status) for each boundary segment of `text` (UTF-8 byte offsets).
template <typename F>
void Walk(std::string_view text, bool sentences, F f) {
  icu::BreakIterator* bi = Iterator(sentences);
  if (!bi || text.empty()) return;
  UErrorCode st = U_ZERO_ERROR;
  UText* ut = utext_openUTF8(nullptr, text.data(), static_cast<int64_t>(text.size()), &st);
  if (U_FAILURE(st)) return;
  bi->setText(ut, st);
  if (U_SUCCESS(st)) {
    int32_t start = bi->first();
    for (int32_t end = bi->next(); end != icu::BreakIterator::DONE; start = end, end = bi->next()) {
      f(static_cast<size_t>(start), static_cast<size_t>(end), bi->getRuleStatus());
    }
  }
  // Detach the iterator from the UText before it is closed.
  icu::UnicodeString empty;
  bi->setText(empty);
  utext_close(ut);
}

}  // namespace

size_t CodePoints(std::string_view s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

std::string Normalize(std::string_view text) {
  std::string n = NormalizeWord(text);
  std::string out;
  out.reserve(n.size());
  bool space = false;
  for (char c : n) {
    bool ws = c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
    if (ws) {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += c;
  }
  return out;
}

bool IsCleanText(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') return false;
    if (c == 0x7F) return false;
    size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (len == 0 || i + len > s.size()) return false;
    for (size_t k = 1; k < len; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) >> 6) != 2) return false;
    }
    if (len == 2 && c < 0xC2) return false;  // overlong
    i += len;
  }
  return true;
}

Terms::Terms(const std::vector<std::string>& terms) {
  for (const auto& t : terms) {
    std::string n = Normalize(t);
    if (n.empty()) continue;
    set_.insert(n);
    // How many words the dictionary may cut it into, at most (one per code point).
    longest_ = std::max(longest_, CodePoints(n));
  }
}

std::vector<Token> Segment(std::string_view text, const Terms& terms) {
  std::vector<Token> out;
  Walk(text, false, [&](size_t b, size_t e, int32_t status) {
    if (status < UBRK_WORD_NONE_LIMIT) return;  // spaces and punctuation
    Token t;
    t.begin = b;
    t.end = e;
    t.norm = NormalizeWord(text.substr(b, e - b));
    t.ideographic = status >= UBRK_WORD_KANA;
    t.number = status >= UBRK_WORD_NUMBER && status < UBRK_WORD_NUMBER_LIMIT;
    out.push_back(std::move(t));
  });
  if (terms.empty() || out.size() < 2) return out;
  // Greedy longest match of domain terms over adjacent words (no gap between them, or a single
  // space for Latin names such as "Gree Pro").
  std::vector<Token> merged;
  const size_t max_span = std::min<size_t>(terms.longest_tokens(), 12);
  for (size_t i = 0; i < out.size();) {
    size_t best = 0;
    std::string joined = out[i].norm;
    std::string best_norm;
    for (size_t j = i + 1; j < out.size() && j - i < max_span; ++j) {
      size_t gap = out[j].begin - out[j - 1].end;
      if (gap > 1 || (gap == 1 && text[out[j - 1].end] != ' ')) break;
      joined += gap ? " " + out[j].norm : out[j].norm;
      if (terms.Contains(joined)) {
        best = j;
        best_norm = joined;
      }
    }
    if (best) {
      Token t = out[i];
      t.end = out[best].end;
      t.norm = best_norm;
      t.number = false;
      merged.push_back(std::move(t));
      i = best + 1;
    } else {
      merged.push_back(std::move(out[i]));
      ++i;
    }
  }
  return merged;
}

std::vector<std::pair<size_t, size_t>> Sentences(std::string_view text) {
  std::vector<std::pair<size_t, size_t>> out;
  Walk(text, true, [&](size_t b, size_t e, int32_t) {
    auto blank = [&](size_t i) {
      char c = text[i];
      return c == ' ' || c == '\n' || c == '\r' || c == '\t';
    };
    while (b < e && blank(b)) ++b;
    while (e > b && blank(e - 1)) --e;
    if (e > b) out.push_back({b, e});
  });
  return out;
}

}  // namespace keel::text
