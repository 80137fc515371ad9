// How good a probability model is on rows it did not learn from: AUC, log loss, Brier score
// and a calibration table; stratified folds for cross-validation. Pure functions.
#pragma once

#include <cstdint>
#include <vector>

#include <nlohmann/json.hpp>

namespace keel::ai {

// Area under the ROC curve (ties count half); 0.5 when one class is absent.
double Auc(const std::vector<float>& p, const std::vector<float>& y);
// Mean negative log-likelihood, probabilities clipped to [1e-7, 1 - 1e-7].
double LogLoss(const std::vector<float>& p, const std::vector<float>& y);
// Mean squared error of the probability.
double Brier(const std::vector<float>& p, const std::vector<float>& y);

struct CalibrationBin {
  double from = 0, to = 0;     // predicted probability range
  int64_t rows = 0;
  double mean_predicted = 0, observed_rate = 0;
};
// `bins` equal-width bins over [0, 1]; empty bins are left out.
std::vector<CalibrationBin> Calibration(const std::vector<float>& p, const std::vector<float>& y, int bins = 10);

struct Evaluation {
  int64_t rows = 0, positives = 0;
  double auc = 0.5, log_loss = 0, brier = 0, base_rate = 0;
  std::vector<CalibrationBin> calibration;
  nlohmann::json ToJson() const;
};
Evaluation Evaluate(const std::vector<float>& p, const std::vector<float>& y);

// Row indexes of `k` folds with each class spread evenly (deterministic for a seed).
std::vector<std::vector<size_t>> StratifiedFolds(const std::vector<float>& y, int k, uint64_t seed);

}  // namespace keel::ai
