// Authentication (认证): tenants, password login with argon2id, bearer session tokens and API
// keys (random, stored as SHA-256, revocable, expiring), login rate limiting and lockout.
// Thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "common/time.h"
#include "domain/model.h"
#include "domain/records.h"
#include "store/database.h"

namespace keel::domain {

// Login throttling that an attacker cannot turn against others (docs/api.md, docs/security.md):
// per (tenant, username) — known or not, so replies say nothing about which accounts exist —
// the first `free_failures` consecutive failures cost nothing; each further one blocks the
// account's logins for `throttle_base_ms`, doubling up to `throttle_max_ms` (429 auth.throttled).
// While blocked, the right password still works from a client address this user has logged in
// from before. Per address, `max_failures_per_ip` failures in `ip_window_ms` (sized for an office
// behind one NAT) get 429 auth.rate_limited. State is per process and bounded in size.
struct AuthOptions {
  TimeMs session_ttl_ms = 12LL * 3600 * 1000;
  int free_failures = 5;
  TimeMs throttle_base_ms = 30LL * 1000;
  TimeMs throttle_max_ms = 15LL * 60 * 1000;
  int max_failures_per_ip = 300;
  TimeMs ip_window_ms = 5LL * 60 * 1000;
};

struct LoginResult {
  std::string token;  // shown once; only its hash is stored
  TimeMs expires_at = 0;
  json user;  // the user's record: a domain record stays JSON (shaped by its EntityDef and custom fields)
};

// An API key as asked for (POST /api-keys; src/http reads the body). `problem` is the first
// shape error of the body (in its key order: a mistyped field, a name too long, days out of
// range, an unknown field), reported after the permission check.
struct ApiKeyRequest {
  std::string name;                // required; checked as ApiKeyNameField()
  std::optional<int64_t> user_id;  // whose key; none: the caller
  int64_t expires_in_days = 365;   // 1 … 3650
  Status problem;
};
// The declaration an API key's name is checked against (a string of at most 100 characters).
const FieldDef& ApiKeyNameField();

// An API key as listed: never the token, only its first characters.
struct ApiKeyInfo {
  int64_t id = 0;
  std::string name;
  int64_t user_id = 0;
  std::string prefix, created_at;
  std::optional<std::string> expires_at, revoked_at, last_used_at;
};

// A new API key: the token appears only here.
struct NewApiKey {
  int64_t id = 0;
  std::string name;
  int64_t user_id = 0;
  std::string prefix, token, created_at, expires_at;
};

struct NewTenant {
  std::string code, name, time_zone = "Asia/Shanghai", currency = "CNY", locale = "zh-CN";
};

class AuthService {
 public:
  AuthService(store::Database& db, const Clock& clock, RecordService& records,
              AuthOptions options = {})
      : db_(db), clock_(clock), records_(records), options_(options) {}

  Result<LoginResult> Login(const std::string& tenant_code, const std::string& username,
                            const std::string& password, const std::string& ip);
  // Resolves a bearer token (session or API key) to its principal. kUnauthenticated when the
  // token is unknown, expired or revoked, or its user is disabled.
  Result<Principal> Authenticate(const std::string& token);
  Status Logout(const Principal& p, const std::string& token);

  // API keys — admin only (403 forbidden). CreateApiKey: 422 validation.required (name),
  // validation.range (expires_in_days), validation.reference (user_id not a live user of the
  // tenant), or the request's problem. The token appears only in its result.
  Result<NewApiKey> CreateApiKey(const Principal& p, const ApiKeyRequest& request);
  Result<std::vector<ApiKeyInfo>> ListApiKeys(const Principal& p);
  Status RevokeApiKey(const Principal& p, int64_t id);
  // Revokes every session of a user (admin, or the user themselves).
  Status RevokeSessions(const Principal& p, int64_t user_id);

  // Platform operations (CLI): a tenant with its HQ unit; returns the tenant id.
  Result<int64_t> CreateTenant(const NewTenant& t);
  Result<int64_t> TenantIdByCode(const std::string& code);

 private:
  struct Throttle {
    int failures = 0;          // consecutive
    TimeMs blocked_until = 0;
    TimeMs last_failure = 0;
  };
  Status CheckIpBudget(const std::string& ip);
  void RecordIpFailure(const std::string& ip);
  // 0 when the account may try now; else when it may try again.
  TimeMs BlockedUntil(const std::string& account);
  void RecordAccountFailure(const std::string& account);
  void ClearAccount(const std::string& account);

  store::Database& db_;
  const Clock& clock_;
  RecordService& records_;
  AuthOptions options_;
  std::mutex ip_mu_;
  std::map<std::string, std::deque<TimeMs>> ip_failures_;  // guarded by ip_mu_
  std::map<std::string, Throttle> accounts_;               // guarded by ip_mu_; tenant code + '\n' + username
};

}  // namespace keel::domain
