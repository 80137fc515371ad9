#include "org/feedback_links.h"

#include "common/crypto.h"
#include "domain/codec.h"
#include "domain/unit_tree.h"
#include "org/internal.h"
#include "org/store/feedback_links.h"
#include "org/store/shared.h"

namespace keel::org {

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

json LinkJson(const repo::FeedbackLinkRow& l, TimeMs now) {
  auto opt_text = [](const std::optional<std::string>& v) { return v ? json(*v) : json(nullptr); };
  auto opt_int = [](const std::optional<int64_t>& v) { return v ? json(*v) : json(nullptr); };
  std::string status = "active";
  if (l.revoked_at) {
    status = "revoked";
  } else if (l.expires_at) {
    auto exp = ParseTimestamp(*l.expires_at);
    if (!exp.ok() || *exp <= now) status = "expired";
  }
  return {{"id", l.id},                  {"unit_id", l.unit_id},             {"unit", l.unit},
          {"store_id", opt_int(l.store_id)}, {"store", opt_text(l.store)},   {"title", opt_text(l.title)},
          {"prefix", l.prefix},          {"expires_at", opt_text(l.expires_at)}, {"revoked_at", opt_text(l.revoked_at)},
          {"created_at", l.created_at},  {"created_by", opt_int(l.created_by)}, {"submissions", l.submissions},
          {"last_submitted_at", opt_text(l.last_submitted_at)}, {"status", status}};
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
  KEEL_ASSIGN_OR_RETURN(std::optional<repo::FeedbackLinkRow> l, repo::LoadFeedbackLink(conn, tenant, id));
  if (!l) return Status::NotFound("feedback link");
  return LinkJson(*l, clock_.NowMs());
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
    KEEL_ASSIGN_OR_RETURN(std::optional<repo::StoreUnit> su, repo::LoadStoreUnit(*conn, p.tenant_id, store));
    if (!su) return Bad("validation.reference", "store_id: no such store in this tenant", "store_id：本租户中不存在该门店", "store_id");
    if (unit == 0) unit = su->unit_id;
    store_path = su->unit_path;
  }
  if (unit == 0) unit = p.unit_id;
  if (unit == 0) return Bad("validation.required", "unit_id is required", "unit_id 为必填项", "unit_id");
  KEEL_ASSIGN_OR_RETURN(std::optional<std::string> unit_path, repo::UnitPath(*conn, p.tenant_id, unit, /*live_only=*/true));
  if (!unit_path) return Bad("validation.reference", "unit_id: no such unit in this tenant", "unit_id：本租户中不存在该单元", "unit_id");
  const std::string path = *unit_path;
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
  repo::FeedbackLinkRow link = {.id = ids[0], .unit_id = unit, .prefix = prefix, .created_at = FormatTimestamp(now), .created_by = ActorOf(p)};
  if (store) link.store_id = store;
  if (!title.empty()) link.title = title;
  if (!expires.empty()) link.expires_at = expires;
  KEEL_RETURN_IF_ERROR(repo::InsertFeedbackLink(*conn, p.tenant_id, link, Sha256Hex(token)));
  KEEL_ASSIGN_OR_RETURN(json out, Describe(*conn, p.tenant_id, ids[0]));
  KEEL_RETURN_IF_ERROR(RecordChange(*conn, p, now, "feedback_link.created", "feedback_links", ids[0], out));
  KEEL_RETURN_IF_ERROR(tx.Commit());
  out["token"] = token;
  out["path"] = "/api/v1/public/feedback/" + token;
  return out;
}

Result<json> FeedbackLinkService::List(const Principal& p) {
  std::optional<std::string> within;
  if (!domain::SeesWholeTenant(p.role) && !p.is_system()) within = p.unit_path;
  KEEL_ASSIGN_OR_RETURN(auto conn, db_.Acquire());
  KEEL_ASSIGN_OR_RETURN(std::vector<repo::FeedbackLinkRow> links, repo::ListFeedbackLinks(*conn, p.tenant_id, within));
  json items = json::array();
  const TimeMs now = clock_.NowMs();
  for (const auto& l : links) items.push_back(LinkJson(l, now));
  return json{{"items", items}};
}

Result<json> FeedbackLinkService::Revoke(const Principal& p, int64_t id) {
  KEEL_ASSIGN_OR_RETURN(auto conn, db_.Acquire());
  KEEL_ASSIGN_OR_RETURN(auto tx, store::Transaction::Begin(*conn, true));
  KEEL_ASSIGN_OR_RETURN(std::optional<repo::FeedbackLinkRow> l, repo::LoadFeedbackLink(*conn, p.tenant_id, id));
  bool sees_all = domain::SeesWholeTenant(p.role) || p.is_system();
  if (!l || (!sees_all && l->unit_path.rfind(p.unit_path, 0) != 0)) return Status::NotFound("feedback link");
  if (!IsHq(p) && p.role != domain::Role::kUnitLead) {
    return Status::Error(ErrorKind::kForbidden, "forbidden", "only HQ and unit leads revoke feedback links", "只有总部和战队负责人可以停用反馈链接");
  }
  if (!l->revoked_at) {
    const TimeMs now = clock_.NowMs();
    KEEL_RETURN_IF_ERROR(repo::RevokeFeedbackLink(*conn, p.tenant_id, id, FormatTimestamp(now)));
    KEEL_ASSIGN_OR_RETURN(json after, Describe(*conn, p.tenant_id, id));
    KEEL_RETURN_IF_ERROR(RecordChange(*conn, p, now, "feedback_link.revoked", "feedback_links", id, after));
  }
  KEEL_RETURN_IF_ERROR(tx.Commit());
  return Describe(*conn, p.tenant_id, id);
}

Result<FeedbackLinkService::Link> FeedbackLinkService::Find(store::Connection& conn, const std::string& token) {
  if (token.rfind(kTokenPrefix, 0) != 0 || token.size() > 100) return Gone();
  const std::string hash = Sha256Hex(token);
  KEEL_ASSIGN_OR_RETURN(std::optional<repo::PublicLinkRow> row, repo::FindLinkByTokenHash(conn, hash));
  if (!row) return Gone();
  if (!ConstantTimeEqual(row->token_hash, hash) || row->revoked_at || row->tenant_status != "active") return Gone();
  if (row->expires_at) {
    auto exp = ParseTimestamp(*row->expires_at);
    if (!exp.ok() || *exp <= clock_.NowMs()) return Gone();
  }
  Link l;
  l.tenant = row->tenant_id;
  l.id = row->id;
  l.unit = row->unit_id;
  l.store = row->store_id.value_or(0);
  l.title = row->title.value_or("");
  l.company = row->company;
  l.locale = row->locale;
  l.unit_name = row->unit_name;
  l.unit_name_en = row->unit_name_en.value_or("");
  l.store_name = row->store_name.value_or("");
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
    KEEL_ASSIGN_OR_RETURN(int64_t counted,
                          repo::CountSubmission(*conn, l.tenant, l.id, now_text, window_open, int64_t{options_.max_posts_per_minute}));
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
