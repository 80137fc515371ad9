// The AI part's repository (智能存储): every statement the AI files run — its own tables
// (ai_models, ai_scores, ai_jobs, ai_datasets, ai_state, ai_actions, ai_drift) and the reads of
// records, activities, signals and orders the features, rules, contact times and look-alikes are
// computed from. Rows come back as structs read by column name; JSON documents stored in a
// column (cards, specs, reasons, profiles) stay text here and are parsed by the caller. Each
// function runs on the caller's connection (inside the caller's transaction when there is one)
// and returns the store's Status on failure; nothing here checks permissions. Lists of ids are
// queried in chunks of 400; an empty list means every row of the tenant.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "store/database.h"

namespace keel::ai::repo {

using Conn = store::Connection;

// ---- ai_models (a target is "lead" or "opportunity")

struct ModelRow {
  int version = 0;
  std::string status;  // active, rejected, retired
  std::string card;    // JSON text (empty when not read)
  std::string spec;    // JSON text (LoadActiveModel only)
  std::string model;   // base64url booster (LoadActiveModel only)
  std::string created_at;
  std::optional<std::string> activated_at;
};

// The active version, 0 when there is none.
Result<int> ActiveVersion(Conn& conn, int64_t tenant, const std::string& target);
// The active model with its card, spec and booster.
Result<std::optional<ModelRow>> LoadActiveModel(Conn& conn, int64_t tenant, const std::string& target);
// Every version with its card, newest first.
Result<std::vector<ModelRow>> ModelVersions(Conn& conn, int64_t tenant, const std::string& target);
// Every version's number and status (no card), newest first.
Result<std::vector<ModelRow>> VersionStatuses(Conn& conn, int64_t tenant, const std::string& target);
// One version's status and card.
Result<std::optional<ModelRow>> LoadModelCard(Conn& conn, int64_t tenant, const std::string& target, int version);
// The highest version number (0 when none).
Result<int> MaxVersion(Conn& conn, int64_t tenant, const std::string& target);
// The active version becomes retired.
Status RetireActive(Conn& conn, int64_t tenant, const std::string& target);
Status ActivateVersion(Conn& conn, int64_t tenant, const std::string& target, int version, const std::string& now);
struct NewModel {
  int version = 0;
  std::string status, card, spec, model, created_at;
  std::optional<int64_t> created_by;
  std::optional<std::string> activated_at;
};
Status InsertModel(Conn& conn, int64_t tenant, const std::string& target, const NewModel& m);

// ---- tenants and the nightly batch (ai_state)

struct ModelledTenant {
  int64_t tenant_id = 0;
  std::string time_zone;
  std::string batch_day;  // the last nightly batch's local day, "" before the first
};
// Active tenants' ids.
Result<std::vector<int64_t>> ActiveTenants(Conn& conn);
// Tenants with at least one active model.
Result<std::vector<ModelledTenant>> ModelledTenants(Conn& conn);
// The tenant's time zone, nullopt for an unknown tenant.
Result<std::optional<std::string>> TenantTimeZone(Conn& conn, int64_t tenant);
// Records the nightly batch of `day` (scored_seq only on the first row).
Status SetBatchDay(Conn& conn, int64_t tenant, int64_t scored_seq, const std::string& day, const std::string& now);

// ---- ai_scores and the records' computed columns

struct ScoreRow {
  int64_t record_id = 0;
  int model_version = 0;
  double probability = 0;
  int64_t score = 0;
  std::string band;
  std::string reasons;  // JSON text
  std::string computed_at;
};
// Stores the score and the record's own computed column (leads.score, 0-100;
// opportunities.win_probability, `column_value`). No event: a score is not a business fact.
Status WriteScore(Conn& conn, int64_t tenant, const std::string& target, const ScoreRow& s, int64_t owner_id, double column_value);
Result<std::optional<ScoreRow>> LoadScore(Conn& conn, int64_t tenant, const std::string& target, int64_t record_id);
// Every scored record's probability.
struct Probability {
  int64_t record_id = 0;
  double probability = 0;
};
Result<std::vector<Probability>> Probabilities(Conn& conn, int64_t tenant, const std::string& target);

// ---- ai_jobs

struct JobRow {
  int64_t id = 0;
  std::string kind;
  std::optional<std::string> target;
  std::string status;
  double progress = 0;
  std::optional<std::string> message, result;  // result: JSON text
  std::string created_at;
  std::optional<std::string> started_at, finished_at;
};
// The tenant's queued or running jobs' ids, oldest first.
Result<std::vector<int64_t>> UnfinishedJobs(Conn& conn, int64_t tenant);
// Queued or running jobs of every tenant.
Result<int64_t> CountUnfinishedJobs(Conn& conn);
Status InsertJob(Conn& conn, int64_t tenant, int64_t id, const std::string& kind, const std::string& target, const std::string& now,
                 std::optional<int64_t> created_by);
// Moves a job: `message` and `result` replace the stored ones when given; started_at and
// finished_at are set once.
struct JobUpdate {
  std::string status;
  double progress = 0;
  std::optional<std::string> message, result, started_at, finished_at;
};
Status UpdateJob(Conn& conn, int64_t tenant, int64_t id, const JobUpdate& u);
// Jobs queued or running when the server stopped fail with a message saying so.
Status FailInterruptedJobs(Conn& conn, const std::string& now);
Result<std::optional<JobRow>> LoadJob(Conn& conn, int64_t tenant, int64_t id);
// Jobs (of any tenant) running or queued before `id`.
Result<int64_t> JobsAhead(Conn& conn, int64_t id);
// The result (JSON text) of the last failed training of `target`.
Result<std::optional<std::string>> LastFailedTraining(Conn& conn, int64_t tenant, const std::string& target);

// ---- ai_datasets

struct DatasetRow {
  int64_t id = 0;
  std::string name;
  int64_t row_count = 0;
  std::string profile;              // JSON text (LoadDataset)
  std::optional<std::string> card;  // JSON text (LoadDataset)
  bool trained = false;             // Datasets
  std::string created_at;
};
Status InsertDataset(Conn& conn, int64_t tenant, const DatasetRow& d, const std::string& content, std::optional<int64_t> created_by);
Result<std::optional<DatasetRow>> LoadDataset(Conn& conn, int64_t tenant, int64_t id);
// Newest first, without profile and card.
Result<std::vector<DatasetRow>> Datasets(Conn& conn, int64_t tenant);
// The uploaded CSV, nullopt for an unknown dataset.
Result<std::optional<std::string>> DatasetContent(Conn& conn, int64_t tenant, int64_t id);
Status SetDatasetCard(Conn& conn, int64_t tenant, int64_t id, const std::string& card);

// ---- ai_dataset_models (a dataset's trained versions)

struct DatasetModelRow {
  int64_t dataset_id = 0;
  int version = 0;
  std::string card, encoder, model;  // JSON, JSON, base64 (model and encoder: LoadDatasetModel only)
  std::string created_at;
  std::optional<std::string> promoted_to;
  std::optional<int64_t> promoted_version;
};
// The next version is the highest + 1, under the dataset row's lock.
Result<int> InsertDatasetModel(Conn& conn, int64_t tenant, const DatasetModelRow& m, std::optional<int64_t> created_by);
// Newest first, without encoder and model.
Result<std::vector<DatasetModelRow>> DatasetModels(Conn& conn, int64_t tenant, int64_t dataset);
// `version` 0: the newest.
Result<std::optional<DatasetModelRow>> LoadDatasetModel(Conn& conn, int64_t tenant, int64_t dataset, int version);
Status SetDatasetModelPromoted(Conn& conn, int64_t tenant, int64_t dataset, int version, const std::string& target, int model_version);

// ---- ai_drift

struct DriftRow {
  std::string day;
  int model_version = 0;
  double max_psi = 0;
};
Status UpsertDrift(Conn& conn, int64_t tenant, const std::string& target, const DriftRow& d, const std::string& result,
                   const std::string& now);
// The last 90 days, newest first.
Result<std::vector<DriftRow>> DriftHistory(Conn& conn, int64_t tenant, const std::string& target);

// ---- signals and customers' deals

struct SignalRow {
  int64_t id = 0;
  std::string kind, source, title;
  std::optional<std::string> body, url;
  std::optional<double> sentiment;
  std::string occurred_at;
};
// A customer's signals, newest first, at most `limit`.
Result<std::vector<SignalRow>> CustomerSignals(Conn& conn, int64_t tenant, int64_t customer, int limit);
// The customer's open deals' ids.
Result<std::vector<int64_t>> OpenDealsOf(Conn& conn, int64_t tenant, int64_t customer);

// ---- next best actions (ai_actions and the reads of the rules)

struct ActionRow {
  int64_t id = 0;
  std::string task_status;  // "" when the task is gone
  std::string updated_at;
};
// The newest action of a rule on a record.
Result<std::optional<ActionRow>> LatestAction(Conn& conn, int64_t tenant, const std::string& rule, const std::string& entity,
                                              int64_t record_id);
struct ActionText {
  double expected_value = 0;
  std::string reason_zh, reason_en, details;  // details: JSON text
};
// The open action is refreshed in place.
Status RefreshAction(Conn& conn, int64_t tenant, int64_t id, const ActionText& a, const std::string& now);
// An open action takes its task's final status.
Status CloseAction(Conn& conn, int64_t tenant, int64_t id, const std::string& status);
struct NewAction {
  int64_t id = 0;
  std::string rule, entity;
  int64_t record_id = 0, owner_id = 0, task_id = 0;
  ActionText text;
  std::string now;
};
Status InsertAction(Conn& conn, int64_t tenant, const NewAction& a);
// The unit of an active user (nullopt: no such active user).
Result<std::optional<int64_t>> ActiveUserUnit(Conn& conn, int64_t tenant, int64_t user);
// The average amount of won deals (fen), nullopt when there is none.
Result<std::optional<double>> AverageWonAmount(Conn& conn, int64_t tenant);
struct StaleLeadRow {
  int64_t id = 0, owner_id = 0, score = 0;
  std::string title, created_at, band, reasons;
  double probability = 0;
  std::string last_activity;  // "" when none
};
// Open A/B-band scored leads with their last activity.
Result<std::vector<StaleLeadRow>> ScoredOpenLeads(Conn& conn, int64_t tenant);
struct Named {
  int64_t id = 0;
  std::string name;
};
Result<std::vector<Named>> OpenDealNames(Conn& conn, int64_t tenant);
struct NoteRow {
  int64_t opportunity_id = 0;
  std::string notes;
};
// Notes of live activities on deals since `from`.
Result<std::vector<NoteRow>> DealNotesSince(Conn& conn, int64_t tenant, const std::string& from);
struct CoverageRow {
  int64_t id = 0, owner_id = 0;
  std::string name, created_at;
  double revenue_fen = 0;
  std::optional<std::string> last_activity;
};
// B2B customers with paid orders since `from`, their revenue and last activity.
Result<std::vector<CoverageRow>> BuyingCustomers(Conn& conn, int64_t tenant, const std::string& from);
// The tenant's live products' category paths, distinct.
Result<std::vector<std::string>> CategoryPaths(Conn& conn, int64_t tenant);
struct SignalOfCustomer {
  std::string kind, source, title, body;
  int64_t customer_id = 0;
  std::optional<double> sentiment;
  std::string occurred_at;
  std::string customer_name;
  int64_t owner_id = 0, unit_id = 0;
};
// A signal with its customer; nullopt when it is not about a known customer.
Result<std::optional<SignalOfCustomer>> SignalWithCustomer(Conn& conn, int64_t tenant, int64_t signal_id);
// Signals about the customer in [month_from, day_from) and in [day_from, until].
struct SignalCounts {
  double month = 0, day = 0;
};
Result<SignalCounts> CountSignals(Conn& conn, int64_t tenant, int64_t customer, const std::string& month_from,
                                  const std::string& day_from, const std::string& until);
struct OpenDealRow {
  int64_t id = 0, owner_id = 0, unit_id = 0;
  std::string name;
  double amount_fen = 0;
  std::optional<double> probability;
};
Result<std::vector<OpenDealRow>> OpenDealsWithScores(Conn& conn, int64_t tenant, int64_t customer);
struct TodayRow {
  int64_t task_id = 0;
  std::string title, description, priority, source;
  std::optional<std::string> due_at, related_entity, rule, reason_zh, reason_en;
  std::optional<int64_t> related_id;
  std::optional<double> expected_value;
};
// The user's open tasks with their actions.
Result<std::vector<TodayRow>> OpenTasksOf(Conn& conn, int64_t tenant, int64_t user);

// ---- the features' history (features.cc)

struct LeadRecordRow {
  int64_t id = 0, owner_id = 0, unit_id = 0, customer_id = 0;
  std::string source, channel, region, company, status, created_at, first_response_at, converted_at, updated_at;
  bool archived = false;
  std::string custom;  // JSON text, "" when NULL
};
Result<std::vector<LeadRecordRow>> LeadRecords(Conn& conn, int64_t tenant, const std::vector<int64_t>& ids);
struct DealRecordRow {
  int64_t id = 0, owner_id = 0, unit_id = 0, customer_id = 0, amount_fen = 0;
  std::string source, product_category, stage, outcome, created_at, closed_at, expected_close;
  bool archived = false;
  std::string segment, industry, region;  // the customer's
  std::optional<double> discount_pct;
  std::string custom;
};
Result<std::vector<DealRecordRow>> DealRecords(Conn& conn, int64_t tenant, const std::vector<int64_t>& ids);
struct AuditUpdateRow {
  int64_t entity_id = 0;
  std::string at, before, after;  // before/after: JSON text
};
// Update entries of the audit trail of `entity`, by time.
Result<std::vector<AuditUpdateRow>> AuditUpdates(Conn& conn, int64_t tenant, const std::string& entity, const std::vector<int64_t>& ids);
struct StageRow {
  int64_t opportunity_id = 0;
  std::string changed_at, to_stage;
  std::optional<double> amount_fen;
};
Result<std::vector<StageRow>> StageHistory(Conn& conn, int64_t tenant, const std::vector<int64_t>& ids);
struct ActivityRow {
  int64_t record_id = 0;
  std::string occurred_at, kind, outcome, created_at;
  int64_t duration_min = 0;
};
// Live activities on leads (`lead` true) or deals; without ids, every one linked to one.
Result<std::vector<ActivityRow>> RecordActivities(Conn& conn, int64_t tenant, bool lead, const std::vector<int64_t>& ids);
struct SentimentRow {
  int64_t customer_id = 0;
  std::string occurred_at;
  double sentiment = 0;
};
// Signals with a sentiment about the customers (without ids: about any customer).
Result<std::vector<SentimentRow>> SignalSentiments(Conn& conn, int64_t tenant, const std::vector<int64_t>& customers);
struct PurchaseRow {
  int64_t customer_id = 0;
  std::string ordered_at, created_at;
  double total_fen = 0, discount_fen = 0;
};
// Paid and refunded orders of the customers (a non-empty list).
Result<std::vector<PurchaseRow>> Purchases(Conn& conn, int64_t tenant, const std::vector<int64_t>& customers);
struct CustomRow {
  int64_t id = 0;
  std::string custom;
};
// Customers' custom values (those that have some).
Result<std::vector<CustomRow>> CustomerCustom(Conn& conn, int64_t tenant, const std::vector<int64_t>& customers);
struct OutcomeRow {
  int64_t owner_id = 0;
  bool success = false;
  std::string resolved_at;
};
// Every resolved lead (`lead`) or deal: owner, success and when.
Result<std::vector<OutcomeRow>> OwnerOutcomeRows(Conn& conn, int64_t tenant, bool lead);

// ---- contact times

struct CallRow {
  std::string occurred_at, outcome;
  int64_t owner_id = 0;
  std::optional<std::string> segment;
};
// Every live call with an outcome, with its owner and its customer's segment.
Result<std::vector<CallRow>> TenantCalls(Conn& conn, int64_t tenant);
struct OwnerSegment {
  int64_t owner_id = 0;
  std::optional<std::string> segment;
};
// A lead's owner, or a customer's owner and segment.
Result<std::optional<OwnerSegment>> RecordOwner(Conn& conn, int64_t tenant, bool lead, int64_t id);
// The live calls with an outcome on one lead or customer.
Result<std::vector<CallRow>> RecordCalls(Conn& conn, int64_t tenant, bool lead, int64_t id);

// ---- look-alikes

struct B2bCustomerRow {
  int64_t id = 0, owner_id = 0;
  std::string name, segment, industry, region;
};
Result<std::vector<B2bCustomerRow>> B2bCustomers(Conn& conn, int64_t tenant);
struct OrderStatsRow {
  int64_t customer_id = 0;
  double orders = 0, revenue_fen = 0;
  std::string last_order;
};
// Paid orders since `from` per customer.
Result<std::vector<OrderStatsRow>> OrderStats(Conn& conn, int64_t tenant, const std::string& from);
struct CountRow {
  int64_t customer_id = 0;
  double count = 0, amount_fen = 0;
};
// Distinct categories bought since `from` per customer.
Result<std::vector<CountRow>> CategoriesBought(Conn& conn, int64_t tenant, const std::string& from);
// Live activities since `from` per customer.
Result<std::vector<CountRow>> ActivityCounts(Conn& conn, int64_t tenant, const std::string& from);
// Won deals per customer: count and amount.
Result<std::vector<CountRow>> WonDeals(Conn& conn, int64_t tenant);

}  // namespace keel::ai::repo
