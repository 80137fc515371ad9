#include "ai/xgb.h"

#include <xgboost/c_api.h>

#include <cstdio>
#include <limits>

#include <nlohmann/json.hpp>

namespace keel::ai {
namespace {

Status XgbError(const char* what) {
  std::string msg = std::string(what) + ": " + XGBGetLastError();
  return Status::Error(ErrorKind::kInternal, "ai.xgboost", "XGBoost failed: " + msg, "XGBoost 出错：" + msg);
}

#define KEEL_XGB(call, what) \
  if ((call) != 0) return XgbError(what)

// An owned DMatrix.
struct DMatrix {
  DMatrixHandle h = nullptr;
  ~DMatrix() {
    if (h) XGDMatrixFree(h);
  }
};

Status MakeDMatrix(const Matrix& m, DMatrix& out) {
  KEEL_XGB(XGDMatrixCreateFromMat(m.x.data(), m.rows, m.cols, NAN, &out.h), "create matrix");
  return Status();
}

std::string DenseInterface(const Matrix& m) {
  char buf[256];
  std::snprintf(buf, sizeof buf,
                "{\"data\": [%llu, true], \"shape\": [%zu, %zu], \"typestr\": \"<f4\", \"version\": 3}",
                static_cast<unsigned long long>(reinterpret_cast<uintptr_t>(m.x.data())), m.rows, m.cols);
  return buf;
}

Status NoModel() { return Status::Error(ErrorKind::kNotFound, "ai.no_model", "no model", "没有模型"); }

}  // namespace

Matrix Matrix::Select(const std::vector<size_t>& which) const {
  Matrix out(which.size(), cols);
  for (size_t i = 0; i < which.size(); ++i) std::copy(row(which[i]), row(which[i]) + cols, out.row(i));
  return out;
}

Booster::Booster(Booster&& o) noexcept : handle_(o.handle_), rounds_(o.rounds_), mu_(std::move(o.mu_)) { o.handle_ = nullptr; }
Booster& Booster::operator=(Booster&& o) noexcept {
  if (this != &o) {
    if (handle_) XGBoosterFree(handle_);
    handle_ = o.handle_;
    rounds_ = o.rounds_;
    mu_ = std::move(o.mu_);
    o.handle_ = nullptr;
  }
  return *this;
}
Booster::~Booster() {
  if (handle_) XGBoosterFree(handle_);
}

Result<Booster> Booster::Train(const Matrix& train, const std::vector<float>& labels, const std::vector<float>& weights,
                               const TrainParams& p, const Matrix* eval, const std::vector<float>* eval_labels,
                               const TrainProgress& progress) {
  if (train.rows == 0 || train.cols == 0 || labels.size() != train.rows) {
    return Status::Invalid("ai.data", "no training rows", "没有训练数据", "");
  }
  DMatrix dtrain, deval;
  KEEL_RETURN_IF_ERROR(MakeDMatrix(train, dtrain));
  KEEL_XGB(XGDMatrixSetFloatInfo(dtrain.h, "label", labels.data(), labels.size()), "set labels");
  if (!weights.empty()) KEEL_XGB(XGDMatrixSetFloatInfo(dtrain.h, "weight", weights.data(), weights.size()), "set weights");
  bool has_eval = eval && eval_labels && eval->rows > 0;
  if (has_eval) {
    KEEL_RETURN_IF_ERROR(MakeDMatrix(*eval, deval));
    KEEL_XGB(XGDMatrixSetFloatInfo(deval.h, "label", eval_labels->data(), eval_labels->size()), "set eval labels");
  }
  Booster b;
  b.mu_ = std::make_unique<std::mutex>();
  DMatrixHandle cache[2] = {dtrain.h, deval.h};
  KEEL_XGB(XGBoosterCreate(cache, has_eval ? 2 : 1, &b.handle_), "create booster");
  auto set = [&](const char* k, const std::string& v) { return XGBoosterSetParam(b.handle_, k, v.c_str()); };
  KEEL_XGB(set("objective", "binary:logistic"), "set objective");
  KEEL_XGB(set("eval_metric", "logloss"), "set metric");
  KEEL_XGB(set("tree_method", "hist"), "set tree method");
  KEEL_XGB(set("max_depth", std::to_string(p.max_depth)), "set max_depth");
  KEEL_XGB(set("eta", std::to_string(p.eta)), "set eta");
  KEEL_XGB(set("subsample", std::to_string(p.subsample)), "set subsample");
  KEEL_XGB(set("colsample_bytree", std::to_string(p.colsample)), "set colsample");
  KEEL_XGB(set("min_child_weight", std::to_string(p.min_child_weight)), "set min_child_weight");
  KEEL_XGB(set("lambda", std::to_string(p.lambda)), "set lambda");
  KEEL_XGB(set("nthread", std::to_string(p.nthread)), "set nthread");
  KEEL_XGB(set("seed", std::to_string(p.seed)), "set seed");
  KEEL_XGB(set("verbosity", "0"), "set verbosity");
  double best = std::numeric_limits<double>::infinity();
  int best_round = 0;
  for (int r = 0; r < p.rounds; ++r) {
    KEEL_XGB(XGBoosterUpdateOneIter(b.handle_, r, dtrain.h), "boost");
    b.rounds_ = r + 1;
    if (has_eval) {
      const char* out = nullptr;
      DMatrixHandle sets[1] = {deval.h};
      const char* names[1] = {"eval"};
      KEEL_XGB(XGBoosterEvalOneIter(b.handle_, r, sets, names, 1, &out), "evaluate");
      // "[r]\teval-logloss:0.123"
      std::string s = out ? out : "";
      size_t colon = s.rfind(':');
      double loss = colon == std::string::npos ? 0 : std::atof(s.c_str() + colon + 1);
      if (loss < best - 1e-9) {
        best = loss;
        best_round = r + 1;
      } else if (p.early_stopping > 0 && r + 1 - best_round >= p.early_stopping) {
        break;
      }
    }
    if (progress && !progress(r + 1, p.rounds)) {
      return Status::Error(ErrorKind::kConflict, "ai.cancelled", "training was cancelled", "训练已取消");
    }
  }
  if (has_eval && best_round > 0 && best_round < b.rounds_) {
    // Keep only the best rounds.
    BoosterHandle sliced = nullptr;
    KEEL_XGB(XGBoosterSlice(b.handle_, 0, best_round, 1, &sliced), "slice");
    XGBoosterFree(b.handle_);
    b.handle_ = sliced;
    b.rounds_ = best_round;
  }
  return b;
}

Result<Booster> Booster::Load(const std::string& bytes) {
  Booster b;
  b.mu_ = std::make_unique<std::mutex>();
  KEEL_XGB(XGBoosterCreate(nullptr, 0, &b.handle_), "create booster");
  KEEL_XGB(XGBoosterLoadModelFromBuffer(b.handle_, bytes.data(), bytes.size()), "load model");
  KEEL_XGB(XGBoosterBoostedRounds(b.handle_, &b.rounds_), "count rounds");
  return b;
}

Result<std::string> Booster::Save() const {
  if (!handle_) return NoModel();
  std::lock_guard lock(*mu_);
  bst_ulong len = 0;
  const char* data = nullptr;
  KEEL_XGB(XGBoosterSaveModelToBuffer(handle_, "{\"format\": \"ubj\"}", &len, &data), "save model");
  return std::string(data, len);
}

Result<std::vector<float>> Booster::Predict(const Matrix& m) const {
  if (!handle_) return NoModel();
  if (m.rows == 0) return std::vector<float>();
  std::lock_guard lock(*mu_);
  const bst_ulong* shape = nullptr;
  bst_ulong dim = 0;
  const float* out = nullptr;
  std::string data = DenseInterface(m);
  KEEL_XGB(XGBoosterPredictFromDense(handle_, data.c_str(),
                                     "{\"type\": 0, \"training\": false, \"iteration_begin\": 0, \"iteration_end\": 0, "
                                     "\"strict_shape\": false, \"missing\": NaN, \"cache_id\": 0}",
                                     nullptr, &shape, &dim, &out),
           "predict");
  return std::vector<float>(out, out + m.rows);
}

Result<std::vector<float>> Booster::Contributions(const Matrix& m) const {
  if (!handle_) return NoModel();
  if (m.rows == 0) return std::vector<float>();
  DMatrix d;
  KEEL_RETURN_IF_ERROR(MakeDMatrix(m, d));
  std::lock_guard lock(*mu_);
  const bst_ulong* shape = nullptr;
  bst_ulong dim = 0;
  const float* out = nullptr;
  KEEL_XGB(XGBoosterPredictFromDMatrix(handle_, d.h,
                                       "{\"type\": 2, \"training\": false, \"iteration_begin\": 0, \"iteration_end\": 0, "
                                       "\"strict_shape\": false}",
                                       &shape, &dim, &out),
           "explain");
  return std::vector<float>(out, out + m.rows * (m.cols + 1));
}

size_t Booster::num_features() const {
  if (!handle_) return 0;
  std::lock_guard lock(*mu_);
  bst_ulong n = 0;
  if (XGBoosterGetNumFeature(handle_, &n) != 0) return 0;
  return static_cast<size_t>(n);
}

Result<std::vector<double>> Booster::Importance(size_t cols) const {
  if (!handle_) return NoModel();
  std::lock_guard lock(*mu_);
  bst_ulong n = 0, dim = 0;
  const char** names = nullptr;
  const bst_ulong* shape = nullptr;
  const float* scores = nullptr;
  KEEL_XGB(XGBoosterFeatureScore(handle_, "{\"importance_type\": \"total_gain\"}", &n, &names, &dim, &shape, &scores),
           "importance");
  std::vector<double> out(cols, 0.0);
  double total = 0;
  for (bst_ulong i = 0; i < n; ++i) {
    // Unnamed features are called "f<index>".
    const char* name = names[i];
    if (name[0] != 'f') continue;
    size_t idx = static_cast<size_t>(std::atoll(name + 1));
    if (idx < cols) {
      out[idx] = scores[i];
      total += scores[i];
    }
  }
  if (total > 0) {
    for (double& v : out) v /= total;
  }
  return out;
}

}  // namespace keel::ai
