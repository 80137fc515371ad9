// Routes of the AI service: models (train, versions and cards, rollback), scores with their
// reasons, background jobs, and foreign CSV datasets (upload, profile, map columns, train).
#include "ai/service.h"
#include "http/api.h"

namespace keel::http {
void Api::AddAiRoutes() {
  ai::AiService* ai = services_.ai;
  if (ai == nullptr) return;
  json obj = {{"type", "object"}};
  json job = {{"type", "object"}, {"description", "A background job: id, kind, status (queued, running, done, failed), progress 0-1"},
              {"properties", {{"id", {{"type", "integer"}}}, {"status", {{"type", "string"}}}, {"progress", {{"type", "number"}}}}}};
  router_.Add("GET", "/api/v1/ai/models/{name}", [ai](Call& c) { return Wrap(ai->Models(c.p(), c.name())); },
              {"Model versions of a kind (lead or opportunity) with their cards; says why when there is none",
               "某类模型（lead 线索 / opportunity 商机）的各版本及模型卡；没有模型时说明原因", "ai", nullptr, obj});
  router_.Add("POST", "/api/v1/ai/models/{name}/train", [ai](Call& c) { return Wrap(ai->StartTraining(c.p(), c.name()), 202); },
              {"Train a new version in the background (promoted only if not worse on the holdout)",
               "后台训练新版本（在留出集上不差于当前版本才启用）", "ai", nullptr, job, {}, 202});
  router_.Add("GET", "/api/v1/ai/models/{name}/versions/{version}", [ai](Call& c) {
    return Wrap(ai->ModelCard(c.p(), c.name(), static_cast<int>(c.ids.at("version"))));
  }, {"The model card of one version", "某一版本的模型卡", "ai", nullptr, obj});
  json rollback = {{"type", "object"}, {"properties", {{"version", {{"type", "integer"}, {"description", "default: the previous one"}}}}}};
  router_.Add("POST", "/api/v1/ai/models/{name}/rollback", [ai](Call& c) -> Result<Reply> {
    int version = 0;
    if (c.body.is_object() && c.body.contains("version")) {
      if (!c.body["version"].is_number_integer()) {
        return Status::Invalid("validation.type", "version must be a whole number", "version 须为整数", "version");
      }
      version = c.body["version"].get<int>();
    }
    return Wrap(ai->Rollback(c.p(), c.name(), version));
  }, {"Make an earlier version active again and rescore", "回滚到早期版本并重新评分", "ai", rollback, obj});
  router_.Add("GET", "/api/v1/ai/models/{name}/monitoring", [ai](Call& c) { return Wrap(ai->Monitoring(c.p(), c.name())); },
              {"Drift (feature and score PSI vs the population at training), bands now, realised success by band per month",
               "模型监控：特征与评分的 PSI 漂移、当前分档分布、各分档每月实际转化/赢单率", "ai", nullptr, obj});
  router_.Add("GET", "/api/v1/ai/jobs/{id}", [ai](Call& c) { return Wrap(ai->Job(c.p(), c.id())); },
              {"A background job with its progress and result", "后台任务的进度和结果", "ai", nullptr, job});
  json score = {{"type", "object"},
                {"description", "score 0-100, band A-D, probability, reasons {base, positive[], negative[]} with text_zh/text_en, "
                                "model_version; score null with a message when there is no model or no score"}};
  router_.Add("GET", "/api/v1/leads/{id}/score", [ai](Call& c) { return Wrap(ai->ScoreOf(c.p(), "lead", c.id())); },
              {"The lead's conversion score with its reasons", "线索转化评分及原因", "ai", nullptr, score});
  router_.Add("GET", "/api/v1/opportunities/{id}/score", [ai](Call& c) { return Wrap(ai->ScoreOf(c.p(), "opportunity", c.id())); },
              {"The deal's win score with its reasons", "商机赢单评分及原因", "ai", nullptr, score});
  json best = {{"type", "object"},
               {"description", "windows [{weekday 1-7, hour, label_zh, label_en, rate, lift}], by_hour_weekdays[24], rate_overall, "
                               "evidence {own_calls, owner_calls, segment_calls, tenant_calls}"}};
  router_.Add("GET", "/api/v1/customers/{id}/best-contact-time", [ai](Call& c) { return Wrap(ai->BestContactTime(c.p(), "customers", c.id())); },
              {"Best hours of the week to call the customer, with expected answer rates", "客户的最佳联系时段及预计接通率", "ai", nullptr, best});
  json signals = {{"type", "object"},
                  {"description", "items [{id, kind news|tender|social|review|other, source, title, body, url, sentiment -1…1, "
                                  "occurred_at}] newest first"}};
  router_.Add("GET", "/api/v1/customers/{id}/signals", [ai](Call& c) -> Result<Reply> {
    int limit = 50;
    std::string l = Query(c, "limit");
    if (!l.empty()) {
      char* end = nullptr;
      long v = std::strtol(l.c_str(), &end, 10);
      if (*end || v < 1 || v > 500) {
        return Status::Invalid("validation.range", "limit is 1-500", "limit 须为 1-500", "limit");
      }
      limit = static_cast<int>(v);
    }
    return Wrap(ai->Signals(c.p(), c.id(), limit));
  }, {"External signals about the customer (news, tenders, social posts, reviews), newest first",
      "客户的外部信号（新闻、招标、社交、评价），按时间倒序", "ai", nullptr, signals, {{"limit", "1-500, default 50"}}});
  router_.Add("GET", "/api/v1/leads/{id}/best-contact-time", [ai](Call& c) { return Wrap(ai->BestContactTime(c.p(), "leads", c.id())); },
              {"Best hours of the week to call the lead, with expected answer rates", "线索的最佳联系时段及预计接通率", "ai", nullptr, best});
  router_.Add("POST", "/api/v1/ai/actions/plan", [ai](Call& c) { return Wrap(ai->PlanActions(c.p())); },
              {"Run the next-best-action rules now (they also run hourly); counts per rule",
               "立即运行下一步最佳行动规则（每小时也会自动运行）；返回各规则的数量", "ai", nullptr, obj});
  json today = {{"type", "object"},
                {"description", "items [{task_id, title, priority, due_at, overdue, source, rule, expected_value, why, why_zh, why_en, "
                                "related_entity, related_id}] best first, total"}};
  router_.Add("GET", "/api/v1/me/today", [ai](Call& c) -> Result<Reply> {
    int limit = 50;
    std::string l = Query(c, "limit");
    if (!l.empty()) {
      char* end = nullptr;
      long v = std::strtol(l.c_str(), &end, 10);
      if (*end || v < 1 || v > 200) return Status::Invalid("validation.range", "limit is 1-200", "limit 须为 1-200", "limit");
      limit = static_cast<int>(v);
    }
    return Wrap(ai->Today(c.p(), limit));
  }, {"My day: my open tasks, best first, each with its reason", "我的今日：按优先级排序的待办任务及原因", "ai", nullptr, today,
      {{"limit", "1-200, default 50"}}});
  router_.Add("GET", "/api/v1/ai/lookalikes", [ai](Call& c) -> Result<Reply> {
    std::string l = Query(c, "limit");
    int limit = l.empty() ? 20 : std::atoi(l.c_str());
    if (limit < 1 || limit > 200) return Status::Invalid("validation.range", "limit is 1-200", "limit 须为 1-200", "limit");
    return Wrap(ai->Lookalikes(c.p(), limit));
  }, {"High-potential look-alikes: customers most like the best won customers, with the reasons",
      "高潜相似客户：与最佳赢单客户最相似的客户及相似原因", "ai", nullptr, obj, {{"limit", "1-200, default 20"}}});
  RouteDoc upload{"Upload a CSV of historical records from another system; returns each column's profile and suggestions",
                  "上传其他系统导出的历史记录 CSV；返回各列画像及建议", "ai",
                  {{"type", "string"}, {"description", "text/csv (UTF-8; `,` `;` or tab), a header row"}}, obj,
                  {{"name", "a name for the dataset (required)"}}, 201};
  upload.raw_body = true;
  upload.content_types = {"text/csv"};
  router_.Add("POST", "/api/v1/ai/datasets", [ai](Call& c) -> Result<Reply> {
    if (!ai::AiService::MayManage(c.p())) {
      return Status::Error(ErrorKind::kForbidden, "auth.forbidden", "only admin and hq_ops may upload datasets",
                           "只有管理员和销售运营可以上传数据集");
    }
    std::string ct = c.req.content_type.substr(0, c.req.content_type.find(';'));
    if (ct != "text/csv" && ct != "application/csv") {
      return Status::Error(ErrorKind::kInvalid, "http.unsupported_media_type", "send the file as text/csv", "请以 text/csv 发送文件");
    }
    return Wrap(ai->CreateDataset(c.p(), Query(c, "name"), c.req.body), 201);
  }, upload);
  router_.Add("GET", "/api/v1/ai/datasets", [ai](Call& c) { return Wrap(ai->Datasets(c.p())); },
              {"Uploaded datasets", "已上传的数据集", "ai", nullptr, obj});
  router_.Add("GET", "/api/v1/ai/datasets/{id}", [ai](Call& c) { return Wrap(ai->Dataset(c.p(), c.id())); },
              {"A dataset: column profile, suggestions and the last model card", "数据集：列画像、建议和最近的模型卡", "ai", nullptr, obj});
  json mapping = {{"type", "object"}, {"required", {"label"}},
                  {"properties", {{"label", {{"type", "string"}, {"description", "the outcome column"}}},
                                  {"positive", {{"type", "string"}, {"description", "the label value meaning success"}}},
                                  {"exclude", {{"type", "array"}, {"items", {{"type", "string"}}},
                                               {"description", "columns never used, e.g. one only known after the outcome"}}},
                                  {"types", {{"type", "object"}, {"description", "column → number, category or text"}}},
                                  {"time_column", {{"type", "string"}}}, {"folds", {{"type", "integer"}}},
                                  {"holdout", {{"type", "number"}}}}}};
  router_.Add("POST", "/api/v1/ai/datasets/{id}/train", [ai](Call& c) {
    return Wrap(ai->StartDatasetTraining(c.p(), c.id(), c.body), 202);
  }, {"Map the columns and train in the background (cross-validated and holdout AUC in the job's result)",
      "映射列并后台训练（任务结果含交叉验证与留出集 AUC）", "ai", mapping, job, {}, 202});
}

}  // namespace keel::http
