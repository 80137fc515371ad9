// What the AI service takes and returns (智能服务的视图): jobs, model versions, scores, datasets,
// monitoring, recommendations. ai/json.h writes them as the API serves them. A few members stay
// JSON documents on purpose, each marked where it is declared: a model card and a drift report
// are documents the model writes about itself (stored and served as they are), a job's result is
// whichever of those documents its kind produces.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace keel::ai {

// A background job (后台任务): training a model or a dataset.
struct JobView {
  int64_t id = 0;
  std::string kind;  // train, dataset
  std::optional<std::string> target;
  std::string status;  // queued, running, done, failed
  double progress = 0;
  std::optional<std::string> message;
  // Free-form: when done, the train result or dataset card; when failed, {code, message, …}.
  nlohmann::json result;
  std::string created_at;
  std::optional<std::string> started_at, finished_at;
  std::optional<int64_t> queue_position;  // queued: jobs (of any company) ahead of it
  bool full = true;  // false: a just-queued job, written with its six first fields only
};

// A trained version (Train): the version, whether it went live, and its card.
struct TrainResult {
  int version = 0;
  std::string status;  // active, rejected
  nlohmann::json holdout_auc;  // the card's holdout AUC (a number; null when not computed)
  int64_t scored = 0;
  nlohmann::json card;  // free-form: the model card, a document the model writes about itself
};

struct ModelVersion {
  int version = 0;
  std::string status;  // active, rejected, retired
  std::string created_at;
  std::optional<std::string> activated_at;
  nlohmann::json holdout_auc;
  nlohmann::json card;  // free-form: the model card
};
// A kind's versions, newest first; without an active one, why there is no score.
struct ModelVersions {
  std::string target;
  std::optional<int> active_version;
  std::vector<ModelVersion> versions;
  std::optional<std::string> message, message_zh;
  std::optional<nlohmann::json> last_failure;  // free-form: the failed job's result
};

struct RollbackResult {
  std::string target;
  int active_version = 0;
  int64_t scored = 0;
};

// A record's score with its reasons; without a score, why (`message`).
struct ScoreView {
  int64_t record_id = 0;
  std::string target;
  std::optional<int64_t> score;
  int64_t model_version = 0;
  double probability = 0;
  std::string band, computed_at;
  // The reasons as stored: {base, positive: [{feature, points, value, text_zh, text_en}], negative}.
  // Free-form: the explanation document written when the record was scored.
  nlohmann::json reasons;
  std::vector<std::string> summary;  // the reasons in the reader's language
  std::string message, message_zh;
};

// Monitoring of the active model.
struct DriftDay {
  std::string day;
  int model_version = 0;
  double max_psi = 0;
};
struct MonitoringView {
  std::string target;
  int model_version = 0;
  nlohmann::json drift;            // free-form: the drift report (drift.h CompareToReference)
  std::map<std::string, int> bands_now;
  nlohmann::json band_thresholds;  // the card's bands
  nlohmann::json realised_by_band;  // [{month, in_training_data, <band>: {records, rate}}]
  std::vector<DriftDay> history;
};
// The daily drift check of one kind of model.
struct DriftSummary {
  int model_version = 0;
  double max_psi = 0;
  nlohmann::json drifted;  // the drifted features' names
};

// An external signal about a customer.
struct SignalItem {
  int64_t id = 0;
  std::string kind, source, title;
  std::optional<std::string> body, url;
  std::optional<double> sentiment;
  std::string occurred_at;
};

// What one next-best-action rule found and did in a run.
struct RuleCounts {
  int found = 0, created = 0, refreshed = 0;
};
using PlanCounts = std::map<std::string, RuleCounts>;  // by rule
struct SignalOutcome {
  int alerts = 0, tasks = 0;
};

// One entry of the rep's "today" list.
struct TodayItem {
  int64_t task_id = 0;
  std::string title, priority;
  std::optional<std::string> due_at;
  bool overdue = false;
  std::string source;
  std::optional<std::string> rule;
  double expected_value = 0;
  std::string why, why_zh, why_en;
  std::optional<std::string> related_entity;
  std::optional<int64_t> related_id;
};
struct TodayList {
  std::vector<TodayItem> items;
  int64_t total = 0;
};

// An uploaded dataset.
struct DatasetView {
  int64_t id = 0;
  std::string name;
  int64_t rows = 0;
  nlohmann::json columns;    // each column's profile (tabular.h ColumnProfile::ToJson)
  nlohmann::json suggested;  // {label, exclude, left_out: [{column, reason, message, message_zh}]}
  nlohmann::json card;       // free-form: the last model card, null before training
  std::string created_at;
  nlohmann::json file;       // {encoding, dropped_columns, renamed_columns} (tabular.h Table::FileJson)
  int versions = 0;          // trained model versions
};
// One trained version of a dataset's model (every training keeps its own).
struct DatasetModelView {
  int version = 0;
  std::string created_at;
  nlohmann::json card;  // free-form: the model card
  // Where it scores, once an admin promoted it: "lead"/"opportunity" and the model version
  // it became there.
  std::optional<std::string> promoted_to;
  std::optional<int> promoted_version;
};
// Rows scored by a dataset model: each row's probability, 0-100 score and reasons whose points
// add up to score − base (the last reason, "other factors", takes what the top ones leave).
struct PredictedRow {
  int64_t row = 0;   // 1-based position among the rows sent
  int64_t line = 0;  // CSV line (0 for JSON rows)
  double probability = 0;
  int score = 0;
  nlohmann::json reasons;  // {base, positive, negative, other}: the score's explanation document
};
struct DatasetPrediction {
  int64_t dataset_id = 0;
  int version = 0;
  std::vector<std::string> missing_columns;  // the model's columns the rows do not have (read as missing)
  std::vector<PredictedRow> rows;
};
struct DatasetSummary {
  int64_t id = 0;
  std::string name;
  int64_t rows = 0;
  std::string created_at;
  bool trained = false;
};

// Best hours to call a customer or lead (contact_time.h).
struct ContactWindow {
  int weekday = 0;  // 1 Monday … 7 Sunday
  int hour = 0;
  std::string label_zh, label_en;
  double rate = 0, lift = 0, own_calls = 0;
};
struct ContactTime {
  std::string entity;
  int64_t id = 0;
  std::string time_zone;
  std::vector<ContactWindow> windows;   // the best hours of the week
  std::vector<int> best_hours;          // of a working day, among hours with evidence
  std::vector<double> by_hour_weekdays;  // answer rate by hour 0-23 on working days
  double rate_overall = 0;
  double own_calls = 0, owner_calls = 0, segment_calls = 0, tenant_calls = 0;  // the evidence
};

// A customer most like the best won customers (lookalike.h).
struct Lookalike {
  int64_t customer_id = 0;
  std::string name;
  int64_t owner_id = 0;
  double similarity = 0;  // 0…1
  struct Like {
    int64_t id = 0;
    std::string name;
    double won_amount = 0;
  };
  std::optional<Like> like;  // the best customer it resembles; none when the reader may not see it
  std::vector<std::string> reasons;  // in the reader's language
  std::vector<std::string> reasons_zh, reasons_en;
};
struct LookalikeList {
  std::vector<Lookalike> items;
  int64_t best_customers = 0, candidates = 0;
};

}  // namespace keel::ai
