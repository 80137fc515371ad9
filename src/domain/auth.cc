#include "domain/auth.h"

#include <algorithm>

#include <spdlog/spdlog.h>

#include "common/crypto.h"
#include "domain/audit.h"
#include "domain/codec.h"
#include "domain/records_internal.h"

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
    Value q[] = {tenant_code, username};
    KEEL_ASSIGN_OR_RETURN(store::Rows r, conn->Query(
        "SELECT u.tenant_id, u.id, u.password_hash, u.status, u.locked_until, u.archived_at, "
        "t.status FROM users u JOIN tenants t ON t.id = u.tenant_id "
        "WHERE t.code = ? AND u.username = ?", q));
    if (r.empty()) {
      VerifyPassword(DummyHash(), password);
      RecordIpFailure(ip);
      if (blocked_until) return throttled();
      RecordAccountFailure(account);
      return bad;
    }
    const auto& row = r.rows[0];
    tenant_id = store::AsInt(row[0]);
    user_id = store::AsInt(row[1]);
    TimeMs now = clock_.NowMs();
    bool locked = false;
    if (!store::IsNull(row[4])) {
      auto until = ParseTimestamp(store::AsText(row[4]));
      locked = until.ok() && *until > now;
    }
    std::string hash = store::AsText(row[2]);
    bool ok = VerifyPassword(hash.empty() ? DummyHash() : hash, password) && !hash.empty();
    if (blocked_until) {
      // Throttled: only the right password from an address this user signed in from before.
      bool known_client = false;
      if (ok) {
        Value k[] = {tenant_id, user_id, ip};
        KEEL_ASSIGN_OR_RETURN(store::Rows seen, conn->Query("SELECT 1 FROM sessions WHERE tenant_id = ? AND user_id = ? AND ip = ? LIMIT 1", k));
        known_client = !seen.empty();
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
      Value u[] = {tenant_id, user_id};
      KEEL_RETURN_IF_ERROR(conn->Exec("UPDATE users SET failed_logins = failed_logins + 1 WHERE tenant_id = ? AND id = ?", u).status());
      if (BlockedUntil(account)) spdlog::warn("login throttled tenant={} user={} ip={}", tenant_id, user_id, ip);
      return bad;
    }
    if (store::AsText(row[3]) != "active" || !store::IsNull(row[5]) ||
        store::AsText(row[6]) != "active") {
      return bad;
    }
    ClearAccount(account);
    out.token = "kss_" + RandomToken(32);
    out.expires_at = now + options_.session_ttl_ms;
    KEEL_ASSIGN_OR_RETURN(store::Transaction tx, store::Transaction::Begin(*conn, true));
    KEEL_ASSIGN_OR_RETURN(std::vector<int64_t> ids, conn->AllocateIds(1));
    Value s[] = {tenant_id, ids[0], user_id, Sha256Hex(out.token), FormatTimestamp(now),
                 FormatTimestamp(out.expires_at), ip};
    KEEL_RETURN_IF_ERROR(conn->Exec("INSERT INTO sessions (tenant_id, id, user_id, token_hash, "
                                    "created_at, expires_at, ip) VALUES (?, ?, ?, ?, ?, ?, ?)",
                                    s).status());
    Value u[] = {FormatTimestamp(now), tenant_id, user_id};
    KEEL_RETURN_IF_ERROR(conn->Exec("UPDATE users SET failed_logins = 0, locked_until = NULL, "
                                    "last_login_at = ? WHERE tenant_id = ? AND id = ?", u).status());
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
  Value q[] = {hash};
  std::string table = session ? "sessions" : "api_keys";
  KEEL_ASSIGN_OR_RETURN(store::Rows r, conn->Query(
      "SELECT k.token_hash, k.expires_at, k.revoked_at, u.tenant_id, u.id, u.role, u.unit_id, "
      "un.path, u.username, u.locale, u.status, u.archived_at, k.id, k.last_used_at, t.status "
      "FROM " + table + " k JOIN users u ON u.tenant_id = k.tenant_id AND u.id = k.user_id "
      "JOIN units un ON un.tenant_id = u.tenant_id AND un.id = u.unit_id "
      "JOIN tenants t ON t.id = u.tenant_id WHERE k.token_hash = ?", q));
  if (r.empty()) return bad;
  const auto& row = r.rows[0];
  if (!ConstantTimeEqual(store::AsText(row[0]), hash) || !store::IsNull(row[2])) return bad;
  TimeMs now = clock_.NowMs();
  if (!store::IsNull(row[1])) {
    auto exp = ParseTimestamp(store::AsText(row[1]));
    if (!exp.ok() || *exp <= now) return bad;
  }
  if (store::AsText(row[10]) != "active" || !store::IsNull(row[11]) ||
      store::AsText(row[14]) != "active") {
    return bad;
  }
  auto role = ParseRole(store::AsText(row[5]));
  if (!role) return bad;
  Principal p;
  p.tenant_id = store::AsInt(row[3]);
  p.user_id = store::AsInt(row[4]);
  p.role = *role;
  p.unit_id = store::AsInt(row[6]);
  p.unit_path = store::AsText(row[7]);
  p.username = store::AsText(row[8]);
  p.locale = store::AsText(row[9]);
  // Touch last_used_at at most once a minute to keep reads cheap.
  auto last = store::IsNull(row[13]) ? Result<TimeMs>(TimeMs{0}) : ParseTimestamp(store::AsText(row[13]));
  if (!last.ok() || *last < now - 60000) {
    Value u[] = {FormatTimestamp(now), p.tenant_id, store::AsInt(row[12])};
    (void)conn->Exec("UPDATE " + table + " SET last_used_at = ? WHERE tenant_id = ? AND id = ?", u);
  }
  return p;
}

Status AuthService::Logout(const Principal& p, const std::string& token) {
  KEEL_ASSIGN_OR_RETURN(store::PooledConnection conn, db_.Acquire());
  Value q[] = {FormatTimestamp(clock_.NowMs()), p.tenant_id, Sha256Hex(token)};
  return conn->Exec("UPDATE sessions SET revoked_at = ? WHERE tenant_id = ? AND token_hash = ? "
                    "AND revoked_at IS NULL", q).status();
}

Status AuthService::RevokeSessions(const Principal& p, int64_t user_id) {
  if (p.role != Role::kAdmin && p.user_id != user_id) {
    return Status::Error(ErrorKind::kForbidden, "forbidden", "only an admin may end another user's sessions",
                         "只有管理员可以注销其他用户的会话");
  }
  KEEL_ASSIGN_OR_RETURN(store::PooledConnection conn, db_.Acquire());
  Value u[] = {p.tenant_id, user_id};
  KEEL_ASSIGN_OR_RETURN(store::Rows r, conn->Query("SELECT 1 FROM users WHERE tenant_id = ? AND id = ?", u));
  if (r.empty()) return Status::NotFound("user");
  TimeMs now = clock_.NowMs();
  KEEL_ASSIGN_OR_RETURN(store::Transaction tx, store::Transaction::Begin(*conn, true));
  Value q[] = {FormatTimestamp(now), p.tenant_id, user_id};
  KEEL_ASSIGN_OR_RETURN(int64_t n, conn->Exec("UPDATE sessions SET revoked_at = ? WHERE tenant_id = ? "
                                              "AND user_id = ? AND revoked_at IS NULL", q));
  KEEL_RETURN_IF_ERROR(RecordSecurityChange(*conn, p, now, "user.sessions_revoked", "users", user_id,
                                            {{"sessions", n}}));
  return tx.Commit();
}

Result<json> AuthService::CreateApiKey(const Principal& p, const json& body) {
  if (p.role != Role::kAdmin) {
    return Status::Error(ErrorKind::kForbidden, "forbidden", "only an admin may create API keys",
                         "只有管理员可以创建 API 密钥");
  }
  if (!body.is_object()) {
    return Status::Invalid("validation.body", "the body must be a JSON object", "请求体必须是 JSON 对象");
  }
  FieldDef name_f;
  name_f.name = "name";
  name_f.type = FieldType::kString;
  name_f.required = true;
  name_f.max_len = 100;
  int64_t user_id = p.user_id, days = 365;
  std::string name;
  for (auto it = body.begin(); it != body.end(); ++it) {
    if (it.key() == "name") {
      KEEL_ASSIGN_OR_RETURN(Value v, ToValue(name_f, it.value()));
      name = store::AsText(v);
    } else if (it.key() == "user_id") {
      if (!it.value().is_number_integer()) {
        return Status::Invalid("validation.type", "user_id must be an id", "user_id 应为记录 ID", "user_id");
      }
      user_id = it.value().get<int64_t>();
    } else if (it.key() == "expires_in_days") {
      if (!it.value().is_number_integer() || it.value().get<int64_t>() < 1 ||
          it.value().get<int64_t>() > 3650) {
        return Status::Invalid("validation.range", "expires_in_days must be 1 to 3650",
                               "expires_in_days 应为 1 到 3650", "expires_in_days");
      }
      days = it.value().get<int64_t>();
    } else {
      return Status::Invalid("validation.unknown_field", "unknown field '" + it.key() + "'",
                             "未知字段 '" + it.key() + "'", it.key());
    }
  }
  if (name.empty()) {
    return Status::Invalid("validation.required", "name is required", "name 为必填项", "name");
  }
  KEEL_ASSIGN_OR_RETURN(store::PooledConnection conn, db_.Acquire());
  Value uq[] = {p.tenant_id, user_id};
  KEEL_ASSIGN_OR_RETURN(store::Rows ur, conn->Query(
      "SELECT 1 FROM users WHERE tenant_id = ? AND id = ? AND archived_at IS NULL", uq));
  if (ur.empty()) {
    return Status::Invalid("validation.reference", "user_id: no such user in this tenant",
                           "user_id：本租户中不存在该用户", "user_id");
  }
  std::string token = "kak_" + RandomToken(32);
  TimeMs now = clock_.NowMs();
  TimeMs expires = now + days * 86400000LL;
  KEEL_ASSIGN_OR_RETURN(store::Transaction tx, store::Transaction::Begin(*conn, true));
  KEEL_ASSIGN_OR_RETURN(std::vector<int64_t> ids, conn->AllocateIds(1));
  Value q[] = {p.tenant_id, ids[0], name, user_id, token.substr(0, 10), Sha256Hex(token),
               FormatTimestamp(now), FormatTimestamp(expires), p.user_id};
  KEEL_RETURN_IF_ERROR(conn->Exec("INSERT INTO api_keys (tenant_id, id, name, user_id, prefix, "
                                  "token_hash, created_at, expires_at, created_by) VALUES "
                                  "(?, ?, ?, ?, ?, ?, ?, ?, ?)", q).status());
  KEEL_RETURN_IF_ERROR(RecordSecurityChange(*conn, p, now, "api_key.created", "api_keys", ids[0],
                                            {{"name", name}, {"user_id", user_id},
                                             {"prefix", token.substr(0, 10)},
                                             {"expires_at", FormatTimestamp(expires)}}));
  KEEL_RETURN_IF_ERROR(tx.Commit());
  return json{{"id", ids[0]},
              {"name", name},
              {"user_id", user_id},
              {"prefix", token.substr(0, 10)},
              {"token", token},
              {"created_at", FormatTimestamp(now)},
              {"expires_at", FormatTimestamp(expires)}};
}

Result<json> AuthService::ListApiKeys(const Principal& p) {
  if (p.role != Role::kAdmin) {
    return Status::Error(ErrorKind::kForbidden, "forbidden", "only an admin may list API keys",
                         "只有管理员可以查看 API 密钥");
  }
  KEEL_ASSIGN_OR_RETURN(store::PooledConnection conn, db_.Acquire());
  Value q[] = {p.tenant_id};
  KEEL_ASSIGN_OR_RETURN(store::Rows r, conn->Query(
      "SELECT id, name, user_id, prefix, created_at, expires_at, revoked_at, last_used_at "
      "FROM api_keys WHERE tenant_id = ? ORDER BY id", q));
  json items = json::array();
  auto opt = [](const Value& v) { return store::IsNull(v) ? json(nullptr) : json(store::AsText(v)); };
  for (const auto& row : r.rows) {
    items.push_back({{"id", store::AsInt(row[0])}, {"name", store::AsText(row[1])},
                     {"user_id", store::AsInt(row[2])}, {"prefix", store::AsText(row[3])},
                     {"created_at", store::AsText(row[4])}, {"expires_at", opt(row[5])},
                     {"revoked_at", opt(row[6])}, {"last_used_at", opt(row[7])}});
  }
  return json{{"items", items}};
}

Status AuthService::RevokeApiKey(const Principal& p, int64_t id) {
  if (p.role != Role::kAdmin) {
    return Status::Error(ErrorKind::kForbidden, "forbidden", "only an admin may revoke API keys",
                         "只有管理员可以吊销 API 密钥");
  }
  KEEL_ASSIGN_OR_RETURN(store::PooledConnection conn, db_.Acquire());
  TimeMs now = clock_.NowMs();
  KEEL_ASSIGN_OR_RETURN(store::Transaction tx, store::Transaction::Begin(*conn, true));
  Value q[] = {FormatTimestamp(now), p.tenant_id, id};
  KEEL_ASSIGN_OR_RETURN(int64_t n, conn->Exec("UPDATE api_keys SET revoked_at = COALESCE(revoked_at, ?) "
                                              "WHERE tenant_id = ? AND id = ?", q));
  if (n == 0) return Status::NotFound("API key");
  KEEL_RETURN_IF_ERROR(RecordSecurityChange(*conn, p, now, "api_key.revoked", "api_keys", id, json::object()));
  return tx.Commit();
}

Result<int64_t> AuthService::TenantIdByCode(const std::string& code) {
  KEEL_ASSIGN_OR_RETURN(store::PooledConnection conn, db_.Acquire());
  Value q[] = {code};
  KEEL_ASSIGN_OR_RETURN(store::Rows r, conn->Query("SELECT id FROM tenants WHERE code = ?", q));
  if (r.empty()) return Status::NotFound("tenant '" + code + "'");
  return store::AsInt(r.rows[0][0]);
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
  Value q[] = {ids[0], t.code, t.name, t.time_zone, t.currency, t.locale, std::string("active"), now, now};
  KEEL_RETURN_IF_ERROR(conn->Exec("INSERT INTO tenants (id, code, name, time_zone, currency, locale, "
                                  "status, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                                  q).status());
  Value u[] = {ids[0], ids[1], std::string("HQ"), std::string("总部"), std::string("Headquarters"),
               std::string("hq"), "/" + std::to_string(ids[1]) + "/", now, now};
  KEEL_RETURN_IF_ERROR(conn->Exec("INSERT INTO units (tenant_id, id, code, name, name_en, kind, path, "
                                  "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                                  u).status());
  KEEL_RETURN_IF_ERROR(events::AppendOne(*conn, ids[0], clock_.NowMs(), "tenant.created", "tenants", ids[0], 0, json{{"code", t.code}, {"name", t.name}, {"hq_unit_id", ids[1]}}.dump()).status());
  KEEL_RETURN_IF_ERROR(tx.Commit());
  return ids[0];
}

}  // namespace keel::domain
