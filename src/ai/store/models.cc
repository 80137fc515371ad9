// The AI repository's own tables: models, scores, jobs, datasets, drift and the nightly state.
#include "ai/store.h"

namespace keel::ai::repo {
namespace {

using store::Nullable;
using store::Value;

ModelRow ModelOf(const store::Row& r, bool card, bool dates) {
  ModelRow m;
  m.version = static_cast<int>(r.Int("version"));
  m.status = r.Text("status");
  if (card) m.card = r.Text("card");
  if (dates) {
    m.created_at = r.Text("created_at");
    m.activated_at = r.OptText("activated_at");
  }
  return m;
}

DatasetModelRow DatasetModelOf(const store::Row& r, int64_t dataset, bool full) {
  DatasetModelRow m;
  m.dataset_id = dataset;
  m.version = static_cast<int>(r.Int("version"));
  m.card = r.Text("card");
  if (full) {
    m.encoder = r.Text("encoder");
    m.model = r.Text("model");
  }
  m.created_at = r.Text("created_at");
  m.promoted_to = r.OptText("promoted_to");
  m.promoted_version = r.OptInt("promoted_version");
  return m;
}

}  // namespace

Result<int> ActiveVersion(Conn& conn, int64_t tenant, const std::string& target) {
  Value q[] = {tenant, target};
  KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query(
      "SELECT version FROM ai_models WHERE tenant_id = ? AND target = ? AND status = 'active'", q));
  return rows.empty() ? 0 : static_cast<int>(rows.row(0).Int("version"));
}

Result<std::optional<ModelRow>> LoadActiveModel(Conn& conn, int64_t tenant, const std::string& target) {
  Value q[] = {tenant, target};
  KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query(
      "SELECT version, card, spec, model FROM ai_models WHERE tenant_id = ? AND target = ? AND status = 'active'", q));
  if (rows.empty()) return std::optional<ModelRow>();
  store::Row r = rows.row(0);
  ModelRow m;
  m.version = static_cast<int>(r.Int("version"));
  m.status = "active";
  m.card = r.Text("card");
  m.spec = r.Text("spec");
  m.model = r.Text("model");
  return std::optional<ModelRow>(std::move(m));
}

Result<std::vector<ModelRow>> ModelVersions(Conn& conn, int64_t tenant, const std::string& target) {
  Value q[] = {tenant, target};
  KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query(
      "SELECT version, status, card, created_at, activated_at FROM ai_models WHERE tenant_id = ? AND target = ? ORDER BY version DESC", q));
  std::vector<ModelRow> out;
  for (store::Row r : rows) out.push_back(ModelOf(r, true, true));
  return out;
}

Result<std::vector<ModelRow>> VersionStatuses(Conn& conn, int64_t tenant, const std::string& target) {
  Value q[] = {tenant, target};
  KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query(
      "SELECT version, status FROM ai_models WHERE tenant_id = ? AND target = ? ORDER BY version DESC", q));
  std::vector<ModelRow> out;
  for (store::Row r : rows) out.push_back(ModelOf(r, false, false));
  return out;
}

Result<std::optional<ModelRow>> LoadModelCard(Conn& conn, int64_t tenant, const std::string& target, int version) {
  Value q[] = {tenant, target, int64_t{version}};
  KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query(
      "SELECT version, status, card FROM ai_models WHERE tenant_id = ? AND target = ? AND version = ?", q));
  if (rows.empty()) return std::optional<ModelRow>();
  return std::optional<ModelRow>(ModelOf(rows.row(0), true, false));
}

Result<int> MaxVersion(Conn& conn, int64_t tenant, const std::string& target) {
  Value q[] = {tenant, target};
  KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query(
      "SELECT COALESCE(MAX(version), 0) AS version FROM ai_models WHERE tenant_id = ? AND target = ?", q));
  return static_cast<int>(rows.row(0).Int("version"));
}

Status RetireActive(Conn& conn, int64_t tenant, const std::string& target) {
  Value q[] = {tenant, target};
  return conn.Exec("UPDATE ai_models SET status = 'retired' WHERE tenant_id = ? AND target = ? AND status = 'active'", q).status();
}

Status ActivateVersion(Conn& conn, int64_t tenant, const std::string& target, int version, const std::string& now) {
  Value q[] = {now, tenant, target, int64_t{version}};
  return conn.Exec("UPDATE ai_models SET status = 'active', activated_at = ? WHERE tenant_id = ? AND target = ? AND version = ?", q)
      .status();
}

Status InsertModel(Conn& conn, int64_t tenant, const std::string& target, const NewModel& m) {
  Value q[] = {tenant, target, int64_t{m.version}, m.status, m.card, m.spec, m.model, m.created_at, Nullable(m.created_by),
               Nullable(m.activated_at)};
  return conn.Exec("INSERT INTO ai_models (tenant_id, target, version, status, card, spec, model, created_at, created_by, "
                   "activated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", q).status();
}

Result<std::vector<int64_t>> ActiveTenants(Conn& conn) {
  KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query("SELECT id FROM tenants WHERE status = 'active'"));
  std::vector<int64_t> out;
  for (store::Row r : rows) out.push_back(r.Int("id"));
  return out;
}

Result<std::vector<ModelledTenant>> ModelledTenants(Conn& conn) {
  KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query(
      "SELECT DISTINCT m.tenant_id, t.time_zone, s.batch_day FROM ai_models m JOIN tenants t ON t.id = m.tenant_id "
      "LEFT JOIN ai_state s ON s.tenant_id = m.tenant_id WHERE m.status = 'active'"));
  std::vector<ModelledTenant> out;
  for (store::Row r : rows) out.push_back({r.Int("tenant_id"), r.Text("time_zone"), r.Text("batch_day")});
  return out;
}

Result<std::optional<std::string>> TenantTimeZone(Conn& conn, int64_t tenant) {
  Value q[] = {tenant};
  KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query("SELECT time_zone FROM tenants WHERE id = ?", q));
  if (rows.empty()) return std::optional<std::string>();
  return std::optional<std::string>(rows.row(0).Text("time_zone"));
}

Status SetBatchDay(Conn& conn, int64_t tenant, int64_t scored_seq, const std::string& day, const std::string& now) {
  Value q[] = {tenant, scored_seq, day, now};
  return conn.Exec("INSERT INTO ai_state (tenant_id, scored_seq, batch_day, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT "
                   "(tenant_id) DO UPDATE SET batch_day = excluded.batch_day, updated_at = excluded.updated_at", q).status();
}

Status WriteScore(Conn& conn, int64_t tenant, const std::string& target, const ScoreRow& s, int64_t owner_id, double column_value) {
  Value row[] = {tenant, target, s.record_id, int64_t{s.model_version}, s.probability, s.score, s.band, s.reasons, owner_id,
                 s.computed_at};
  KEEL_RETURN_IF_ERROR(conn.Exec(
      "INSERT INTO ai_scores (tenant_id, target, record_id, model_version, probability, score, band, reasons, owner_id, "
      "computed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (tenant_id, target, record_id) DO UPDATE SET "
      "model_version = excluded.model_version, probability = excluded.probability, score = excluded.score, "
      "band = excluded.band, reasons = excluded.reasons, owner_id = excluded.owner_id, computed_at = excluded.computed_at",
      row).status());
  Value col[] = {column_value, tenant, s.record_id};
  return conn.Exec(target == "lead" ? "UPDATE leads SET score = ? WHERE tenant_id = ? AND id = ?"
                                    : "UPDATE opportunities SET win_probability = ? WHERE tenant_id = ? AND id = ?",
                   col).status();
}

Result<std::optional<ScoreRow>> LoadScore(Conn& conn, int64_t tenant, const std::string& target, int64_t record_id) {
  Value q[] = {tenant, target, record_id};
  KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query(
      "SELECT model_version, probability, score, band, reasons, computed_at FROM ai_scores WHERE tenant_id = ? AND target = ? "
      "AND record_id = ?", q));
  if (rows.empty()) return std::optional<ScoreRow>();
  store::Row r = rows.row(0);
  return std::optional<ScoreRow>(ScoreRow{record_id, static_cast<int>(r.Int("model_version")), r.Double("probability"), r.Int("score"),
                                          r.Text("band"), r.Text("reasons"), r.Text("computed_at")});
}

Result<std::vector<Probability>> Probabilities(Conn& conn, int64_t tenant, const std::string& target) {
  Value q[] = {tenant, target};
  KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query("SELECT record_id, probability FROM ai_scores WHERE tenant_id = ? AND target = ?", q));
  std::vector<Probability> out;
  for (store::Row r : rows) out.push_back({r.Int("record_id"), r.Double("probability")});
  return out;
}

Result<std::vector<int64_t>> UnfinishedJobs(Conn& conn, int64_t tenant) {
  Value q[] = {tenant};
  KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query(
      "SELECT id FROM ai_jobs WHERE tenant_id = ? AND status IN ('queued', 'running') ORDER BY id", q));
  std::vector<int64_t> out;
  for (store::Row r : rows) out.push_back(r.Int("id"));
  return out;
}

Result<int64_t> CountUnfinishedJobs(Conn& conn) {
  KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query("SELECT COUNT(*) AS n FROM ai_jobs WHERE status IN ('queued', 'running')"));
  return rows.row(0).Int("n");
}

Status InsertJob(Conn& conn, int64_t tenant, int64_t id, const std::string& kind, const std::string& target, const std::string& now,
                 std::optional<int64_t> created_by) {
  Value q[] = {tenant, id, kind, target, now, Nullable(created_by)};
  return conn.Exec("INSERT INTO ai_jobs (tenant_id, id, kind, target, status, progress, created_at, created_by) "
                   "VALUES (?, ?, ?, ?, 'queued', 0, ?, ?)", q).status();
}

Status UpdateJob(Conn& conn, int64_t tenant, int64_t id, const JobUpdate& u) {
  Value q[] = {u.status, u.progress, Nullable(u.message), Nullable(u.result), Nullable(u.started_at), Nullable(u.finished_at), tenant, id};
  return conn.Exec("UPDATE ai_jobs SET status = ?, progress = ?, message = COALESCE(?, message), result = COALESCE(?, result), "
                   "started_at = COALESCE(started_at, ?), finished_at = COALESCE(?, finished_at) WHERE tenant_id = ? AND id = ?",
                   q).status();
}

Status FailInterruptedJobs(Conn& conn, const std::string& now) {
  Value q[] = {now};
  return conn.Exec("UPDATE ai_jobs SET status = 'failed', message = 'interrupted: the server restarted before it finished', "
                   "finished_at = ? WHERE status IN ('queued', 'running')", q).status();
}

Result<std::optional<JobRow>> LoadJob(Conn& conn, int64_t tenant, int64_t id) {
  Value q[] = {tenant, id};
  KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query(
      "SELECT kind, target, status, progress, message, result, created_at, started_at, finished_at FROM ai_jobs WHERE tenant_id = ? "
      "AND id = ?", q));
  if (rows.empty()) return std::optional<JobRow>();
  store::Row r = rows.row(0);
  return std::optional<JobRow>(JobRow{id, r.Text("kind"), r.OptText("target"), r.Text("status"), r.Double("progress"), r.OptText("message"),
                                      r.OptText("result"), r.Text("created_at"), r.OptText("started_at"), r.OptText("finished_at")});
}

Result<int64_t> JobsAhead(Conn& conn, int64_t id) {
  Value q[] = {id};
  KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query(
      "SELECT COUNT(*) AS n FROM ai_jobs WHERE status = 'running' OR (status = 'queued' AND id < ?)", q));
  return rows.row(0).Int("n");
}

Result<std::optional<std::string>> LastFailedTraining(Conn& conn, int64_t tenant, const std::string& target) {
  Value q[] = {tenant, target};
  KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query(
      "SELECT result FROM ai_jobs WHERE tenant_id = ? AND target = ? AND kind = 'train' AND status = 'failed' ORDER BY id DESC LIMIT 1", q));
  if (rows.empty()) return std::optional<std::string>();
  return std::optional<std::string>(rows.row(0).Text("result"));
}

Status InsertDataset(Conn& conn, int64_t tenant, const DatasetRow& d, const std::string& content, std::optional<int64_t> created_by) {
  Value q[] = {tenant, d.id, d.name, d.row_count, d.profile, content, d.created_at, Nullable(created_by)};
  return conn.Exec("INSERT INTO ai_datasets (tenant_id, id, name, row_count, profile, content, created_at, created_by) "
                   "VALUES (?, ?, ?, ?, ?, ?, ?, ?)", q).status();
}

Result<std::optional<DatasetRow>> LoadDataset(Conn& conn, int64_t tenant, int64_t id) {
  Value q[] = {tenant, id};
  KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query(
      "SELECT name, row_count, profile, card, created_at FROM ai_datasets WHERE tenant_id = ? AND id = ?", q));
  if (rows.empty()) return std::optional<DatasetRow>();
  store::Row r = rows.row(0);
  DatasetRow d;
  d.id = id;
  d.name = r.Text("name");
  d.row_count = r.Int("row_count");
  d.profile = r.Text("profile");
  d.card = r.OptText("card");
  d.trained = d.card.has_value();
  d.created_at = r.Text("created_at");
  return std::optional<DatasetRow>(std::move(d));
}

Result<std::vector<DatasetRow>> Datasets(Conn& conn, int64_t tenant) {
  Value q[] = {tenant};
  KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query(
      "SELECT id, name, row_count, created_at, CASE WHEN card IS NULL THEN 0 ELSE 1 END AS trained FROM ai_datasets WHERE tenant_id = ? "
      "ORDER BY id DESC", q));
  std::vector<DatasetRow> out;
  for (store::Row r : rows) {
    DatasetRow d;
    d.id = r.Int("id");
    d.name = r.Text("name");
    d.row_count = r.Int("row_count");
    d.created_at = r.Text("created_at");
    d.trained = r.Bool("trained");
    out.push_back(std::move(d));
  }
  return out;
}

Result<std::optional<std::string>> DatasetContent(Conn& conn, int64_t tenant, int64_t id) {
  Value q[] = {tenant, id};
  KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query("SELECT content FROM ai_datasets WHERE tenant_id = ? AND id = ?", q));
  if (rows.empty()) return std::optional<std::string>();
  return std::optional<std::string>(rows.row(0).Text("content"));
}

Status SetDatasetCard(Conn& conn, int64_t tenant, int64_t id, const std::string& card) {
  Value q[] = {card, tenant, id};
  return conn.Exec("UPDATE ai_datasets SET card = ? WHERE tenant_id = ? AND id = ?", q).status();
}

Result<int> InsertDatasetModel(Conn& conn, int64_t tenant, const DatasetModelRow& m, std::optional<int64_t> created_by) {
  Value lock[] = {tenant, m.dataset_id};
  KEEL_RETURN_IF_ERROR(conn.Exec(std::string("UPDATE ai_datasets SET card = card WHERE tenant_id = ? AND id = ?"), lock).status());
  KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query(
      "SELECT COALESCE(MAX(version), 0) AS v FROM ai_dataset_models WHERE tenant_id = ? AND dataset_id = ?", lock));
  int version = static_cast<int>(rows.row(0).Int("v")) + 1;
  Value q[] = {tenant, m.dataset_id, int64_t{version}, m.card, m.encoder, m.model, m.created_at, Nullable(created_by)};
  KEEL_RETURN_IF_ERROR(conn.Exec("INSERT INTO ai_dataset_models (tenant_id, dataset_id, version, card, encoder, model, created_at, created_by) "
                                 "VALUES (?, ?, ?, ?, ?, ?, ?, ?)", q).status());
  return version;
}

Result<std::vector<DatasetModelRow>> DatasetModels(Conn& conn, int64_t tenant, int64_t dataset) {
  Value q[] = {tenant, dataset};
  KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query(
      "SELECT version, card, created_at, promoted_to, promoted_version FROM ai_dataset_models WHERE tenant_id = ? AND dataset_id = ? "
      "ORDER BY version DESC", q));
  std::vector<DatasetModelRow> out;
  for (store::Row r : rows) out.push_back(DatasetModelOf(r, dataset, false));
  return out;
}

Result<std::optional<DatasetModelRow>> LoadDatasetModel(Conn& conn, int64_t tenant, int64_t dataset, int version) {
  Value q[] = {tenant, dataset, int64_t{version}};
  KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query(
      "SELECT version, card, encoder, model, created_at, promoted_to, promoted_version FROM ai_dataset_models "
      "WHERE tenant_id = ? AND dataset_id = ? AND (version = ? OR ? = 0) ORDER BY version DESC LIMIT 1",
      std::vector<Value>{q[0], q[1], q[2], q[2]}));
  if (rows.empty()) return std::optional<DatasetModelRow>();
  return std::optional<DatasetModelRow>(DatasetModelOf(rows.row(0), dataset, true));
}

Status SetDatasetModelPromoted(Conn& conn, int64_t tenant, int64_t dataset, int version, const std::string& target, int model_version) {
  Value q[] = {target, int64_t{model_version}, tenant, dataset, int64_t{version}};
  return conn.Exec("UPDATE ai_dataset_models SET promoted_to = ?, promoted_version = ? WHERE tenant_id = ? AND dataset_id = ? AND version = ?",
                   q).status();
}

Status UpsertDrift(Conn& conn, int64_t tenant, const std::string& target, const DriftRow& d, const std::string& result,
                   const std::string& now) {
  Value q[] = {tenant, target, d.day, int64_t{d.model_version}, d.max_psi, result, now};
  return conn.Exec(
      "INSERT INTO ai_drift (tenant_id, target, day, model_version, max_psi, result, created_at) VALUES (?, ?, ?, ?, ?, ?, ?) "
      "ON CONFLICT (tenant_id, target, day) DO UPDATE SET model_version = excluded.model_version, max_psi = excluded.max_psi, "
      "result = excluded.result, created_at = excluded.created_at", q).status();
}

Result<std::vector<DriftRow>> DriftHistory(Conn& conn, int64_t tenant, const std::string& target) {
  Value q[] = {tenant, target};
  KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query(
      "SELECT day, model_version, max_psi FROM ai_drift WHERE tenant_id = ? AND target = ? ORDER BY day DESC LIMIT 90", q));
  std::vector<DriftRow> out;
  for (store::Row r : rows) out.push_back({r.Text("day"), static_cast<int>(r.Int("model_version")), r.Double("max_psi")});
  return out;
}

}  // namespace keel::ai::repo
