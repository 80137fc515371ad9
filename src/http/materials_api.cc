// Routes of the materials library's versions and of public feedback links. The records
// themselves (materials, case_reviews) have the generic entity routes.
//   POST   /api/v1/materials/{id}/versions                  upload a version (raw bytes or JSON base64)
//   GET    /api/v1/materials/{id}/versions                  list versions
//   GET    /api/v1/materials/{id}/versions/latest/content   the newest file
//   GET    /api/v1/materials/{id}/versions/{n}/content      version n's file
//   POST   /api/v1/feedback-links                           make a link (the token once)
//   GET    /api/v1/feedback-links                           links of your part of the tree
//   DELETE /api/v1/feedback-links/{id}                      revoke
//   GET    /api/v1/public/feedback/{token}                  anonymous: the form
//   POST   /api/v1/public/feedback/{token}                  anonymous: answer it
#include <cctype>
#include <string_view>

#include "common/crypto.h"
#include "domain/codec.h"
#include "http/api.h"
#include "http/members.h"
#include "http/openapi.h"
#include "org/feedback_links.h"
#include "org/materials.h"
#include "org/money_json.h"

namespace keel::http {
namespace {

struct TooDeep {};

// filename="<ASCII fallback>"; filename*=UTF-8''<percent-encoded> (RFC 6266). The name was
// checked on upload: no quotes, slashes or control characters.
std::string ContentDisposition(const std::string& name) {
  std::string ascii, encoded;
  static const char* kHex = "0123456789ABCDEF";
  for (char ch : name) {
    auto u = static_cast<unsigned char>(ch);
    ascii += u < 0x80 ? ch : '_';
    if (std::isalnum(u) || std::string_view("!#$&+-.^_`|~").find(ch) != std::string_view::npos) {
      encoded += ch;
    } else {
      encoded += '%';
      encoded += kHex[u >> 4];
      encoded += kHex[u & 15];
    }
  }
  return "attachment; filename=\"" + ascii + "\"; filename*=UTF-8''" + encoded;
}

// A stored file as the reply: downloaded, never rendered in the application's origin.
Reply FileReply(org::MaterialContent f) {
  Reply r;
  r.raw_content_type = f.content_type;
  r.raw = std::move(f.bytes);
  r.headers = {{"Content-Disposition", ContentDisposition(f.file_name)},
               {"X-Content-Type-Options", "nosniff"},
               {"Content-Security-Policy", "sandbox"},
               {"ETag", "\"" + f.sha256 + "\""},
               {"X-Material-Version", std::to_string(f.version)}};
  return r;
}

// The JSON form of an upload: {content_base64, file_name, content_type, note}. 400 on a missing or
// malformed field, 413 material.too_large beyond the service's limit.
Result<org::MaterialUpload> UploadFromJson(const json& body, size_t max_bytes) {
  KEEL_RETURN_IF_ERROR(domain::CheckObject(body, {"content_base64", "file_name", "content_type", "note"}));
  org::MaterialUpload up;
  for (const char* k : {"file_name", "content_type", "note"}) {
    if (body.contains(k) && !body[k].is_null() && !body[k].is_string()) {
      return Status::Invalid("validation.type", std::string(k) + " must be a string", std::string(k) + " 应为字符串", k);
    }
  }
  if (!body.contains("content_base64") || !body["content_base64"].is_string()) {
    return Status::Invalid("validation.required", "content_base64 is required (the file in base64)",
                           "content_base64 为必填项（文件的 base64 编码）", "content_base64");
  }
  const std::string& b64 = body["content_base64"].get_ref<const std::string&>();
  if (b64.size() > max_bytes / 3 * 4 + 1024) return org::MaterialTooLarge(max_bytes);
  if (!Base64Decode(b64, &up.bytes)) {
    return Status::Invalid("validation.base64", "content_base64 is not valid base64", "content_base64 不是有效的 base64 编码", "content_base64");
  }
  up.file_name = body.value("file_name", json("")).is_string() ? body.value("file_name", "") : "";
  up.content_type = body.value("content_type", json("")).is_string() ? body.value("content_type", "") : "";
  up.note = body.value("note", json("")).is_string() ? body.value("note", "") : "";
  return up;
}

// A material's versions as the API lists them (no material_id per item; who uploaded by name).
json VersionsJson(const org::MaterialVersions& v) {
  json items = json::array();
  for (const auto& x : v.items) {
    json item = org::ToJson(x);
    item.erase("material_id");
    item["created_by_name"] = x.created_by_name ? json(*x.created_by_name) : json(nullptr);
    items.push_back(std::move(item));
  }
  return json{{"material_id", v.material_id}, {"title", v.title}, {"latest_version", v.latest_version ? json(*v.latest_version) : json(nullptr)},
              {"items", items}};
}

// The upload in either form: a JSON object with the file in base64, or the file itself as the
// body with its Content-Type (file_name and note in the query string).
Result<org::MaterialUpload> ReadUpload(const Call& c, const org::MaterialService& ms) {
  const std::string ct = c.req.content_type.substr(0, c.req.content_type.find(';'));
  if (ct == "application/json") {
    json body;
    try {
      body = json::parse(c.req.body, [](int depth, json::parse_event_t, json&) {
        if (depth > 4) throw TooDeep();
        return true;
      });
    } catch (const TooDeep&) {
      return Status::Invalid("validation.too_deep", "the upload is a flat JSON object", "上传内容应为单层 JSON 对象", "body");
    } catch (const json::exception&) {
      return Status::Invalid("validation.json", "malformed JSON", "JSON 格式错误", "body");
    }
    return UploadFromJson(body, ms.max_bytes());
  }
  org::MaterialUpload up;
  for (const auto& [k, v] : c.req.query) {
    if (k == "file_name") up.file_name = v;
    else if (k == "note") up.note = v;
    else return Status::Invalid("validation.parameter", "unknown parameter '" + k + "'", "未知参数 '" + k + "'", k);
  }
  if (c.req.body.empty()) {
    return Status::Invalid("validation.required", "send the file as the body (with its Content-Type), or JSON {content_base64, file_name}",
                           "请将文件作为请求体发送（附 Content-Type），或发送 JSON {content_base64, file_name}", "content");
  }
  up.bytes = c.req.body;
  up.content_type = c.req.content_type;
  return up;
}

// An optional positive id; 0 when absent or null.
Result<int64_t> OptionalId(const json& body, const char* key) {
  if (!body.contains(key) || body[key].is_null()) return int64_t{0};
  if (!body[key].is_number_integer() || body[key].get<int64_t>() <= 0) {
    return Status::Invalid("validation.type", std::string(key) + " must be an id", std::string(key) + " 应为记录 ID", key);
  }
  return body[key].get<int64_t>();
}

// An optional string of at most `max` code points, trimmed; "" when absent or null.
Result<std::string> OptionalText(const json& body, const char* key, int max) {
  if (!body.contains(key) || body[key].is_null()) return std::string();
  if (!body[key].is_string()) return Status::Invalid("validation.type", std::string(key) + " must be a string", std::string(key) + " 应为字符串", key);
  std::string s = body[key].get<std::string>();
  int n = domain::Utf8Length(s);
  if (n < 0 || n > max) {
    return Status::Invalid("validation.length", std::string(key) + " is at most " + std::to_string(max) + " characters",
                           std::string(key) + " 最多 " + std::to_string(max) + " 个字符", key);
  }
  size_t b = s.find_first_not_of(" \t\r\n"), e = s.find_last_not_of(" \t\r\n");
  return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
}

// POST /feedback-links {unit_id?, store_id?, title?, expires_at?}: the first shape error, in the
// members' order, is the draft's problem.
org::FeedbackLinkDraft LinkDraftOf(const json& body) {
  org::FeedbackLinkDraft d;
  d.problem = [&]() -> Status {
    KEEL_RETURN_IF_ERROR(domain::CheckObject(body, {"unit_id", "store_id", "title", "expires_at"}));
    KEEL_ASSIGN_OR_RETURN(d.unit_id, OptionalId(body, "unit_id"));
    KEEL_ASSIGN_OR_RETURN(d.store_id, OptionalId(body, "store_id"));
    KEEL_ASSIGN_OR_RETURN(d.title, OptionalText(body, "title", org::kFeedbackMaxTitle));
    if (body.contains("expires_at") && !body["expires_at"].is_null()) {
      auto t = body["expires_at"].is_string() ? ParseTimestamp(body["expires_at"].get<std::string>()) : Result<TimeMs>(Status::Internal(""));
      if (!t.ok()) {
        return Status::Invalid("validation.timestamp", "expires_at is a time with its zone, e.g. 2026-12-31T23:59:59+08:00",
                               "expires_at 应为带时区的时间，如 2026-12-31T23:59:59+08:00", "expires_at");
      }
      d.expires_at = *t;
    }
    return Status();
  }();
  return d;
}

// POST /public/feedback/{token} {rating, text?, contact?, customer_name?}.
org::FeedbackAnswer AnswerOf(const json& body) {
  org::FeedbackAnswer a;
  a.problem = [&]() -> Status {
    KEEL_RETURN_IF_ERROR(domain::CheckObject(body, {"rating", "text", "contact", "customer_name"}));
    if (!body.contains("rating") || body["rating"].is_null()) {
      return Status::Invalid("validation.required", "rating is required (1-5)", "rating 为必填项（1-5）", "rating");
    }
    if (!body["rating"].is_number_integer() || body["rating"].get<int64_t>() < 1 || body["rating"].get<int64_t>() > 5) {
      return Status::Invalid("validation.range", "rating is a whole number from 1 to 5", "rating 应为 1 到 5 的整数", "rating");
    }
    a.rating = body["rating"].get<int64_t>();
    KEEL_ASSIGN_OR_RETURN(a.text, OptionalText(body, "text", org::kFeedbackMaxText));
    KEEL_ASSIGN_OR_RETURN(a.contact, OptionalText(body, "contact", org::kFeedbackMaxContact));
    KEEL_ASSIGN_OR_RETURN(a.customer_name, OptionalText(body, "customer_name", org::kFeedbackMaxContact));
    return Status();
  }();
  return a;
}

}  // namespace

void Api::AddMaterialRoutes() {
  using namespace schema;  // NOLINT(google-build-using-namespace): the builders read as the schema
  if (org::MaterialService* ms = services_.materials) {
    json upload = {{"type", "object"},
                   {"description", "The file as the body with its Content-Type (?file_name=&note= in the query), or this JSON object"},
                   {"required", {"content_base64"}},
                   {"properties", {{"content_base64", {{"type", "string"}, {"description", "the file, base64"}}},
                                   {"file_name", {{"type", "string"}, {"maxLength", 200}}},
                                   {"content_type", {{"type", "string"}, {"description", "default application/octet-stream"}}},
                                   {"note", {{"type", "string"}, {"maxLength", 500}, {"description", "what changed"}}}}}};
    json version_props = {{"version", Int()}, {"file_name", Str()}, {"content_type", Str()}, {"size_bytes", Int()}, {"sha256", Str("hex")},
                          {"note", Null(Str("what changed"))}, {"created_at", Time()}, {"created_by", Null(Int())}};
    const std::vector<std::string> version_required = {"version", "file_name", "content_type", "size_bytes", "sha256", "created_at"};
    json uploaded_props = version_props;
    uploaded_props["material_id"] = Int();
    const json version = Obj(uploaded_props, version_required, "A material's version / 物料版本");
    version_props["created_by_name"] = Null(Str());
    const json versions = Obj({{"material_id", Int()}, {"title", Str()}, {"latest_version", Null(Int())},
                               {"items", Arr(Obj(version_props, version_required), "newest first")}},
                              {"material_id", "items"}, "A material's versions / 物料的各版本");
    RouteDoc add{"Upload a new version of a material (HQ for shared ones, unit leads for their unit's; at most 10 MB)",
                 "上传物料新版本（共享物料由总部、单元物料由战队负责人上传；不超过 10 MB）", "materials", upload, version,
                 {{"file_name", "with a raw body: the file's name"}, {"note", "with a raw body: what changed"}}, 201};
    add.raw_body = true;
    add.content_types = {"application/json", "*/*"};
    router_.Add("POST", "/api/v1/materials/{id}/versions", [ms](Call& c) -> Result<Reply> {
      KEEL_ASSIGN_OR_RETURN(org::MaterialUpload up, ReadUpload(c, *ms));
      KEEL_ASSIGN_OR_RETURN(org::MaterialVersion added, ms->AddVersion(c.p(), c.id(), std::move(up)));
      return Reply{201, org::ToJson(added)};
    }, add);
    router_.Add("GET", "/api/v1/materials/{id}/versions", [ms](Call& c) -> Result<Reply> {
      KEEL_ASSIGN_OR_RETURN(org::MaterialVersions versions, ms->Versions(c.p(), c.id()));
      return Reply{200, VersionsJson(versions)};
    },
                {"A material's versions, newest first: who uploaded what and when", "物料的各版本（最新在前）：上传人、时间与说明",
                 "materials", nullptr, versions});
    json file = {{"type", "string"}, {"format", "binary"}, {"description", "the file with its own Content-Type, as an attachment"}};
    router_.Add("GET", "/api/v1/materials/{id}/versions/latest/content",
                [ms](Call& c) -> Result<Reply> {
                  KEEL_ASSIGN_OR_RETURN(org::MaterialContent f, ms->Content(c.p(), c.id(), 0));
                  return FileReply(std::move(f));
                },
                Responds({"Download the newest version's file", "下载最新版本文件", "materials", nullptr, file}, "*/*"));
    router_.Add("GET", "/api/v1/materials/{id}/versions/{n}/content",
                [ms](Call& c) -> Result<Reply> {
                  KEEL_ASSIGN_OR_RETURN(org::MaterialContent f, ms->Content(c.p(), c.id(), c.ids.at("n")));
                  return FileReply(std::move(f));
                },
                Responds({"Download version n's file (old versions stay readable)", "下载第 n 版文件（旧版本始终可读）", "materials", nullptr, file}, "*/*"));
  }
  if (org::FeedbackLinkService* fl = services_.feedback_links) {
    json link_req = {{"type", "object"},
                     {"properties", {{"unit_id", {{"type", "integer"}, {"description", "default: the store's unit, else yours"}}},
                                     {"store_id", {{"type", "integer"}}},
                                     {"title", {{"type", "string"}, {"maxLength", 100}}},
                                     {"expires_at", {{"type", "string"}, {"format", "date-time"}}}}}};
    json link_props = {{"id", Int()}, {"unit_id", Int()}, {"unit", Null(Str())}, {"store_id", Null(Int())}, {"store", Null(Str())},
                       {"title", Null(Str())}, {"prefix", Str("the token's first characters, to tell links apart")},
                       {"status", Enum({"active", "revoked", "expired"})}, {"expires_at", Null(Time())}, {"submissions", Int()},
                       {"last_submitted_at", Null(Time())}, {"revoked_at", Null(Time())}, {"created_at", Time()}, {"created_by", Null(Int())}};
    const std::vector<std::string> link_required = {"id", "unit_id", "prefix", "status", "submissions", "created_at"};
    const json link = Obj(link_props, link_required, "A public feedback link / 公开反馈链接");
    link_props["token"] = Str("shown only in this reply");
    link_props["path"] = Str("the form's path, with the token");
    std::vector<std::string> made_required = link_required;
    made_required.insert(made_required.end(), {"token", "path"});
    const json made = Obj(link_props, made_required, "The new link with its token (shown once) / 新链接及令牌（仅显示一次）");
    const json labels = Obj({{"heading", Str()}, {"rating", Str()}, {"text", Str()}, {"customer_name", Str()}, {"contact", Str()},
                             {"submit", Str()}, {"thanks", Str()}});
    const json form_out = Obj({{"company", Str()}, {"unit", Null(Str())}, {"unit_en", Null(Str())}, {"store", Null(Str())}, {"title", Null(Str())},
                               {"locale", Str()}, {"labels", Obj({{"zh", labels}, {"en", labels}}, {"zh", "en"})},
                               {"rating", Obj({{"min", Int()}, {"max", Int()}})}, {"limits", Map(Int(), "field → its maximum length")}},
                              {"company", "labels", "rating"}, "What the form shows / 反馈表单信息");
    const json received = Obj({{"received", Bool()}, {"message", Str()}, {"message_zh", Str()}}, {"received"}, "Thanks / 已收到");
    router_.Add("POST", "/api/v1/feedback-links", [fl](Call& c) { return Wrap(Sent(fl->Create(c.p(), LinkDraftOf(c.body))), 201); },
                {"Make a public feedback link for a unit or store (HQ, unit leads); the token is shown only in this reply",
                 "为单元或门店创建公开反馈链接（总部、战队负责人）；令牌仅此一次返回", "feedback", link_req, made, {}, 201});
    router_.Add("GET", "/api/v1/feedback-links", [fl](Call& c) { return Wrap(Sent(fl->List(c.p()))); },
                {"Feedback links of your part of the organisation (never their tokens)", "您管辖范围内的反馈链接（不含令牌）", "feedback",
                 nullptr, Items(link)});
    router_.Add("DELETE", "/api/v1/feedback-links/{id}", [fl](Call& c) { return Wrap(Sent(fl->Revoke(c.p(), c.id()))); },
                {"Revoke a feedback link for good", "停用反馈链接", "feedback", nullptr, link});
    json answer = {{"type", "object"}, {"required", {"rating"}},
                   {"properties", {{"rating", {{"type", "integer"}, {"minimum", 1}, {"maximum", 5}}},
                                   {"text", {{"type", "string"}, {"maxLength", 2000}}},
                                   {"customer_name", {{"type", "string"}, {"maxLength", 100}}},
                                   {"contact", {{"type", "string"}, {"maxLength", 100}}}}}};
    RouteDoc form{"Anonymous: what a feedback link's form shows (company, unit or store, title, labels in zh/en); 404 when the "
                  "link is unknown, revoked or expired",
                  "匿名访问：反馈表单信息（公司、单元或门店、标题、中英文标签）；链接不存在、已停用或过期时返回 404", "public", nullptr, form_out};
    form.auth = false;
    router_.Add("GET", "/api/v1/public/feedback/{token}", [fl](Call& c) { return Wrap(Sent(fl->Form(c.names.at("token")))); }, form);
    RouteDoc submit{"Anonymous: answer a feedback link (a few answers per minute per link; 429 beyond)",
                    "匿名访问：提交反馈（每个链接每分钟限若干条，超出返回 429）", "public", answer, received, {}, 201};
    submit.auth = false;
    submit.max_body = 16 * 1024;
    router_.Add("POST", "/api/v1/public/feedback/{token}",
                [fl](Call& c) -> Result<Reply> {
                  KEEL_RETURN_IF_ERROR(fl->Submit(c.names.at("token"), AnswerOf(c.body), c.req.request_id));
                  return Reply{201, org::FeedbackThanksJson()};
                }, submit);
  }
}

}  // namespace keel::http
