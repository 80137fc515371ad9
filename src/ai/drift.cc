#include "ai/drift.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>

namespace keel::ai {
namespace {

using json = nlohmann::json;

double Round(double v) { return std::round(v * 10000) / 10000; }

// Bin index of a number given ascending edges: bins are (-inf, e0], (e0, e1], …, (e_last, inf),
// and a last bin for "unknown".
size_t NumberBin(double v, const std::vector<double>& edges) {
  if (std::isnan(v)) return edges.size() + 1;
  return static_cast<size_t>(std::lower_bound(edges.begin(), edges.end(), v) - edges.begin());
}

// Levels, then "other", then "unknown".
size_t LevelBin(const std::string& v, const std::vector<std::string>& levels) {
  if (v.empty()) return levels.size() + 1;
  auto it = std::find(levels.begin(), levels.end(), v);
  return it == levels.end() ? levels.size() : static_cast<size_t>(it - levels.begin());
}

size_t ScoreBin(float p) { return static_cast<size_t>(std::clamp(static_cast<int>(p * 10), 0, 9)); }

std::vector<double> Normalise(std::vector<double> v) {
  double total = std::accumulate(v.begin(), v.end(), 0.0);
  if (total > 0) {
    for (double& x : v) x /= total;
  }
  return v;
}

}  // namespace

double Psi(const std::vector<double>& expected, const std::vector<double>& actual) {
  double psi = 0;
  for (size_t i = 0; i < expected.size() && i < actual.size(); ++i) {
    double e = std::max(expected[i], 1e-4), a = std::max(actual[i], 1e-4);
    psi += (a - e) * std::log(a / e);
  }
  return psi;
}

json BuildReference(const std::vector<FeatureDef>& defs, const std::vector<const RawFeatures*>& rows, const std::vector<float>& weights,
                    const std::vector<float>& scores) {
  json features = json::array();
  for (size_t f = 0; f < defs.size(); ++f) {
    json j = {{"feature", defs[f].name}};
    if (defs[f].categorical) {
      std::map<std::string, double> counts;
      for (size_t i = 0; i < rows.size(); ++i) {
        if (!rows[i]->text[f].empty()) counts[rows[i]->text[f]] += weights[i];
      }
      std::vector<std::pair<double, std::string>> sorted;
      for (const auto& [v, n] : counts) sorted.push_back({n, v});
      std::sort(sorted.rbegin(), sorted.rend());
      std::vector<std::string> levels;
      for (size_t i = 0; i < sorted.size() && i < 20; ++i) levels.push_back(sorted[i].second);
      std::vector<double> p(levels.size() + 2, 0.0);
      for (size_t i = 0; i < rows.size(); ++i) p[LevelBin(rows[i]->text[f], levels)] += weights[i];
      j["levels"] = levels;
      j["p"] = Normalise(p);
    } else {
      std::vector<std::pair<double, double>> values;  // value, weight
      for (size_t i = 0; i < rows.size(); ++i) {
        if (!std::isnan(rows[i]->num[f])) values.push_back({rows[i]->num[f], weights[i]});
      }
      std::sort(values.begin(), values.end());
      double total = 0;
      for (const auto& v : values) total += v.second;
      std::vector<double> edges;
      double acc = 0;
      size_t next = 1;
      for (const auto& [v, w] : values) {
        acc += w;
        while (next < 10 && acc >= total * static_cast<double>(next) / 10) {
          if (edges.empty() || v > edges.back()) edges.push_back(v);
          ++next;
        }
      }
      std::vector<double> p(edges.size() + 2, 0.0);
      for (size_t i = 0; i < rows.size(); ++i) p[NumberBin(rows[i]->num[f], edges)] += weights[i];
      j["edges"] = edges;
      j["p"] = Normalise(p);
    }
    features.push_back(std::move(j));
  }
  std::vector<double> sp(10, 0.0);
  for (size_t i = 0; i < scores.size(); ++i) sp[ScoreBin(scores[i])] += i < weights.size() ? weights[i] : 1;
  return {{"features", features}, {"score", Normalise(sp)}, {"rows", rows.size()}};
}

json CompareToReference(const std::vector<FeatureDef>& defs, const json& reference, const std::vector<RawFeatures>& rows, const std::vector<float>& scores) {
  std::vector<std::pair<double, std::string>> psis;
  json drifted = json::array();
  double max_psi = 0;
  for (size_t f = 0; f < defs.size() && f < reference["features"].size(); ++f) {
    const json& ref = reference["features"][f];
    std::vector<double> expected = ref["p"].get<std::vector<double>>(), actual(expected.size(), 0.0);
    if (defs[f].categorical) {
      auto levels = ref["levels"].get<std::vector<std::string>>();
      for (const auto& r : rows) actual[LevelBin(r.text[f], levels)] += 1;
    } else {
      auto edges = ref["edges"].get<std::vector<double>>();
      for (const auto& r : rows) actual[NumberBin(r.num[f], edges)] += 1;
    }
    double psi = rows.empty() ? 0 : Psi(expected, Normalise(actual));
    psis.push_back({psi, defs[f].name});
    max_psi = std::max(max_psi, psi);
    if (psi > kDriftAlertPsi) drifted.push_back(defs[f].name);
  }
  std::sort(psis.rbegin(), psis.rend());
  json features = json::array();
  for (const auto& [psi, name] : psis) features.push_back({{"feature", name}, {"psi", Round(psi)}});
  std::vector<double> sp(10, 0.0);
  for (float p : scores) sp[ScoreBin(p)] += 1;
  double score_psi = scores.empty() ? 0 : Psi(reference["score"].get<std::vector<double>>(), Normalise(sp));
  if (score_psi > kDriftAlertPsi) drifted.push_back("score");
  return {{"features", features}, {"score_psi", Round(score_psi)}, {"max_psi", Round(std::max(max_psi, score_psi))},
          {"drifted", drifted}, {"rows", rows.size()}, {"threshold", kDriftAlertPsi}};
}

}  // namespace keel::ai
