// The AI service: background jobs and the foreign CSV datasets trained through them.
#include "ai/service_impl.h"

#include "ai/store.h"
#include "ai/tabular.h"
#include "common/crypto.h"
#include "common/text_encoding.h"
#include "domain/audit.h"
#include "store/tenant_scope.h"

namespace keel::ai {

Status AiService::Impl::SetJob(int64_t tenant, int64_t id, const std::string& status, double progress, const std::string& message,
                               const json* result) {
  KEEL_ASSIGN_OR_RETURN(auto conn, db.Acquire());
  std::string now = FormatTimestamp(clock.NowMs());
  bool finished = status == "done" || status == "failed";
  repo::JobUpdate u{status, progress};
  if (!message.empty()) u.message = message;
  if (result) u.result = result->dump();
  if (status == "running") u.started_at = now;
  if (finished) u.finished_at = now;
  return repo::UpdateJob(*conn, tenant, id, u);
}

Result<JobView> AiService::Impl::NewJob(const Principal& p, const std::string& kind, const std::string& target) {
  KEEL_ASSIGN_OR_RETURN(auto conn, db.Acquire());
  KEEL_ASSIGN_OR_RETURN(auto tx, store::Transaction::Begin(*conn, true));
  {
    // One tenant cannot fill the queue that every tenant's training waits in.
    KEEL_ASSIGN_OR_RETURN(std::vector<int64_t> mine, repo::UnfinishedJobs(*conn, p.tenant_id));
    if (static_cast<int>(mine.size()) >= opt.jobs_per_tenant) {
      std::string other = std::to_string(mine[0]);
      return Status::Error(ErrorKind::kConflict, "ai.job_running",
                           "job " + other + " of your company is still queued or running; start the next when it is done",
                           "贵公司的任务 " + other + " 仍在排队或运行，请在其完成后再开始新任务", "job_id");
    }
    KEEL_ASSIGN_OR_RETURN(int64_t all, repo::CountUnfinishedJobs(*conn));
    if (all >= opt.jobs_total) {
      return Status::Error(ErrorKind::kUnavailable, "ai.jobs_busy", "the server is training for other companies; try again in a few minutes",
                           "服务器正在为其他企业训练模型，请几分钟后再试");
    }
  }
  KEEL_ASSIGN_OR_RETURN(std::vector<int64_t> ids, conn->AllocateIds(1));
  std::string now = FormatTimestamp(clock.NowMs());
  KEEL_RETURN_IF_ERROR(repo::InsertJob(*conn, p.tenant_id, ids[0], kind, target, now, UserOf(p)));
  KEEL_RETURN_IF_ERROR(tx.Commit());
  JobView job;
  job.id = ids[0];
  job.kind = kind;
  job.target = target;
  job.status = "queued";
  job.created_at = now;
  job.full = false;
  return job;
}

Result<JobView> AiService::Job(const Principal& p, int64_t id) {
  if (!CanManage(p)) return Forbidden();
  KEEL_ASSIGN_OR_RETURN(auto conn, impl_->db.Acquire());
  KEEL_ASSIGN_OR_RETURN(std::optional<repo::JobRow> job, repo::LoadJob(*conn, p.tenant_id, id));
  if (!job) return Status::Error(ErrorKind::kNotFound, "not_found", "no such job", "没有该任务", "id");
  const repo::JobRow& r = *job;
  JobView out{id, r.kind, r.target, r.status, r.progress, r.message, r.result ? json::parse(*r.result, nullptr, false) : json(nullptr),
              r.created_at, r.started_at, r.finished_at};
  if (out.status == "queued") {
    // How many jobs (of any company: only their number is told) run or wait before this one.
    KEEL_ASSIGN_OR_RETURN(out.queue_position, repo::JobsAhead(*conn, id));
  }
  return out;
}

Result<DatasetView> AiService::CreateDataset(const Principal& p, const std::string& name, std::string_view bytes,
                                             const std::string& encoding) {
  if (!CanManage(p)) return Forbidden();
  if (name.empty() || name.size() > 200) {
    return Status::Invalid("validation.required", "name (1-200 bytes) is required", "name（1-200 字节）为必填项", "name");
  }
  const AiOptions& o = impl_->opt;
  if (bytes.size() > o.dataset_max_bytes) {
    return Status::Error(ErrorKind::kPayloadTooLarge, "ai.dataset_too_large",
                         "a dataset may have at most " + std::to_string(o.dataset_max_bytes >> 20) + " MiB",
                         "数据集最大 " + std::to_string(o.dataset_max_bytes >> 20) + " MiB", "body");
  }
  // Stored as UTF-8: bytes in another encoding (a Chinese Excel's GB18030, UTF-16) converted once.
  std::string converted;
  std::string_view csv = bytes;
  std::string declared;
  if (!encoding.empty() || !IsUtf8(bytes.substr(0, 3) == "\xEF\xBB\xBF" ? bytes.substr(3) : bytes)) {
    auto decoded = DecodeToUtf8(bytes, encoding);
    if (!decoded.ok() && !encoding.empty()) return decoded.status();
    if (decoded.ok()) {
      converted = std::move(decoded->text);
      csv = converted;
      declared = decoded->encoding;
    }
  }
  // Columns first, from the header line, before the whole file is read into memory.
  {
    std::string_view header = csv.substr(0, csv.find('\n'));
    size_t cols = 1 + static_cast<size_t>(std::max({std::count(header.begin(), header.end(), ','), std::count(header.begin(), header.end(), ';'),
                                                     std::count(header.begin(), header.end(), '\t')}));
    if (cols > o.dataset_max_columns) {
      return Status::Error(ErrorKind::kUnprocessable, "ai.dataset_too_many_columns",
                           "a dataset may have at most " + std::to_string(o.dataset_max_columns) + " columns; this one has " + std::to_string(cols),
                           "数据集最多 " + std::to_string(o.dataset_max_columns) + " 列，此文件有 " + std::to_string(cols) + " 列", "line 1");
    }
  }
  KEEL_ASSIGN_OR_RETURN(Table t, ReadTable(csv));
  if (!declared.empty()) t.encoding = declared;
  if (t.rows.size() > o.dataset_max_rows) {
    return Status::Error(ErrorKind::kUnprocessable, "ai.dataset_too_many_rows",
                         "a dataset may have at most " + std::to_string(o.dataset_max_rows) + " rows; this one has " + std::to_string(t.rows.size()),
                         "数据集最多 " + std::to_string(o.dataset_max_rows) + " 行，此文件有 " + std::to_string(t.rows.size()) + " 行", "body");
  }
  if (t.header.size() > o.dataset_max_columns) {
    return Status::Error(ErrorKind::kUnprocessable, "ai.dataset_too_many_columns",
                         "a dataset may have at most " + std::to_string(o.dataset_max_columns) + " columns",
                         "数据集最多 " + std::to_string(o.dataset_max_columns) + " 列", "line 1");
  }
  auto profile = Profile(t);
  json cols = json::array();
  for (const auto& c : profile) cols.push_back(c.ToJson());
  // Suggestions: a two-valued column named like an outcome; free text and constants left out.
  static const std::set<std::string> kLabelNames = {"y", "label", "target", "outcome", "converted", "won", "result", "success",
                                                    "结果", "是否成交", "成交"};
  json label = nullptr;
  json exclude = json::array(), left_out = json::array();
  for (const auto& c : profile) {
    std::string lower = c.name;
    for (char& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    if (c.distinct == 2 && kLabelNames.count(lower)) label = c.name;
    auto [en, zh] = LeftOutReason(c);
    if (en.empty()) continue;
    exclude.push_back(c.name);
    left_out.push_back({{"column", c.name}, {"reason", c.identifier.empty() ? ColumnTypeName(c.type) : "identifier"}, {"message", en},
                        {"message_zh", zh}});
  }
  KEEL_ASSIGN_OR_RETURN(auto conn, impl_->db.Acquire());
  KEEL_ASSIGN_OR_RETURN(auto tx, store::Transaction::Begin(*conn));
  KEEL_ASSIGN_OR_RETURN(std::vector<int64_t> ids, conn->AllocateIds(1));
  std::string now = FormatTimestamp(impl_->clock.NowMs());
  json prof = {{"columns", cols}, {"suggested", {{"label", label}, {"exclude", exclude}, {"left_out", left_out}}}, {"file", t.FileJson()}};
  repo::DatasetRow row;
  row.id = ids[0];
  row.name = name;
  row.row_count = static_cast<int64_t>(t.rows.size());
  row.profile = prof.dump();
  row.created_at = now;
  KEEL_RETURN_IF_ERROR(repo::InsertDataset(*conn, p.tenant_id, row, std::string(csv), UserOf(p)));
  KEEL_RETURN_IF_ERROR(tx.Commit());
  return DatasetView{ids[0], name, static_cast<int64_t>(t.rows.size()), cols, prof["suggested"], nullptr, now, prof["file"], 0};
}

Result<DatasetView> AiService::Dataset(const Principal& p, int64_t id) {
  if (!CanManage(p)) return Forbidden();
  KEEL_ASSIGN_OR_RETURN(auto conn, impl_->db.Acquire());
  KEEL_ASSIGN_OR_RETURN(std::optional<repo::DatasetRow> d, repo::LoadDataset(*conn, p.tenant_id, id));
  if (!d) return Status::Error(ErrorKind::kNotFound, "not_found", "no such dataset", "没有该数据集", "id");
  KEEL_ASSIGN_OR_RETURN(auto versions, repo::DatasetModels(*conn, p.tenant_id, id));
  json prof = json::parse(d->profile);
  return DatasetView{id, d->name, d->row_count, prof["columns"], prof["suggested"], d->card ? json::parse(*d->card) : json(nullptr),
                     d->created_at, prof.value("file", json({{"encoding", "UTF-8"}})), static_cast<int>(versions.size())};
}

Result<std::vector<DatasetSummary>> AiService::Datasets(const Principal& p) {
  if (!CanManage(p)) return Forbidden();
  KEEL_ASSIGN_OR_RETURN(auto conn, impl_->db.Acquire());
  KEEL_ASSIGN_OR_RETURN(auto rows, repo::Datasets(*conn, p.tenant_id));
  std::vector<DatasetSummary> items;
  for (const auto& r : rows) items.push_back({r.id, r.name, r.row_count, r.created_at, r.trained});
  return items;
}

Result<JobView> AiService::StartDatasetTraining(const Principal& p, int64_t id, const json& mapping) {
  if (!CanManage(p)) return Forbidden();
  std::string csv;
  {
    KEEL_ASSIGN_OR_RETURN(auto conn, impl_->db.Acquire());
    KEEL_ASSIGN_OR_RETURN(std::optional<std::string> content, repo::DatasetContent(*conn, p.tenant_id, id));
    if (!content) return Status::Error(ErrorKind::kNotFound, "not_found", "no such dataset", "没有该数据集", "id");
    csv = std::move(*content);
  }
  auto table = std::make_shared<Table>();
  KEEL_ASSIGN_OR_RETURN(*table, ReadTable(csv));
  KEEL_ASSIGN_OR_RETURN(Mapping m, ParseMapping(mapping, *table));
  KEEL_ASSIGN_OR_RETURN(JobView job, impl_->NewJob(p, "dataset", "dataset:" + std::to_string(id)));
  int64_t job_id = job.id, tenant = p.tenant_id;
  std::optional<int64_t> user = UserOf(p);
  {
    impl_->consumer.Post([this, job_id, tenant, id, table, m, user] {
      store::TenantScope scope(tenant);
      (void)impl_->SetJob(tenant, job_id, "running", 0, "");
      auto r = TrainTabular(*table, m, impl_->opt.params, impl_->opt.min_per_class, [&](int done, int total, const std::string& what) {
        (void)impl_->SetJob(tenant, job_id, "running", Round(static_cast<double>(done) / total, 0.01), what);
      });
      Status stored;
      if (r.ok()) {
        json card = r->card;
        stored = impl_->StoreDatasetModel(tenant, id, *r, user, &card);
        if (stored.ok()) {
          (void)impl_->SetJob(tenant, job_id, "done", 1.0, "cross-validated AUC " + card["cross_validation"]["auc"].dump(), &card);
        }
      }
      if (!r.ok() || !stored.ok()) {
        if (r.ok()) r = stored;
        json err = {{"code", r.status().code()}, {"message", r.status().message_en()}, {"message_zh", r.status().message_zh()},
                    {"field", r.status().field()}};
        (void)impl_->SetJob(tenant, job_id, "failed", 1.0, r.status().message_en(), &err);
      }
      impl_->jobs_done.fetch_add(1);
    });
  }
  return job;
}

Status AiService::Impl::StoreDatasetModel(int64_t tenant, int64_t dataset, const TabularModel& m, std::optional<int64_t> user,
                                          json* card) {
  KEEL_ASSIGN_OR_RETURN(std::string bytes, m.booster.Save());
  KEEL_ASSIGN_OR_RETURN(auto conn, db.Acquire());
  KEEL_ASSIGN_OR_RETURN(auto tx, store::Transaction::Begin(*conn));
  repo::DatasetModelRow row;
  row.dataset_id = dataset;
  row.card = card->dump();
  row.encoder = m.encoder.ToJson().dump();
  row.model = Base64UrlEncode(bytes);
  row.created_at = FormatTimestamp(clock.NowMs());
  KEEL_ASSIGN_OR_RETURN(int version, repo::InsertDatasetModel(*conn, tenant, row, user));
  (*card)["version"] = version;
  (*card)["trained_at"] = row.created_at;
  KEEL_RETURN_IF_ERROR(repo::SetDatasetCard(*conn, tenant, dataset, card->dump()));
  return tx.Commit();
}

Result<std::vector<FeatureDef>> AiService::Features(const Principal& p, const std::string& target_name) {
  if (!CanManage(p)) return Forbidden();
  KEEL_ASSIGN_OR_RETURN(Target target, TargetOf(target_name));
  FeatureSpec spec;
  spec.target = target;
  {
    KEEL_ASSIGN_OR_RETURN(auto conn, impl_->db.Acquire());
    KEEL_ASSIGN_OR_RETURN(spec.custom, LoadCustomFeatures(*conn, p.tenant_id, target));
  }
  spec.Index();
  return spec.defs();
}

Result<std::vector<DatasetModelView>> AiService::DatasetModels(const Principal& p, int64_t id) {
  if (!CanManage(p)) return Forbidden();
  KEEL_ASSIGN_OR_RETURN(auto conn, impl_->db.Acquire());
  KEEL_ASSIGN_OR_RETURN(std::optional<repo::DatasetRow> d, repo::LoadDataset(*conn, p.tenant_id, id));
  if (!d) return Status::Error(ErrorKind::kNotFound, "not_found", "no such dataset", "没有该数据集", "id");
  KEEL_ASSIGN_OR_RETURN(auto rows, repo::DatasetModels(*conn, p.tenant_id, id));
  std::vector<DatasetModelView> out;
  for (auto& r : rows) {
    DatasetModelView v{r.version, r.created_at, json::parse(r.card, nullptr, false), r.promoted_to, std::nullopt};
    if (r.promoted_version) v.promoted_version = static_cast<int>(*r.promoted_version);
    out.push_back(std::move(v));
  }
  return out;
}

namespace {

struct LoadedDatasetModel {
  int version = 0;
  Encoder encoder;
  Booster booster;
  json card;
};

Result<LoadedDatasetModel> LoadDatasetModel(store::Connection& conn, int64_t tenant, int64_t id, int version) {
  KEEL_ASSIGN_OR_RETURN(std::optional<repo::DatasetRow> d, repo::LoadDataset(conn, tenant, id));
  if (!d) return Status::Error(ErrorKind::kNotFound, "not_found", "no such dataset", "没有该数据集", "id");
  KEEL_ASSIGN_OR_RETURN(std::optional<repo::DatasetModelRow> row, repo::LoadDatasetModel(conn, tenant, id, version));
  if (!row) {
    return version ? Status::Error(ErrorKind::kNotFound, "ai.no_version", "the dataset has no model version " + std::to_string(version),
                                   "该数据集没有第 " + std::to_string(version) + " 版模型", "version")
                   : Status::Error(ErrorKind::kConflict, "ai.no_model", "train the dataset first: it has no model yet",
                                   "请先训练该数据集：尚无模型", "id");
  }
  LoadedDatasetModel m;
  m.version = row->version;
  m.card = json::parse(row->card, nullptr, false);
  KEEL_ASSIGN_OR_RETURN(m.encoder, Encoder::FromJson(json::parse(row->encoder, nullptr, false)));
  std::string bytes;
  if (!Base64UrlDecode(row->model, &bytes)) return Status::Internal("a stored dataset model is not base64");
  KEEL_ASSIGN_OR_RETURN(m.booster, Booster::Load(bytes));
  return m;
}

std::string CellText(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_null()) return {};
  if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
  return v.dump();
}

}  // namespace

Result<DatasetPrediction> AiService::PredictDataset(const Principal& p, int64_t id, int version, std::string_view csv, const json& rows) {
  if (!CanManage(p)) return Forbidden();
  LoadedDatasetModel m;
  {
    KEEL_ASSIGN_OR_RETURN(auto conn, impl_->db.Acquire());
    KEEL_ASSIGN_OR_RETURN(m, LoadDatasetModel(*conn, p.tenant_id, id, version));
  }
  const auto& cols = m.encoder.columns;
  DatasetPrediction out;
  out.dataset_id = id;
  out.version = m.version;
  std::vector<std::vector<std::string>> values;
  std::vector<int64_t> lines;
  std::vector<bool> present(cols.size(), false);
  if (!csv.empty()) {
    KEEL_ASSIGN_OR_RETURN(Table t, ReadTable(csv));
    std::vector<int> source(cols.size(), -1);
    for (size_t c = 0; c < cols.size(); ++c) {
      auto it = std::find(t.header.begin(), t.header.end(), cols[c].name);
      if (it != t.header.end()) source[c] = static_cast<int>(it - t.header.begin()), present[c] = true;
    }
    for (size_t r = 0; r < t.rows.size(); ++r) {
      std::vector<std::string> v(cols.size());
      for (size_t c = 0; c < cols.size(); ++c) {
        if (source[c] >= 0) v[c] = t.rows[r][static_cast<size_t>(source[c])];
      }
      values.push_back(std::move(v));
      lines.push_back(static_cast<int64_t>(t.lines[r]));
    }
  } else {
    const json& list = rows.is_object() && rows.contains("rows") ? rows["rows"] : rows;
    if (!list.is_array() || list.empty()) {
      return Status::Invalid("validation.required", "send rows: a CSV (text/csv) or {\"rows\": [{column: value}, …]}",
                             "请发送数据行：CSV（text/csv）或 {\"rows\": [{列名: 值}, …]}", "rows");
    }
    for (size_t r = 0; r < list.size(); ++r) {
      const std::string at = "rows[" + std::to_string(r) + "]";
      if (!list[r].is_object()) return Status::Invalid("validation.type", "each row is an object: column → value", "每行须为 列名→值 的对象", at);
      std::vector<std::string> v(cols.size());
      for (const auto& [k, x] : list[r].items()) {
        if (x.is_object() || x.is_array()) {
          return Status::Invalid("validation.type", "a value is text, a number, true/false or null", "取值须为文本、数字、布尔值或 null", at + "." + k);
        }
        for (size_t c = 0; c < cols.size(); ++c) {
          if (cols[c].name == k) v[c] = CellText(x), present[c] = true;
        }
      }
      values.push_back(std::move(v));
      lines.push_back(0);
    }
  }
  if (values.size() > impl_->opt.predict_max_rows) {
    return Status::Error(ErrorKind::kUnprocessable, "ai.too_many_rows",
                         "at most " + std::to_string(impl_->opt.predict_max_rows) + " rows per request; this one has " + std::to_string(values.size()),
                         "每次最多 " + std::to_string(impl_->opt.predict_max_rows) + " 行，本次有 " + std::to_string(values.size()) + " 行", "rows");
  }
  for (size_t c = 0; c < cols.size(); ++c) {
    if (!present[c]) out.missing_columns.push_back(cols[c].name);
  }
  if (out.missing_columns.size() == cols.size()) {
    std::string names;
    for (size_t c = 0; c < cols.size() && c < 8; ++c) names += (c ? ", " : "") + cols[c].name;
    return Status::Invalid("ai.no_columns", "none of the model's columns is in the rows (it reads: " + names + ")",
                           "数据行中没有模型需要的任何列（模型读取：" + names + "）", "rows");
  }
  std::vector<std::pair<std::string, std::string>> names;
  for (const auto& c : cols) names.emplace_back(c.name, c.name);
  const size_t n_features = m.encoder.feature_names.size();
  for (size_t from = 0; from < values.size(); from += 2000) {
    size_t n = std::min<size_t>(2000, values.size() - from);
    std::vector<std::vector<std::string>> chunk(values.begin() + static_cast<std::ptrdiff_t>(from),
                                                values.begin() + static_cast<std::ptrdiff_t>(from + n));
    Matrix x = m.encoder.EncodeValues(chunk);
    KEEL_ASSIGN_OR_RETURN(std::vector<float> prob, m.booster.Predict(x));
    KEEL_ASSIGN_OR_RETURN(std::vector<float> contrib, m.booster.Contributions(x));
    for (size_t i = 0; i < n; ++i) {
      PredictedRow row;
      row.row = static_cast<int64_t>(from + i + 1);
      row.line = lines[from + i];
      row.probability = Round(prob[i], 0.0001);
      row.score = static_cast<int>(std::lround(100.0 * prob[i]));
      row.reasons = ExplainRow(m.encoder, contrib.data() + i * (n_features + 1), chunk[i], prob[i], names);
      out.rows.push_back(std::move(row));
    }
  }
  return out;
}

Result<TrainResult> AiService::PromoteDatasetModel(const Principal& p, int64_t id, int version, const std::string& target_name,
                                                   const json& mapping) {
  if (!CanManage(p)) return Forbidden();
  Target target;
  if (!ParseTarget(target_name, &target)) {
    return Status::Invalid("validation.enum", "target is lead or opportunity", "target 须为 lead 或 opportunity", "target");
  }
  LoadedDatasetModel m;
  FeatureSpec spec;
  spec.target = target;
  {
    KEEL_ASSIGN_OR_RETURN(auto conn, impl_->db.Acquire());
    KEEL_ASSIGN_OR_RETURN(m, LoadDatasetModel(*conn, p.tenant_id, id, version));
    KEEL_ASSIGN_OR_RETURN(spec.custom, LoadCustomFeatures(*conn, p.tenant_id, target));
  }
  spec.Index();
  if (!mapping.is_object()) {
    return Status::Invalid("validation.required", "mapping names a lead/deal feature for each of the model's columns",
                           "mapping 须为模型每一列指定对应的线索/商机特征", "mapping");
  }
  // Every column of the model: a feature of the same kind (number ↔ number, category ↔ category).
  json stored = json::object();
  for (const auto& col : m.encoder.columns) {
    const std::string field = "mapping." + col.name;
    if (!mapping.contains(col.name) || !mapping[col.name].is_string()) {
      return Status::Invalid("validation.required", "say which lead/deal feature stands for column '" + col.name + "'",
                             "请指定哪个线索/商机特征对应列 '" + col.name + "'", field);
    }
    const std::string feature = mapping[col.name].get<std::string>();
    const auto& defs = spec.defs();
    auto def = std::find_if(defs.begin(), defs.end(), [&](const FeatureDef& d) { return d.name == feature; });
    if (def == defs.end()) {
      return Status::Invalid("ai.feature", "no " + std::string(TargetName(target)) + " feature '" + feature + "' (GET /api/v1/ai/features lists them)",
                             "没有" + std::string(target == Target::kLead ? "线索" : "商机") + "特征 '" + feature + "'", field);
    }
    if (def->categorical != (col.type != ColumnType::kNumber)) {
      return Status::Invalid("ai.mapping_type",
                             "column '" + col.name + "' is " + (col.type == ColumnType::kNumber ? "a number" : "a category") + " but '" + feature +
                                 "' is " + (def->categorical ? "a category" : "a number"),
                             "列 '" + col.name + "' 是" + (col.type == ColumnType::kNumber ? "数字" : "类别") + "，而特征 '" + feature + "' 是" +
                                 (def->categorical ? "类别" : "数字"),
                             field);
    }
    stored[col.name] = feature;
  }
  for (const auto& [k, _] : mapping.items()) {
    if (!stored.contains(k)) return Status::Invalid("ai.column", "the model has no column '" + k + "'", "模型没有列 '" + k + "'", "mapping." + k);
  }
  std::string now = FormatTimestamp(impl_->clock.NowMs());
  json card = m.card;
  card["trained_at"] = now;
  card["source"] = {{"kind", "dataset"}, {"dataset_id", id}, {"dataset_version", m.version}, {"mapping", stored}};
  json spec_json = {{"dataset", {{"id", id}, {"version", m.version}, {"encoder", m.encoder.ToJson()}, {"mapping", stored}}},
                    {"features", spec.ToJson()}};
  KEEL_ASSIGN_OR_RETURN(std::string bytes, m.booster.Save());
  KEEL_ASSIGN_OR_RETURN(int model_version, impl_->StoreVersion(p.tenant_id, target, true, card, spec_json.dump(), Base64UrlEncode(bytes),
                                                               p.user_id));
  {
    KEEL_ASSIGN_OR_RETURN(auto conn, impl_->db.Acquire());
    KEEL_ASSIGN_OR_RETURN(auto tx, store::Transaction::Begin(*conn));
    KEEL_RETURN_IF_ERROR(repo::SetDatasetModelPromoted(*conn, p.tenant_id, id, m.version, TargetName(target), model_version));
    KEEL_RETURN_IF_ERROR(domain::AuditChange(*conn, p, impl_->clock.NowMs(),
                                             {"promote", "ai_models", model_version, nullptr,
                                              {{"target", TargetName(target)}, {"active_version", model_version}, {"dataset_id", id},
                                               {"dataset_version", m.version}, {"mapping", stored}}}));
    KEEL_RETURN_IF_ERROR(tx.Commit());
  }
  impl_->Forget(p.tenant_id, target);
  KEEL_ASSIGN_OR_RETURN(int64_t scored, ScoreAll(p.tenant_id, target));
  json auc = card.value("holdout", json::object()).value("auc", json(nullptr));
  return TrainResult{model_version, "active", std::move(auc), scored, std::move(card)};
}

}  // namespace keel::ai
