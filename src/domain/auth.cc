#include "domain/auth.h"

#include <algorithm>

#include <spdlog/spdlog.h>

#include "common/crypto.h"
#include "domain/audit.h"
#include "domain/codec.h"
#include "domain/records_internal.h"
#include "domain/store.h"

namespace keel::domain {

using store::Value;

namespace {

Status Unauthenticated(const std::string& en, const std::string& zh) {
  return Status::Error(ErrorKind::kUnauthenticated, "auth.unauthenticated", en, zh);
}

const std::string& DummyHash() {
  static const std::string hash = [] {
    auto h = HashPassword("keel-dummy-password-for-timing");
    return h.ok() ? *h : std::string();
  }();
  return hash;
}

bool ValidCode(const std::string& s) {
  if (s.empty() || s.size() > 64) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
  });
}

// Appends an event and an audit row for a security-relevant write; inside the caller's
// write transaction.
Status RecordSecurityChange(store::Connection& conn, const Principal& p, TimeMs now,
                            const std::string& type, const std::string& entity, int64_t id,
                            const json& detail) {
  KEEL_RETURN_IF_ERROR(events::AppendOne(conn, p.tenant_id, now, type, entity, id, p.user_id, detail.dump()).status());
  return AuditChange(conn, p, now, {type, entity, id, nullptr, detail});
}

}  // namespace

Status AuthService::CheckIpBudget(const std::string& ip) {
  std::lock_guard g(ip_mu_);
  auto& q = ip_failures_[ip];
  TimeMs now = clock_.NowMs();
  while (!q.empty() && q.front() < now - options_.ip_window_ms) q.pop_front();
  if (static_cast<int>(q.size()) >= options_.max_failures_per_ip) {
    return Status::Error(ErrorKind::kTooManyRequests, "auth.rate_limited",
                         "too many failed logins from this address; try again later",
                         "该地址登录失败次数过多，请稍后再试");
  }
  if (ip_failures_.size() > 10000) {
    // Bound memory under a flood: forget addresses whose failures have all expired.
    for (auto it = ip_failures_.begin(); it != ip_failures_.end();) {
      if (it->second.empty() || it->second.back() < now - options_.ip_window_ms) it = ip_failures_.erase(it);
      else ++it;
    }
  }
  return Status();
}

void AuthService::RecordIpFailure(const std::string& ip) {
  std::lock_guard g(ip_mu_);
  auto& q = ip_failures_[ip];
  q.push_back(clock_.NowMs());
  while (static_cast<int>(q.size()) > options_.max_failures_per_ip + 1) q.pop_front();
}

TimeMs AuthService::BlockedUntil(const std::string& account) {
  std::lock_guard g(ip_mu_);
  auto it = accounts_.find(account);
  if (it == accounts_.end() || it->second.blocked_until <= clock_.NowMs()) return 0;
  return it->second.blocked_until;
}

void AuthService::RecordAccountFailure(const std::string& account) {
  std::lock_guard g(ip_mu_);
  TimeMs now = clock_.NowMs();
  if (accounts_.size() > 100000) {
    // Bound memory under a flood: forget accounts that are neither blocked nor recently failing.
    for (auto it = accounts_.begin(); it != accounts_.end();) {
      if (it->second.blocked_until <= now && it->second.last_failure < now - options_.throttle_max_ms) it = accounts_.erase(it);
      else ++it;
    }
  }
  Throttle& t = accounts_[account];
  // A long quiet spell forgives earlier failures.
  if (t.last_failure < now - options_.throttle_max_ms * 2) t.failures = 0;
  t.failures = std::min(t.failures + 1, 1000);
  t.last_failure = now;
  int beyond = t.failures - options_.free_failures;
  if (beyond >= 0) {
    TimeMs wait = options_.throttle_base_ms << std::min(beyond, 20);
    t.blocked_until = now + std::min(wait, options_.throttle_max_ms);
  }
}

void AuthService::ClearAccount(const std::string& account) {
  std::lock_guard g(ip_mu_);
  accounts_.erase(account);
}

Result<LoginResult> AuthService::Login(const std::string& tenant_code, const std::string& username,
                                       const std::string& password, const std::string& ip) {
  KEEL_RETURN_IF_ERROR(CheckIpBudget(ip));
  // Unknown users, wrong passwords and disabled accounts all get the same answer after the same
  // argon2id work, and a throttled name the same 429 whether it exists or not, so replies say
  // nothing about which accounts exist.
  const Status bad = Unauthenticated("wrong tenant, username or password, or the account is "
                                     "locked or disabled",
                                     "租户、用户名或密码错误，或账号已锁定/停用");
  const std::string account = tenant_code + "\n" + username;
  const TimeMs blocked_until = BlockedUntil(account);
  auto throttled = [&] {
    TimeMs seconds = std::max<TimeMs>(1, (blocked_until - clock_.NowMs() + 999) / 1000);
    return Status::Error(ErrorKind::kTooManyRequests, "auth.throttled",
                         "too many failed logins for this account; try again in " + std::to_string(seconds) +
                             " s (the right password still works from a device that has signed in before)",
                         "该账号登录失败次数过多，请 " + std::to_string(seconds) + " 秒后再试（在曾经登录过的设备上输入正确密码仍可登录）",
                         "username");
  };
  LoginResult out;
  int64_t tenant_id = 0, user_id = 0;
  {
    KEEL_ASSIGN_OR_RETURN(store::PooledConnection conn, db_.Acquire());
    KEEL_ASSIGN_OR_RETURN(auto row, FindLogin(*conn, tenant_code, username));
    if (!row) {
      VerifyPassword(DummyHash(), password);
      RecordIpFailure(ip);
      if (blocked_until) return throttled();
      RecordAccountFailure(account);
      return bad;
    }
    tenant_id = row->tenant_id;
    user_id = row->user_id;
    TimeMs now = clock_.NowMs();
    bool locked = false;
    if (row->locked_until) {
      auto until = ParseTimestamp(*row->locked_until);
      locked = until.ok() && *until > now;
    }
    const std::string& hash = row->password_hash;
    bool ok = VerifyPassword(hash.empty() ? DummyHash() : hash, password) && !hash.empty();
    if (blocked_until) {
      // Throttled: only the right password from an address this user signed in from before.
      bool known_client = false;
      if (ok) {
        KEEL_ASSIGN_OR_RETURN(known_client, HasSignedInFrom(*conn, tenant_id, user_id, ip));
      }
      if (!known_client) {
        RecordIpFailure(ip);
        return throttled();
      }
    }
    if (locked) {  // set by an administrator
      RecordIpFailure(ip);
      return bad;
    }
    if (!ok) {
      RecordIpFailure(ip);
      RecordAccountFailure(account);
      KEEL_RETURN_IF_ERROR(CountFailedLogin(*conn, tenant_id, user_id));
      if (BlockedUntil(account)) spdlog::warn("login throttled tenant={} user={} ip={}", tenant_id, user_id, ip);
      return bad;
    }
    if (row->user_status != "active" || row->archived || row->tenant_status != "active") {
      return bad;
    }
    ClearAccount(account);
    out.token = "kss_" + RandomToken(32);
    out.expires_at = now + options_.session_ttl_ms;
    KEEL_ASSIGN_OR_RETURN(store::Transaction tx, store::Transaction::Begin(*conn, true));
    KEEL_ASSIGN_OR_RETURN(std::vector<int64_t> ids, conn->AllocateIds(1));
    KEEL_RETURN_IF_ERROR(InsertSession(*conn, {.tenant_id = tenant_id, .id = ids[0], .user_id = user_id,
                                               .token_hash = Sha256Hex(out.token), .created_at = FormatTimestamp(now),
                                               .expires_at = FormatTimestamp(out.expires_at), .ip = ip}));
    KEEL_RETURN_IF_ERROR(MarkLoggedIn(*conn, tenant_id, user_id, FormatTimestamp(now)));
    KEEL_RETURN_IF_ERROR(tx.Commit());
  }  // the connection goes back before the next read borrows one
  auto user = records_.Get(Principal::System(tenant_id), *FindEntity("users"), user_id);
  if (!user.ok()) return user.status();
  out.user = *user;
  return out;
}

Result<Principal> AuthService::Authenticate(const std::string& token) {
  const Status bad = Unauthenticated("missing, expired or revoked token; log in again",
                                     "令牌缺失、已过期或已吊销，请重新登录");
  bool session = token.rfind("kss_", 0) == 0;
  bool key = token.rfind("kak_", 0) == 0;
  if ((!session && !key) || token.size() > 100) return bad;
  std::string hash = Sha256Hex(token);
  KEEL_ASSIGN_OR_RETURN(store::PooledConnection conn, db_.Acquire());
  const TokenKind kind = session ? TokenKind::kSession : TokenKind::kApiKey;
  KEEL_ASSIGN_OR_RETURN(auto row, FindToken(*conn, kind, hash));
  if (!row) return bad;
  if (!ConstantTimeEqual(row->token_hash, hash) || row->revoked) return bad;
  TimeMs now = clock_.NowMs();
  if (row->expires_at) {
    auto exp = ParseTimestamp(*row->expires_at);
    if (!exp.ok() || *exp <= now) return bad;
  }
  if (row->user_status != "active" || row->user_archived || row->tenant_status != "active") return bad;
  auto role = ParseRole(row->role);
  if (!role) return bad;
  Principal p;
  p.tenant_id = row->tenant_id;
  p.user_id = row->user_id;
  p.role = *role;
  p.unit_id = row->unit_id;
  p.unit_path = row->unit_path;
  p.username = row->username;
  p.locale = row->locale;
  // Touch last_used_at at most once a minute to keep reads cheap.
  auto last = row->last_used_at ? ParseTimestamp(*row->last_used_at) : Result<TimeMs>(TimeMs{0});
  if (!last.ok() || *last < now - 60000) (void)TouchToken(*conn, kind, p.tenant_id, row->id, FormatTimestamp(now));
  return p;
}

Status AuthService::Logout(const Principal& p, const std::string& token) {
  KEEL_ASSIGN_OR_RETURN(store::PooledConnection conn, db_.Acquire());
  return RevokeSessionByHash(*conn, p.tenant_id, Sha256Hex(token), FormatTimestamp(clock_.NowMs()));
}

Status AuthService::RevokeSessions(const Principal& p, int64_t user_id) {
  if (p.role != Role::kAdmin && p.user_id != user_id) {
    return Status::Error(ErrorKind::kForbidden, "forbidden", "only an admin may end another user's sessions",
                         "只有管理员可以注销其他用户的会话");
  }
  KEEL_ASSIGN_OR_RETURN(store::PooledConnection conn, db_.Acquire());
  KEEL_ASSIGN_OR_RETURN(bool exists, UserExists(*conn, p.tenant_id, user_id, /*live_only=*/false));
  if (!exists) return Status::NotFound("user");
  TimeMs now = clock_.NowMs();
  KEEL_ASSIGN_OR_RETURN(store::Transaction tx, store::Transaction::Begin(*conn, true));
  KEEL_ASSIGN_OR_RETURN(int64_t n, RevokeUserSessions(*conn, p.tenant_id, user_id, FormatTimestamp(now)));
  KEEL_RETURN_IF_ERROR(RecordSecurityChange(*conn, p, now, "user.sessions_revoked", "users", user_id,
                                            {{"sessions", n}}));
  return tx.Commit();
}

const FieldDef& ApiKeyNameField() {
  static const FieldDef f = [] {
    FieldDef d;
    d.name = "name";
    d.type = FieldType::kString;
    d.required = true;
    d.max_len = 100;
    return d;
  }();
  return f;
}

Result<NewApiKey> AuthService::CreateApiKey(const Principal& p, const ApiKeyRequest& request) {
  if (p.role != Role::kAdmin) {
    return Status::Error(ErrorKind::kForbidden, "forbidden", "only an admin may create API keys",
                         "只有管理员可以创建 API 密钥");
  }
  KEEL_RETURN_IF_ERROR(request.problem);
  if (request.name.empty()) {
    return Status::Invalid("validation.required", "name is required", "name 为必填项", "name");
  }
  KEEL_RETURN_IF_ERROR(ToValue(ApiKeyNameField(), json(request.name)).status());
  if (request.expires_in_days < 1 || request.expires_in_days > 3650) {
    return Status::Invalid("validation.range", "expires_in_days must be 1 to 3650", "expires_in_days 应为 1 到 3650",
                           "expires_in_days");
  }
  const std::string& name = request.name;
  int64_t user_id = request.user_id.value_or(p.user_id);
  KEEL_ASSIGN_OR_RETURN(store::PooledConnection conn, db_.Acquire());
  KEEL_ASSIGN_OR_RETURN(bool live, UserExists(*conn, p.tenant_id, user_id, /*live_only=*/true));
  if (!live) {
    return Status::Invalid("validation.reference", "user_id: no such user in this tenant",
                           "user_id：本租户中不存在该用户", "user_id");
  }
  std::string token = "kak_" + RandomToken(32);
  TimeMs now = clock_.NowMs();
  TimeMs expires = now + request.expires_in_days * 86400000LL;
  KEEL_ASSIGN_OR_RETURN(store::Transaction tx, store::Transaction::Begin(*conn, true));
  KEEL_ASSIGN_OR_RETURN(std::vector<int64_t> ids, conn->AllocateIds(1));
  KEEL_RETURN_IF_ERROR(InsertApiKey(*conn, p.tenant_id,
                                    {.id = ids[0], .name = name, .user_id = user_id, .prefix = token.substr(0, 10),
                                     .created_at = FormatTimestamp(now), .expires_at = FormatTimestamp(expires)},
                                    Sha256Hex(token), p.user_id));
  KEEL_RETURN_IF_ERROR(RecordSecurityChange(*conn, p, now, "api_key.created", "api_keys", ids[0],
                                            {{"name", name}, {"user_id", user_id},
                                             {"prefix", token.substr(0, 10)},
                                             {"expires_at", FormatTimestamp(expires)}}));
  KEEL_RETURN_IF_ERROR(tx.Commit());
  return NewApiKey{.id = ids[0], .name = name, .user_id = user_id, .prefix = token.substr(0, 10), .token = token,
                   .created_at = FormatTimestamp(now), .expires_at = FormatTimestamp(expires)};
}

Result<std::vector<ApiKeyInfo>> AuthService::ListApiKeys(const Principal& p) {
  if (p.role != Role::kAdmin) {
    return Status::Error(ErrorKind::kForbidden, "forbidden", "only an admin may list API keys",
                         "只有管理员可以查看 API 密钥");
  }
  KEEL_ASSIGN_OR_RETURN(store::PooledConnection conn, db_.Acquire());
  KEEL_ASSIGN_OR_RETURN(auto keys, LoadApiKeys(*conn, p.tenant_id));
  std::vector<ApiKeyInfo> out;
  out.reserve(keys.size());
  for (auto& k : keys) {
    out.push_back({.id = k.id, .name = std::move(k.name), .user_id = k.user_id, .prefix = std::move(k.prefix),
                   .created_at = std::move(k.created_at), .expires_at = std::move(k.expires_at),
                   .revoked_at = std::move(k.revoked_at), .last_used_at = std::move(k.last_used_at)});
  }
  return out;
}

Status AuthService::RevokeApiKey(const Principal& p, int64_t id) {
  if (p.role != Role::kAdmin) {
    return Status::Error(ErrorKind::kForbidden, "forbidden", "only an admin may revoke API keys",
                         "只有管理员可以吊销 API 密钥");
  }
  KEEL_ASSIGN_OR_RETURN(store::PooledConnection conn, db_.Acquire());
  TimeMs now = clock_.NowMs();
  KEEL_ASSIGN_OR_RETURN(store::Transaction tx, store::Transaction::Begin(*conn, true));
  KEEL_ASSIGN_OR_RETURN(int64_t n, domain::RevokeApiKey(*conn, p.tenant_id, id, FormatTimestamp(now)));
  if (n == 0) return Status::NotFound("API key");
  KEEL_RETURN_IF_ERROR(RecordSecurityChange(*conn, p, now, "api_key.revoked", "api_keys", id, json::object()));
  return tx.Commit();
}

Result<int64_t> AuthService::TenantIdByCode(const std::string& code) {
  KEEL_ASSIGN_OR_RETURN(store::PooledConnection conn, db_.Acquire());
  KEEL_ASSIGN_OR_RETURN(auto id, FindTenantByCode(*conn, code));
  if (!id) return Status::NotFound("tenant '" + code + "'");
  return *id;
}

Result<int64_t> AuthService::CreateTenant(const NewTenant& t) {
  if (!ValidCode(t.code)) {
    return Status::Invalid("validation.tenant_code",
                           "tenant code must be 1-64 characters of a-z, 0-9, '-' or '_'",
                           "租户编码应为 1-64 位小写字母、数字、'-' 或 '_'", "code");
  }
  if (t.name.empty() || Utf8Length(t.name) < 0 || Utf8Length(t.name) > 200) {
    return Status::Invalid("validation.required", "tenant name must be 1-200 characters",
                           "租户名称应为 1-200 个字符", "name");
  }
  if (!IsKnownTimeZone(t.time_zone)) {
    return Status::Invalid("validation.time_zone", "unknown time zone '" + t.time_zone + "'",
                           "未知时区 '" + t.time_zone + "'", "time_zone");
  }
  if (std::find(kCurrencies.begin(), kCurrencies.end(), t.currency) == kCurrencies.end()) {
    return Status::Invalid("validation.currency", "unsupported currency '" + t.currency + "'",
                           "不支持的币种 '" + t.currency + "'", "currency");
  }
  KEEL_ASSIGN_OR_RETURN(store::PooledConnection conn, db_.Acquire());
  KEEL_ASSIGN_OR_RETURN(store::Transaction tx, store::Transaction::Begin(*conn, true));
  KEEL_ASSIGN_OR_RETURN(std::vector<int64_t> ids, conn->AllocateIds(2));
  std::string now = FormatTimestamp(clock_.NowMs());
  KEEL_RETURN_IF_ERROR(InsertTenantWithHq(*conn, ids[0], ids[1], t.code, t.name, t.time_zone, t.currency, t.locale, now));
  KEEL_RETURN_IF_ERROR(events::AppendOne(*conn, ids[0], clock_.NowMs(), "tenant.created", "tenants", ids[0], 0, json{{"code", t.code}, {"name", t.name}, {"hq_unit_id", ids[1]}}.dump()).status());
  KEEL_RETURN_IF_ERROR(tx.Commit());
  return ids[0];
}

}  // namespace keel::domain
