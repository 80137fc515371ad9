// A small, owned face of XGBoost's C API (libxgboost 1.7): dense float matrices in, binary
// logistic boosters out, predictions, exact TreeSHAP contributions and gain importance.
// Errors from XGBoost come back as Status "ai.xgboost" with its own message.
#pragma once

#include <cmath>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/status.h"

namespace keel::ai {

// Row-major dense features; NaN is "missing" (XGBoost learns where missing values go).
struct Matrix {
  size_t rows = 0, cols = 0;
  std::vector<float> x;

  Matrix() = default;
  Matrix(size_t r, size_t c) : rows(r), cols(c), x(r * c, NAN) {}
  float* row(size_t i) { return x.data() + i * cols; }
  const float* row(size_t i) const { return x.data() + i * cols; }
  // The rows listed, in that order.
  Matrix Select(const std::vector<size_t>& which) const;
};

struct TrainParams {
  int rounds = 300;              // upper bound; early stopping usually ends sooner
  int early_stopping = 30;       // rounds without improvement on the eval set (0: off)
  int max_depth = 4;
  double eta = 0.05;
  double subsample = 0.8;
  double colsample = 0.8;
  double min_child_weight = 2;
  double lambda = 1;
  int nthread = 1;
  uint64_t seed = 7;
};

// Called after each boosting round with (round, rounds); returning false cancels training.
using TrainProgress = std::function<bool(int, int)>;

// A trained binary:logistic booster. Move-only; predictions are serialised by an internal
// mutex, so one Booster may be shared by threads.
class Booster {
 public:
  Booster() = default;  // empty: every call fails with "ai.no_model" until one is assigned
  Booster(Booster&&) noexcept;
  Booster& operator=(Booster&&) noexcept;
  ~Booster();

  // Trains on `train` (labels 0/1, optional per-row weights). With `eval` given, stops after
  // `early_stopping` rounds without a better log loss there and keeps the best round count.
  static Result<Booster> Train(const Matrix& train, const std::vector<float>& labels, const std::vector<float>& weights,
                               const TrainParams& params, const Matrix* eval = nullptr,
                               const std::vector<float>* eval_labels = nullptr, const TrainProgress& progress = {});
  // A booster saved by Save().
  static Result<Booster> Load(const std::string& bytes);
  Result<std::string> Save() const;

  // Probabilities, one per row (XGBoost's in-place dense prediction).
  Result<std::vector<float>> Predict(const Matrix& m) const;
  // Exact TreeSHAP contributions in log-odds: rows × (cols + 1), the last column the bias.
  Result<std::vector<float>> Contributions(const Matrix& m) const;
  // Total gain per feature (0 for features never used), normalised to sum 1.
  Result<std::vector<double>> Importance(size_t cols) const;

  int rounds() const { return rounds_; }
  // Number of features the booster was trained on (0 when empty).
  size_t num_features() const;

 private:
  void* handle_ = nullptr;
  int rounds_ = 0;
  std::unique_ptr<std::mutex> mu_;
};

}  // namespace keel::ai
