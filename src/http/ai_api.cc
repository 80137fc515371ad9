// Routes of the AI service: models (train, versions and cards, rollback), scores with their
// reasons, background jobs, and foreign CSV datasets (upload, profile, map columns, train).
#include "ai/json.h"
#include "ai/service.h"
#include "common/spreadsheet.h"
#include "http/api.h"
#include "http/openapi.h"

namespace keel::http {
namespace {

// A typed AI result as a reply: its JSON (ai/json.h) with `status`, or the error.
template <typename T>
Result<Reply> AiReply(Result<T> r, int status = 200) {
  if (!r.ok()) return r.status();
  return Reply{status, ai::ToJson(*r)};
}

Status DatasetsForbidden() {
  return Status::Error(ErrorKind::kForbidden, "auth.forbidden", "only admin and hq_ops may upload, score with or promote datasets",
                       "只有管理员和销售运营可以上传数据集、用其评分或启用其模型");
}

// A whole number query parameter from 1 up (0 when absent).
Result<int> VersionParam(const Call& c) {
  std::string v = Query(c, "version");
  if (v.empty()) return 0;
  char* end = nullptr;
  long n = std::strtol(v.c_str(), &end, 10);
  if (*end || n < 1 || n > 1000000) return Status::Invalid("validation.parameter", "version is a whole number from 1", "version 须为正整数", "version");
  return static_cast<int>(n);
}

// Scored rows as a CSV or XLSX file: each row's position, CSV line, score, probability, base and
// reasons in the reader's language (they add up: base + points = score).
Result<Reply> PredictionFile(const ai::DatasetPrediction& r, const std::string& format, bool en) {
  KEEL_ASSIGN_OR_RETURN(std::unique_ptr<SheetWriter> sheet, SheetWriter::Open(format, "scores"));
  KEEL_RETURN_IF_ERROR(sheet->AddRow({std::string("row"), std::string("line"), std::string("score"), std::string("probability"),
                                      std::string("base"), std::string(en ? "reasons" : "原因")}));
  for (const auto& row : r.rows) {
    std::string reasons;
    for (const char* side : {"positive", "negative"}) {
      for (const auto& x : row.reasons[side]) reasons += (reasons.empty() ? "" : "; ") + x[en ? "text_en" : "text_zh"].get<std::string>();
    }
    if (std::fabs(row.reasons["other"].value("points", 0.0)) >= 0.5) {
      reasons += (reasons.empty() ? "" : "; ") + row.reasons["other"][en ? "text_en" : "text_zh"].get<std::string>();
    }
    KEEL_RETURN_IF_ERROR(sheet->AddRow({row.row, row.line ? SheetCell{row.line} : SheetCell{}, int64_t{row.score}, row.probability,
                                        row.reasons.value("base", 0.0), reasons}));
  }
  KEEL_ASSIGN_OR_RETURN(std::string bytes, sheet->Finish());
  Reply reply;
  reply.raw_content_type = SheetWriter::MediaType(format);
  reply.raw = std::move(bytes);
  reply.headers.emplace_back("Content-Disposition", "attachment; filename=\"dataset-" + std::to_string(r.dataset_id) + "-v" +
                                                        std::to_string(r.version) + "-scores." + format + "\"");
  return reply;
}

}  // namespace
void Api::AddAiRoutes() {
  ai::AiService* ai = services_.ai;
  if (ai == nullptr) return;
  using namespace schema;  // NOLINT(google-build-using-namespace): the builders read as the schema
  const json job = Component(
      "Job", Obj({{"id", Int()}, {"kind", Str("train or dataset_train")}, {"target", Null(Str("lead, opportunity or dataset:<id>"))},
                  {"status", Enum({"queued", "running", "done", "failed"})}, {"progress", Num("0…1")}, {"message", Null(Str())},
                  {"result", Null(Free("when done: the new version, holdout AUC and card; when failed: code and messages"))},
                  {"queue_position", Null(Int("queued: jobs (of any company) ahead of it"))}, {"created_at", Time()},
                  {"started_at", Null(Time())}, {"finished_at", Null(Time())}},
                 {"id", "kind", "status", "progress", "created_at"}, "A background job / 后台任务"));
  const json card = Component(
      "ModelCard",
      Obj({{"target", Str("lead, opportunity or a dataset")}, {"version", Int()}, {"trained_at", Time()}, {"feature_version", Int()},
           {"data", Free("records, positives, negatives, snapshots, from, resolved_until, holdout_from, …")},
           {"holdout", Free("the holdout evaluation: auc, log_loss, calibration, …")},
           {"comparison", Null(Free("against the active version: current_auc, new_auc, promoted"))},
           {"bands", Free("score thresholds of the bands A-D")}, {"reference", Free("the training population, for drift")},
           {"importance", Arr(Obj({{"feature", Str()}, {"en", Str()}, {"zh", Str()}, {"share", Num()}}))},
           {"params", Free("the booster's parameters")}, {"rounds", Int()}, {"method", Str()}},
          {}, "What a model learned from and how well it does on the holdout / 模型卡：训练数据与留出集表现"));
  const json versions = Obj(
      {{"target", Str()}, {"active_version", Null(Int())},
       {"versions", Arr(Obj({{"version", Int()}, {"status", Str("active, rejected, retired")}, {"created_at", Time()},
                             {"activated_at", Null(Time())}, {"holdout_auc", Null(Num())}, {"card", card}},
                            {"version", "status", "created_at", "card"}))},
       {"message", Str("without an active model: why there is no score")}, {"message_zh", Str()},
       {"last_failure", Free("the last failed training: code, message, message_zh")}},
      {"target", "active_version", "versions"}, "A kind's model versions / 模型各版本");
  const json rolled_back = Obj({{"target", Str()}, {"active_version", Int()}, {"scored", Int("records scored again")}},
                               {"target", "active_version", "scored"}, "The active version now / 回滚结果");
  const json monitoring = Obj(
      {{"target", Str()}, {"model_version", Int()},
       {"drift", Free("feature and score PSI against the training population")},
       {"bands_now", Free("how open records spread over the bands now")}, {"band_thresholds", Free("as in the card")},
       {"realised_by_band", Arr(Free("month, in_training_data, and per band {records, rate}"))},
       {"history", Arr(Obj({{"day", Str()}, {"model_version", Int()}, {"max_psi", Num()}}))}},
      {"target", "model_version", "drift", "realised_by_band", "history"}, "Model monitoring / 模型监控");
  const json reason = Free("a reason: feature, value, contribution, text_zh, text_en");
  const json score = Obj(
      {{"record_id", Int()}, {"target", Str()}, {"score", Null(Int("0-100; null: no model or no score yet"))},
       {"band", Enum({"A", "B", "C", "D"})}, {"probability", Num()}, {"model_version", Int()},
       {"reasons", Obj({{"base", Num("the score of an average record")}, {"score", Int()}, {"positive", Arr(reason)}, {"negative", Arr(reason)},
                        {"other", Obj({{"points", Num()}, {"text_zh", Str()}, {"text_en", Str()}}, {},
                                      "what the listed reasons leave: base + every line's points = score")}})},
       {"summary", Arr(Str(), "the reasons in the reader's language")}, {"computed_at", Time()},
       {"message", Str("without a score: why")}, {"message_zh", Str()}},
      {"record_id", "target", "score"}, "A score with its reasons / 评分及原因");
  const json best = Obj(
      {{"entity", Str()}, {"id", Int()}, {"time_zone", Str()},
       {"windows", Arr(Obj({{"weekday", Int("1 Monday … 7 Sunday")}, {"hour", Int()}, {"label_zh", Str()}, {"label_en", Str()},
                            {"rate", Num("expected answer rate")}, {"lift", Num("against the average")}, {"own_calls", Num()}},
                           {"weekday", "hour", "rate"}),
                   "the best hours of the week")},
       {"best_hours", Arr(Int(), "the best hours of a working day")},
       {"by_hour_weekdays", Arr(Num(), "answer rate by hour 0-23 on working days")},
       {"rate_overall", Num()},
       {"evidence", Obj({{"own_calls", Num()}, {"owner_calls", Num()}, {"segment_calls", Num()}, {"tenant_calls", Num()}})}},
      {"entity", "id", "windows", "best_hours", "by_hour_weekdays", "rate_overall", "evidence"},
      "Best hours to call / 最佳联系时段");
  const json signals = Items(Obj({{"id", Int()}, {"kind", Enum({"news", "tender", "social", "review", "other"})}, {"source", Null(Str())},
                                  {"title", Str()}, {"body", Null(Str())}, {"url", Null(Str())}, {"sentiment", Null(Num("-1…1"))},
                                  {"occurred_at", Time()}},
                                 {"id", "kind", "title", "occurred_at"}),
                             "External signals, newest first / 外部信号");
  const json rule_counts = Obj({{"found", Int()}, {"created", Int("tasks made")}, {"refreshed", Int("tasks updated")}});
  const json planned = Map(rule_counts, "Per next-best-action rule: what it found and the tasks it made / 各规则的结果");
  const json today = Obj(
      {{"items", Arr(Obj({{"task_id", Int()}, {"title", Str()}, {"priority", Str("urgent, high, normal, low")}, {"due_at", Null(Time())},
                          {"overdue", Bool()}, {"source", Str("ai or manual")}, {"rule", Null(Str())}, {"expected_value", Num("yuan")},
                          {"why", Str("in the reader's language")}, {"why_zh", Str()}, {"why_en", Str()},
                          {"related_entity", Null(Str())}, {"related_id", Null(Int())}},
                         {"task_id", "title", "priority", "overdue", "why"}),
                     "best first")},
       {"total", Int("open tasks")}},
      {"items", "total"}, "My day / 我的今日");
  const json lookalikes = Obj(
      {{"items", Arr(Obj({{"customer_id", Int()}, {"name", Str()}, {"owner_id", Null(Int())}, {"similarity", Num("0…1")},
                          {"like", Null(Obj({{"id", Int()}, {"name", Str()}, {"won_amount", Num()}}, {}, "the best customer it is most like (hidden "
                                                                                                          "when you may not see it)"))},
                          {"reasons", Arr(Str(), "in the reader's language")}, {"reasons_zh", Arr(Str())}, {"reasons_en", Arr(Str())}},
                         {"customer_id", "name", "similarity"}))},
       {"best_customers", Int("won customers learned from")}, {"candidates", Int("customers compared")}},
      {"items", "best_customers", "candidates"}, "High-potential look-alikes / 高潜相似客户");
  const json column = Obj({{"name", Str()}, {"type", Enum({"number", "category", "text", "constant"})}, {"missing", Int()}, {"distinct", Int()},
                           {"min", Num()}, {"max", Num()}, {"top", Arr(Obj({{"value", Str()}, {"rows", Int()}}))}},
                          {"name", "type"});
  const json dataset = Component(
      "Dataset", Obj({{"id", Int()}, {"name", Str()}, {"rows", Int()}, {"columns", Arr(column, "each column's profile")},
                      {"suggested", Free("suggestions: label, positive, exclude (columns known only after the outcome), …")},
                      {"card", Null(card)}, {"created_at", Time()}},
                     {"id", "name", "rows", "columns", "suggested", "card", "created_at"}, "An uploaded dataset / 数据集"));
  const json datasets = Items(Obj({{"id", Int()}, {"name", Str()}, {"rows", Int()}, {"created_at", Time()}, {"trained", Bool()}},
                                  {"id", "name", "rows", "created_at", "trained"}));
  router_.Add("GET", "/api/v1/ai/models/{name}", [ai](Call& c) { return AiReply(ai->Models(c.p(), c.name())); },
              {"Model versions of a kind (lead or opportunity) with their cards; says why when there is none",
               "某类模型（lead 线索 / opportunity 商机）的各版本及模型卡；没有模型时说明原因", "ai", nullptr, versions});
  router_.Add("POST", "/api/v1/ai/models/{name}/train", [ai](Call& c) { return AiReply(ai->StartTraining(c.p(), c.name()), 202); },
              {"Train a new version in the background (promoted only if not worse on the holdout)",
               "后台训练新版本（在留出集上不差于当前版本才启用）", "ai", nullptr, job, {}, 202});
  router_.Add("GET", "/api/v1/ai/models/{name}/versions/{version}", [ai](Call& c) {
    return Wrap(ai->ModelCard(c.p(), c.name(), static_cast<int>(c.ids.at("version"))));
  }, {"The model card of one version", "某一版本的模型卡", "ai", nullptr, card});
  json rollback = {{"type", "object"}, {"properties", {{"version", {{"type", "integer"}, {"description", "default: the previous one"}}}}}};
  router_.Add("POST", "/api/v1/ai/models/{name}/rollback", [ai](Call& c) -> Result<Reply> {
    int version = 0;
    if (c.body.is_object() && c.body.contains("version")) {
      if (!c.body["version"].is_number_integer()) {
        return Status::Invalid("validation.type", "version must be a whole number", "version 须为整数", "version");
      }
      version = c.body["version"].get<int>();
    }
    return AiReply(ai->Rollback(c.p(), c.name(), version));
  }, {"Make an earlier version active again and rescore", "回滚到早期版本并重新评分", "ai", rollback, rolled_back});
  router_.Add("GET", "/api/v1/ai/models/{name}/monitoring", [ai](Call& c) { return AiReply(ai->Monitoring(c.p(), c.name())); },
              {"Drift (feature and score PSI vs the population at training), bands now, realised success by band per month",
               "模型监控：特征与评分的 PSI 漂移、当前分档分布、各分档每月实际转化/赢单率", "ai", nullptr, monitoring});
  router_.Add("GET", "/api/v1/ai/jobs/{id}", [ai](Call& c) { return AiReply(ai->Job(c.p(), c.id())); },
              {"A background job with its progress and result", "后台任务的进度和结果", "ai", nullptr, job});
  router_.Add("GET", "/api/v1/leads/{id}/score", [ai](Call& c) { return AiReply(ai->ScoreOf(c.p(), "lead", c.id())); },
              {"The lead's conversion score with its reasons", "线索转化评分及原因", "ai", nullptr, score});
  router_.Add("GET", "/api/v1/opportunities/{id}/score", [ai](Call& c) { return AiReply(ai->ScoreOf(c.p(), "opportunity", c.id())); },
              {"The deal's win score with its reasons", "商机赢单评分及原因", "ai", nullptr, score});
  router_.Add("GET", "/api/v1/customers/{id}/best-contact-time", [ai](Call& c) { return AiReply(ai->BestContactTime(c.p(), "customers", c.id())); },
              {"Best hours of the week to call the customer, with expected answer rates", "客户的最佳联系时段及预计接通率", "ai", nullptr, best});
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
    return AiReply(ai->Signals(c.p(), c.id(), limit));
  }, {"External signals about the customer (news, tenders, social posts, reviews), newest first",
      "客户的外部信号（新闻、招标、社交、评价），按时间倒序", "ai", nullptr, signals, {{"limit", "1-500, default 50"}}});
  router_.Add("GET", "/api/v1/leads/{id}/best-contact-time", [ai](Call& c) { return AiReply(ai->BestContactTime(c.p(), "leads", c.id())); },
              {"Best hours of the week to call the lead, with expected answer rates", "线索的最佳联系时段及预计接通率", "ai", nullptr, best});
  router_.Add("POST", "/api/v1/ai/actions/plan", [ai](Call& c) { return AiReply(ai->PlanActions(c.p())); },
              {"Run the next-best-action rules now (they also run hourly); counts per rule",
               "立即运行下一步最佳行动规则（每小时也会自动运行）；返回各规则的数量", "ai", nullptr, planned});
  router_.Add("GET", "/api/v1/me/today", [ai](Call& c) -> Result<Reply> {
    int limit = 50;
    std::string l = Query(c, "limit");
    if (!l.empty()) {
      char* end = nullptr;
      long v = std::strtol(l.c_str(), &end, 10);
      if (*end || v < 1 || v > 200) return Status::Invalid("validation.range", "limit is 1-200", "limit 须为 1-200", "limit");
      limit = static_cast<int>(v);
    }
    return AiReply(ai->Today(c.p(), limit));
  }, {"My day: my open tasks, best first, each with its reason", "我的今日：按优先级排序的待办任务及原因", "ai", nullptr, today,
      {{"limit", "1-200, default 50"}}});
  router_.Add("GET", "/api/v1/ai/lookalikes", [ai](Call& c) -> Result<Reply> {
    std::string l = Query(c, "limit");
    int limit = l.empty() ? 20 : std::atoi(l.c_str());
    if (limit < 1 || limit > 200) return Status::Invalid("validation.range", "limit is 1-200", "limit 须为 1-200", "limit");
    return AiReply(ai->Lookalikes(c.p(), limit));
  }, {"High-potential look-alikes: customers most like the best won customers, with the reasons",
      "高潜相似客户：与最佳赢单客户最相似的客户及相似原因", "ai", nullptr, lookalikes, {{"limit", "1-200, default 20"}}});
  RouteDoc upload{"Upload a CSV of historical records from another system; returns each column's profile and suggestions",
                  "上传其他系统导出的历史记录 CSV；返回各列画像及建议", "ai",
                  {{"type", "string"},
                   {"description", "text/csv with a header row; `,` `;` or tab; UTF-8, GB18030/GBK or UTF-16 with a BOM (detected)"}},
                  dataset,
                  {{"name", "a name for the dataset (required)"},
                   {"encoding", "the file's encoding when detection is not wanted: UTF-8, GB18030, GBK, Big5, UTF-16LE, …"}},
                  201};
  upload.raw_body = true;
  upload.content_types = {"text/csv"};
  router_.Add("POST", "/api/v1/ai/datasets", [ai](Call& c) -> Result<Reply> {
    if (!ai::AiService::MayManage(c.p())) return DatasetsForbidden();
    std::string ct = c.req.content_type.substr(0, c.req.content_type.find(';'));
    if (ct != "text/csv" && ct != "application/csv") {
      return Status::Error(ErrorKind::kInvalid, "http.unsupported_media_type", "send the file as text/csv", "请以 text/csv 发送文件");
    }
    return AiReply(ai->CreateDataset(c.p(), Query(c, "name"), c.req.body, Query(c, "encoding")), 201);
  }, upload);
  router_.Add("GET", "/api/v1/ai/datasets", [ai](Call& c) { return AiReply(ai->Datasets(c.p())); },
              {"Uploaded datasets", "已上传的数据集", "ai", nullptr, datasets});
  router_.Add("GET", "/api/v1/ai/datasets/{id}", [ai](Call& c) { return AiReply(ai->Dataset(c.p(), c.id())); },
              {"A dataset: column profile, suggestions and the last model card", "数据集：列画像、建议和最近的模型卡", "ai", nullptr, dataset});
  json mapping = {{"type", "object"}, {"required", {"label"}},
                  {"properties", {{"label", {{"type", "string"}, {"description", "the outcome column"}}},
                                  {"positive", {{"type", "string"}, {"description", "the label value meaning success"}}},
                                  {"exclude", {{"type", "array"}, {"items", {{"type", "string"}}},
                                               {"description", "columns never used, e.g. one only known after the outcome"}}},
                                  {"types", {{"type", "object"}, {"description", "column → number, category or text"}}},
                                  {"time_column", {{"type", "string"}}}, {"folds", {{"type", "integer"}}},
                                  {"holdout", {{"type", "number"}}}}}};
  router_.Add("POST", "/api/v1/ai/datasets/{id}/train", [ai](Call& c) {
    return AiReply(ai->StartDatasetTraining(c.p(), c.id(), c.body), 202);
  }, {"Map the columns and train in the background (cross-validated and holdout AUC in the job's result)",
      "映射列并后台训练（任务结果含交叉验证与留出集 AUC）", "ai", mapping, job, {}, 202});
  router_.Add("GET", "/api/v1/ai/features/{name}", [ai](Call& c) -> Result<Reply> {
    KEEL_ASSIGN_OR_RETURN(std::vector<ai::FeatureDef> defs, ai->Features(c.p(), c.name()));
    json items = json::array();
    for (const auto& d : defs) {
      items.push_back({{"name", d.name}, {"kind", d.categorical ? "category" : "number"}, {"zh", d.zh}, {"en", d.en}});
    }
    return Reply{200, {{"items", items}}};
  }, {"The features a lead or opportunity model reads (declared, then the tenant's custom AI fields): what dataset columns map to",
      "线索或商机模型读取的特征（内置特征及本企业的自定义 AI 字段）：数据集列可映射到的对象", "ai", nullptr,
      Items(Obj({{"name", Str()}, {"kind", Enum({"number", "category"})}, {"zh", Str()}, {"en", Str()}}, {"name", "kind", "zh", "en"}))});
  const json dataset_versions = Items(Obj({{"version", Int()}, {"created_at", Time()}, {"card", card},
                                           {"promoted_to", Null(Enum({"lead", "opportunity"}))},
                                           {"promoted_version", Null(Int("the lead/deal model version it became"))}},
                                          {"version", "created_at", "card", "promoted_to", "promoted_version"}));
  router_.Add("GET", "/api/v1/ai/datasets/{id}/models", [ai](Call& c) { return AiReply(ai->DatasetModels(c.p(), c.id())); },
              {"Every trained version of the dataset's model with its card, newest first", "数据集模型的各训练版本及模型卡（新在前）", "ai",
               nullptr, dataset_versions});
  const json explained = Obj({{"base", Num("the score of an average row")}, {"score", Int()}, {"positive", Arr(reason)},
                              {"negative", Arr(reason)}, {"other", Free("points, text_zh, text_en: what the listed reasons leave")}});
  const json prediction = Obj(
      {{"dataset_id", Int()}, {"version", Int()}, {"missing_columns", Arr(Str(), "the model's columns the rows lack (read as unknown)")},
       {"items", Arr(Obj({{"row", Int("1-based")}, {"line", Null(Int("CSV line"))}, {"probability", Num()}, {"score", Int("0-100")},
                          {"reasons", explained}},
                         {"row", "line", "probability", "score", "reasons"}))}},
      {"dataset_id", "version", "missing_columns", "items"}, "Scored rows / 评分结果");
  RouteDoc predict{"Score rows with the dataset's model: CSV (text/csv, a header row) or JSON {rows: [{column: value}]}; "
                   "reasons add up to score − base; ?format=csv or xlsx downloads a file",
                   "用数据集模型为数据行评分：CSV（含表头）或 JSON {rows: [{列名: 值}]}；原因分值相加等于 评分 − 基准；"
                   "?format=csv 或 xlsx 下载文件",
                   "ai",
                   {{"oneOf", json::array({{{"type", "string"}, {"description", "text/csv"}},
                                           {{"type", "object"}, {"required", {"rows"}},
                                            {"properties", {{"rows", {{"type", "array"}, {"items", {{"type", "object"}}}}}}}}})}},
                   prediction,
                   {{"version", "the model version (default: the newest)"}, {"format", "json (default), csv or xlsx"}}};
  predict.raw_body = true;
  predict.content_types = {"text/csv", "application/json"};
  predict.response_type = "application/json,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
  predict.operation_id = "predictWithAiDataset";
  router_.Add("POST", "/api/v1/ai/datasets/{id}/predict", [ai](Call& c) -> Result<Reply> {
    if (!ai::AiService::MayManage(c.p())) return DatasetsForbidden();
    KEEL_ASSIGN_OR_RETURN(int version, VersionParam(c));
    std::string format = Query(c, "format");
    if (!format.empty() && format != "json" && format != "csv" && format != "xlsx") {
      return Status::Invalid("validation.enum", "format is json, csv or xlsx", "format 须为 json、csv 或 xlsx", "format");
    }
    std::string ct = c.req.content_type.substr(0, c.req.content_type.find(';'));
    Result<ai::DatasetPrediction> r = Status();
    if (ct == "text/csv" || ct == "application/csv") {
      if (c.req.body.empty()) return Status::Invalid("validation.body", "the CSV is empty", "CSV 为空", "body");
      r = ai->PredictDataset(c.p(), c.id(), version, c.req.body, json());
    } else if (ct == "application/json") {
      json rows;
      try {
        // Rows of flat objects: three levels at most.
        rows = json::parse(c.req.body, [](int depth, json::parse_event_t, json&) {
          if (depth > 4) throw std::out_of_range("nested");
          return true;
        });
      } catch (const json::parse_error& e) {
        return Status::Invalid("validation.json", "malformed JSON at byte " + std::to_string(e.byte),
                               "JSON 格式错误，位置：第 " + std::to_string(e.byte) + " 字节", "body@" + std::to_string(e.byte));
      } catch (const std::exception&) {
        return Status::Invalid("validation.too_deep", "rows are flat objects: column → value", "数据行须为单层对象：列名 → 值", "body");
      }
      r = ai->PredictDataset(c.p(), c.id(), version, {}, rows);
    } else {
      return Status::Error(ErrorKind::kInvalid, "http.unsupported_media_type", "send text/csv or application/json",
                           "请以 text/csv 或 application/json 发送", "Content-Type");
    }
    if (!r.ok()) return r.status();
    if (format == "csv" || format == "xlsx") return PredictionFile(*r, format, c.p().locale.rfind("en", 0) == 0);
    return Reply{200, ai::ToJson(*r)};
  }, predict);
  json promote = {{"type", "object"}, {"required", {"target", "mapping"}},
                  {"properties", {{"target", {{"type", "string"}, {"enum", {"lead", "opportunity"}}}},
                                  {"version", {{"type", "integer"}, {"description", "default: the newest"}}},
                                  {"mapping", {{"type", "object"}, {"description", "each model column → the lead/deal feature standing for it"}}}}}};
  const json train_result = Obj({{"version", Int("the lead/deal model version it became")}, {"status", Str("active")},
                                 {"holdout_auc", Null(Num())}, {"scored", Int("open records scored")}, {"card", card}},
                                {"version", "status", "scored", "card"}, "The promoted version / 启用的版本");
  router_.Add("POST", "/api/v1/ai/datasets/{id}/promote", [ai](Call& c) -> Result<Reply> {
    if (!ai::AiService::MayManage(c.p())) return DatasetsForbidden();
    if (!c.body.is_object() || !c.body.contains("target") || !c.body["target"].is_string()) {
      return Status::Invalid("validation.required", "target (lead or opportunity) is required", "target（lead 或 opportunity）为必填项", "target");
    }
    if (!c.body.contains("mapping")) return Status::Invalid("validation.required", "mapping is required", "mapping 为必填项", "mapping");
    int version = 0;
    if (c.body.contains("version")) {
      if (!c.body["version"].is_number_integer() || c.body["version"].get<int64_t>() < 1) {
        return Status::Invalid("validation.type", "version is a whole number from 1", "version 须为正整数", "version");
      }
      version = c.body["version"].get<int>();
    }
    return AiReply(ai->PromoteDatasetModel(c.p(), c.id(), version, c.body["target"].get<std::string>(), c.body["mapping"]));
  }, {"Let a version of the dataset's model score the tenant's leads or deals (it becomes the active version; rollback restores "
      "the previous one)",
      "让数据集模型的某一版本为本企业的线索或商机评分（成为启用版本；回滚可恢复之前的版本）", "ai", promote, train_result});
}

}  // namespace keel::http
