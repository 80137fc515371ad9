// The AI service of a Keel process: trains a lead-conversion and a deal-win model per tenant
// (XGBoost on as-of features, time-based holdout, model cards, promotion only when not worse,
// rollback), keeps a score 0-100 with a band and plain zh/en reasons (exact SHAP) for every
// open lead and deal — recomputed when the record or its activities change and in a nightly
// batch — and trains models on foreign CSV tables. One worker thread runs jobs and rescoring;
// every public method is thread-safe. Errors are Status values with zh/en messages.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "ai/actions.h"
#include "ai/features.h"
#include "ai/model.h"
#include "ai/xgb.h"
#include "common/time.h"
#include "common/status.h"
#include "domain/records.h"
#include "store/database.h"

namespace keel::ai {

struct AiOptions {
  ActionOptions actions;
  int64_t min_per_class = 100;  // fewer resolved records of either class: no model, no score
  TrainParams params;
  int nightly_hour = 2;         // local hour of the nightly rescoring batch
  double holdout = 0.2;         // the latest share of resolved records kept for evaluation
  double promote_tolerance = 0.002;  // a new version may be this much below the current AUC
  // The worker's periodic work: the nightly rescoring batch and drift check, hourly planning of
  // next best actions. Tests that drive these by hand turn it off.
  bool periodic = true;
  // Uploaded CSV datasets: larger is 413 ai.dataset_too_large, more rows or columns 422
  // ai.dataset_too_many_rows / ai.dataset_too_many_columns.
  size_t dataset_max_bytes = 16u << 20;
  size_t dataset_max_rows = 200000;
  size_t dataset_max_columns = 200;
  size_t predict_max_rows = 50000;
  // Training jobs waiting or running: per tenant (409 ai.job_running names the one in the way)
  // and on the server (503 ai.jobs_busy). A queued job's status says how many are ahead of it.
  int jobs_per_tenant = 1;
  int jobs_total = 16;
};

// One score with its reasons, as stored.
struct Score {
  int64_t record_id = 0;
  int model_version = 0;
  double probability = 0;
  int score = 0;
  std::string band;
  // Free-form: the explanation document {base, positive: [{feature, points, value, text_zh, text_en}], negative}.
  nlohmann::json reasons;
};

class AiService {
 public:
  AiService(store::Database& db, domain::RecordService& records, const Clock& clock, AiOptions options = {});
  ~AiService();
  AiService(const AiService&) = delete;
  AiService& operator=(const AiService&) = delete;

  // The worker: queued jobs, event-driven rescoring (Notify), the nightly batch.
  void Start();
  void Stop();
  // A commit appended events for `tenant` (the database commit hook); cheap.
  void Notify(int64_t tenant);
  // Blocks until every queued job and notification has been handled (tests, CLI).
  bool WaitIdle(int64_t timeout_ms);

  // Whether `p` may train, roll back and upload datasets (admin, hq_ops).
  static bool MayManage(const domain::Principal& p);

  // ---- Models ----
  // Queues training of `target` ("lead"/"opportunity"); returns the job (202). Admin, hq_ops.
  Result<JobView> StartTraining(const domain::Principal& p, const std::string& target);
  // Trains now on the calling thread (CLI, demo, tests); returns the new version's summary.
  // Errors: "ai.not_enough_data" (with the counts), "ai.target".
  Result<TrainResult> Train(int64_t tenant, Target target, int64_t actor = 0,
                               const std::function<void(double, const std::string&)>& progress = {});
  // Versions with their cards, newest first; says plainly when there is no model yet and why.
  Result<ModelVersions> Models(const domain::Principal& p, const std::string& target);
  // The card of one version with its status. Free-form: the card is a document the model writes
  // about itself when it is trained (data, holdout evaluation, bands, reference population …).
  Result<nlohmann::json> ModelCard(const domain::Principal& p, const std::string& target, int version);
  // Makes `version` (or the one active before the current) the active model and rescores.
  Result<RollbackResult> Rollback(const domain::Principal& p, const std::string& target, int version = 0);

  // Monitoring of the active model: feature and score PSI of today's open records against the
  // population scored when it was trained, the current band distribution, realised success by
  // band per month (each resolved record scored as it stood 7 days before), and the daily
  // drift history.
  Result<MonitoringView> Monitoring(const domain::Principal& p, const std::string& target);
  // Computes today's drift for the tenant's active models, records it, and raises a
  // "model.drift" alert for HQ when a PSI passes 0.2 (also run daily by the worker).
  Result<std::map<std::string, DriftSummary>> CheckDrift(int64_t tenant);  // by target

  // ---- Scores ----
  // The stored score of a record the caller may see (404 when it may not), with reasons.
  Result<ScoreView> ScoreOf(const domain::Principal& p, const std::string& target, int64_t id);
  // Scores every open record of the target with the active model; returns how many.
  Result<int64_t> ScoreAll(int64_t tenant, Target target);
  // Scores the given records now (exact SHAP); records without a model are skipped.
  Result<std::vector<Score>> ScoreRecords(int64_t tenant, Target target, const std::vector<int64_t>& ids);

  // Signal alerts go to this engine (optional; must outlive the service).
  void SetAlerts(alerts::AlertEngine* alerts);

  // ---- Recommendations ----
  // Runs the next-best-action rules for the tenant now (also hourly on the worker); admin and
  // hq_ops through the API. Returns counts per rule.
  Result<PlanCounts> PlanActions(const domain::Principal& p);
  Result<PlanCounts> PlanActions(int64_t tenant);
  // B2B customers most like the best won customers, with why (lookalike.h), within the caller's
  // visible customers; the index is rebuilt at most hourly per tenant.
  Result<LookalikeList> Lookalikes(const domain::Principal& p, int limit = 20);
  // The external signals (news, tenders, social posts, reviews) about a customer the caller
  // can see, newest first.
  Result<std::vector<SignalItem>> Signals(const domain::Principal& p, int64_t customer_id, int limit = 50);
  // The caller's prioritised open tasks with reasons (the rep's "today" list).
  Result<TodayList> Today(const domain::Principal& p, int limit = 50);
  // Best hours of the week to call a customer or lead the caller may see ("customers"/"leads");
  // see contact_time.h. Call statistics are cached per tenant for an hour.
  Result<ContactTime> BestContactTime(const domain::Principal& p, const std::string& entity, int64_t id);

  // ---- Jobs ----
  Result<JobView> Job(const domain::Principal& p, int64_t id);

  // ---- Foreign tables ----
  // Stores an uploaded CSV and returns its profile (types, missing, top values, identifiers)
  // and suggestions. Bytes that are not UTF-8 are converted (GB18030/GBK, UTF-16 with a BOM,
  // or `encoding` when the sender names it: 400 text.encoding / text.undecodable).
  Result<DatasetView> CreateDataset(const domain::Principal& p, const std::string& name, std::string_view csv,
                                    const std::string& encoding = {});
  Result<DatasetView> Dataset(const domain::Principal& p, int64_t id);
  Result<std::vector<DatasetSummary>> Datasets(const domain::Principal& p);
  // Queues training on a dataset with a column mapping (tabular.h Mapping); the job's result
  // is the model card (cross-validated and holdout AUC …). `mapping` stays the request's JSON:
  // ParseMapping reads it against the dataset's columns, so its errors keep their order and
  // field paths (exclude[2], types.<column>).
  Result<JobView> StartDatasetTraining(const domain::Principal& p, int64_t id, const nlohmann::json& mapping);
  // The features a lead or deal model reads (the declared ones, then the tenant's custom fields
  // that are AI features): what a dataset model's columns can be mapped to.
  Result<std::vector<FeatureDef>> Features(const domain::Principal& p, const std::string& target);
  // Every trained version of the dataset's model, newest first.
  Result<std::vector<DatasetModelView>> DatasetModels(const domain::Principal& p, int64_t id);
  // Scores rows with a version of the dataset's model (0: the newest): `csv` (a header row;
  // same encodings as an upload) or, when `csv` is empty, `rows` (JSON objects column → value).
  // At most AiOptions::predict_max_rows rows. Errors: "ai.no_model" (404-like: not trained),
  // "ai.no_columns" (none of the model's columns are in the rows), validation errors naming
  // the row.
  Result<DatasetPrediction> PredictDataset(const domain::Principal& p, int64_t id, int version, std::string_view csv,
                                           const nlohmann::json& rows);
  // Makes a version of the dataset's model score the tenant's leads or deals: `mapping` names,
  // for each model column, the lead/deal feature (FeatureDefs, custom fields included) whose
  // value stands for it. It becomes the target's active model version (rollback restores the
  // previous one) and every open record is rescored. Errors name the mapping's field.
  Result<TrainResult> PromoteDatasetModel(const domain::Principal& p, int64_t id, int version, const std::string& target,
                                          const nlohmann::json& mapping);

  struct Stats {
    int64_t rescored = 0, batches = 0, jobs = 0, signals = 0;
  };
  Stats stats() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace keel::ai
