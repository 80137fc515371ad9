// Routes of ingestion: POST /api/v1/events (JSON array or NDJSON) and custom event types.
#include "http/api.h"
#include "http/openapi.h"
#include "http/streams.h"
#include "ingest/ingest.h"

namespace keel::http {
namespace {

json ToJson(const ingest::IngestReport& r) {
  json errs = json::array();
  for (const auto& e : r.errors) {
    errs.push_back({{"index", e.index}, {"code", e.status.code()}, {"message", e.status.message_en()},
                    {"message_zh", e.status.message_zh()},
                    {"field", e.status.field().empty() ? json(nullptr) : json(e.status.field())}});
  }
  return {{"received", r.received}, {"accepted", r.accepted}, {"duplicates", r.duplicates}, {"rejected", r.errors.size()},
          {"errors", errs}, {"duplicate_indexes", r.duplicate_indexes}};
}

// A stored type: its definition document with its version (and creation time when known).
json ToJson(const ingest::StoredEventType& t) {
  json d = json::parse(t.definition, nullptr, false);
  d["version"] = t.version;
  if (!t.created_at.empty()) d["created_at"] = t.created_at;
  return d;
}

}  // namespace

void Api::AddIngestRoutes() {
  ingest::Ingestor* in = services_.ingest;
  if (in == nullptr) return;
  using namespace schema;  // NOLINT(google-build-using-namespace): the builders read as the schema
  json obj = {{"type", "object"}};  // a label or field declaration in a request
  const json report = Component(
      "IngestReport",
      Obj({{"received", Int()}, {"accepted", Int()}, {"duplicates", Int("already received (same idempotency key): counted once")},
           {"rejected", Int()},
           {"errors", Arr(Obj({{"index", Int("the record's index in the batch (a CSV: its data row, from 0)")}, {"code", Str()}, {"message", Str()},
                               {"message_zh", Str()}, {"field", Null(Str())}},
                              {"index", "code", "message", "message_zh"}))},
           {"duplicate_indexes", Arr(Int())},
           {"error", Free("422 only: batch.all_failed, as in Error")}},
          {"received", "accepted", "duplicates", "rejected", "errors", "duplicate_indexes"},
          "What became of a batch / 批量处理结果"));
  const json field = Obj({{"name", Str()}, {"type", Str("string, number, int, bool, timestamp, …")}, {"required", Bool()}, {"label", Str()}},
                         {"name", "type"});
  const json event_type = Component(
      "EventType", Obj({{"name", Str()}, {"version", Int()}, {"label", Obj({{"zh", Str()}, {"en", Str()}})}, {"fields", Arr(field)}},
                       {"name", "fields"}, "A custom event type / 自定义事件类型"));
  json records = {{"type", "array"}, {"description", "records (see docs/ingest.md); or NDJSON with Content-Type application/x-ndjson"},
                  {"items", {{"type", "object"}, {"required", {"type"}},
                             {"properties", {{"type", {{"type", "string"}}}, {"id", {{"type", "string"}}}, {"at", {{"type", "string"}}}}}}}};
  RouteDoc doc{"Send facts in bulk: orders/POS sales, activities, signals, leads, stage changes, custom events",
               "批量提交业务事实：订单/POS、活动、外部信号、线索、阶段变化、自定义事件", "ingest", records, report,
               {{"Idempotency-Key (header)", "optional: records without an id get <key>#<index> as their idempotency key"}}, 201};
  doc.raw_body = true;
  doc.content_types = {"application/json", "application/x-ndjson"};
  doc.also = {{207, "some records were accepted, the others are listed in errors with their index"}};
  router_.Add("POST", "/api/v1/events", [in](Call& c) -> Result<Reply> {
    KEEL_ASSIGN_OR_RETURN(ingest::IngestReport r, in->Ingest(c.p(), c.req.body, c.req.content_type, c.req.idempotency_key));
    int status = r.errors.empty() ? 201 : (r.accepted + r.duplicates > 0 ? 207 : 422);
    json body = ToJson(r);
    if (status == 422) {
      body["error"] = ErrorBody(Status::Error(ErrorKind::kUnprocessable, "batch.all_failed",
                                              "no record of the batch was valid; see errors", "批量中没有有效记录，详见 errors"),
                                c.req.request_id)["error"];
    }
    return Reply{status, std::move(body)};
  }, doc);
  RouteDoc import_doc{"Import a CSV file of facts (orders with one row per line, activities, signals, leads or a custom type); "
                      "importing the same file again counts nothing twice",
                      "导入 CSV 业务数据（订单每行一条明细、活动、外部信号、线索或自定义类型）；重复导入同一文件不会重复计数",
                      "ingest", {{"type", "string"}, {"description", "text/csv (UTF-8), header row with field names"}}, report,
                      {{"type", "order, activity, signal, lead or a custom event type (required)"}}, 201};
  import_doc.raw_body = true;
  import_doc.content_types = {"text/csv"};
  import_doc.also = {{207, "some rows were accepted, the others are listed in errors with their line"}};
  router_.Add("POST", "/api/v1/imports", [in](Call& c) -> Result<Reply> {
    if (domain::IsReadOnly(c.p().role)) {
      return Status::Error(ErrorKind::kForbidden, "auth.forbidden", "your role may not import facts", "您的角色不能导入数据");
    }
    std::string type;
    for (const auto& [k, v] : c.req.query) {
      if (k == "type") type = v;
    }
    if (type.empty()) return Status::Invalid("validation.required", "type is required (?type=order)", "必须提供 type（如 ?type=order）", "type");
    std::string ct = c.req.content_type.substr(0, c.req.content_type.find(';'));
    if (ct != "text/csv" && ct != "application/csv") {
      return Status::Error(ErrorKind::kInvalid, "http.unsupported_media_type", "send the file as text/csv", "请以 text/csv 发送文件");
    }
    KEEL_ASSIGN_OR_RETURN(ingest::IngestReport r, in->ImportCsv(c.p(), type, c.req.body));
    int status = r.errors.empty() ? 201 : (r.accepted + r.duplicates > 0 ? 207 : 422);
    json body = ToJson(r);
    if (status == 422) {
      body["error"] = ErrorBody(Status::Error(ErrorKind::kUnprocessable, "batch.all_failed",
                                              "no row of the file was valid; see errors", "文件中没有有效的行，详见 errors"),
                                c.req.request_id)["error"];
    }
    return Reply{status, std::move(body)};
  }, import_doc);
  router_.Add("GET", "/api/v1/event-types", [in](Call& c) -> Result<Reply> {
    KEEL_ASSIGN_OR_RETURN(std::vector<ingest::StoredEventType> types, in->ListTypes(c.p()));
    json items = json::array();
    for (const auto& t : types) items.push_back(ToJson(t));
    return Reply{200, json{{"items", std::move(items)}}};
  }, {"Custom event types", "自定义事件类型", "ingest", nullptr, Items(event_type)});
  json type_schema = {{"type", "object"}, {"required", {"name", "fields"}},
                      {"properties", {{"name", {{"type", "string"}}}, {"label", obj},
                                      {"fields", {{"type", "array"}, {"items", obj}}}}}};
  router_.Add("POST", "/api/v1/event-types", [in](Call& c) -> Result<Reply> {
    KEEL_ASSIGN_OR_RETURN(ingest::StoredEventType t, in->SaveType(c.p(), c.body));
    return Reply{201, ToJson(t)};
  }, {"Declare (or change) a custom event type with its field schema", "声明（或修改）自定义事件类型及其字段", "ingest", type_schema, event_type, {}, 201});
}

void Api::AddStreamRoutes() {
  StreamHub* hub = services_.streams;
  if (hub == nullptr) return;
  router_.Add("GET", "/api/v1/stream", [hub](Call& c) -> Result<Reply> {
    KEEL_ASSIGN_OR_RETURN(auto stream, hub->Open(c.p(), c.req.query, c.req.last_event_id, c.req.authorization.substr(7)));
    Reply r;
    r.stream = std::move(stream);
    return r;
  }, Responds({"Live updates as Server-Sent Events: metrics (same parameters as /metrics/query) and alerts=true; "
      "resumable with Last-Event-ID", "实时推送（SSE）：指标（参数同 /metrics/query）与告警（alerts=true）；可用 Last-Event-ID 续传",
      "streams", nullptr, {{"type", "string"}, {"description", "text/event-stream: events `metrics`, `alert`, `error`; `: ping` every 15 s"}},
      {{"metrics", "as /metrics/query (optional with alerts=true)"}, {"alerts", "true to receive alerts in scope"},
       {"Last-Event-ID (header)", "resume after this event-log sequence number"}}}, "text/event-stream"));
}

}  // namespace keel::http
