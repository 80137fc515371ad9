// The AI service: background jobs and the foreign CSV datasets trained through them.
#include "ai/service_impl.h"

#include "ai/store.h"
#include "ai/tabular.h"

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

Result<DatasetView> AiService::CreateDataset(const Principal& p, const std::string& name, std::string_view csv) {
  if (!CanManage(p)) return Forbidden();
  if (name.empty() || name.size() > 200) {
    return Status::Invalid("validation.required", "name (1-200 bytes) is required", "name（1-200 字节）为必填项", "name");
  }
  const AiOptions& o = impl_->opt;
  if (csv.size() > o.dataset_max_bytes) {
    return Status::Error(ErrorKind::kPayloadTooLarge, "ai.dataset_too_large",
                         "a dataset may have at most " + std::to_string(o.dataset_max_bytes >> 20) + " MiB",
                         "数据集最大 " + std::to_string(o.dataset_max_bytes >> 20) + " MiB", "body");
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
  json exclude = json::array();
  for (const auto& c : profile) {
    std::string lower = c.name;
    for (char& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    if (c.distinct == 2 && kLabelNames.count(lower)) label = c.name;
    if (c.type == ColumnType::kText || c.type == ColumnType::kConstant) exclude.push_back(c.name);
  }
  KEEL_ASSIGN_OR_RETURN(auto conn, impl_->db.Acquire());
  KEEL_ASSIGN_OR_RETURN(auto tx, store::Transaction::Begin(*conn));
  KEEL_ASSIGN_OR_RETURN(std::vector<int64_t> ids, conn->AllocateIds(1));
  std::string now = FormatTimestamp(impl_->clock.NowMs());
  json prof = {{"columns", cols}, {"suggested", {{"label", label}, {"exclude", exclude}}}};
  repo::DatasetRow row;
  row.id = ids[0];
  row.name = name;
  row.row_count = static_cast<int64_t>(t.rows.size());
  row.profile = prof.dump();
  row.created_at = now;
  KEEL_RETURN_IF_ERROR(repo::InsertDataset(*conn, p.tenant_id, row, std::string(csv), UserOf(p)));
  KEEL_RETURN_IF_ERROR(tx.Commit());
  return DatasetView{ids[0], name, static_cast<int64_t>(t.rows.size()), cols, prof["suggested"], nullptr, now};
}

Result<DatasetView> AiService::Dataset(const Principal& p, int64_t id) {
  if (!CanManage(p)) return Forbidden();
  KEEL_ASSIGN_OR_RETURN(auto conn, impl_->db.Acquire());
  KEEL_ASSIGN_OR_RETURN(std::optional<repo::DatasetRow> d, repo::LoadDataset(*conn, p.tenant_id, id));
  if (!d) return Status::Error(ErrorKind::kNotFound, "not_found", "no such dataset", "没有该数据集", "id");
  json prof = json::parse(d->profile);
  return DatasetView{id, d->name, d->row_count, prof["columns"], prof["suggested"], d->card ? json::parse(*d->card) : json(nullptr),
                     d->created_at};
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
  {
    impl_->consumer.Post([this, job_id, tenant, id, table, m] {
      (void)impl_->SetJob(tenant, job_id, "running", 0, "");
      auto r = TrainTabular(*table, m, impl_->opt.params, impl_->opt.min_per_class, [&](int done, int total, const std::string& what) {
        (void)impl_->SetJob(tenant, job_id, "running", Round(static_cast<double>(done) / total, 0.01), what);
      });
      if (r.ok()) {
        json card = r->card;
        if (auto conn = impl_->db.Acquire(); conn.ok()) {
          (void)repo::SetDatasetCard(**conn, tenant, id, card.dump());
        }
        (void)impl_->SetJob(tenant, job_id, "done", 1.0, "cross-validated AUC " + card["cross_validation"]["auc"].dump(), &card);
      } else {
        json err = {{"code", r.status().code()}, {"message", r.status().message_en()}, {"message_zh", r.status().message_zh()},
                    {"field", r.status().field()}};
        (void)impl_->SetJob(tenant, job_id, "failed", 1.0, r.status().message_en(), &err);
      }
      impl_->jobs_done.fetch_add(1);
    });
  }
  return job;
}

}  // namespace keel::ai
