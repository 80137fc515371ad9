// A score's reasons (评分原因) from SHAP contributions: each feature's log-odds contribution
// turned into points on the 0-100 score scale, so that the points of every feature add up to
// score − base (base: the model's score for an average record). The three largest each way are
// listed with their phrase; "other factors" carries the rest, so the lines a person reads add up
// exactly (in tenths of a point) to score − base.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace keel::ai {

struct Contribution {
  std::string feature;    // the feature's (or column's) name
  double logit = 0;       // its SHAP contribution, log-odds
  nlohmann::json value;   // what the record had (number, text or null)
  std::string zh, en;     // the phrase a person reads, without the points
};

// {base, score, positive: [...], negative: [...], other: {points, text_zh, text_en}}; each
// line {feature, points, value, text_zh, text_en}. `bias` is the SHAP bias (log-odds), `p` the
// probability the model gave.
nlohmann::json ExplainPoints(const std::vector<Contribution>& items, double bias, double p);

// "+5分" / "−1分"; "+5 points" / "-1 point" (a point, points).
std::string PointsZh(long points);
std::string PointsEn(long points);

}  // namespace keel::ai
