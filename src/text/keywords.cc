#include "text/keywords.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

namespace keel::text {

bool IsCandidate(const Token& t, const Terms& terms) {
  if (terms.Contains(t.norm)) return true;
  if (t.number || IsStopWord(t.norm)) return false;
  size_t cp = CodePoints(t.norm);
  return t.ideographic ? cp >= 2 : cp >= 3;
}

std::vector<std::string> CorpusStats::Add(const std::vector<Token>& tokens) {
  std::set<std::string> seen;
  for (const auto& t : tokens) {
    if (!t.number && !IsStopWord(t.norm)) seen.insert(t.norm);
  }
  ++docs;
  for (const auto& w : seen) ++df[w];
  return {seen.begin(), seen.end()};
}

double CorpusStats::Idf(const std::string& term) const {
  auto it = df.find(term);
  double d = it == df.end() ? 0.0 : static_cast<double>(it->second);
  return std::log((static_cast<double>(docs) + 1.0) / (d + 1.0)) + 1.0;
}

std::vector<KeyPhrase> KeyPhrases(const std::vector<std::vector<Token>>& docs, const CorpusStats& stats, const Terms& terms,
                                  size_t k) {
  // Candidate words, their frequencies, and a co-occurrence graph (window of 4 candidates).
  std::map<std::string, int> tf;
  std::map<std::string, std::map<std::string, double>> edges;
  for (const auto& doc : docs) {
    std::vector<const Token*> cands;
    for (const auto& t : doc) {
      if (IsCandidate(t, terms)) cands.push_back(&t);
    }
    for (size_t i = 0; i < cands.size(); ++i) {
      tf[cands[i]->norm]++;
      for (size_t j = i + 1; j < cands.size() && j <= i + 4; ++j) {
        if (cands[i]->norm == cands[j]->norm) continue;
        edges[cands[i]->norm][cands[j]->norm] += 1;
        edges[cands[j]->norm][cands[i]->norm] += 1;
      }
    }
  }
  if (tf.empty()) return {};
  // TextRank: weighted PageRank, 30 iterations, damping 0.85.
  std::map<std::string, double> rank, next;
  for (const auto& [w, n] : tf) rank[w] = 1.0;
  std::map<std::string, double> out_weight;
  for (const auto& [w, nb] : edges) {
    for (const auto& [v, x] : nb) out_weight[w] += x;
  }
  for (int it = 0; it < 30; ++it) {
    for (const auto& [w, r] : rank) {
      double s = 0;
      if (auto e = edges.find(w); e != edges.end()) {
        for (const auto& [v, x] : e->second) s += x / out_weight[v] * rank[v];
      }
      next[w] = 0.15 + 0.85 * s;
    }
    rank.swap(next);
  }
  // Combined score: TF-IDF (sub-linear TF) × (0.5 + normalised TextRank).
  double max_rank = 0;
  for (const auto& [w, r] : rank) max_rank = std::max(max_rank, r);
  std::map<std::string, double> score;
  for (const auto& [w, n] : tf) {
    double idf = stats.docs > 0 ? stats.Idf(w) : 1.0;
    score[w] = (1.0 + std::log(static_cast<double>(n))) * idf * (0.5 + rank[w] / std::max(max_rank, 1e-9));
  }
  // Adjacent strong words become phrases ("价格" + "太高" → "价格太高"), counted where they co-occur.
  std::vector<std::pair<double, std::string>> sorted;
  for (const auto& [w, s] : score) sorted.push_back({s, w});
  std::sort(sorted.rbegin(), sorted.rend());
  std::set<std::string> strong;
  for (size_t i = 0; i < sorted.size() && i < k * 2; ++i) strong.insert(sorted[i].second);
  std::map<std::string, std::pair<double, int>> phrases;  // text → (score, count)
  std::set<std::string> absorbed;
  for (const auto& doc : docs) {
    for (size_t i = 0; i + 1 < doc.size(); ++i) {
      const Token& a = doc[i];
      const Token& b = doc[i + 1];
      if (!strong.count(a.norm) || !strong.count(b.norm) || a.end != b.begin || a.norm == b.norm) continue;
      // A space only between two Latin words or numbers ("price list", but "1.5匹挂机", "价格太高").
      auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
      std::string p = a.norm + (alnum(a.norm.back()) && alnum(b.norm.front()) ? " " : "") + b.norm;
      auto& ph = phrases[p];
      ph.first = score[a.norm] + score[b.norm];
      ph.second++;
    }
  }
  std::vector<KeyPhrase> out;
  for (const auto& [p, sc] : phrases) {
    if (sc.second < 2 && docs.size() > 1) continue;  // across several texts a phrase must recur
    out.push_back({p, sc.first, sc.second});
  }
  for (const auto& [s, w] : sorted) out.push_back({w, s, tf[w]});
  std::stable_sort(out.begin(), out.end(), [](const KeyPhrase& a, const KeyPhrase& b) { return a.score > b.score; });
  // Drop a word that is part of a phrase ranked above it; keep k.
  std::vector<KeyPhrase> kept;
  for (const auto& kp : out) {
    bool inside = std::any_of(kept.begin(), kept.end(), [&](const KeyPhrase& x) { return x.text.find(kp.text) != std::string::npos; });
    if (inside) continue;
    kept.push_back(kp);
    if (kept.size() >= k) break;
  }
  double top = kept.empty() ? 1.0 : kept.front().score;
  for (auto& kp : kept) kp.score = std::round(kp.score / top * 1000) / 1000;
  return kept;
}

}  // namespace keel::text
