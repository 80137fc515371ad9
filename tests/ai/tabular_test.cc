// The evaluation measures on hand-checked cases, the XGBoost wrapper (train, save/load, SHAP
// adds up to the margin), and a foreign CSV end to end on real data nobody here wrote.
#include <cmath>
#include <fstream>
#include <random>
#include <sstream>

#include <gtest/gtest.h>

#include "ai/drift.h"
#include "ai/evaluate.h"
#include "ai/tabular.h"
#include "ai/xgb.h"
#include "support/dataset.h"

namespace keel::ai {
namespace {

using json = nlohmann::json;

TEST(Evaluate, AucOnHandCheckedCases) {
  EXPECT_DOUBLE_EQ(Auc({0.1f, 0.4f, 0.35f, 0.8f}, {0, 0, 1, 1}), 0.75);
  EXPECT_DOUBLE_EQ(Auc({0.1f, 0.2f, 0.3f}, {0, 1, 1}), 1.0);
  EXPECT_DOUBLE_EQ(Auc({0.9f, 0.2f}, {0, 1}), 0.0);
  EXPECT_DOUBLE_EQ(Auc({0.5f, 0.5f, 0.5f, 0.5f}, {0, 1, 0, 1}), 0.5);  // ties count half
  EXPECT_DOUBLE_EQ(Auc({0.3f, 0.6f}, {1, 1}), 0.5);                    // one class only
}

TEST(Evaluate, LossesAndCalibration) {
  EXPECT_NEAR(LogLoss({0.5f, 0.5f}, {0, 1}), std::log(2.0), 1e-9);
  EXPECT_NEAR(Brier({0.8f, 0.2f}, {1, 0}), 0.04, 1e-6);
  auto bins = Calibration({0.05f, 0.07f, 0.95f, 0.91f}, {0, 1, 1, 1}, 10);
  ASSERT_EQ(bins.size(), 2u);
  EXPECT_EQ(bins[0].rows, 2);
  EXPECT_NEAR(bins[0].observed_rate, 0.5, 1e-9);
  EXPECT_NEAR(bins[1].mean_predicted, 0.93, 1e-6);
  auto folds = StratifiedFolds({1, 1, 1, 1, 0, 0, 0, 0, 0, 0}, 2, 1);
  ASSERT_EQ(folds.size(), 2u);
  EXPECT_EQ(folds[0].size() + folds[1].size(), 10u);
  int pos0 = 0;
  for (size_t i : folds[0]) pos0 += i < 4;
  EXPECT_EQ(pos0, 2);  // positives split evenly
}

// PSI on hand-checked distributions: identical → 0; the textbook example of a 10 % → 30 % move
// in one bin; empty bins do not blow up.
TEST(Drift, PopulationStabilityIndex) {
  EXPECT_DOUBLE_EQ(Psi({0.25, 0.25, 0.5}, {0.25, 0.25, 0.5}), 0.0);
  double expected = (0.3 - 0.1) * std::log(0.3 / 0.1) + (0.7 - 0.9) * std::log(0.7 / 0.9);
  EXPECT_NEAR(Psi({0.1, 0.9}, {0.3, 0.7}), expected, 1e-12);
  EXPECT_GT(Psi({0.1, 0.9}, {0.3, 0.7}), 0.2);
  EXPECT_TRUE(std::isfinite(Psi({0.0, 1.0}, {0.5, 0.5})));
  // A reference built from values 0…99, compared with the same values and with shifted ones.
  std::vector<RawFeatures> same(100), shifted(100);
  std::vector<const RawFeatures*> ref;
  const size_t n = FeatureDefs(Target::kLead).size();
  for (int i = 0; i < 100; ++i) {
    for (auto* r : {&same[i], &shifted[i]}) {
      r->num.assign(n, i);
      r->text.assign(n, i % 2 ? "website" : "referral");
    }
    for (auto& v : shifted[i].num) v = i + 60;
    shifted[i].text.assign(n, "advertising");
    ref.push_back(&same[i]);
  }
  json reference = BuildReference(FeatureDefs(Target::kLead), ref, std::vector<float>(100, 1.0f), std::vector<float>(100, 0.3f));
  json none = CompareToReference(FeatureDefs(Target::kLead), reference, same, std::vector<float>(100, 0.3f));
  EXPECT_LT(none["max_psi"].get<double>(), 1e-9);
  EXPECT_TRUE(none["drifted"].empty());
  json moved = CompareToReference(FeatureDefs(Target::kLead), reference, shifted, std::vector<float>(100, 0.8f));
  EXPECT_GT(moved["max_psi"].get<double>(), 0.2);
  EXPECT_GT(moved["score_psi"].get<double>(), 0.2);
  EXPECT_EQ(moved["features"].size(), n);
}

// y = 1 when x0 + noise > 0; x1 is noise. The booster learns x0, SHAP adds up to the margin,
// and a saved model predicts the same after loading.
TEST(Xgb, TrainsExplainsAndRoundTrips) {
  std::mt19937 rng(3);
  std::normal_distribution<float> n01(0, 1);
  Matrix x(2000, 2);
  std::vector<float> y(2000);
  for (size_t i = 0; i < 2000; ++i) {
    x.row(i)[0] = n01(rng);
    x.row(i)[1] = n01(rng);
    y[i] = x.row(i)[0] + 0.5f * n01(rng) > 0 ? 1.0f : 0.0f;
  }
  x.row(7)[1] = NAN;  // missing values are allowed
  TrainParams p;
  p.rounds = 60;
  auto b = Booster::Train(x, y, {}, p);
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  auto pred = b->Predict(x);
  ASSERT_TRUE(pred.ok()) << pred.status().ToString();
  EXPECT_GT(Auc(*pred, y), 0.9);
  auto contrib = b->Contributions(x);
  ASSERT_TRUE(contrib.ok());
  ASSERT_EQ(contrib->size(), 2000u * 3);
  for (size_t i : {0u, 7u, 1999u}) {
    double margin = (*contrib)[i * 3] + (*contrib)[i * 3 + 1] + (*contrib)[i * 3 + 2];
    EXPECT_NEAR(1 / (1 + std::exp(-margin)), (*pred)[i], 1e-4);
  }
  double mean_abs0 = 0, mean_abs1 = 0;
  for (size_t i = 0; i < 2000; ++i) {
    mean_abs0 += std::fabs((*contrib)[i * 3]);
    mean_abs1 += std::fabs((*contrib)[i * 3 + 1]);
  }
  EXPECT_GT(mean_abs0, 4 * mean_abs1);
  auto imp = b->Importance(2);
  ASSERT_TRUE(imp.ok());
  EXPECT_GT((*imp)[0], 0.8);
  auto bytes = b->Save();
  ASSERT_TRUE(bytes.ok());
  auto loaded = Booster::Load(*bytes);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ(loaded->rounds(), b->rounds());
  auto again = loaded->Predict(x);
  ASSERT_TRUE(again.ok());
  for (size_t i = 0; i < 2000; i += 97) EXPECT_FLOAT_EQ((*again)[i], (*pred)[i]);
  EXPECT_FALSE(Booster::Load("not a model").ok());
}

TEST(Tabular, ReadsProfilesAndRefusesBadInput) {
  auto t = ReadTable("id;grade;city;won\n1;3.5;上海;yes\n2;NA;杭州;no\n3;4;上海;no\n");
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  auto prof = Profile(*t);
  EXPECT_EQ(prof[1].type, ColumnType::kNumber);
  EXPECT_EQ(prof[1].missing, 1);
  EXPECT_EQ(prof[2].type, ColumnType::kCategory);
  EXPECT_EQ(prof[2].top[0].first, "上海");
  auto ragged = ReadTable("a,b\n1,2\n3\n");
  ASSERT_FALSE(ragged.ok());
  EXPECT_EQ(ragged.status().code(), "csv.columns");
  EXPECT_EQ(ragged.status().field(), "line 3");
  EXPECT_EQ(ReadTable("a,b\n").status().code(), "csv.empty");
  EXPECT_EQ(ReadTable("a,a\n1,2\n").status().code(), "csv.header");
  auto m = ParseMapping({{"label", "nope"}}, *t);
  EXPECT_EQ(m.status().field(), "label");
  m = ParseMapping({{"label", "won"}, {"exclude", {"id", "zip"}}}, *t);
  EXPECT_EQ(m.status().field(), "exclude[1]");
  m = ParseMapping({{"label", "won"}, {"types", {{"grade", "blob"}}}}, *t);
  EXPECT_EQ(m.status().field(), "types.grade");
  m = ParseMapping({{"label", "won"}, {"time_column", "city"}}, *t);  // a holdout needs sortable times
  EXPECT_EQ(m.status().code(), "ai.time_column");
  EXPECT_EQ(m.status().field(), "time_column");
  EXPECT_TRUE(ParseMapping({{"label", "won"}, {"time_column", "grade"}}, *t).ok());
  m = ParseMapping({{"label", "won"}}, *t);
  ASSERT_TRUE(m.ok());
  auto few = TrainTabular(*t, *m, TrainParams{});
  ASSERT_FALSE(few.ok());
  EXPECT_EQ(few.status().code(), "ai.not_enough_data");
  EXPECT_NE(few.status().message_zh().find("历史数据不足"), std::string::npos);
}

// Issue 4: a foreign CSV of leads (the UCI bank telemarketing file: `;`-separated, quoted,
// "unknown" for missing), `duration` left out because it is only known after the call. A
// logistic-regression reference reaches ≈ 0.76 AUC on this file; we must reach ≥ 0.74 (CV).
TEST(Tabular, BankMarketingCrossValidatedAuc) {
  KEEL_DATASET_OR_SKIP(path, "bank-marketing/bank-additional.csv");
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  auto t = ReadTable(ss.str());
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(t->rows.size(), 4119u);
  auto prof = Profile(*t);
  for (const auto& c : prof) {
    if (c.name == "age" || c.name == "euribor3m") {
      EXPECT_EQ(c.type, ColumnType::kNumber) << c.name;
    }
    if (c.name == "job" || c.name == "month") {
      EXPECT_EQ(c.type, ColumnType::kCategory) << c.name;
    }
  }
  auto m = ParseMapping({{"label", "y"}, {"exclude", {"duration"}}}, *t);
  ASSERT_TRUE(m.ok());
  int progress_calls = 0;
  auto model = TrainTabular(*t, *m, TrainParams{}, 100, [&](int, int, const std::string&) { ++progress_calls; });
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  const auto& card = model->card;
  EXPECT_EQ(card["label"]["positive"], "yes");
  EXPECT_EQ(card["label"]["positives"].get<int>() + card["label"]["negatives"].get<int>(), 4119);
  for (const auto& f : model->encoder.feature_names) {
    EXPECT_EQ(f.rfind("duration", 0), std::string::npos);
  }
  double cv_auc = card["cross_validation"]["auc"].get<double>();
  std::printf("bank-marketing: CV AUC %.4f (folds mean %.4f ± %.4f), holdout AUC %.4f, log loss %.4f, Brier %.4f\n", cv_auc,
              card["cross_validation"]["auc_mean"].get<double>(), card["cross_validation"]["auc_sd"].get<double>(),
              card["holdout"]["auc"].get<double>(), card["cross_validation"]["log_loss"].get<double>(),
              card["cross_validation"]["brier"].get<double>());
  EXPECT_GE(cv_auc, 0.74);
  EXPECT_GT(card["holdout"]["auc"].get<double>(), 0.65);
  EXPECT_EQ(progress_calls, 7);
  EXPECT_FALSE(card["importance"].empty());
}

}  // namespace
}  // namespace keel::ai
