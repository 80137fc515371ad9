#include "org/feedback_links.h"

#include "common/crypto.h"
#include "domain/codec.h"
#include "domain/unit_tree.h"
#include "org/internal.h"

namespace keel::org {

using store::Value;

namespace {

constexpr int kMaxText = 2000, kMaxContact = 100, kMaxTitle = 100;
constexpr const char* kTokenPrefix = "kfb_";



// The same answer for a token that never existed, was revoked or has expired.
Status Gone() {
  return Status::Error(ErrorKind::kNotFound, "feedback_link.not_found", "this feedback link does not exist or is no longer open",
                       "该反馈链接不存在或已失效", "token");
}

// An optional positive id; 0 when absent or null.
Result<int64_t> OptionalId(const json& body, const char* key) {
  if (!body.contains(key) || body[key].is_null()) return int64_t{0};
  if (!body[key].is_number_integer() || body[key].get<int64_t>() <= 0) {
    return Bad("validation.type", std::string(key) + " must be an id", std::string(key) + " 应为记录 ID", key);
  }
  return body[key].get<int64_t>();
}

// An optional string of at most `max` code points; "" when absent or null.
Result<std::string> OptionalText(const json& body, const char* key, int max) {
  if (!body.contains(key) || body[key].is_null()) return std::string();
  if (!body[key].is_string()) return Bad("validation.type", std::string(key) + " must be a string", std::string(key) + " 应为字符串", key);
  std::string s = body[key].get<std::string>();
  int n = domain::Utf8Length(s);
  if (n < 0 || n > max) {
    return Bad("validation.length", std::string(key) + " is at most " + std::to_string(max) + " characters",
               std::string(key) + " 最多 " + std::to_string(max) + " 个字符", key);
  }
  size_t b = s.find_first_not_of(" \t\r\n"), e = s.find_last_not_of(" \t\r\n");
  return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
}

json Labels() {
  return {{"zh", {{"heading", "您的反馈"}, {"rating", "整体满意度（1-5 星）"}, {"text", "想对我们说的话"},
                  {"customer_name", "您的称呼（选填）"}, {"contact", "联系方式（选填，便于回访）"}, {"submit", "提交"},
                  {"thanks", "感谢您的反馈！"}}},
          {"en", {{"heading", "Your feedback"}, {"rating", "Overall satisfaction (1-5 stars)"}, {"text", "Tell us more"},
                  {"customer_name", "Your name (optional)"}, {"contact", "How to reach you (optional)"}, {"submit", "Send"},
                  {"thanks", "Thank you for your feedback!"}}}};
}

const char* kDescribe =
    "SELECT l.id, l.unit_id, un.name, l.store_id, s.name, l.title, l.prefix, l.expires_at, l.revoked_at, l.created_at, "
    "l.created_by, l.submissions, l.last_submitted_at FROM feedback_links l "
    "JOIN units un ON un.tenant_id = l.tenant_id AND un.id = l.unit_id "
    "LEFT JOIN stores s ON s.tenant_id = l.tenant_id AND s.id = l.store_id ";

json LinkJson(const store::Rows& r, size_t i, TimeMs now) {
  const auto& row = r.rows[i];
  auto opt_text = [](const Value& v) { return store::IsNull(v) ? json(nullptr) : json(store::AsText(v)); };
  auto opt_int = [](const Value& v) { return store::IsNull(v) ? json(nullptr) : json(store::AsInt(v)); };
  std::string status = "active";
  if (!store::IsNull(row[8])) {
    status = "revoked";
  } else if (!store::IsNull(row[7])) {
    auto exp = ParseTimestamp(store::AsText(row[7]));
    if (!exp.ok() || *exp <= now) status = "expired";
  }
  return {{"id", store::AsInt(row[0])},      {"unit_id", store::AsInt(row[1])},   {"unit", store::AsText(row[2])},
          {"store_id", opt_int(row[3])},     {"store", opt_text(row[4])},         {"title", opt_text(row[5])},
          {"prefix", store::AsText(row[6])}, {"expires_at", opt_text(row[7])},    {"revoked_at", opt_text(row[8])},
          {"created_at", store::AsText(row[9])}, {"created_by", opt_int(row[10])}, {"submissions", store::AsInt(row[11])},
          {"last_submitted_at", opt_text(row[12])}, {"status", status}};
}

}  // namespace

struct FeedbackLinkService::Link {
  int64_t tenant = 0, id = 0, unit = 0, store = 0;
  std::string title, company, locale, unit_name, unit_name_en, store_name;
};

FeedbackLinkService::FeedbackLinkService(store::Database& db, domain::RecordService& records, const Clock& clock,
                                         FeedbackLinkOptions options)
    : db_(db), records_(records), clock_(clock), options_(options) {}

Result<json> FeedbackLinkService::Describe(store::Connection& conn, int64_t tenant, int64_t id) {
  Value q[] = {tenant, id};
  KEEL_ASSIGN_OR_RETURN(store::Rows r, conn.Query(std::string(kDescribe) + "WHERE l.tenant_id = ? AND l.id = ?", q));
  if (r.empty()) return Status::NotFound("feedback link");
  return LinkJson(r, 0, clock_.NowMs());
}

Result<json> FeedbackLinkService::Create(const Principal& p, const json& body) {
  if (!IsHq(p) && p.role != domain::Role::kUnitLead) {
    return Status::Error(ErrorKind::kForbidden, "forbidden", "only HQ and unit leads make feedback links", "只有总部和战队负责人可以创建反馈链接");
  }
  KEEL_RETURN_IF_ERROR(domain::CheckObject(body, {"unit_id", "store_id", "title", "expires_at"}));
  KEEL_ASSIGN_OR_RETURN(int64_t unit, OptionalId(body, "unit_id"));
  KEEL_ASSIGN_OR_RETURN(int64_t store, OptionalId(body, "store_id"));
  KEEL_ASSIGN_OR_RETURN(std::string title, OptionalText(body, "title", kMaxTitle));
  const TimeMs now = clock_.NowMs();
  std::string expires;
  if (body.contains("expires_at") && !body["expires_at"].is_null()) {
    auto t = body["expires_at"].is_string() ? ParseTimestamp(body["expires_at"].get<std::string>()) : Result<TimeMs>(Status::Internal(""));
    if (!t.ok()) {
      return Bad("validation.timestamp", "expires_at is a time with its zone, e.g. 2026-12-31T23:59:59+08:00",
                 "expires_at 应为带时区的时间，如 2026-12-31T23:59:59+08:00", "expires_at");
    }
    if (*t <= now) return Bad("validation.range", "expires_at is in the past", "expires_at 早于当前时间", "expires_at");
    expires = FormatTimestamp(*t);
  }
  KEEL_ASSIGN_OR_RETURN(auto conn, db_.Acquire());
  std::string store_path;
  if (store != 0) {
    Value q[] = {p.tenant_id, store};
    KEEL_ASSIGN_OR_RETURN(store::Rows r, conn->Query(
        "SELECT s.unit_id, u.path FROM stores s JOIN units u ON u.tenant_id = s.tenant_id AND u.id = s.unit_id "
        "WHERE s.tenant_id = ? AND s.id = ? AND s.archived_at IS NULL", q));
    if (r.empty()) return Bad("validation.reference", "store_id: no such store in this tenant", "store_id：本租户中不存在该门店", "store_id");
    if (unit == 0) unit = store::AsInt(r.rows[0][0]);
    store_path = store::AsText(r.rows[0][1]);
  }
  if (unit == 0) unit = p.unit_id;
  if (unit == 0) return Bad("validation.required", "unit_id is required", "unit_id 为必填项", "unit_id");
  Value uq[] = {p.tenant_id, unit};
  KEEL_ASSIGN_OR_RETURN(store::Rows u, conn->Query("SELECT path FROM units WHERE tenant_id = ? AND id = ? AND archived_at IS NULL", uq));
  if (u.empty()) return Bad("validation.reference", "unit_id: no such unit in this tenant", "unit_id：本租户中不存在该单元", "unit_id");
  const std::string path = store::AsText(u.rows[0][0]);
  if (!store_path.empty() && store_path.rfind(path, 0) != 0) {
    return Bad("validation.reference", "the store is not in that unit", "该门店不属于所选单元", "store_id");
  }
  if (!IsHq(p) && path.rfind(p.unit_path, 0) != 0) {
    return Status::Error(ErrorKind::kForbidden, "forbidden", "the unit is outside your part of the organisation",
                         "该单元不在您的管辖范围内", "unit_id");
  }
  const std::string token = kTokenPrefix + RandomToken(24);
  const std::string prefix = token.substr(0, 10);
  KEEL_ASSIGN_OR_RETURN(auto tx, store::Transaction::Begin(*conn, true));
  KEEL_ASSIGN_OR_RETURN(std::vector<int64_t> ids, conn->AllocateIds(1));
  Value ins[] = {p.tenant_id, ids[0], unit, store ? Value(store) : Value(), title.empty() ? Value() : Value(title), prefix,
                 Sha256Hex(token), expires.empty() ? Value() : Value(expires), FormatTimestamp(now), p.user_id ? Value(p.user_id) : Value()};
  KEEL_RETURN_IF_ERROR(conn->Exec("INSERT INTO feedback_links (tenant_id, id, unit_id, store_id, title, prefix, token_hash, expires_at, created_at, "
                                  "created_by, window_count, submissions) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, 0)", ins).status());
  KEEL_ASSIGN_OR_RETURN(json out, Describe(*conn, p.tenant_id, ids[0]));
  KEEL_RETURN_IF_ERROR(RecordChange(*conn, p, now, "feedback_link.created", "feedback_links", ids[0], out));
  KEEL_RETURN_IF_ERROR(tx.Commit());
  out["token"] = token;
  out["path"] = "/api/v1/public/feedback/" + token;
  return out;
}

Result<json> FeedbackLinkService::List(const Principal& p) {
  std::vector<Value> params = {p.tenant_id};
  std::string where = "WHERE l.tenant_id = ?";
  if (!domain::SeesWholeTenant(p.role) && !p.is_system()) {
    where += domain::UnitTree::PathWithin("un.path", p.unit_path, params);
  }
  KEEL_ASSIGN_OR_RETURN(auto conn, db_.Acquire());
  KEEL_ASSIGN_OR_RETURN(store::Rows r, conn->Query(std::string(kDescribe) + where + " ORDER BY l.id DESC LIMIT 1000", params));
  json items = json::array();
  const TimeMs now = clock_.NowMs();
  for (size_t i = 0; i < r.size(); ++i) items.push_back(LinkJson(r, i, now));
  return json{{"items", items}};
}

Result<json> FeedbackLinkService::Revoke(const Principal& p, int64_t id) {
  KEEL_ASSIGN_OR_RETURN(auto conn, db_.Acquire());
  KEEL_ASSIGN_OR_RETURN(auto tx, store::Transaction::Begin(*conn, true));
  Value q[] = {p.tenant_id, id};
  KEEL_ASSIGN_OR_RETURN(store::Rows r, conn->Query(
      "SELECT un.path, l.revoked_at FROM feedback_links l JOIN units un ON un.tenant_id = l.tenant_id AND un.id = l.unit_id "
      "WHERE l.tenant_id = ? AND l.id = ?", q));
  bool sees_all = domain::SeesWholeTenant(p.role) || p.is_system();
  if (r.empty() || (!sees_all && store::AsText(r.rows[0][0]).rfind(p.unit_path, 0) != 0)) return Status::NotFound("feedback link");
  if (!IsHq(p) && p.role != domain::Role::kUnitLead) {
    return Status::Error(ErrorKind::kForbidden, "forbidden", "only HQ and unit leads revoke feedback links", "只有总部和战队负责人可以停用反馈链接");
  }
  if (store::IsNull(r.rows[0][1])) {
    const TimeMs now = clock_.NowMs();
    Value up[] = {FormatTimestamp(now), p.tenant_id, id};
    KEEL_RETURN_IF_ERROR(conn->Exec("UPDATE feedback_links SET revoked_at = ? WHERE tenant_id = ? AND id = ?", up).status());
    KEEL_ASSIGN_OR_RETURN(json after, Describe(*conn, p.tenant_id, id));
    KEEL_RETURN_IF_ERROR(RecordChange(*conn, p, now, "feedback_link.revoked", "feedback_links", id, after));
  }
  KEEL_RETURN_IF_ERROR(tx.Commit());
  return Describe(*conn, p.tenant_id, id);
}

Result<FeedbackLinkService::Link> FeedbackLinkService::Find(store::Connection& conn, const std::string& token) {
  if (token.rfind(kTokenPrefix, 0) != 0 || token.size() > 100) return Gone();
  const std::string hash = Sha256Hex(token);
  Value q[] = {hash};
  // The only lookup not keyed by a tenant: the token names its tenant, as a session token does.
  KEEL_ASSIGN_OR_RETURN(store::Rows r, conn.Query(
      "SELECT l.token_hash, l.revoked_at, l.expires_at, t.status, l.tenant_id, l.id, l.unit_id, l.store_id, l.title, t.name, t.locale, "
      "un.name, un.name_en, s.name FROM feedback_links l JOIN tenants t ON t.id = l.tenant_id "
      "JOIN units un ON un.tenant_id = l.tenant_id AND un.id = l.unit_id "
      "LEFT JOIN stores s ON s.tenant_id = l.tenant_id AND s.id = l.store_id WHERE l.token_hash = ?", q));
  if (r.empty()) return Gone();
  const auto& row = r.rows[0];
  if (!ConstantTimeEqual(store::AsText(row[0]), hash) || !store::IsNull(row[1]) || store::AsText(row[3]) != "active") return Gone();
  if (!store::IsNull(row[2])) {
    auto exp = ParseTimestamp(store::AsText(row[2]));
    if (!exp.ok() || *exp <= clock_.NowMs()) return Gone();
  }
  Link l;
  l.tenant = store::AsInt(row[4]);
  l.id = store::AsInt(row[5]);
  l.unit = store::AsInt(row[6]);
  l.store = store::AsInt(row[7]);
  l.title = store::AsText(row[8]);
  l.company = store::AsText(row[9]);
  l.locale = store::AsText(row[10]);
  l.unit_name = store::AsText(row[11]);
  l.unit_name_en = store::AsText(row[12]);
  l.store_name = store::AsText(row[13]);
  return l;
}

Result<json> FeedbackLinkService::Form(const std::string& token) {
  KEEL_ASSIGN_OR_RETURN(auto conn, db_.Acquire());
  KEEL_ASSIGN_OR_RETURN(Link l, Find(*conn, token));
  auto opt = [](const std::string& s) { return s.empty() ? json(nullptr) : json(s); };
  return json{{"company", l.company},
              {"unit", l.unit_name},
              {"unit_en", opt(l.unit_name_en)},
              {"store", opt(l.store_name)},
              {"title", opt(l.title)},
              {"locale", l.locale},
              {"rating", {{"min", 1}, {"max", 5}}},
              {"limits", {{"text", kMaxText}, {"contact", kMaxContact}, {"customer_name", kMaxContact}}},
              {"labels", Labels()}};
}

Result<json> FeedbackLinkService::Submit(const std::string& token, const json& body, const std::string& request_id) {
  KEEL_RETURN_IF_ERROR(domain::CheckObject(body, {"rating", "text", "contact", "customer_name"}));
  if (!body.contains("rating") || body["rating"].is_null()) {
    return Bad("validation.required", "rating is required (1-5)", "rating 为必填项（1-5）", "rating");
  }
  if (!body["rating"].is_number_integer() || body["rating"].get<int64_t>() < 1 || body["rating"].get<int64_t>() > 5) {
    return Bad("validation.range", "rating is a whole number from 1 to 5", "rating 应为 1 到 5 的整数", "rating");
  }
  KEEL_ASSIGN_OR_RETURN(std::string text, OptionalText(body, "text", kMaxText));
  KEEL_ASSIGN_OR_RETURN(std::string contact, OptionalText(body, "contact", kMaxContact));
  KEEL_ASSIGN_OR_RETURN(std::string name, OptionalText(body, "customer_name", kMaxContact));
  // One statement checks and counts: a new window when the last began a minute ago or more, else
  // one more in it while under the limit.
  const TimeMs now = clock_.NowMs();
  const std::string now_text = FormatTimestamp(now), window_open = FormatTimestamp(now - 60000);
  Link l;
  {
    KEEL_ASSIGN_OR_RETURN(auto conn, db_.Acquire());
    KEEL_ASSIGN_OR_RETURN(l, Find(*conn, token));
    Value rl[] = {window_open, window_open, now_text, now_text, l.tenant, l.id, window_open, int64_t{options_.max_posts_per_minute}};
    KEEL_ASSIGN_OR_RETURN(int64_t counted, conn->Exec(
        "UPDATE feedback_links SET "
        "window_count = CASE WHEN window_start IS NULL OR window_start <= ? THEN 1 ELSE window_count + 1 END, "
        "window_start = CASE WHEN window_start IS NULL OR window_start <= ? THEN ? ELSE window_start END, "
        "submissions = submissions + 1, last_submitted_at = ? "
        "WHERE tenant_id = ? AND id = ? AND (window_start IS NULL OR window_start <= ? OR window_count < ?)", rl));
    if (counted != 1) {
      return Status::Error(ErrorKind::kTooManyRequests, "feedback_link.rate_limited",
                           "this link has received too many answers in the last minute; please try again in a minute",
                           "该链接一分钟内收到的反馈过多，请一分钟后再试");
    }
  }
  json record = {{"rating", body["rating"]}, {"channel", "public_link"}, {"unit_id", l.unit}, {"link_id", l.id}};
  if (l.store) record["store_id"] = l.store;
  if (!text.empty()) record["text"] = text;
  if (!contact.empty()) record["contact"] = contact;
  if (!name.empty()) record["contact_name"] = name;
  Principal sys = Principal::System(l.tenant);
  sys.request_id = request_id;
  KEEL_RETURN_IF_ERROR(records_.Create(sys, *domain::FindEntity("feedback"), record).status());
  json labels = Labels();
  return json{{"received", true}, {"message", labels["en"]["thanks"]}, {"message_zh", labels["zh"]["thanks"]}};
}

}  // namespace keel::org
