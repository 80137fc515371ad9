#include "http/api.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <chrono>

#include "common/crypto.h"
#include "common/yaml.h"
#include "domain/codec.h"
#include "events/event_log.h"
#include "formula/formula.h"
#include "http/openapi.h"
#include "http/paging.h"
#include "http/streams.h"
#include "http/telemetry.h"
#include "store/database.h"
#include "store/tenant_scope.h"

namespace keel::http {

using domain::EntityDef;
using domain::FieldDef;
using domain::FieldType;
using domain::Principal;
using domain::Role;

Status WrongJsonType(const json::type_error& e) {
  return Status::Invalid("validation.type", std::string("a value has the wrong JSON type: ") + e.what(),
                         std::string("某个值的 JSON 类型错误：") + e.what(), "body");
}

std::string Dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

json ErrorBody(const Status& st, const std::string& request_id) {
  json e = {{"code", st.code()},
            {"message", st.message_en()},
            {"message_zh", st.message_zh()},
            {"request_id", request_id}};
  e["field"] = st.field().empty() ? json(nullptr) : json(st.field());
  return json{{"error", e}};
}

Response ErrorResponse(const Status& st, const std::string& request_id) {
  Response r;
  r.status = HttpStatusOf(st.kind());
  r.body = Dump(ErrorBody(st, request_id));
  if (st.kind() == ErrorKind::kTooManyRequests) r.headers.emplace_back("Retry-After", "60");
  if (st.kind() == ErrorKind::kUnavailable) r.headers.emplace_back("Retry-After", "5");  // busy: a pool, a queue, a cap
  if (st.kind() == ErrorKind::kUnauthenticated) {
    r.headers.emplace_back("WWW-Authenticate", "Bearer");
  }
  return r;
}

namespace {

Status Forbidden(const std::string& en, const std::string& zh) {
  return Status::Error(ErrorKind::kForbidden, "forbidden", en, zh);
}

struct TooDeep {};


Reply Ok(json body, int status = 200) { return Reply{status, std::move(body)}; }

// POST /api-keys: {name, user_id?, expires_in_days?}. The first shape error, in the body's key
// order, becomes the request's problem (the service reports it after its permission check).
domain::ApiKeyRequest ReadApiKeyRequest(const json& body) {
  domain::ApiKeyRequest r;
  if (!body.is_object()) {
    r.problem = Status::Invalid("validation.body", "the body must be a JSON object", "请求体必须是 JSON 对象");
    return r;
  }
  for (auto it = body.begin(); it != body.end(); ++it) {
    const json& v = it.value();
    if (it.key() == "name") {
      auto checked = domain::ToValue(domain::ApiKeyNameField(), v);
      if (!checked.ok()) r.problem = checked.status();
      else r.name = store::AsText(*checked);
    } else if (it.key() == "user_id") {
      if (!v.is_number_integer()) r.problem = Status::Invalid("validation.type", "user_id must be an id", "user_id 应为记录 ID", "user_id");
      else r.user_id = v.get<int64_t>();
    } else if (it.key() == "expires_in_days") {
      if (!v.is_number_integer() || v.get<int64_t>() < 1 || v.get<int64_t>() > 3650) {
        r.problem = Status::Invalid("validation.range", "expires_in_days must be 1 to 3650", "expires_in_days 应为 1 到 3650",
                                    "expires_in_days");
      } else {
        r.expires_in_days = v.get<int64_t>();
      }
    } else {
      r.problem = Status::Invalid("validation.unknown_field", "unknown field '" + it.key() + "'", "未知字段 '" + it.key() + "'", it.key());
    }
    if (!r.problem.ok()) return r;
  }
  return r;
}

json ToJson(const domain::ApiKeyInfo& k) {
  auto text = [](const std::optional<std::string>& v) { return v ? json(*v) : json(nullptr); };
  return {{"id", k.id}, {"name", k.name}, {"user_id", k.user_id}, {"prefix", k.prefix}, {"created_at", k.created_at},
          {"expires_at", text(k.expires_at)}, {"revoked_at", text(k.revoked_at)}, {"last_used_at", text(k.last_used_at)}};
}

json ToJson(const domain::NewApiKey& k) {
  return {{"id", k.id}, {"name", k.name}, {"user_id", k.user_id}, {"prefix", k.prefix}, {"token", k.token},
          {"created_at", k.created_at}, {"expires_at", k.expires_at}};
}

Result<Reply> ListReply(Result<domain::ListResult> r) {
  if (!r.ok()) return r.status();
  json body = {{"items", std::move(r->items)}};
  if (r->next_cursor) body["next_after"] = *r->next_cursor;
  body["next_cursor"] = r->next_cursor ? json(*r->next_cursor) : json(nullptr);  // deprecated spelling
  return Ok(std::move(body));
}

// A list the service pages in SQL (the list contract's parameters, documented once).
RouteDoc Keyset(RouteDoc doc) {
  doc.paging.kind = Paging::Kind::kService;
  return doc;
}

}  // namespace

Api::Api(store::Database& db, domain::RecordService& records, domain::AuthService& auth,
         ApiOptions options, ApiServices services)
    : db_(db), records_(records), auth_(auth), options_(std::move(options)), services_(services) {
  AddSystemRoutes();
  AddFormulaRoutes();
  AddMetricRoutes();
  AddAlertRoutes();
  AddAiRoutes();
  AddTextRoutes();
  AddOrgRoutes();
  AddAccountingRoutes();
  AddMaterialRoutes();
  AddGovernanceRoutes();
  AddClusterRoutes();
  AddIngestRoutes();
  AddStreamRoutes();
  for (const auto& e : domain::Entities()) AddEntityRoutes(e);
  PageBoundedCollections();
  AddDeprecatedRoutes();
  if (services_.streams) {
    // Live streams last only as long as their credential: re-checked every few seconds, and at
    // once when a user changes (disabled, archived, another role or unit) or a session ends.
    http::StreamHub* hub = services_.streams;
    hub->SetAuthenticator([this](const std::string& token) { return auth_.Authenticate(token); });
    observer_ = records_.AddObserver([hub](const Principal&, const EntityDef& e, int64_t, const std::string&, const json&, const json&) {
      if (e.name == "users" || e.name == "units") hub->RevalidateNow();
      return false;
    });
  }
}

Api::~Api() {
  if (observer_) records_.RemoveObserver(observer_);
  if (services_.streams) services_.streams->SetAuthenticator(nullptr);
}

void Api::AddEntityRoutes(const EntityDef& e) {
  const std::string base = "/api/v1/" + e.UrlSegment();
  const std::string schema = EntityTitle(e);
  // Lists and archiving leave a record's lines out.
  const std::string summary = e.child ? schema + "Summary" : schema;
  domain::RecordService& rs = records_;
  const EntityDef* def = &e;

  std::vector<std::pair<std::string, std::string>> query = {
      {"cursor", "deprecated: the same as after (kept for one release)"},
      {"sort", "field or -field; default " + e.default_sort},
      {"include_archived", "true to include archived records"},
      {"<field>", "equality filter on a filterable field; suffixes _gte _lte _gt _lt _ne _in _null"}};
  bool searchable = false;
  for (const auto& f : e.fields) searchable |= f.search;
  if (searchable) query.push_back({"q", "text search over the searchable fields"});

  router_.Add("GET", base, [rs = &rs, def](Call& c) {
    return ListReply(rs->List(c.p(), *def, c.req.query));
  }, Keyset({"List " + e.name, "查询" + e.zh + "列表", e.name, nullptr, ListSchema(summary), query}));
  AddRecordReportRoutes(e);  // before /{id}: the first route that matches a path answers it

  router_.Add("POST", base, [rs = &rs, def](Call& c) {
    return Wrap(rs->Create(c.p(), *def, c.body), 201);
  }, {"Create a " + e.en, "新建" + e.zh, e.name, SchemaRef(schema), SchemaRef(schema), {}, 201});

  router_.Add("GET", base + "/{id}", [rs = &rs, def](Call& c) {
    return Wrap(rs->Get(c.p(), *def, c.id()));
  }, {"Get a " + e.en, "查看" + e.zh, e.name, nullptr, SchemaRef(schema)});

  router_.Add("PATCH", base + "/{id}", [rs = &rs, def](Call& c) {
    return Wrap(rs->Update(c.p(), *def, c.id(), c.body));
  }, {"Update fields of a " + e.en, "修改" + e.zh, e.name, SchemaRef(schema + "Update"), SchemaRef(schema)});

  router_.Add("DELETE", base + "/{id}", [rs = &rs, def](Call& c) {
    return Wrap(rs->Archive(c.p(), *def, c.id()));
  }, {"Archive a " + e.en + " (kept for history, hidden from lists)", "归档" + e.zh, e.name,
      nullptr, SchemaRef(summary)});

  if (e.batch) {
    json batch_response = {
        {"type", "object"},
        {"properties",
         {{"created", {{"type", "integer"}}},
          {"failed", {{"type", "integer"}}},
          {"ids", {{"type", "array"}, {"items", {{"type", "integer"}}}}},
          {"created_indexes", {{"type", "array"}, {"items", {{"type", "integer"}}}}},
          {"errors", {{"type", "array"}, {"items", SchemaRef("BatchError")}}}}}};
    RouteDoc batch_doc{"Create up to 5000 " + e.name + " in one request; valid records are kept, each invalid one "
                       "is reported with its index (201 all, 207 some, 422 none)",
                       "批量新建" + e.zh + "（每批最多 5000 条；有效记录保存，无效记录逐条报告）", e.name,
                       {{"type", "array"}, {"maxItems", 5000}, {"items", SchemaRef(schema)}}, batch_response, {}, 201};
    batch_doc.also = {{207, "some records were created; the others are in errors with their index"}};
    router_.Add("POST", base + "/batch", [rs = &rs, def](Call& c) -> Result<Reply> {
      auto r = rs->CreateBatch(c.p(), *def, c.body);
      if (!r.ok()) return r.status();
      json errors = json::array();
      for (const auto& err : r->errors) {
        json e = ErrorBody(err.status, c.req.request_id)["error"];
        e["index"] = err.index;
        e.erase("request_id");
        errors.push_back(std::move(e));
      }
      json body = {{"created", r->ids.size()}, {"failed", r->errors.size()}, {"ids", r->ids},
                   {"created_indexes", r->created_at}, {"errors", errors}};
      int status = r->errors.empty() ? 201 : r->ids.empty() ? 422 : 207;
      if (r->ids.empty()) {
        body["error"] = ErrorBody(Status::Error(ErrorKind::kUnprocessable, "batch.all_failed",
                                                "no record of the batch was valid; see errors",
                                                "批量中没有有效记录，详见 errors"),
                                  c.req.request_id)["error"];
      }
      return Ok(std::move(body), status);
    }, batch_doc);
  }
}

// The list contract (docs/api.md, "Lists") for the collections whose services answer the whole
// set — definitions, rules, settings-like lists, a person's recaps: bounded per tenant, so the API
// pages them in memory, in the service's order, each item named by its key. The entity lists, the event log, the audit
// log, ledger entries and compliance/boundary reports page in SQL (Keyset).
void Api::PageBoundedCollections() {
  using K = Paging::Kind;
  const struct {
    const char* pattern;
    const char* key;
  } kBounded[] = {
      {"/api/v1/metrics", "name"},
      {"/api/v1/alert-rules", "name"},
      {"/api/v1/alert-silences", "id"},
      {"/api/v1/webhooks", "id"},
      {"/api/v1/event-types", "name"},
      {"/api/v1/approval-definitions", "name"},
      {"/api/v1/grants", "id"},
      {"/api/v1/pricing-authority", "id"},
      {"/api/v1/budgets", "id"},
      {"/api/v1/expense-policies", "id"},
      {"/api/v1/allocation-rules", "id"},
      {"/api/v1/ledger/periods", "period"},
      {"/api/v1/profit-sharing/rules", "id"},
      {"/api/v1/profit-sharing/statements", "id"},
      {"/api/v1/compliance/checkpoints", "id"},
      {"/api/v1/feedback-links", "id"},
      {"/api/v1/materials/{id}/versions", "version"},
      {"/api/v1/units/{id}/members", "id"},
      {"/api/v1/kb/documents", "id"},
      {"/api/v1/me/recaps", "id"},
      {"/api/v1/ai/datasets", "id"},
      {"/api/v1/api-keys", "id"},
  };
  for (const auto& b : kBounded) {
    if (!router_.SetPaging("GET", b.pattern, {K::kInMemory, b.key})) {
      spdlog::error("list contract: no route GET {}", b.pattern);
    }
  }
}

void Api::AddDeprecatedRoutes() {
  // Route segments are kebab-case. These entity routes were spelt like their table until 0.1.x;
  // the old spellings answer, marked deprecated, until 0.2.0 (openapi.cc says so in the document).
  for (const char* old : {"budget_transfers", "price_changes", "case_reviews", "custom_fields"}) {
    const EntityDef* e = domain::FindEntity(old);
    size_t n = e ? router_.AddDeprecatedAlias(std::string("/api/v1/") + old, "/api/v1/" + e->UrlSegment()) : 0;
    if (n == 0) spdlog::error("deprecated route /api/v1/{} aliases nothing", old);
  }
}

void Api::AddSystemRoutes() {
  domain::RecordService* rs = &records_;
  domain::AuthService* auth = &auth_;
  store::Database* db = &db_;
  const std::string version = options_.version;
  using namespace schema;  // NOLINT(google-build-using-namespace): the builders read as the schema
  const json api_key = Obj({{"id", Int()}, {"name", Str()}, {"user_id", Int("whose rights the key has")}, {"prefix", Str("the key's first characters")},
                            {"created_at", Time()}, {"expires_at", Null(Time())}, {"last_used_at", Null(Time())}, {"revoked_at", Null(Time())}},
                           {"id", "name", "user_id", "prefix", "created_at"}, "An API key (never its secret) / API 密钥（不含密钥本身）");
  json new_key = api_key;
  new_key["properties"]["token"] = Str("the key itself: shown only in this reply");
  new_key["required"].push_back("token");
  new_key["description"] = "The new API key with its token (shown once) / 新 API 密钥（仅此一次显示）";

  RouteDoc health{"Liveness: the process is up", "存活检查", "system", nullptr,
                  Obj({{"status", Enum({"ok"})}, {"version", Str()}}, {"status", "version"}), {}, 200, false};
  router_.Add("GET", "/api/v1/health", [version](Call&) -> Result<Reply> {
    return Ok({{"status", "ok"}, {"version", version}});
  }, health);

  RouteDoc ready{"Readiness: the database answers and its schema is not newer than this node", "就绪检查（数据库可用且结构版本不高于本节点）", "system", nullptr,
                 Obj({{"status", Enum({"ready"})}, {"backend", Enum({"sqlite", "postgresql"})}}, {"status", "backend"}), {}, 200, false};
  router_.Add("GET", "/api/v1/ready", [db](Call&) -> Result<Reply> {
    const Status down = Status::Error(ErrorKind::kUnavailable, "store.unavailable",
                                      "database not ready", "数据库不可用");
    if (Status st = db->Ping(); !st.ok()) {
      spdlog::warn("ready: {}", st.ToString());
      return down;
    }
    // A node older than the schema (another node upgraded it) is not ready: drain it.
    KEEL_ASSIGN_OR_RETURN(auto conn, db->Acquire());
    KEEL_RETURN_IF_ERROR(store::CheckSchemaNotNewer(*conn));
    return Ok({{"status", "ready"}, {"backend", db->backend() == store::Backend::kSqlite ? "sqlite" : "postgresql"}});
  }, ready);

  RouteDoc openapi{"This OpenAPI 3.1 document", "OpenAPI 文档", "system", nullptr,
                   Free("an OpenAPI 3.1 document (https://spec.openapis.org/oas/v3.1.0)"), {}, 200, false};
  router_.Add("GET", "/api/v1/openapi.json", [this](Call&) -> Result<Reply> {
    return Ok(OpenApi());
  }, openapi);

  json login_req = {{"type", "object"},
                    {"required", {"tenant", "username", "password"}},
                    {"properties", {{"tenant", {{"type", "string"}}},
                                    {"username", {{"type", "string"}}},
                                    {"password", {{"type", "string"}, {"writeOnly", true}}}}}};
  json login_res = {{"type", "object"},
                    {"required", {"token", "expires_at", "user"}},
                    {"properties", {{"token", {{"type", "string"}}},
                                    {"expires_at", {{"type", "string"}, {"format", "date-time"}}},
                                    {"user", SchemaRef("User")}}}};
  router_.Add("POST", "/api/v1/auth/login", [auth](Call& c) -> Result<Reply> {
    const json& b = c.body;
    KEEL_RETURN_IF_ERROR(domain::CheckObject(b, {"tenant", "username", "password"}));
    for (const char* k : {"tenant", "username", "password"}) {
      if (!b.contains(k) || !b[k].is_string() || b[k].get<std::string>().empty()) {
        return Status::Invalid("validation.required", std::string(k) + " is required (a string)",
                               std::string(k) + " 为必填字符串", k);
      }
    }
    auto r = auth->Login(b["tenant"], b["username"], b["password"], c.req.remote_ip);
    if (!r.ok()) return r.status();
    return Ok({{"token", r->token}, {"expires_at", FormatTimestamp(r->expires_at)}, {"user", r->user}});
  }, {"Log in with tenant code, username and password; returns a bearer token",
      "用租户编码、用户名和密码登录，返回访问令牌", "auth", login_req, login_res, {}, 200, false});

  http::StreamHub* hub = services_.streams;
  router_.Add("POST", "/api/v1/auth/logout", [auth, hub](Call& c) -> Result<Reply> {
    std::string token = c.req.authorization.substr(7);
    KEEL_RETURN_IF_ERROR(auth->Logout(c.p(), token));
    if (hub) hub->RevalidateNow();  // the session's live streams end now
    return Ok({{"status", "logged_out"}});
  }, {"Revoke the current session token", "注销当前会话", "auth", nullptr, Obj({{"status", Enum({"logged_out"})}}, {"status"})});

  router_.Add("GET", "/api/v1/auth/me", [rs](Call& c) -> Result<Reply> {
    auto user = rs->Get(Principal::System(c.p().tenant_id), *domain::FindEntity("users"), c.p().user_id);
    if (!user.ok()) return user.status();
    auto tenant = rs->Tenant(c.p().tenant_id);
    if (!tenant.ok()) return tenant.status();
    return Ok({{"user", *user}, {"tenant", domain::RecordService::TenantJson(*tenant)},
               {"role", std::string(domain::RoleName(c.p().role))}});
  }, {"The caller, their role and tenant", "当前用户、角色与租户", "auth", nullptr,
      Obj({{"user", SchemaRef("User")}, {"tenant", SchemaRef("Tenant")}, {"role", Str()}}, {"user", "tenant", "role"})});

  router_.Add("DELETE", "/api/v1/users/{id}/sessions", [auth, hub](Call& c) -> Result<Reply> {
    KEEL_RETURN_IF_ERROR(auth->RevokeSessions(c.p(), c.id()));
    if (hub) hub->RevalidateNow();
    return Ok({{"status", "revoked"}});
  }, {"End every session of a user", "注销某用户的全部会话", "users", nullptr, Obj({{"status", Enum({"revoked"})}}, {"status"})});

  json key_req = {{"type", "object"},
                  {"required", {"name"}},
                  {"properties", {{"name", {{"type", "string"}, {"maxLength", 100}}},
                                  {"user_id", {{"type", "integer"}}},
                                  {"expires_in_days", {{"type", "integer"}, {"minimum", 1},
                                                       {"maximum", 3650}}}}}};
  router_.Add("GET", "/api/v1/api-keys", [auth](Call& c) -> Result<Reply> {
    KEEL_ASSIGN_OR_RETURN(std::vector<domain::ApiKeyInfo> keys, auth->ListApiKeys(c.p()));
    json items = json::array();
    for (const auto& k : keys) items.push_back(ToJson(k));
    return Ok({{"items", std::move(items)}});
  },
              {"List API keys (never the secrets)", "API 密钥列表（不含密钥本身）", "auth", nullptr, Items(api_key)});
  router_.Add("POST", "/api/v1/api-keys", [auth](Call& c) -> Result<Reply> {
    KEEL_ASSIGN_OR_RETURN(domain::NewApiKey key, auth->CreateApiKey(c.p(), ReadApiKeyRequest(c.body)));
    return Ok(ToJson(key), 201);
  }, {"Create an API key for machines; the token is shown only in this reply",
      "创建 API 密钥（仅此一次返回密钥）", "auth", key_req, new_key, {}, 201});
  router_.Add("DELETE", "/api/v1/api-keys/{id}", [auth](Call& c) -> Result<Reply> {
    KEEL_RETURN_IF_ERROR(auth->RevokeApiKey(c.p(), c.id()));
    return Ok({{"status", "revoked"}});
  }, {"Revoke an API key", "吊销 API 密钥", "auth", nullptr, Obj({{"status", Enum({"revoked"})}}, {"status"})});

  router_.Add("GET", "/api/v1/tenant", [rs](Call& c) -> Result<Reply> {
    auto t = rs->Tenant(c.p().tenant_id);
    if (!t.ok()) return t.status();
    return Ok(domain::RecordService::TenantJson(*t));
  }, {"The caller's tenant", "当前租户", "tenant", nullptr, SchemaRef("Tenant")});
  router_.Add("PATCH", "/api/v1/tenant", [rs](Call& c) {
    return Wrap(rs->UpdateTenant(c.p(), c.body));
  }, {"Change the tenant's name, time zone, currency or locale (admin)",
      "修改租户名称、时区、币种或语言（管理员）", "tenant", SchemaRef("Tenant"), SchemaRef("Tenant")});

  router_.Add("POST", "/api/v1/leads/{id}/convert", [rs](Call& c) {
    return Wrap(rs->ConvertLead(c.p(), c.id(), c.body), 201);
  }, {"Convert a working or qualified lead into a customer (new or existing), a contact and an "
      "opportunity", "将线索转化为客户、联系人和商机", "leads",
      {{"type", "object"},
       {"properties", {{"customer_id", {{"type", "integer"}}},
                       {"customer", SchemaRef("Customer")},
                       {"opportunity", SchemaRef("Opportunity")}}}},
      Obj({{"lead", SchemaRef("Lead")}, {"customer_id", Int("the new or existing customer")}, {"opportunity", SchemaRef("Opportunity")}},
          {"lead", "customer_id", "opportunity"}, "The converted lead, its customer and the new opportunity / 已转化的线索、客户与新商机"),
      {}, 201});

  router_.Add("GET", "/api/v1/opportunities/{id}/stage-history", [rs](Call& c) {
    return Wrap(rs->StageHistory(c.p(), c.id()));
  }, {"Every stage the opportunity went through", "商机阶段历史", "opportunities", nullptr,
      Items(Obj({{"id", Int()}, {"from_stage", Null(Str())}, {"to_stage", Str()}, {"amount", Null(Num("the deal's amount then"))},
                 {"actor_id", Null(Int())}, {"changed_at", Time()}},
                {"id", "from_stage", "to_stage", "changed_at"}),
            "Stage changes, oldest first / 阶段变化")});

  router_.Add("GET", "/api/v1/audit-log", [rs](Call& c) {
    return ListReply(rs->AuditLog(c.p(), c.req.query));
  }, Keyset({"The audit log, newest first (admin, auditor); page with after=next_after",
      "审计日志（管理员、审计员）", "audit", nullptr, ListSchema("AuditEntry"),
      {{"entity", "entity name"}, {"entity_id", "record id"}, {"actor_id", "user id"},
       {"before_id", "deprecated: the same as after (kept for one release)"}}}));

  router_.Add("GET", "/api/v1/events", [db](Call& c) -> Result<Reply> {
    const Principal& p = c.p();
    if (!domain::SeesWholeTenant(p.role)) {
      return Forbidden("the event log is for admin, hq_ops, analyst and auditor roles",
                       "事件日志仅对管理员、运营、分析师和审计员开放");
    }
    events::ReadOptions opt;
    for (const auto& [k, v] : c.req.query) {
      char* end = nullptr;
      if (k == "after") {
        long long x = std::strtoll(v.c_str(), &end, 10);
        if (v.empty() || *end || x < 0) {
          return Status::Invalid("validation.parameter", "after must be a sequence number ≥ 0",
                                 "after 应为不小于 0 的序号", "after");
        }
        opt.after_seq = x;
      } else if (k == "limit") {
        long x = std::strtol(v.c_str(), &end, 10);
        if (v.empty() || *end || x < 1 || x > 5000) {
          return Status::Invalid("validation.parameter", "limit must be 1 to 5000",
                                 "limit 应为 1 到 5000", "limit");
        }
        opt.limit = static_cast<int>(x);
      } else if (k == "type") {
        if (v.size() > 64 || domain::Utf8Length(v) < 0) {
          return Status::Invalid("validation.parameter", "type is too long", "type 过长", "type");
        }
        opt.type_prefix = v;
      } else {
        return Status::Invalid("validation.parameter", "unknown parameter '" + k + "'",
                               "未知参数 '" + k + "'", k);
      }
    }
    auto conn = db->Acquire();
    if (!conn.ok()) return conn.status();
    auto evs = events::Read(**conn, p.tenant_id, opt);
    if (!evs.ok()) return evs.status();
    json items = json::array();
    int64_t last = opt.after_seq;
    for (const auto& e : *evs) {
      json payload = json::parse(e.payload, nullptr, false);
      items.push_back({{"seq", e.seq}, {"at", FormatTimestamp(e.at)}, {"type", e.type},
                       {"entity", e.entity}, {"entity_id", e.entity_id}, {"actor_id", e.actor_id},
                       {"payload", payload.is_discarded() ? json(nullptr) : payload}});
      last = e.seq;
    }
    auto head = events::LastSeq(**conn, p.tenant_id);
    return Ok({{"items", items}, {"next_after", last}, {"last_seq", head.ok() ? *head : last}});
  }, {"Replay the tenant's event log after a sequence number (admin, hq_ops, analyst, auditor)",
      "按序号回放租户事件日志", "events", nullptr,
      Obj({{"items", Arr(Obj({{"seq", Int()}, {"at", Time()}, {"type", Str("order.created, unit.created, …")}, {"entity", Str()},
                              {"entity_id", Int()}, {"actor_id", Int("0: the system")}, {"payload", Null(Free("the fact as recorded"))}},
                             {"seq", "at", "type", "entity", "entity_id", "actor_id", "payload"}))},
           {"next_after", Int("pass as ?after= for the next page")}, {"last_seq", Int("the log's newest sequence number")}},
          {"items", "next_after", "last_seq"}, "Events in order / 事件日志"),
      {{"after", "return events with seq > after (default 0)"}, {"limit", "1-5000, default 1000"},
       {"type", "event type prefix, e.g. opportunity."}}});
}

namespace {

// The formula view of an entity's fields (references and money are numbers).
std::vector<formula::FieldInfo> FormulaFields(const domain::EntityDef& e) {
  std::vector<formula::FieldInfo> out = {{"id", formula::Type::kNumber},
                                         {"created_at", formula::Type::kDateTime},
                                         {"updated_at", formula::Type::kDateTime}};
  for (const auto& f : e.fields) {
    formula::Type t;
    switch (f.type) {
      case FieldType::kRef: case FieldType::kInt: case FieldType::kNumber: case FieldType::kMoney:
        t = formula::Type::kNumber; break;
      case FieldType::kBool: t = formula::Type::kBool; break;
      case FieldType::kTimestamp: t = formula::Type::kDateTime; break;
      case FieldType::kDate: t = formula::Type::kDate; break;
      case FieldType::kJson: case FieldType::kPassword: continue;
      default: t = formula::Type::kText;
    }
    out.push_back({f.name, t});
  }
  return out;
}

}  // namespace

void Api::AddFormulaRoutes() {
  using namespace schema;  // NOLINT(google-build-using-namespace): the builders read as the schema
  router_.Add("GET", "/api/v1/formula/functions", [](Call&) -> Result<Reply> {
    json items = json::array();
    for (const auto& f : formula::FunctionCatalogue()) {
      items.push_back({{"name", f.name}, {"signature", f.signature}, {"returns", f.returns},
                       {"description", f.en}, {"description_zh", f.zh}, {"example", f.example}});
    }
    return Ok({{"items", items}});
  }, {"The formula language's built-in functions (for docs and autocomplete)",
      "公式语言的内置函数（用于文档与自动补全）", "formula", nullptr,
      Items(Obj({{"name", Str()}, {"signature", Str()}, {"returns", Str()}, {"description", Str()}, {"description_zh", Str()}, {"example", Str()}},
                {"name", "signature", "returns", "description", "description_zh", "example"}))});

  json check_req = {{"type", "object"},
                    {"required", {"entity", "formula"}},
                    {"properties", {{"entity", {{"type", "string"}}},
                                    {"formula", {{"type", "string"}, {"maxLength", 8192}}},
                                    {"expect", {{"type", "string"},
                                                {"enum", {"any", "number", "text", "boolean", "date", "timestamp"}}}}}}};
  router_.Add("POST", "/api/v1/formula/check", [](Call& c) -> Result<Reply> {
    const json& b = c.body;
    KEEL_RETURN_IF_ERROR(domain::CheckObject(b, {"entity", "formula", "expect"}));
    if (!b.contains("entity") || !b["entity"].is_string() || !domain::FindEntity(b["entity"])) {
      return Status::Invalid("validation.entity", "entity must name an entity such as customers or orders",
                             "entity 应为实体名称，如 customers、orders", "entity");
    }
    if (!b.contains("formula") || !b["formula"].is_string()) {
      return Status::Invalid("validation.required", "formula is required (a string)", "formula 为必填字符串", "formula");
    }
    formula::Type expect = formula::Type::kAny;
    if (b.contains("expect")) {
      static const std::pair<const char*, formula::Type> kTypes[] = {
          {"any", formula::Type::kAny}, {"number", formula::Type::kNumber}, {"text", formula::Type::kText},
          {"boolean", formula::Type::kBool}, {"date", formula::Type::kDate}, {"timestamp", formula::Type::kDateTime}};
      bool found = false;
      for (auto [name, t] : kTypes) {
        if (b["expect"].is_string() && b["expect"] == name) expect = t, found = true;
      }
      if (!found) {
        return Status::Invalid("validation.enum", "expect must be any, number, text, boolean, date or timestamp",
                               "expect 只能为 any、number、text、boolean、date 或 timestamp", "expect");
      }
    }
    const auto& e = *domain::FindEntity(b["entity"]);
    auto fields = FormulaFields(e);
    auto f = formula::Formula::Compile(b["formula"].get<std::string>(), fields, expect);
    if (!f.ok()) return f.status();
    json used = json::array();
    for (int i : f->fields_used()) used.push_back(fields[i].name);
    return Ok({{"ok", true}, {"type", std::string(formula::TypeName(f->type()))}, {"fields_used", used}});
  }, {"Type-check a formula against an entity's fields; errors point at the position (formula@N)",
      "按实体字段检查公式；错误会指出位置（formula@N）", "formula", check_req,
      Obj({{"ok", Bool()}, {"type", Str("the formula's type: number, text, boolean, date, timestamp, any")}, {"fields_used", Arr(Str())}},
          {"ok", "type", "fields_used"}, "The formula is valid / 公式有效")});
}

Result<Principal> Api::Authenticate(const Request& req) const {
  if (req.authorization.rfind("Bearer ", 0) != 0) {
    return Status::Error(ErrorKind::kUnauthenticated, "auth.missing_token",
                         "send 'Authorization: Bearer <token>' (log in at POST /api/v1/auth/login)",
                         "请携带 'Authorization: Bearer <令牌>'（登录接口 POST /api/v1/auth/login）");
  }
  return auth_.Authenticate(req.authorization.substr(7));
}

namespace {

// The path's {token}, {name} and {id}-like parameters, checked and bound to the call; a value
// of the wrong shape is 404 (a path that names nothing).
Status BindPathParams(const std::map<std::string, std::string>& params, Call& call) {
  for (const auto& [k, v] : params) {
    if (k == "token") {
      // A capability in the path (public feedback links): its shape only; never echoed.
      bool ok = !v.empty() && v.size() <= 100 && std::all_of(v.begin(), v.end(), [](char ch) {
        return std::isalnum(static_cast<unsigned char>(ch)) || ch == '_' || ch == '-';
      });
      if (!ok) {
        return Status::Error(ErrorKind::kNotFound, "not_found", "no such link", "链接不存在", k);
      }
      call.names[k] = v;
      continue;
    }
    if (k == "name") {
      bool ok = !v.empty() && v.size() <= 63 && std::all_of(v.begin(), v.end(), [](char ch) {
        return std::isalnum(static_cast<unsigned char>(ch)) || ch == '_' || ch == '-' || ch == '.';
      });
      if (!ok) {
        return Status::Error(ErrorKind::kNotFound, "not_found", "no record named '" + v.substr(0, 64) + "'",
                             "不存在名为 '" + v.substr(0, 64) + "' 的记录", k);
      }
      call.names[k] = v;
      continue;
    }
    char* end = nullptr;
    long long id = std::strtoll(v.c_str(), &end, 10);
    if (v.empty() || *end || id <= 0 || v.size() > 16) {
      return Status::Error(ErrorKind::kNotFound, "not_found", "no record with id '" + v + "'",
                           "不存在 ID 为 '" + v + "' 的记录", k);
    }
    call.ids[k] = id;
  }
  return Status();
}

}  // namespace

namespace {

// A POST/PATCH/PUT body as the route takes it (JSON; YAML for definitions; a text document for
// text_field routes) into call.body; raw-body routes read req.body themselves.
Status ParseBody(const Request& req, const Route& route, Call& call) {
  Status st;
  bool wants_body = !route.doc.request_schema.is_null() && !route.doc.raw_body;
  if (wants_body) {
    std::string ct = req.content_type.substr(0, req.content_type.find(';'));
    bool yaml = ct == "application/yaml" || ct == "application/x-yaml" || ct == "text/yaml";
    bool text = ct == "text/markdown" || ct == "text/plain" || ct == "text/x-markdown";
    if (text && !route.doc.text_field.empty()) {
      call.body = json::object();
      for (const auto& [k, v] : req.query) call.body[k] = v;
      call.body[route.doc.text_field] = req.body;
    } else if (yaml && !req.body.empty() && !(route.doc.yaml && call.principal)) {
      // YAML is for definitions, from a signed-in person: a public route never parses it.
      st = Status::Error(ErrorKind::kInvalid, "http.unsupported_media_type",
                         "this route takes application/json; YAML is accepted only for definitions (metrics, alert rules, workflows)",
                         "此接口只接受 application/json；YAML 仅用于定义（指标、告警规则、审批流程）", "Content-Type");
    } else if (yaml && !req.body.empty()) {
      // Definitions may be written in YAML (DESIGN §6); they become the same JSON. Anchors and
      // aliases are refused, so the JSON is never larger than the body's own values.
      auto j = JsonFromYaml(req.body);
      if (j.ok()) call.body = std::move(*j);
      else st = j.status();
    } else if (!req.body.empty() && ct != "application/json") {
      st = Status::Error(ErrorKind::kInvalid, "http.unsupported_media_type",
                         "send the body as application/json (or application/yaml)",
                         "请求体须为 application/json（或 application/yaml）");
    } else if (req.body.empty()) {
      st = Status::Invalid("validation.body", "a JSON body is required", "需要 JSON 请求体");
    } else {
      try {
        // Bounded nesting: copying or printing a deeply nested value recurses per level.
        constexpr int kMaxDepth = 32;
        call.body = json::parse(req.body, [](int depth, json::parse_event_t, json&) {
          if (depth > kMaxDepth) throw TooDeep();
          return true;
        });
      } catch (const json::out_of_range& e) {
        st = Status::Invalid("validation.json", std::string("malformed JSON: ") + e.what(),
                             std::string("JSON 格式错误：") + e.what(), "body");
      } catch (const TooDeep&) {
        st = Status::Invalid("validation.too_deep", "the JSON body is nested more than 32 levels deep",
                             "JSON 请求体嵌套超过 32 层", "body");
      } catch (const json::parse_error& e) {
        std::string what = e.what();
        bool utf8 = what.find("UTF-8") != std::string::npos ||
                    what.find("utf-8") != std::string::npos;
        st = Status::Invalid(utf8 ? "validation.utf8" : "validation.json",
                             std::string(utf8 ? "invalid UTF-8" : "malformed JSON") +
                                 " at byte " + std::to_string(e.byte),
                             std::string(utf8 ? "UTF-8 编码无效" : "JSON 格式错误") +
                                 "，位置：第 " + std::to_string(e.byte) + " 字节",
                             "body@" + std::to_string(e.byte));
      }
    }
  }
  return st;
}

}  // namespace

Response Api::Handle(const Request& req) const {
  auto started = std::chrono::steady_clock::now();
  Response res;
  std::optional<Principal> principal;
  std::string logged_pattern;
  std::string route_pattern;  // the metrics' label: a pattern, never the raw path
  const Route* deprecated = nullptr;  // an old spelling: the reply says so, whatever it is
  try {
    auto m = router_.Find(req.method, req.path);
    if (m.route) route_pattern = m.route->pattern;
    if (m.route && m.params.count("token")) logged_pattern = m.route->pattern;
    if (const Route* hit = m.route ? m.route : m.same_path; hit && hit->deprecated()) deprecated = hit;
    if (!m.route) {
      Status st = m.path_known
          ? Status::Error(ErrorKind::kInvalid, "http.method_not_allowed",
                          req.method + " is not allowed on " + req.path,
                          req.path + " 不支持 " + req.method + " 方法")
          : Status::Error(ErrorKind::kNotFound, "http.not_found", "no route " + req.path,
                          "不存在的接口 " + req.path);
      res = ErrorResponse(st, req.request_id);
      if (m.path_known) res.status = 405;
    } else {
      // A bounded collection the API pages: the handler sees neither limit nor after.
      const Paging& paging = m.route->doc.paging;
      const bool in_memory = paging.kind == Paging::Kind::kInMemory;
      Request paged_req;
      std::optional<PageRequest> page;
      Status page_st;  // reported after authentication: a stranger learns nothing from it
      if (in_memory) {
        paged_req = req;
        auto taken = TakePageParams(paged_req.query, m.route->doc.query);
        if (taken.ok()) {
          page = *taken;
        } else {
          page_st = taken.status();
        }
      }
      Call call{in_memory ? static_cast<const Request&>(paged_req) : req, std::nullopt, json(), {}};
      Status st = BindPathParams(m.params, call);
      // From sign-in on, the database shows this request only its tenant's rows (row-level
      // security on PostgreSQL); before it (sign-in, a public link's token) it is the system's.
      std::optional<store::TenantScope> tenant_scope;
      if (st.ok() && m.route->doc.auth) {
        auto p = Authenticate(req);
        if (p.ok()) {
          principal = *p;
          principal->request_id = req.request_id;
          call.principal = principal;
          tenant_scope.emplace(principal->tenant_id);
        } else {
          st = p.status();
        }
      }
      if (st.ok() && !page_st.ok()) st = page_st;
      if (st.ok() && m.route->doc.max_body > 0 && req.body.size() > m.route->doc.max_body) {
        st = Status::Error(ErrorKind::kPayloadTooLarge, "http.payload_too_large",
                           "the request body is larger than " + std::to_string(m.route->doc.max_body) + " bytes",
                           "请求体超过 " + std::to_string(m.route->doc.max_body) + " 字节", "body");
      }
      if (st.ok() && (req.method == "POST" || req.method == "PATCH" || req.method == "PUT")) {
        st = ParseBody(req, *m.route, call);
      }
      if (st.ok()) {
        auto r = m.route->handler(call);
        if (r.ok() && r->stream) {
          res.status = 200;
          res.stream = r->stream;
        } else if (r.ok() && !r->raw_content_type.empty()) {
          res.status = r->status;
          res.content_type = r->raw_content_type;
          res.body = std::move(r->raw);
          res.headers = std::move(r->headers);
        } else if (r.ok()) {
          if (page) st = PageItems(paging, *page, r->body);
          res.status = r->status;
          res.body = Dump(r->body);
        } else {
          st = r.status();
        }
      }
      if (!st.ok()) {
        if (st.kind() == ErrorKind::kInternal) {
          spdlog::error("request_id={} internal error: {}", req.request_id, st.ToString());
          st = Status::Internal("see the server log for request " + req.request_id);
        }
        res = ErrorResponse(st, req.request_id);
      }
    }
  } catch (const json::type_error& e) {
    // A value of the wrong JSON type that a handler read without checking: the client's
    // mistake, reported as such (the handler is fixed when this shows up in the log).
    spdlog::warn("request_id={} unchecked JSON type: {}", req.request_id, e.what());
    res = ErrorResponse(WrongJsonType(e), req.request_id);
  } catch (const std::exception& e) {
    spdlog::error("request_id={} unhandled exception: {}", req.request_id, e.what());
    res = ErrorResponse(Status::Internal("see the server log for request " + req.request_id),
                        req.request_id);
  }
  res.headers.emplace_back("X-Request-Id", req.request_id);
  if (deprecated) {
    // RFC 9745: since when the spelling is deprecated (a structured-field date); RFC 8288 and
    // RFC 5829: where the same resource lives now.
    res.headers.emplace_back("Deprecation", kDeprecatedSince);
    res.headers.emplace_back("Link", "<" + SuccessorPath(*deprecated, req.path) + ">; rel=\"successor-version\"");
  }
  auto us = std::chrono::duration_cast<std::chrono::microseconds>(
                std::chrono::steady_clock::now() - started).count();
  std::string safe_path = req.path.substr(0, 256);
  // A route with a secret in its path (a public link's token) is logged by its pattern.
  if (!logged_pattern.empty()) safe_path = logged_pattern;
  for (char& ch : safe_path) {
    if (static_cast<unsigned char>(ch) < 0x20 || ch == ' ' || ch == 0x7f) ch = '?';  // no forged log lines
  }
  spdlog::info("access method={} path={} status={} us={} request_id={} tenant={} user={} ip={}",
               req.method, safe_path, res.status, us, req.request_id,
               principal ? principal->tenant_id : 0, principal ? principal->user_id : 0,
               req.remote_ip);
  if (services_.telemetry) services_.telemetry->ObserveRequest(req.method, route_pattern, res.status, static_cast<double>(us) / 1e6);
  return res;
}

}  // namespace keel::http
