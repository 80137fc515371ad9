#include "http/openapi.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <mutex>
#include <set>
#include <string_view>
#include <vector>

#include <spdlog/spdlog.h>

#include "http/api.h"

namespace keel::http {

using domain::EntityDef;
using domain::FieldDef;
using domain::FieldType;

namespace {

// "budget-transfers" → "BudgetTransfers"; "openapi.json" → "OpenapiJson".
std::string Pascal(std::string_view s) {
  std::string out;
  bool up = true;
  for (char ch : s) {
    if (ch == '-' || ch == '_' || ch == '.' || ch == ' ') {
      up = true;
      continue;
    }
    out += up ? static_cast<char>(std::toupper(static_cast<unsigned char>(ch))) : ch;
    up = false;
  }
  return out;
}

std::string Camel(std::string_view s) {
  std::string p = Pascal(s);
  if (!p.empty()) p[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(p[0])));
  return p;
}

// A collection segment as one thing: an entity's own singular, else the English plural undone.
std::string Singular(const std::string& seg) {
  for (const auto& e : domain::Entities()) {
    if (e.UrlSegment() == seg) return e.singular;
  }
  auto ends = [&](std::string_view suffix) {
    return seg.size() > suffix.size() && seg.compare(seg.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  if (ends("ies")) return seg.substr(0, seg.size() - 3) + "y";
  if (ends("sses") || ends("xes")) return seg.substr(0, seg.size() - 2);
  if (ends("s") && !ends("ss")) return seg.substr(0, seg.size() - 1);
  return seg;
}

bool IsParam(const std::string& seg) { return seg.size() > 2 && seg.front() == '{' && seg.back() == '}'; }

// Routes whose method and path do not read as a good name. Keys are "METHOD pattern".
const std::map<std::string, std::string>& Overrides() {
  static const auto* m = new std::map<std::string, std::string>{
      {"GET /api/v1/accounting-settings", "getAccountingSettings"},
      {"POST /api/v1/accounting-settings", "saveAccountingSettings"},
      {"POST /api/v1/activities/{id}/intents", "correctActivityIntents"},
      {"POST /api/v1/ai/actions/plan", "planNextBestActions"},
      {"GET /api/v1/ai/lookalikes", "listLookalikeCustomers"},
      {"POST /api/v1/ai/datasets", "uploadAiDataset"},
      {"POST /api/v1/ai/datasets/{id}/train", "trainOnAiDataset"},
      {"POST /api/v1/alert-rules/check", "checkAlertRule"},
      {"POST /api/v1/alerts/{id}/ack", "acknowledgeAlert"},
      {"POST /api/v1/approvals", "submitApproval"},
      {"POST /api/v1/approvals/{id}/comment", "commentOnApproval"},
      {"POST /api/v1/auth/login", "login"},
      {"POST /api/v1/auth/logout", "logout"},
      {"GET /api/v1/auth/me", "getMe"},
      {"GET /api/v1/health", "getHealth"},
      {"GET /api/v1/ready", "getReadiness"},
      {"GET /api/v1/openapi.json", "getOpenApiDocument"},
      {"GET /api/v1/kb/search", "searchKnowledgeBase"},
      {"POST /api/v1/ledger/close", "closeLedgerPeriod"},
      {"POST /api/v1/ledger/post", "postToLedger"},
      {"GET /api/v1/ledger/consolidated", "getConsolidatedLedger"},
      {"GET /api/v1/materials/{id}/versions", "listMaterialVersions"},
      {"POST /api/v1/materials/{id}/versions", "uploadMaterialVersion"},
      {"GET /api/v1/materials/{id}/versions/latest/content", "downloadLatestMaterialVersion"},
      {"GET /api/v1/materials/{id}/versions/{n}/content", "downloadMaterialVersion"},
      {"GET /api/v1/me/approvals", "listMyApprovals"},
      {"GET /api/v1/me/recaps", "listMyRecaps"},
      {"GET /api/v1/me/today", "getMyToday"},
      {"POST /api/v1/metrics/check", "checkMetric"},
      {"GET /api/v1/metrics/query", "queryMetrics"},
      {"GET /api/v1/metrics/sources", "listMetricSources"},
      {"POST /api/v1/opportunities/{id}/draft-follow-up", "draftOpportunityFollowUp"},
      {"POST /api/v1/quotes/{id}/order", "orderFromQuote"},
      {"POST /api/v1/profit-sharing/runs", "runProfitSharing"},
      {"GET /api/v1/public/feedback/{token}", "getPublicFeedbackForm"},
      {"POST /api/v1/public/feedback/{token}", "submitPublicFeedback"},
      {"GET /api/v1/stream", "openEventStream"},
      {"POST /api/v1/events", "ingestEvents"},
      {"GET /api/v1/events", "listEventLog"},
      {"POST /api/v1/imports", "importCsv"},
      {"GET /api/v1/tenant", "getTenant"},
      {"PATCH /api/v1/tenant", "updateTenant"},
      {"GET /api/v1/text/key-phrases", "listKeyPhrases"},
      {"GET /api/v1/text/models/sentiment", "getSentimentModel"},
      {"POST /api/v1/text/models/sentiment/train", "trainSentimentModel"},
      {"GET /api/v1/text/recap", "getRecap"},
      {"GET /api/v1/text/settings", "getTextSettings"},
      {"PUT /api/v1/text/settings", "replaceTextSettings"},
      {"GET /api/v1/units/{id}/boundaries/decision", "getUnitBoundaryDecision"},
      {"GET /api/v1/units/{id}/members", "listUnitMembers"},
      {"POST /api/v1/units/{id}/members", "addUnitMember"},
      {"PATCH /api/v1/units/{id}/members/{user_id}", "updateUnitMember"},
      {"DELETE /api/v1/users/{id}/sessions", "revokeUserSessions"},
  };
  return *m;
}

std::string Derived(const std::string& method, const std::vector<std::string>& segs, int success) {
  // segs: the path's segments after /api/v1.
  std::vector<size_t> statics;
  for (size_t i = 0; i < segs.size(); ++i) {
    if (!IsParam(segs[i])) statics.push_back(i);
  }
  // A static segment followed by a parameter names one thing of a collection.
  auto noun = [&](size_t upto) {  // the statics before index `upto`, as one name
    std::string out;
    for (size_t i : statics) {
      if (i >= upto) break;
      bool one = i + 1 < segs.size() && IsParam(segs[i + 1]);
      out += Pascal(one ? Singular(segs[i]) : segs[i]);
    }
    return out;
  };
  const bool ends_in_param = !segs.empty() && IsParam(segs.back());
  const std::string m = method;
  if (ends_in_param) {
    const char* verb = m == "GET" ? "get" : m == "PUT" ? "replace" : m == "PATCH" ? "update" : m == "DELETE" ? "delete" : "post";
    return verb + noun(segs.size());
  }
  const std::string& last = segs.back();
  const bool after_param = segs.size() > 1 && IsParam(segs[segs.size() - 2]);
  if (m == "GET") return (after_param ? "get" : "list") + noun(segs.size());
  if (m == "POST" && success == 201 && !after_param) return "create" + noun(segs.size() - 1) + Pascal(Singular(last));
  if (m == "POST") return Camel(last) + noun(segs.size() - 1);
  return Camel(m) + noun(segs.size());
}

json FieldSchema(const FieldDef& f) {
  json s;
  std::string type;
  switch (f.type) {
    case FieldType::kRef: s = {{"minimum", 1}}; type = "integer"; break;
    case FieldType::kString:
    case FieldType::kText: s = {{"maxLength", f.max_len}}; type = "string"; break;
    case FieldType::kInt: s = {{"minimum", f.min}, {"maximum", f.max}}; type = "integer"; break;
    case FieldType::kNumber: s = {{"minimum", f.min}, {"maximum", f.max}}; type = "number"; break;
    case FieldType::kMoney: s = {{"multipleOf", 0.01}, {"minimum", f.min}, {"maximum", f.max}}; type = "number"; break;
    case FieldType::kBool: type = "boolean"; break;
    case FieldType::kEnum: s = {{"enum", f.values}}; type = "string"; break;
    case FieldType::kTimestamp: s = {{"format", "date-time"}}; type = "string"; break;
    case FieldType::kDate: s = {{"format", "date"}}; type = "string"; break;
    case FieldType::kCurrency: s = {{"enum", domain::kCurrencies}}; type = "string"; break;
    case FieldType::kCategory: s = {{"pattern", "^[^/]+(/[^/]+){0,5}$"}}; type = "string"; break;
    case FieldType::kJson: type = "object"; break;
    case FieldType::kPassword: s = {{"writeOnly", true}, {"minLength", 10}}; type = "string"; break;
  }
  if (s.is_null()) s = json::object();
  // JSON Schema 2020-12: a field that may be absent or unset is typed [type, "null"].
  const bool nullable = !f.required || !f.writable;
  s["type"] = nullable ? json::array({type, "null"}) : json(type);
  if (nullable && s.contains("enum")) s["enum"].push_back(nullptr);
  if (!f.writable) s["readOnly"] = true;
  if (!f.ref.empty()) s["x-references"] = f.ref;
  if (!f.default_value.empty()) s["default"] = f.type == FieldType::kBool ? json(f.default_value == "true") : json(f.default_value);
  s["description"] = f.doc_en + (f.doc_zh.empty() ? "" : " / " + f.doc_zh);
  return s;
}

// Example values of a field for the entity examples (the demo company's style).
json ExampleOf(const FieldDef& f) {
  switch (f.type) {
    case FieldType::kRef: return 1001;
    case FieldType::kString: return f.name == "code" ? json("C-0001") : f.name == "name" ? json("华东家电城") : json("示例");
    case FieldType::kText: return "客户关注一级能效与安装周期";
    case FieldType::kInt: return std::max<int64_t>(static_cast<int64_t>(f.min), 1);
    case FieldType::kNumber: return std::max(f.min, 0.0);
    case FieldType::kMoney: return 12800.0;
    case FieldType::kBool: return false;
    case FieldType::kEnum: return f.values.empty() ? json(nullptr) : json(f.values[0]);
    case FieldType::kTimestamp: return "2026-11-27T02:00:00Z";
    case FieldType::kDate: return "2026-11-27";
    case FieldType::kCurrency: return "CNY";
    case FieldType::kCategory: return "家电/空调";
    case FieldType::kJson: return json::object();
    case FieldType::kPassword: return nullptr;
  }
  return nullptr;
}

json EntityExample(const EntityDef& e) {
  json ex = {{"id", 1001}, {"created_at", "2026-11-27T02:00:00Z"}, {"updated_at", "2026-11-27T02:00:00Z"},
             {"archived_at", nullptr}, {"created_by", 1002}};
  for (const auto& f : e.fields) {
    if (f.type == FieldType::kPassword) continue;
    json v = ExampleOf(f);
    if (!v.is_null() && (f.required || !f.default_value.empty() || f.type == FieldType::kEnum)) ex[f.name] = v;
  }
  for (const auto& group : e.needs_one_of) {
    if (const FieldDef* f = e.Field(group.front())) ex[f->name] = ExampleOf(*f);
  }
  if (e.child) {
    json line = {{"line_no", 1}};
    for (const auto& f : e.child->fields) {
      json v = ExampleOf(f);
      if (!v.is_null() && f.required) line[f.name] = v;
    }
    ex[e.child->name] = json::array({line});
  }
  return ex;
}

struct TagInfo {
  const char* part;
  const char* en;
  const char* zh;
};

// The tags that are not entities, by part. An entity's tag is its name, in "Records" unless the
// agile units own it (listed here too).
const std::map<std::string, TagInfo>& Tags() {
  static const auto* m = new std::map<std::string, TagInfo>{
      {"system", {"System", "Liveness, readiness, the cluster's status and this document", "存活、就绪、集群状态与本文档"}},
      {"auth", {"System", "Sign-in, sessions and API keys", "登录、会话与 API 密钥"}},
      {"tenant", {"System", "The tenant's settings", "租户设置"}},
      {"audit", {"System", "The audit log", "审计日志"}},
      {"events", {"System", "The event log", "事件日志"}},
      {"formula", {"Metrics & alerts", "The formula language: functions and checks", "公式语言：函数与校验"}},
      {"metrics", {"Metrics & alerts", "Metric definitions and queries", "指标定义与查询"}},
      {"alerts", {"Metrics & alerts", "Alert rules, alerts, silences, webhooks and notifications", "告警规则、告警、静默、Webhook 与通知"}},
      {"streams", {"Metrics & alerts", "Live updates (Server-Sent Events)", "实时推送（SSE）"}},
      {"ingest", {"Data in", "Facts in bulk and CSV imports", "批量业务事实与 CSV 导入"}},
      {"public", {"Data in", "Public feedback forms (no sign-in)", "公开反馈表单（无需登录）"}},
      {"ai", {"AI", "Scores with reasons, next best actions, models and datasets", "评分与原因、下一步行动、模型与数据集"}},
      {"text", {"Text", "Text analysis, recaps and the knowledge base", "文本分析、纪要与知识库"}},
      {"approvals", {"Units & approvals", "Approval workflows, the inbox, delegation and pricing authority", "审批流程、待办、授权与定价权限"}},
      {"governance", {"Units & approvals", "Unit boundaries, sandboxes and compliance checkpoints", "单元边界、沙盒与合规检查点"}},
      {"budgets", {"Units & approvals", "Unit budgets", "单元预算"}},
      {"ledger", {"Units & approvals", "The units' ledger and P&L", "单元账簿与损益"}},
      {"profit-sharing", {"Units & approvals", "Profit-sharing rules, runs and statements", "分润规则、核算与结算单"}},
      {"expenses", {"Units & approvals", "Expense claims and policies", "费用报销与标准"}},
      {"budget_transfers", {"Units & approvals", "Budget transfers between units", "单元间预算调拨"}},
      {"price_changes", {"Units & approvals", "Price changes", "调价申请"}},
      {"materials", {"Units & approvals", "Sales materials and their versions", "销售物料及其版本"}},
  };
  return *m;
}

const std::vector<std::string>& PartOrder() {
  static const auto* v = new std::vector<std::string>{"Records", "Units & approvals", "Metrics & alerts", "AI", "Text", "Data in", "System"};
  return *v;
}

// A query parameter's documentation: "(required)" in its text makes it required; a name ending in
// " (header)" is a request header.
// `name` "$GroupBy": a reference to the shared parameter of that name (SharedParameters).
json Parameter(const std::string& name, const std::string& desc) {
  if (!name.empty() && name[0] == '$') return {{"$ref", "#/components/parameters/" + name.substr(1)}};
  const std::string header_suffix = " (header)";
  bool header = name.size() > header_suffix.size() && name.compare(name.size() - header_suffix.size(), header_suffix.size(), header_suffix) == 0;
  json p = {{"name", header ? name.substr(0, name.size() - header_suffix.size()) : name},
            {"in", header ? "header" : "query"},
            {"required", desc.find("(required)") != std::string::npos},
            {"description", desc},
            {"schema", {{"type", "string"}}}};
  return p;
}

// `media_type` may list several, comma-separated (an export answers CSV or XLSX).
json ResponseDoc(const std::string& description, const std::string& media_type, const json& schema) {
  json content = json::object();
  size_t start = 0;
  while (start <= media_type.size()) {
    size_t comma = media_type.find(',', start);
    if (comma == std::string::npos) comma = media_type.size();
    content[media_type.substr(start, comma - start)] = {{"schema", schema}};
    start = comma + 1;
  }
  return {{"description", description}, {"content", content}};
}

json ErrorRef(const std::string& description) {
  return {{"$ref", "#/components/responses/" + description}};
}

// The list contract's parameters (docs/api.md, "Lists").
json SharedParameters() {
  return {{"Limit", {{"name", "limit"}, {"in", "query"}, {"required", false},
                     {"description", "items per page / 每页条数"},
                     {"schema", {{"type", "integer"}, {"minimum", 1}, {"maximum", kMaxPageLimit}, {"default", kDefaultPageLimit}}}}},
          {"SetLimit", {{"name", "limit"}, {"in", "query"}, {"required", false},
                        {"description", "items per page; a bounded set comes whole in one page unless you ask for less / "
                                        "每页条数；有界集合默认一页返回全部"},
                        {"schema", {{"type", "integer"}, {"minimum", 1}, {"maximum", kMaxPageLimit}, {"default", kDefaultSetLimit}}}}},
          {"After", {{"name", "after"}, {"in", "query"}, {"required", false},
                     {"description", "next_after of the previous page / 上一页返回的 next_after"},
                     {"schema", {{"type", "string"}}}}},
          // Aggregates and exports of a collection (docs/api.md, "Aggregates", "Exports").
          {"GroupBy", {{"name", "group_by"}, {"in", "query"}, {"required", false},
                       {"description", "up to 3 groupable fields, comma-separated (none: totals only) / 分组字段，逗号分隔，最多 3 个"},
                       {"schema", {{"type", "string"}}}, {"example", "stage,owner_id"}}},
          {"Measures", {{"name", "measures"}, {"in", "query"}, {"required", false},
                        {"description", "count, sum:<field>, avg:<field>, min:<field>, max:<field> over numeric fields, comma-separated "
                                        "(default count; at most 8) / 度量，逗号分隔"},
                        {"schema", {{"type", "string"}, {"default", "count"}}}, {"example", "count,sum:amount"}}},
          {"GroupLimit", {{"name", "limit"}, {"in", "query"}, {"required", false},
                          {"description", "groups returned, largest count first; beyond it `truncated` is true / 返回的分组数"},
                          {"schema", {{"type", "integer"}, {"minimum", 1}, {"maximum", domain::kAggregateMaxGroups},
                                      {"default", domain::kAggregateDefaultGroups}}}}},
          {"ExportFormat", {{"name", "format"}, {"in", "query"}, {"required", false},
                            {"description", "csv (UTF-8 with BOM) or xlsx / 导出格式"},
                            {"schema", {{"type", "string"}, {"enum", {"csv", "xlsx"}}, {"default", "csv"}}}}},
          {"MaxRows", {{"name", "max_rows"}, {"in", "query"}, {"required", false},
                       {"description", "rows in this file; when more match, X-Keel-Next-After continues the export as ?after= / 本次导出的最多行数"},
                       {"schema", {{"type", "integer"}, {"minimum", 1}, {"maximum", kExportMaxRows}, {"default", kExportMaxRows}}}}}};
}

json SharedResponses() {
  auto error = [](const std::string& en) { return ResponseDoc(en, "application/json", SchemaRef("Error")); };
  return {{"BadRequest", error("The request is malformed or a field is invalid: `field` names it (`body@<byte>` for JSON syntax)")},
          {"Unauthorized", error("No valid session or API key (`WWW-Authenticate: Bearer`)")},
          {"Forbidden", error("The caller's role or unit may not do this")},
          {"NotFound", error("No such record visible to the caller (another tenant's ids are never found)")},
          {"ClientError", error("Another client error: 409 conflict (a state or version changed), 413 too large, 422 a business rule "
                                "refused it, 429 too many attempts (`Retry-After`)")}};
}

}  // namespace

namespace schema {

namespace {
json Typed(const char* type, const std::string& desc) {
  json s = {{"type", type}};
  if (!desc.empty()) s["description"] = desc;
  return s;
}
}  // namespace

json Str(const std::string& desc) { return Typed("string", desc); }
json Int(const std::string& desc) { return Typed("integer", desc); }
json Num(const std::string& desc) { return Typed("number", desc); }
json Bool(const std::string& desc) { return Typed("boolean", desc); }
json Time(const std::string& desc) {
  json s = Typed("string", desc);
  s["format"] = "date-time";
  return s;
}
json Date(const std::string& desc) {
  json s = Typed("string", desc);
  s["format"] = "date";
  return s;
}
json Enum(const std::vector<std::string>& values, const std::string& desc) {
  json s = Typed("string", desc);
  s["enum"] = values;
  return s;
}
json Null(json s) {
  if (s.contains("$ref") || !s.contains("type")) return {{"anyOf", {s, {{"type", "null"}}}}};
  if (s["type"].is_string()) s["type"] = json::array({s["type"], "null"});
  else if (std::find(s["type"].begin(), s["type"].end(), json("null")) == s["type"].end()) s["type"].push_back("null");
  if (s.contains("enum") && std::find(s["enum"].begin(), s["enum"].end(), json(nullptr)) == s["enum"].end()) s["enum"].push_back(nullptr);
  return s;
}
json Arr(json items, const std::string& desc) {
  json s = Typed("array", desc);
  s["items"] = std::move(items);
  return s;
}
json Obj(json properties, const std::vector<std::string>& required, const std::string& desc) {
  json s = Typed("object", desc);
  s["properties"] = std::move(properties);
  if (!required.empty()) s["required"] = required;
  return s;
}
json Map(json values, const std::string& desc) {
  json s = Typed("object", desc);
  s["additionalProperties"] = std::move(values);
  return s;
}
json Free(const std::string& desc) {
  json s = Typed("object", desc);
  s["additionalProperties"] = true;
  return s;
}
json Items(json item, const std::string& desc) { return Obj({{"items", Arr(std::move(item))}}, {"items"}, desc); }

}  // namespace schema

namespace {

std::mutex& ComponentsMutex() {
  static auto* mu = new std::mutex;
  return *mu;
}

std::map<std::string, json>& Components() {
  static auto* m = new std::map<std::string, json>;
  return *m;
}

// The names of the components `j` refers to ($ref "#/components/schemas/<name>").
void CollectRefs(const json& j, std::set<std::string>* out) {
  if (j.is_object()) {
    if (auto it = j.find("$ref"); it != j.end() && it->is_string()) {
      const std::string prefix = "#/components/schemas/";
      const std::string& ref = it->get_ref<const std::string&>();
      if (ref.rfind(prefix, 0) == 0) out->insert(ref.substr(prefix.size()));
    }
    for (const auto& [k, v] : j.items()) CollectRefs(v, out);
  } else if (j.is_array()) {
    for (const auto& v : j) CollectRefs(v, out);
  }
}

// Shapes that more than one part answers with, so none of them owns the declaration.
const std::map<std::string, json>& SharedComponents() {
  using namespace schema;  // NOLINT(google-build-using-namespace): the builders read as the schema
  static const auto* m = new std::map<std::string, json>{
      {"ApprovalRequest",
       Obj({{"id", Int()},
            {"definition", Str("the workflow's name")},
            {"definition_version", Int("the workflow version the request follows")},
            {"title_zh", Str()},
            {"title_en", Str()},
            {"object", Str("the record's collection: quotes, expenses, …")},
            {"record_id", Int()},
            {"unit_id", Null(Int())},
            {"submitter_id", Null(Int())},
            {"status", Enum({"pending", "approved", "rejected", "recalled"})},
            {"step", Int("the current step, from 0")},
            {"version", Int("changes with every action; send it back to approve or reject (409 when it moved)")},
            {"record", Free("the record as it was submitted")},
            {"steps", Arr(Obj({{"name", Str()}, {"title_zh", Str()}, {"title_en", Str()}, {"mode", Enum({"first", "all", "quorum"})}}))},
            {"tasks", Arr(Obj({{"id", Int()},
                               {"step", Int()},
                               {"approver_id", Int()},
                               {"approver", Null(Str("display name"))},
                               {"status", Str("pending, approved, rejected, skipped, …")},
                               {"due_at", Null(Time())},
                               {"acted_by", Null(Int("the approver or their delegate"))},
                               {"acted_at", Null(Time())},
                               {"comment", Null(Str())}},
                              {"id", "step", "approver_id", "status"}))},
            {"log", Arr(Obj({{"actor_id", Null(Int())},
                             {"on_behalf_of", Null(Int("the approver a delegate acted for"))},
                             {"action", Str("submitted, step_opened, approved_step, rejected, comment, recalled, …")},
                             {"step", Null(Int())},
                             {"comment", Null(Str())},
                             {"at", Time()}},
                            {"action", "at"}))},
            {"created_at", Time()},
            {"updated_at", Time()},
            {"decided_at", Null(Time())}},
           {"id", "definition", "definition_version", "object", "record_id", "status", "step", "version", "record", "tasks", "log", "created_at",
            "updated_at", "decided_at"},
           "An approval request with its steps, tasks and log / 审批单：步骤、待办和审批记录")},
      {"Budget",
       Obj({{"id", Int()},
            {"unit_id", Int()},
            {"unit", Str("the unit's name")},
            {"category", Str("marketing, travel, …")},
            {"period", Str("2026-11, 2026-Q4 or 2026")},
            {"period_start", Date()},
            {"period_end", Date()},
            {"amount", Num("yuan allocated")},
            {"committed", Num("yuan spent or committed")},
            {"remaining", Num("amount − committed")},
            {"updated_at", Time()},
            {"entries", Arr(Obj({{"id", Int()},
                                 {"amount", Num("yuan; a release is negative")},
                                 {"kind", Str("allocation, spend, release, transfer_in, transfer_out")},
                                 {"source_object", Null(Str())},
                                 {"source_id", Null(Int())},
                                 {"note", Null(Str())},
                                 {"actor_id", Null(Int())},
                                 {"at", Time()}},
                                {"id", "amount", "kind", "at"}),
                            "only on GET /budgets/{id}")}},
           {"id", "unit_id", "unit", "category", "period", "period_start", "period_end", "amount", "committed", "remaining", "updated_at"},
           "A unit's budget for a category and period / 单元某类别某期间的预算")},
      {"ApprovalNotNeeded",
       Obj({{"status", Enum({"not_needed"})}, {"reason_en", Str()}, {"reason_zh", Str()}}, {"status"},
           "The workflow's entry condition does not hold: no approval was started / 不满足发起条件，无需审批")},
      {"Archived", Obj({{"id", Int()}, {"archived", Bool()}}, {"id", "archived"}, "The record is archived / 已归档")},
  };
  return *m;
}

}  // namespace

json Component(const std::string& name, json schema) {
  std::lock_guard<std::mutex> lock(ComponentsMutex());
  auto [it, added] = Components().emplace(name, schema);
  if (!added && it->second != schema) {
    spdlog::critical("OpenAPI component {} registered twice with different schemas", name);
    std::abort();
  }
  return SchemaRef(name);
}

std::string EntityTitle(const EntityDef& e) { return Pascal(e.singular); }

json SchemaRef(const std::string& name) { return {{"$ref", "#/components/schemas/" + name}}; }

json ListSchema(const std::string& ref) {
  return {{"type", "object"},
          {"required", {"items", "next_cursor"}},
          {"properties",
           {{"items", {{"type", "array"}, {"items", SchemaRef(ref)}}},
            {"next_after", {{"type", "string"}, {"description", "present only when more items follow: pass it as ?after= for the next page / 仅在还有下一页时出现"}}},
            {"next_cursor", {{"type", {"string", "null"}},
                             {"description", "the old name of next_after, null on the last page (kept for one release; "
                                             "the web front end still reads it)"}}}}}};
}

json EntitySchema(const EntityDef& e) {
  json props = {{"id", {{"type", "integer"}, {"readOnly", true}}},
                {"created_at", {{"type", "string"}, {"format", "date-time"}, {"readOnly", true}}},
                {"updated_at", {{"type", "string"}, {"format", "date-time"}, {"readOnly", true}}},
                {"archived_at", {{"type", {"string", "null"}}, {"format", "date-time"}, {"readOnly", true}}},
                {"created_by", {{"type", {"integer", "null"}}, {"readOnly", true}}}};
  json required = json::array();
  for (const auto& f : e.fields) {
    props[f.name] = FieldSchema(f);
    if (f.required && f.writable) required.push_back(f.name);
  }
  if (e.child) {
    json cprops = {{"line_no", {{"type", "integer"}, {"readOnly", true}}}};
    json creq = json::array();
    for (const auto& f : e.child->fields) {
      cprops[f.name] = FieldSchema(f);
      if (f.required && f.writable) creq.push_back(f.name);
    }
    props[e.child->name] = {{"type", "array"},
                            {"minItems", 1},
                            {"maxItems", e.child->max_items},
                            {"items", {{"type", "object"}, {"properties", cprops}, {"required", creq}, {"additionalProperties", false}}}};
    required.push_back(e.child->name);
  }
  json schema = {{"type", "object"},
                 {"description", e.en + " / " + e.zh},
                 {"properties", props},
                 {"required", required},
                 {"additionalProperties", false},
                 {"examples", json::array({EntityExample(e)})}};
  for (const auto& group : e.needs_one_of) {
    json any = json::array();
    for (const auto& f : group) any.push_back({{"required", {f}}});
    schema["anyOf"] = any;
  }
  return schema;
}

std::string OperationId(const Route& r) {
  if (r.deprecated()) {
    // The canonical route's id (`successor` is its whole pattern), marked.
    Route canonical = r;
    canonical.successor.clear();
    canonical.pattern = r.successor;
    canonical.segments.clear();
    for (size_t i = 1, j; i <= canonical.pattern.size(); i = j + 1) {
      j = canonical.pattern.find('/', i);
      if (j == std::string::npos) j = canonical.pattern.size();
      canonical.segments.push_back(canonical.pattern.substr(i, j - i));
    }
    return OperationId(canonical) + "Deprecated";
  }
  if (!r.doc.operation_id.empty()) return r.doc.operation_id;
  auto it = Overrides().find(r.method + " " + r.pattern);
  if (it != Overrides().end()) return it->second;
  std::vector<std::string> segs;
  for (const auto& s : r.segments) segs.push_back(s);
  // Drop "api", "v1".
  if (segs.size() >= 2 && segs[0] == "api" && segs[1] == "v1") segs.erase(segs.begin(), segs.begin() + 2);
  if (segs.empty()) return Camel(r.method);
  return Derived(r.method, segs, r.doc.success_status);
}

const char* PartOf(const std::string& tag) {
  auto it = Tags().find(tag);
  return it == Tags().end() ? "Records" : it->second.part;
}

json Api::OpenApi() const {
  json paths = json::object();
  std::map<std::string, json> tags;  // name → tag object, for the tags used
  for (const Route& r : router_.routes()) {
    std::string method = r.method;
    std::transform(method.begin(), method.end(), method.begin(), ::tolower);
    json op = {{"summary", r.doc.summary_en}, {"description", r.doc.summary_zh}, {"tags", {r.doc.tag}}, {"operationId", OperationId(r)}};
    json params = json::array();
    for (const auto& seg : r.segments) {
      if (IsParam(seg)) {
        std::string name = seg.substr(1, seg.size() - 2);
        json schema = name == "token" ? json{{"type", "string"}}
                      : name == "name" ? json{{"type", "string"}, {"pattern", "^[A-Za-z0-9_.-]{1,63}$"}}
                                       : json{{"type", "integer"}, {"minimum", 1}};
        params.push_back({{"name", name}, {"in", "path"}, {"required", true}, {"schema", schema}});
      }
    }
    for (const auto& [name, desc] : r.doc.query) params.push_back(Parameter(name, desc));
    if (r.doc.paging.kind != Paging::Kind::kNone) {
      params.push_back({{"$ref", r.doc.paging.kind == Paging::Kind::kInMemory ? "#/components/parameters/SetLimit"
                                                                              : "#/components/parameters/Limit"}});
      params.push_back({{"$ref", "#/components/parameters/After"}});
    }
    if (!params.empty()) op["parameters"] = params;
    if (!r.doc.request_schema.is_null()) {
      json content = json::object();
      if (r.doc.raw_body && !r.doc.content_types.empty()) {
        for (const auto& t : r.doc.content_types) content[t] = {{"schema", r.doc.request_schema}};
      } else {
        content["application/json"] = {{"schema", r.doc.request_schema}};
        if (r.doc.yaml) content["application/yaml"] = {{"schema", r.doc.request_schema}};
        if (!r.doc.text_field.empty()) {
          content["text/markdown"] = {{"schema", {{"type", "string"}, {"description", "the body becomes `" + r.doc.text_field +
                                                                                          "`; the other fields come from the query string"}}}};
        }
      }
      op["requestBody"] = {{"required", true}, {"content", content}};
    }
    const std::string media = r.doc.response_type.empty() ? "application/json" : r.doc.response_type;
    json success_schema = r.doc.response_schema;
    if (r.doc.paging.kind == Paging::Kind::kInMemory && success_schema.is_object() && success_schema.contains("properties")) {
      success_schema["properties"]["next_after"] = {
          {"type", json::array({"integer", "string"})},
          {"description", "present only when more items follow: pass it as ?after= for the next page (the last item's `" +
                              r.doc.paging.key + "`) / 仅在还有下一页时出现"}};
    }
    json responses = {{std::to_string(r.doc.success_status), ResponseDoc("success", media, success_schema)}};
    for (const auto& [status, what] : r.doc.also) responses[std::to_string(status)] = ResponseDoc(what, media, r.doc.response_schema);
    if (!r.doc.request_schema.is_null() || !r.doc.query.empty() || r.doc.paging.kind != Paging::Kind::kNone) {
      responses["400"] = ErrorRef("BadRequest");
    }
    if (r.doc.auth) {
      responses["401"] = ErrorRef("Unauthorized");
      responses["403"] = ErrorRef("Forbidden");
    }
    if (!params.empty() && std::any_of(r.segments.begin(), r.segments.end(), IsParam)) responses["404"] = ErrorRef("NotFound");
    responses["4XX"] = ErrorRef("ClientError");
    op["responses"] = responses;
    if (r.deprecated()) {
      op["deprecated"] = true;
      op["summary"] = "Deprecated spelling of " + r.successor + " (removed in " + kDeprecatedRemovedIn + "): " + r.doc.summary_en;
      op["description"] = "已弃用的旧路径，请改用 " + r.successor + "（" + kDeprecatedRemovedIn + " 版移除）：" + r.doc.summary_zh;
      op["responses"][std::to_string(r.doc.success_status)]["headers"] = {
          {"Deprecation", {{"description", "RFC 9745: this spelling is deprecated since this date"},
                           {"schema", {{"type", "string"}, {"example", kDeprecatedSince}}}}},
          {"Link", {{"description", "<the same resource under its kebab-case path>; rel=\"successor-version\""}, {"schema", {{"type", "string"}}}}}};
    }
    op["security"] = r.doc.auth ? json::array({{{"bearer", json::array()}}}) : json::array();
    paths[r.pattern][method] = op;
    if (!tags.count(r.doc.tag)) {
      auto it = Tags().find(r.doc.tag);
      json t = {{"name", r.doc.tag}};
      if (it != Tags().end()) {
        t["description"] = std::string(it->second.en) + " / " + it->second.zh;
      } else if (const EntityDef* e = domain::FindEntity(r.doc.tag)) {
        t["description"] = "Records: " + e->en + " / " + e->zh;
      }
      tags[r.doc.tag] = t;
    }
  }
  json schemas = json::object();
  for (const auto& e : domain::Entities()) {
    schemas[EntityTitle(e)] = EntitySchema(e);
    // PATCH bodies: any writable fields, none required.
    json update = EntitySchema(e);
    update.erase("required");
    update.erase("anyOf");
    update.erase("examples");
    update["description"] = "Fields of a " + e.en + " to change / 要修改的" + e.zh + "字段";
    schemas[EntityTitle(e) + "Update"] = update;
    if (e.child) {
      // Lists and archiving answer the record without its lines (GET /{id} has them).
      json summary = EntitySchema(e);
      summary["required"].erase(std::find(summary["required"].begin(), summary["required"].end(), json(e.child->name)));
      summary["properties"][e.child->name]["description"] = "only on create, get and update; lists and archiving leave the lines out";
      summary["description"] = e.en + " without its " + e.child->name + " / " + e.zh + "（不含明细）";
      summary["examples"][0].erase(e.child->name);
      schemas[EntityTitle(e) + "Summary"] = summary;
    }
  }
  schemas["Error"] = {
      {"type", "object"},
      {"required", {"error"}},
      {"properties",
       {{"error", {{"type", "object"},
                   {"required", {"code", "message", "message_zh"}},
                   {"properties", {{"code", {{"type", "string"}, {"description", "stable, e.g. validation.required"}}},
                                   {"message", {{"type", "string"}}},
                                   {"message_zh", {{"type", "string"}}},
                                   {"field", {{"type", {"string", "null"}}, {"description", "the field or position at fault"}}},
                                   {"request_id", {{"type", "string"}}}}}}}}},
      {"examples", json::array({{{"error", {{"code", "validation.required"}, {"message", "name is required"}, {"message_zh", "name 为必填项"},
                                            {"field", "name"}, {"request_id", "r-1a2b3c"}}}}})}};
  schemas["BatchError"] = {{"type", "object"},
                           {"properties", {{"index", {{"type", "integer"}}},
                                           {"code", {{"type", "string"}}},
                                           {"message", {{"type", "string"}}},
                                           {"message_zh", {{"type", "string"}}},
                                           {"field", {{"type", {"string", "null"}}}}}}};
  schemas["Tenant"] = {{"type", "object"},
                       {"properties", {{"id", {{"type", "integer"}, {"readOnly", true}}},
                                       {"code", {{"type", "string"}, {"readOnly", true}}},
                                       {"name", {{"type", "string"}}},
                                       {"time_zone", {{"type", "string"}}},
                                       {"currency", {{"type", "string"}}},
                                       {"locale", {{"type", "string"}, {"enum", {"zh-CN", "en"}}}},
                                       {"status", {{"type", "string"}, {"readOnly", true}}}}}};
  schemas["AuditEntry"] = {{"type", "object"},
                           {"properties", {{"id", {{"type", "integer"}}}, {"at", {{"type", "string"}}},
                                           {"actor_id", {{"type", "integer"}}},
                                           {"action", {{"type", "string"}}},
                                           {"entity", {{"type", "string"}}},
                                           {"entity_id", {{"type", "integer"}}},
                                           {"before", {{"type", {"object", "null"}}}},
                                           {"after", {{"type", {"object", "null"}}}}}}};
  // The parts' shared shapes that the operations (or other components) refer to.
  {
    std::set<std::string> wanted;
    CollectRefs(paths, &wanted);
    std::lock_guard<std::mutex> lock(ComponentsMutex());
    for (std::set<std::string> seen; wanted != seen;) {
      seen = wanted;
      for (const auto& name : seen) {
        if (schemas.contains(name)) continue;
        const json* found = nullptr;
        if (auto it = Components().find(name); it != Components().end()) found = &it->second;
        else if (auto sh = SharedComponents().find(name); sh != SharedComponents().end()) found = &sh->second;
        if (found == nullptr) continue;
        schemas[name] = *found;
        CollectRefs(*found, &wanted);
      }
    }
  }
  json tag_list = json::array();
  json groups = json::array();
  for (const auto& part : PartOrder()) {
    json names = json::array();
    for (const auto& [name, t] : tags) {
      if (PartOf(name) == part) {
        names.push_back(name);
        tag_list.push_back(t);
      }
    }
    if (!names.empty()) groups.push_back({{"name", part}, {"tags", names}});
  }
  return {{"openapi", "3.1.0"},
          {"info", {{"title", "Keel API"},
                    {"version", options_.version},
                    {"license", {{"name", "Proprietary: the terms of the customer's Keel licence agreement"}, {"identifier", "LicenseRef-Keel-Proprietary"}}},
                    {"description", "Keel sales operating system — 销售操作系统. Errors carry a stable code, an English and a Chinese "
                                    "message and the field. Operation ids are stable (docs/api.md)."}}},
          {"servers", {{{"url", "/"}}}},
          {"tags", tag_list},
          {"x-tagGroups", groups},
          {"paths", paths},
          {"components", {{"schemas", schemas},
                          {"responses", SharedResponses()},
                          {"parameters", SharedParameters()},
                          {"securitySchemes", {{"bearer", {{"type", "http"}, {"scheme", "bearer"},
                                                           {"description", "a session token from POST /api/v1/auth/login, or an API key"}}}}}}}};
}

}  // namespace keel::http
