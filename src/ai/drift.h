// Drift (模型漂移): the population stability index of each feature and of the score, today's
// open records against the training window kept in the model card. PSI = Σ (a − e)·ln(a / e)
// over bins (deciles of the training values for numbers, levels for categories, a bin for
// "unknown"); 0.1–0.2 is a shift worth watching, above 0.2 the model should be retrained.
// JSON here is stored: the reference lives in the model card, the comparison in ai_drift.
#pragma once

#include <vector>

#include <nlohmann/json.hpp>

#include "ai/features.h"

namespace keel::ai {

inline constexpr double kDriftAlertPsi = 0.2;

// PSI of two distributions over the same bins (proportions; empty bins get 1e-4).
double Psi(const std::vector<double>& expected, const std::vector<double>& actual);

// The training window's distributions: per feature its bins and proportions, and the score's
// ten equal-width bins.
nlohmann::json BuildReference(const std::vector<FeatureDef>& defs, const std::vector<const RawFeatures*>& rows, const std::vector<float>& weights,
                              const std::vector<float>& scores);

// {features: [{feature, psi}] (largest first), score_psi, max_psi, drifted: [names over 0.2]}.
nlohmann::json CompareToReference(const std::vector<FeatureDef>& defs, const nlohmann::json& reference, const std::vector<RawFeatures>& rows,
                                  const std::vector<float>& scores);

}  // namespace keel::ai
