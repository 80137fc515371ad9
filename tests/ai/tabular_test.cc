// The evaluation measures on hand-checked cases, the XGBoost wrapper (train, save/load, SHAP
// adds up to the margin), and a foreign CSV end to end on real data nobody here wrote.
#include <cmath>
#include <fstream>
#include <random>
#include <set>
#include <sstream>

#include <gtest/gtest.h>

#include "ai/drift.h"
#include "ai/evaluate.h"
#include "ai/tabular.h"
#include "ai/xgb.h"
#include "common/text_encoding.h"
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
  EXPECT_EQ(ReadTable(",\n1,\n").value().header, std::vector<std::string>{"column_1"});
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

// Exports as people make them: every line ends with a delimiter, a name is repeated, a column has
// no name, the bytes are GB18030 (a Chinese Excel's "CSV") or UTF-16 with a BOM.
TEST(Tabular, ReadsExportsAsPeopleMakeThem) {
  auto t = ReadTable("Lead,Score,Score,,Notes,,\nA,1,2,x,hi,,\nB,3,4,,,,\nC,5,6,y,yo\n");
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(t->header, (std::vector<std::string>{"Lead", "Score", "Score_2", "column_4", "Notes"}));
  EXPECT_EQ(t->dropped, (std::vector<size_t>{6, 7}));
  EXPECT_EQ(t->rows.size(), 3u);
  EXPECT_EQ(t->rows[2], (std::vector<std::string>{"C", "5", "6", "y", "yo"}));  // a line without the trailing empties
  json file = t->FileJson();
  EXPECT_EQ(file["encoding"], "UTF-8");
  EXPECT_EQ(file["dropped_columns"], json({6, 7}));
  ASSERT_EQ(file["renamed_columns"].size(), 2u);
  EXPECT_EQ(file["renamed_columns"][0], json({{"column", 3}, {"from", "Score"}, {"to", "Score_2"}}));
  EXPECT_EQ(file["renamed_columns"][1], json({{"column", 4}, {"from", ""}, {"to", "column_4"}}));
  // A row longer than the header is still refused, naming its line.
  EXPECT_EQ(ReadTable("a,b,\n1,2,,3\n").status().field(), "line 2");
  // GB18030: 城市,是否成交 / 上海,是 / 北京,否 / 广州,是
  std::string gbk = "\xB3\xC7\xCA\xD0,\xCA\xC7\xB7\xF1\xB3\xC9\xBD\xBB\r\n\xC9\xCF\xBA\xA3,\xCA\xC7\r\n"
                    "\xB1\xB1\xBE\xA9,\xB7\xF1\r\n\xB9\xE3\xD6\xDD,\xCA\xC7\r\n";
  auto g = ReadTable(gbk);
  ASSERT_TRUE(g.ok()) << g.status().ToString();
  EXPECT_EQ(g->encoding, "GB18030");
  EXPECT_EQ(g->header, (std::vector<std::string>{"城市", "是否成交"}));
  EXPECT_EQ(g->rows[1], (std::vector<std::string>{"北京", "否"}));
  // UTF-16LE with a BOM (Excel's "Unicode text", tab-separated).
  std::u16string wide = u"城市\t金额\r\n上海\t12.5\r\n";
  std::string utf16 = "\xFF\xFE";
  for (char16_t ch : wide) utf16 += {static_cast<char>(ch & 0xFF), static_cast<char>(ch >> 8)};
  auto w = ReadTable(utf16);
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  EXPECT_EQ(w->encoding, "UTF-16LE");
  EXPECT_EQ(w->rows[0], (std::vector<std::string>{"上海", "12.5"}));
  // A declared encoding is used as said; an unknown one is refused at "encoding".
  auto declared = DecodeToUtf8("\xC9\xCF\xBA\xA3", "gbk");
  ASSERT_TRUE(declared.ok()) << declared.status().ToString();
  EXPECT_EQ(declared->text, "上海");
  EXPECT_EQ(declared->encoding, "GB18030");
  EXPECT_EQ(DecodeToUtf8("abc", "klingon").status().field(), "encoding");
  EXPECT_EQ(DecodeToUtf8("\xC9\xCF", "UTF-8").status().code(), "text.undecodable");
  EXPECT_TRUE(IsUtf8("上海 ok"));
  EXPECT_FALSE(IsUtf8("\xC0\xAF"));      // an overlong "/"
  EXPECT_FALSE(IsUtf8("\xED\xA0\x80"));  // a UTF-16 surrogate
  // Bytes no encoding reads are refused with the line.
  auto junk = ReadTable("a,b\n1,\x80\xFF\x80\n");
  ASSERT_FALSE(junk.ok());
  EXPECT_EQ(junk.status().code(), "csv.utf8");
  EXPECT_EQ(junk.status().field(), "line 2");
}

// A lead export like the ones people bring: a sequential lead number and a UUID key (left out,
// listed on the card), a real signal, and a "tags" column filled in after the outcome — named as
// a leak, and gone from the warnings once excluded. A wrong type mapping is refused.
TEST(Tabular, LeavesOutIdentifiersAndNamesLeaks) {
  std::mt19937 rng(11);
  std::uniform_real_distribution<double> u(0, 1);
  std::string csv = "Prospect ID,Lead Number,Visits,Source,City,Tags,Converted\n";
  for (int i = 0; i < 1200; ++i) {
    double visits = std::floor(u(rng) * 10);
    const char* source = u(rng) < 0.5 ? "referral" : "website";
    double p = 0.1 + 0.05 * visits + (source[0] == 'r' ? 0.15 : 0);
    bool won = u(rng) < p;
    char id[40];
    std::snprintf(id, sizeof id, "%08x-%04x-4%03x-a%03x-%012x", static_cast<unsigned>(rng()), i, i % 4096, (i * 7) % 4096, i * 131);
    const char* tags = won ? (u(rng) < 0.9 ? "Will revert after reading the email" : "") : (u(rng) < 0.05 ? "Ringing" : "");
    const char* city = i % 3 == 0 ? "上海" : i % 3 == 1 ? "北京" : "广州";
    csv += std::string(id) + "," + std::to_string(660737 - i * 3) + "," + std::to_string(static_cast<int>(visits)) + "," + source + "," + city +
           "," + tags + "," + (won ? "1" : "0") + "\n";
  }
  auto t = ReadTable(csv);
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  auto prof = Profile(*t);
  EXPECT_EQ(prof[0].identifier, "uuid");
  EXPECT_EQ(prof[1].identifier, "sequential");
  EXPECT_EQ(prof[2].identifier, "");
  EXPECT_EQ(prof[1].ToJson()["identifier"], "sequential");
  auto wrong = ParseMapping({{"label", "Converted"}, {"types", {{"City", "number"}}}}, *t);
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.status().code(), "ai.type_mismatch");
  EXPECT_EQ(wrong.status().field(), "types.City");
  EXPECT_NE(wrong.status().message_en().find("'上海' (line 2)"), std::string::npos) << wrong.status().message_en();
  auto m = ParseMapping({{"label", "Converted"}}, *t);
  ASSERT_TRUE(m.ok());
  auto leaky = TrainTabular(*t, *m, TrainParams{}, 50);
  ASSERT_TRUE(leaky.ok()) << leaky.status().ToString();
  const json& card = leaky->card;
  for (const auto& f : leaky->encoder.feature_names) {
    EXPECT_TRUE(f.rfind("Lead Number", 0) != 0 && f.rfind("Prospect ID", 0) != 0) << f;
  }
  std::set<std::string> left_out;
  for (const auto& c : card["left_out"]) left_out.insert(c["column"].get<std::string>());
  EXPECT_EQ(left_out, (std::set<std::string>{"Prospect ID", "Lead Number"}));
  std::set<std::string> codes;
  for (const auto& w : card["warnings"]) {
    codes.insert(w["code"].get<std::string>());
    EXPECT_FALSE(w["message_zh"].get<std::string>().empty());
  }
  EXPECT_TRUE(codes.count("missing_by_class")) << card["warnings"].dump(1);
  EXPECT_TRUE(codes.count("separates_alone") || codes.count("dominant_feature")) << card["warnings"].dump(1);
  EXPECT_EQ(card["suspects"], json({"Tags"})) << card["warnings"].dump(1);
  // A user who needs the lead number anyway types it.
  auto typed = ParseMapping({{"label", "Converted"}, {"exclude", {"Tags"}}, {"types", {{"Lead Number", "number"}}}}, *t);
  ASSERT_TRUE(typed.ok());
  auto clean = TrainTabular(*t, *typed, TrainParams{}, 50);
  ASSERT_TRUE(clean.ok()) << clean.status().ToString();
  EXPECT_TRUE(clean->card["warnings"].empty()) << clean->card["warnings"].dump(1);
  EXPECT_TRUE(clean->card["suspects"].empty());
  EXPECT_NE(std::find(clean->encoder.feature_names.begin(), clean->encoder.feature_names.end(), "Lead Number"),
            clean->encoder.feature_names.end());
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
  EXPECT_EQ(card["suspects"], json::array()) << card["warnings"].dump(1);
  // `duration` is known only after the call: kept in, it is named as a suspect.
  auto leaky = TrainTabular(*t, ParseMapping({{"label", "y"}, {"folds", 3}}, *t).value(), TrainParams{});
  ASSERT_TRUE(leaky.ok()) << leaky.status().ToString();
  std::printf("bank-marketing with duration: CV AUC %.4f, warnings %s\n", leaky->card["cross_validation"]["auc"].get<double>(),
              leaky->card["warnings"].dump().c_str());
  const json& suspects = leaky->card["suspects"];
  EXPECT_NE(std::find(suspects.begin(), suspects.end(), json("duration")), suspects.end()) << leaky->card["warnings"].dump(1);
}

}  // namespace
}  // namespace keel::ai
