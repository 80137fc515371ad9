#include "org/feedback_links.h"

#include "common/crypto.h"
#include "domain/unit_tree.h"
#include "org/internal.h"
#include "org/money_json.h"
#include "org/store/feedback_links.h"
#include "org/store/shared.h"

namespace keel::org {

namespace {

// The same answer for a token that never existed, was revoked or has expired.
Status Gone() {
  return Status::Error(ErrorKind::kNotFound, "feedback_link.not_found", "this feedback link does not exist or is no longer open",
                       "该反馈链接不存在或已失效", "token");
}

constexpr const char* kTokenPrefix = "kfb_";

FeedbackLink LinkOf(const repo::FeedbackLinkRow& l, TimeMs now) {
  std::string status = "active";
  if (l.revoked_at) {
    status = "revoked";
  } else if (l.expires_at) {
    auto exp = ParseTimestamp(*l.expires_at);
    if (!exp.ok() || *exp <= now) status = "expired";
  }
  return {.id = l.id, .unit_id = l.unit_id, .unit = l.unit, .store_id = l.store_id, .store = l.store, .title = l.title, .prefix = l.prefix,
          .expires_at = l.expires_at, .revoked_at = l.revoked_at, .created_at = l.created_at, .created_by = l.created_by,
          .submissions = l.submissions, .last_submitted_at = l.last_submitted_at, .status = status};
}

}  // namespace

struct FeedbackLinkService::Link {
  int64_t tenant = 0, id = 0, unit = 0, store = 0;
  std::string title, company, locale, unit_name, unit_name_en, store_name;
};

FeedbackLinkService::FeedbackLinkService(store::Database& db, domain::RecordService& records, const Clock& clock,
                                         FeedbackLinkOptions options)
    : db_(db), records_(records), clock_(clock), options_(options) {}

Result<FeedbackLink> FeedbackLinkService::Describe(store::Connection& conn, int64_t tenant, int64_t id) {
  KEEL_ASSIGN_OR_RETURN(std::optional<repo::FeedbackLinkRow> l, repo::LoadFeedbackLink(conn, tenant, id));
  if (!l) return Status::NotFound("feedback link");
  return LinkOf(*l, clock_.NowMs());
}

Result<FeedbackLink> FeedbackLinkService::Create(const Principal& p, const FeedbackLinkDraft& draft) {
  if (!IsHq(p) && p.role != domain::Role::kUnitLead) {
    return Status::Error(ErrorKind::kForbidden, "forbidden", "only HQ and unit leads make feedback links", "只有总部和战队负责人可以创建反馈链接");
  }
  KEEL_RETURN_IF_ERROR(draft.problem);
  int64_t unit = draft.unit_id;
  const int64_t store = draft.store_id;
  const std::string& title = draft.title;
  const TimeMs now = clock_.NowMs();
  std::string expires;
  if (draft.expires_at) {
    if (*draft.expires_at <= now) return Bad("validation.range", "expires_at is in the past", "expires_at 早于当前时间", "expires_at");
    expires = FormatTimestamp(*draft.expires_at);
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
  KEEL_ASSIGN_OR_RETURN(FeedbackLink out, Describe(*conn, p.tenant_id, ids[0]));
  KEEL_RETURN_IF_ERROR(RecordChange(*conn, p, now, "feedback_link.created", "feedback_links", ids[0], ToJson(out)));
  KEEL_RETURN_IF_ERROR(tx.Commit());
  out.token = token;
  return out;
}

Result<std::vector<FeedbackLink>> FeedbackLinkService::List(const Principal& p) {
  std::optional<std::string> within;
  if (!domain::SeesWholeTenant(p.role) && !p.is_system()) within = p.unit_path;
  KEEL_ASSIGN_OR_RETURN(auto conn, db_.Acquire());
  KEEL_ASSIGN_OR_RETURN(std::vector<repo::FeedbackLinkRow> links, repo::ListFeedbackLinks(*conn, p.tenant_id, within));
  std::vector<FeedbackLink> items;
  const TimeMs now = clock_.NowMs();
  for (const auto& l : links) items.push_back(LinkOf(l, now));
  return items;
}

Result<FeedbackLink> FeedbackLinkService::Revoke(const Principal& p, int64_t id) {
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
    KEEL_ASSIGN_OR_RETURN(FeedbackLink after, Describe(*conn, p.tenant_id, id));
    KEEL_RETURN_IF_ERROR(RecordChange(*conn, p, now, "feedback_link.revoked", "feedback_links", id, ToJson(after)));
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

Result<FeedbackForm> FeedbackLinkService::Form(const std::string& token) {
  KEEL_ASSIGN_OR_RETURN(auto conn, db_.Acquire());
  KEEL_ASSIGN_OR_RETURN(Link l, Find(*conn, token));
  auto opt = [](const std::string& s) { return s.empty() ? std::nullopt : std::optional<std::string>(s); };
  return FeedbackForm{.company = l.company, .unit = l.unit_name, .unit_en = opt(l.unit_name_en), .store = opt(l.store_name),
                      .title = opt(l.title), .locale = l.locale};
}

Status FeedbackLinkService::Submit(const std::string& token, const FeedbackAnswer& answer, const std::string& request_id) {
  KEEL_RETURN_IF_ERROR(answer.problem);
  const std::string& text = answer.text;
  const std::string& contact = answer.contact;
  const std::string& name = answer.customer_name;
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
  // The feedback record: an entity record, JSON shaped by its EntityDef.
  nlohmann::json record = {{"rating", answer.rating}, {"channel", "public_link"}, {"unit_id", l.unit}, {"link_id", l.id}};
  if (l.store) record["store_id"] = l.store;
  if (!text.empty()) record["text"] = text;
  if (!contact.empty()) record["contact"] = contact;
  if (!name.empty()) record["contact_name"] = name;
  Principal sys = Principal::System(l.tenant);
  sys.request_id = request_id;
  return records_.Create(sys, *domain::FindEntity("feedback"), record).status();
}

}  // namespace keel::org
