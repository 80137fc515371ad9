#include "ai/explain.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace keel::ai {
namespace {

using json = nlohmann::json;

// Tenths of a point, so sums are exact.
long Tenths(double v) { return std::lround(v * 10); }

}  // namespace

std::string PointsZh(long points) { return (points >= 0 ? "+" : "") + std::to_string(points) + "分"; }

std::string PointsEn(long points) {
  return (points >= 0 ? "+" : "") + std::to_string(points) + (std::labs(points) == 1 ? " point" : " points");
}

json ExplainPoints(const std::vector<Contribution>& items, double bias, double p) {
  const double base = 100.0 / (1.0 + std::exp(-bias));
  const long score = std::lround(100.0 * p);
  const long base_t = Tenths(base);
  double total = 0;
  for (const auto& c : items) total += c.logit;
  // Each feature's share of the move from base to score (SHAP is additive in log-odds, not in
  // probability; sharing the probability move by log-odds share keeps signs and order). When
  // the contributions cancel out, the local slope p(1−p) stands in.
  const double span = 100.0 * p - base;
  std::vector<std::pair<long, size_t>> points;  // tenths, item
  for (size_t i = 0; i < items.size(); ++i) {
    double pts = std::fabs(total) > 1e-6 ? items[i].logit / total * span : items[i].logit * 100.0 * p * (1 - p);
    points.emplace_back(Tenths(pts), i);
  }
  std::sort(points.begin(), points.end(), [](const auto& a, const auto& b) {
    return std::labs(a.first) != std::labs(b.first) ? std::labs(a.first) > std::labs(b.first) : a.second < b.second;
  });
  json pos = json::array(), neg = json::array();
  long listed = 0;
  for (const auto& [t, i] : points) {
    if (std::labs(t) < 5) break;  // under half a point
    json& list = t > 0 ? pos : neg;
    if (list.size() >= 3) continue;
    const Contribution& c = items[i];
    long shown = std::lround(static_cast<double>(t) / 10.0);
    listed += t;
    list.push_back({{"feature", c.feature},
                    {"points", static_cast<double>(t) / 10.0},
                    {"value", c.value},
                    {"text_zh", c.zh + " " + PointsZh(shown)},
                    {"text_en", c.en + ", " + PointsEn(shown)}});
  }
  // What the listed lines leave of score − base (both as shown: the score whole, the base to a tenth).
  const long other_t = score * 10 - base_t - listed;
  const long other_shown = std::lround(static_cast<double>(other_t) / 10.0);
  json other = {{"points", static_cast<double>(other_t) / 10.0},
                {"text_zh", "其他因素 " + PointsZh(other_shown)},
                {"text_en", "Other factors, " + PointsEn(other_shown)}};
  return {{"base", static_cast<double>(base_t) / 10.0}, {"score", score}, {"positive", pos}, {"negative", neg}, {"other", other}};
}

}  // namespace keel::ai
