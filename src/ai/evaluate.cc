#include "ai/evaluate.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

namespace keel::ai {

double Auc(const std::vector<float>& p, const std::vector<float>& y) {
  std::vector<size_t> order(p.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return p[a] < p[b]; });
  // Mann-Whitney U with average ranks for ties.
  double rank_sum = 0;
  int64_t pos = 0, neg = 0;
  for (size_t i = 0; i < order.size();) {
    size_t j = i;
    while (j < order.size() && p[order[j]] == p[order[i]]) ++j;
    double avg_rank = (static_cast<double>(i) + static_cast<double>(j) + 1) / 2.0;  // ranks are 1-based
    for (size_t k = i; k < j; ++k) {
      if (y[order[k]] > 0.5) {
        rank_sum += avg_rank;
        ++pos;
      } else {
        ++neg;
      }
    }
    i = j;
  }
  if (pos == 0 || neg == 0) return 0.5;
  return (rank_sum - static_cast<double>(pos) * (static_cast<double>(pos) + 1) / 2.0) /
         (static_cast<double>(pos) * static_cast<double>(neg));
}

double LogLoss(const std::vector<float>& p, const std::vector<float>& y) {
  if (p.empty()) return 0;
  double s = 0;
  for (size_t i = 0; i < p.size(); ++i) {
    double q = std::clamp(static_cast<double>(p[i]), 1e-7, 1 - 1e-7);
    s -= y[i] > 0.5 ? std::log(q) : std::log(1 - q);
  }
  return s / static_cast<double>(p.size());
}

double Brier(const std::vector<float>& p, const std::vector<float>& y) {
  if (p.empty()) return 0;
  double s = 0;
  for (size_t i = 0; i < p.size(); ++i) s += (p[i] - y[i]) * (p[i] - y[i]);
  return s / static_cast<double>(p.size());
}

std::vector<CalibrationBin> Calibration(const std::vector<float>& p, const std::vector<float>& y, int bins) {
  std::vector<CalibrationBin> all(static_cast<size_t>(bins));
  for (int b = 0; b < bins; ++b) {
    all[static_cast<size_t>(b)].from = static_cast<double>(b) / bins;
    all[static_cast<size_t>(b)].to = static_cast<double>(b + 1) / bins;
  }
  for (size_t i = 0; i < p.size(); ++i) {
    int b = std::clamp(static_cast<int>(p[i] * bins), 0, bins - 1);
    auto& bin = all[static_cast<size_t>(b)];
    bin.rows++;
    bin.mean_predicted += p[i];
    bin.observed_rate += y[i] > 0.5 ? 1 : 0;
  }
  std::vector<CalibrationBin> out;
  for (auto& b : all) {
    if (b.rows == 0) continue;
    b.mean_predicted /= static_cast<double>(b.rows);
    b.observed_rate /= static_cast<double>(b.rows);
    out.push_back(b);
  }
  return out;
}

Evaluation Evaluate(const std::vector<float>& p, const std::vector<float>& y) {
  Evaluation e;
  e.rows = static_cast<int64_t>(p.size());
  for (float v : y) e.positives += v > 0.5 ? 1 : 0;
  e.base_rate = e.rows ? static_cast<double>(e.positives) / static_cast<double>(e.rows) : 0;
  e.auc = Auc(p, y);
  e.log_loss = LogLoss(p, y);
  e.brier = Brier(p, y);
  e.calibration = Calibration(p, y);
  return e;
}

nlohmann::json Evaluation::ToJson() const {
  auto round4 = [](double v) { return std::round(v * 10000) / 10000; };
  nlohmann::json cal = nlohmann::json::array();
  for (const auto& b : calibration) {
    cal.push_back({{"from", round4(b.from)}, {"to", round4(b.to)}, {"rows", b.rows},
                   {"mean_predicted", round4(b.mean_predicted)}, {"observed_rate", round4(b.observed_rate)}});
  }
  return {{"rows", rows}, {"positives", positives}, {"base_rate", round4(base_rate)}, {"auc", round4(auc)},
          {"log_loss", round4(log_loss)}, {"brier", round4(brier)}, {"calibration", cal}};
}

std::vector<std::vector<size_t>> StratifiedFolds(const std::vector<float>& y, int k, uint64_t seed) {
  std::vector<size_t> pos, neg;
  for (size_t i = 0; i < y.size(); ++i) (y[i] > 0.5 ? pos : neg).push_back(i);
  std::mt19937_64 rng(seed);
  std::shuffle(pos.begin(), pos.end(), rng);
  std::shuffle(neg.begin(), neg.end(), rng);
  std::vector<std::vector<size_t>> folds(static_cast<size_t>(k));
  size_t n = 0;
  for (const auto* cls : {&pos, &neg}) {
    for (size_t i : *cls) folds[n++ % static_cast<size_t>(k)].push_back(i);
  }
  for (auto& f : folds) std::sort(f.begin(), f.end());
  return folds;
}

}  // namespace keel::ai
