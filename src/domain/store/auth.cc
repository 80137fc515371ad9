// Sessions, API keys, logins and tenants as authentication reads and writes them (auth.cc).
#include "domain/store.h"

namespace keel::domain {

using store::Value;

namespace {
const char* TableOf(TokenKind kind) { return kind == TokenKind::kSession ? "sessions" : "api_keys"; }
}  // namespace

Result<std::optional<LoginRow>> FindLogin(store::Connection& conn, const std::string& tenant_code, const std::string& username) {
  Value q[] = {tenant_code, username};
  KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query(
      "SELECT u.tenant_id AS tenant_id, u.id AS id, u.password_hash AS password_hash, u.status AS user_status, "
      "u.locked_until AS locked_until, u.archived_at AS archived_at, t.status AS tenant_status "
      "FROM users u JOIN tenants t ON t.id = u.tenant_id WHERE t.code = ? AND u.username = ?", q));
  if (rows.empty()) return std::optional<LoginRow>();
  store::Row r = rows.row(0);
  return std::optional<LoginRow>(LoginRow{.tenant_id = r.Int("tenant_id"), .user_id = r.Int("id"),
                                          .password_hash = r.Text("password_hash"), .user_status = r.Text("user_status"),
                                          .locked_until = r.OptText("locked_until"), .archived = !r.Null("archived_at"),
                                          .tenant_status = r.Text("tenant_status")});
}

Result<bool> HasSignedInFrom(store::Connection& conn, int64_t tenant, int64_t user, const std::string& ip) {
  Value q[] = {tenant, user, ip};
  KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query("SELECT 1 FROM sessions WHERE tenant_id = ? AND user_id = ? AND ip = ? LIMIT 1", q));
  return !rows.empty();
}

Status CountFailedLogin(store::Connection& conn, int64_t tenant, int64_t user) {
  Value q[] = {tenant, user};
  return conn.Exec("UPDATE users SET failed_logins = failed_logins + 1 WHERE tenant_id = ? AND id = ?", q).status();
}

Status InsertSession(store::Connection& conn, const NewSession& s) {
  Value q[] = {s.tenant_id, s.id, s.user_id, s.token_hash, s.created_at, s.expires_at, s.ip};
  return conn.Exec("INSERT INTO sessions (tenant_id, id, user_id, token_hash, created_at, expires_at, ip) "
                   "VALUES (?, ?, ?, ?, ?, ?, ?)", q).status();
}

Status MarkLoggedIn(store::Connection& conn, int64_t tenant, int64_t user, const std::string& now) {
  Value q[] = {now, tenant, user};
  return conn.Exec("UPDATE users SET failed_logins = 0, locked_until = NULL, last_login_at = ? WHERE tenant_id = ? AND id = ?", q)
      .status();
}

Result<std::optional<TokenRow>> FindToken(store::Connection& conn, TokenKind kind, const std::string& token_hash) {
  Value q[] = {token_hash};
  KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query(
      std::string("SELECT k.id AS id, k.token_hash AS token_hash, k.expires_at AS expires_at, k.revoked_at AS revoked_at, "
                  "k.last_used_at AS last_used_at, u.tenant_id AS tenant_id, u.id AS user_id, u.role AS role, "
                  "u.unit_id AS unit_id, un.path AS unit_path, u.username AS username, u.locale AS locale, "
                  "u.status AS user_status, u.archived_at AS user_archived_at, t.status AS tenant_status FROM ") +
          TableOf(kind) +
          " k JOIN users u ON u.tenant_id = k.tenant_id AND u.id = k.user_id "
          "JOIN units un ON un.tenant_id = u.tenant_id AND un.id = u.unit_id "
          "JOIN tenants t ON t.id = u.tenant_id WHERE k.token_hash = ?", q));
  if (rows.empty()) return std::optional<TokenRow>();
  store::Row r = rows.row(0);
  return std::optional<TokenRow>(TokenRow{
      .id = r.Int("id"), .token_hash = r.Text("token_hash"), .expires_at = r.OptText("expires_at"),
      .last_used_at = r.OptText("last_used_at"), .revoked = !r.Null("revoked_at"), .tenant_id = r.Int("tenant_id"),
      .user_id = r.Int("user_id"), .unit_id = r.Int("unit_id"), .role = r.Text("role"), .unit_path = r.Text("unit_path"),
      .username = r.Text("username"), .locale = r.Text("locale"), .user_status = r.Text("user_status"),
      .tenant_status = r.Text("tenant_status"), .user_archived = !r.Null("user_archived_at")});
}

Status TouchToken(store::Connection& conn, TokenKind kind, int64_t tenant, int64_t id, const std::string& now) {
  Value q[] = {now, tenant, id};
  return conn.Exec(std::string("UPDATE ") + TableOf(kind) + " SET last_used_at = ? WHERE tenant_id = ? AND id = ?", q).status();
}

Status RevokeSessionByHash(store::Connection& conn, int64_t tenant, const std::string& token_hash, const std::string& now) {
  Value q[] = {now, tenant, token_hash};
  return conn.Exec("UPDATE sessions SET revoked_at = ? WHERE tenant_id = ? AND token_hash = ? AND revoked_at IS NULL", q).status();
}

Result<int64_t> RevokeUserSessions(store::Connection& conn, int64_t tenant, int64_t user, const std::string& now) {
  Value q[] = {now, tenant, user};
  return conn.Exec("UPDATE sessions SET revoked_at = ? WHERE tenant_id = ? AND user_id = ? AND revoked_at IS NULL", q);
}

Result<bool> UserExists(store::Connection& conn, int64_t tenant, int64_t user, bool live_only) {
  Value q[] = {tenant, user};
  KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query(live_only ? "SELECT 1 FROM users WHERE tenant_id = ? AND id = ? AND archived_at IS NULL"
                                                               : "SELECT 1 FROM users WHERE tenant_id = ? AND id = ?", q));
  return !rows.empty();
}

Status InsertApiKey(store::Connection& conn, int64_t tenant, const ApiKeyRow& key, const std::string& token_hash,
                    int64_t created_by) {
  Value q[] = {tenant, key.id, key.name, key.user_id, key.prefix, token_hash, key.created_at, store::Nullable(key.expires_at),
               created_by};
  return conn.Exec("INSERT INTO api_keys (tenant_id, id, name, user_id, prefix, token_hash, created_at, expires_at, created_by) "
                   "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", q).status();
}

Result<std::vector<ApiKeyRow>> LoadApiKeys(store::Connection& conn, int64_t tenant) {
  Value q[] = {tenant};
  KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query(
      "SELECT id, name, user_id, prefix, created_at, expires_at, revoked_at, last_used_at FROM api_keys WHERE tenant_id = ? ORDER BY id", q));
  std::vector<ApiKeyRow> out;
  for (store::Row r : rows) {
    out.push_back({.id = r.Int("id"), .name = r.Text("name"), .user_id = r.Int("user_id"), .prefix = r.Text("prefix"),
                   .created_at = r.Text("created_at"), .expires_at = r.OptText("expires_at"), .revoked_at = r.OptText("revoked_at"),
                   .last_used_at = r.OptText("last_used_at")});
  }
  return out;
}

Result<int64_t> RevokeApiKey(store::Connection& conn, int64_t tenant, int64_t id, const std::string& now) {
  Value q[] = {now, tenant, id};
  return conn.Exec("UPDATE api_keys SET revoked_at = COALESCE(revoked_at, ?) WHERE tenant_id = ? AND id = ?", q);
}

Result<std::optional<int64_t>> FindTenantByCode(store::Connection& conn, const std::string& code) {
  Value q[] = {code};
  KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query("SELECT id FROM tenants WHERE code = ?", q));
  if (rows.empty()) return std::optional<int64_t>();
  return std::optional<int64_t>(rows.row(0).Int("id"));
}

Status InsertTenantWithHq(store::Connection& conn, int64_t id, int64_t hq_unit, const std::string& code, const std::string& name,
                          const std::string& time_zone, const std::string& currency, const std::string& locale,
                          const std::string& now) {
  Value q[] = {id, code, name, time_zone, currency, locale, std::string("active"), now, now};
  KEEL_RETURN_IF_ERROR(conn.Exec("INSERT INTO tenants (id, code, name, time_zone, currency, locale, status, created_at, updated_at) "
                                 "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", q).status());
  Value u[] = {id, hq_unit, std::string("HQ"), std::string("总部"), std::string("Headquarters"), std::string("hq"),
               "/" + std::to_string(hq_unit) + "/", now, now};
  return conn.Exec("INSERT INTO units (tenant_id, id, code, name, name_en, kind, path, created_at, updated_at) "
                   "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", u).status();
}

}  // namespace keel::domain
