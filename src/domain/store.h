// The domain part's repository (src/domain/store/*.cc): every SQL statement of the record engine,
// the entity rules, tenants, authentication, listing, custom fields, versions and the audit log.
// Free functions on the caller's connection (and so its transaction); no permission checks here.
// Fixed-shape rows are structs read by column name. Records themselves have the columns their
// EntityDef declares, so the record functions stay generic: they take and give `ValueMap`s (by
// column name) or the `store::Rows` of SelectSql, converted by RowToJson/RowToMap.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "common/time.h"
#include "domain/model.h"
#include "domain/rules.h"
#include "domain/schema.h"
#include "store/database.h"

namespace keel::domain {

// --- units and users (store/units.cc) --------------------------------------------------------

// The materialised path of the tenant's unit ("/1000/1003/"), or nullopt when there is none.
Result<std::optional<std::string>> LoadUnitPath(store::Connection& conn, int64_t tenant, int64_t unit);
struct UnitPlace {
  std::string path, kind;
};
Result<std::optional<UnitPlace>> LoadUnitPlace(store::Connection& conn, int64_t tenant, int64_t unit);
// The path of the unit `user` belongs to; nullopt when the user or the unit is unknown.
Result<std::optional<std::string>> LoadUserUnitPath(store::Connection& conn, int64_t tenant, int64_t user);
// The user's supervisor (0: none); nullopt when there is no such user.
Result<std::optional<int64_t>> LoadSupervisor(store::Connection& conn, int64_t tenant, int64_t user);
// True when the tenant has an HQ unit other than `except`.
Result<bool> OtherHqExists(store::Connection& conn, int64_t tenant, int64_t except);
// Rewrites the path prefix `old_path` to `new_path` for the descendants of unit `id`; returns
// how many moved.
Result<int64_t> ReRootSubtree(store::Connection& conn, int64_t tenant, int64_t id, const std::string& old_path,
                              const std::string& new_path, const std::string& now);
// Live sub-units plus live members of the unit.
Result<int64_t> CountUnitDependents(store::Connection& conn, int64_t tenant, int64_t unit);
// True when `user` belongs to `unit` or a unit below it.
Result<bool> UserWithinUnit(store::Connection& conn, int64_t tenant, const store::Value& unit, const store::Value& user);
// --- tenants (store/units.cc) -----------------------------------------------------------------

// kNotFound "tenant" when there is none.
Result<TenantInfo> LoadTenant(store::Connection& conn, int64_t tenant_id);
Status SaveTenant(store::Connection& conn, const TenantInfo& t, const std::string& now);

// --- records, generic over EntityDef (store/records.cc) ------------------------------------------

// "SELECT id, created_at, ... FROM <table>" for the visible columns of `e`.
std::string SelectSql(const EntityDef& e);
// Converts one row selected by SelectSql into the API's JSON shape (the record document).
nlohmann::json RowToJson(const EntityDef& e, const store::Rows& rows, size_t i);
// One row of any query, by column name.
ValueMap RowToMap(const store::Rows& rows, size_t i);
// The record `id` of `e` as SelectSql reads it, restricted to what `p` may see (empty: none).
Result<store::Rows> LoadRecord(store::Connection& conn, const EntityDef& e, const Principal& p, int64_t id);
// Some columns ("owner_id, unit_id") of row `id` of `table`; nullopt when absent.
Result<std::optional<ValueMap>> LoadColumns(store::Connection& conn, const std::string& table,
                                            const std::string& columns, int64_t tenant, int64_t id);
// True when `id` is a live row of `table` visible through `scope` (a ScopeClause whose
// parameters are `scope_params`).
Result<bool> LiveRecordExists(store::Connection& conn, const std::string& table, int64_t tenant, int64_t id,
                              const std::string& scope, const std::vector<store::Value>& scope_params);
// The id of another row of `table` whose `column` holds `value`, if any.
Result<std::optional<int64_t>> FindOtherWithValue(store::Connection& conn, const std::string& table,
                                                  const std::string& column, int64_t tenant, const store::Value& value,
                                                  int64_t self_id);
// Inserts record `id` of `e` (created_at, updated_at, created_by and every field from `v`).
Status InsertRecord(store::Connection& conn, const EntityDef& e, int64_t tenant, int64_t id, const ValueMap& v);
// Inserts the child rows (with their line_no) of record `parent`.
Status InsertChildren(store::Connection& conn, const ChildDef& c, int64_t tenant, int64_t parent,
                      const std::vector<ValueMap>& rows);
Result<std::vector<ValueMap>> LoadChildren(store::Connection& conn, const ChildDef& c, int64_t tenant, int64_t parent);
// Writes the `changed` fields of `after` and updated_at = `now`.
Status UpdateRecord(store::Connection& conn, const EntityDef& e, int64_t tenant, int64_t id,
                    const std::vector<std::string>& changed, const ValueMap& after, const std::string& now);
Status ArchiveRecord(store::Connection& conn, const std::string& table, int64_t tenant, int64_t id, const std::string& now);

// --- entity rules (store/rules.cc) ----------------------------------------------------------

struct NamedCustomField {
  int64_t id = 0;
  bool archived = false;
};
// Another definition (archived or not) named `name` on `entity`.
Result<std::optional<NamedCustomField>> FindCustomFieldNamed(store::Connection& conn, int64_t tenant,
                                                             const std::string& entity, const std::string& name,
                                                             int64_t except);
Result<int64_t> CountLiveCustomFields(store::Connection& conn, int64_t tenant, const std::string& entity);
struct StageChange {
  int64_t opportunity_id = 0;
  store::Value from;  // NULL for the first stage
  std::string to;
  store::Value amount;
  std::string at;
  int64_t actor_id = 0;
};
Status InsertStageChange(store::Connection& conn, int64_t tenant, int64_t id, const StageChange& c);
// Stamps a lead's first response at `at` (new → working) when it has none; true when it had none.
Result<bool> MarkLeadResponded(store::Connection& conn, int64_t tenant, int64_t lead, const std::string& at,
                               const std::string& now);
Status MarkLeadConverted(store::Connection& conn, int64_t tenant, int64_t lead, int64_t customer,
                         int64_t opportunity, const std::string& now);
Status LinkOpportunityToLead(store::Connection& conn, int64_t tenant, int64_t opportunity, int64_t lead);
// Per product: what a paid order sold less what its (not cancelled) returns took back.
struct Returnable {
  int64_t product_id = 0, qty = 0, amount = 0;
};
Result<std::vector<Returnable>> LoadReturnable(store::Connection& conn, int64_t tenant, int64_t order);
// Another live target of the same unit, user (NULL: the unit's own), metric and period.
Result<std::optional<int64_t>> FindDuplicateTarget(store::Connection& conn, int64_t tenant, const ValueMap& v,
                                                   int64_t except);

}  // namespace keel::domain

namespace keel::domain {

// --- reads of the record service beside the records (store/listing.cc) -----------------------

struct StageHistoryRow {
  int64_t id = 0;
  std::optional<std::string> from_stage;  // none for the first stage
  std::string to_stage;
  std::optional<int64_t> amount;  // fen
  std::string changed_at;
  int64_t actor_id = 0;
};
// The opportunity's stage moves, oldest first.
Result<std::vector<StageHistoryRow>> LoadStageHistory(store::Connection& conn, int64_t tenant, int64_t opportunity);

// One condition of an audit-log read, in the order the caller gave them.
struct AuditCondition {
  enum class Kind { kEntity, kEntityId, kActorId, kBeforeId };
  Kind kind;
  store::Value value;
};
struct AuditLogRow {
  int64_t id = 0;
  std::string at;
  int64_t actor_id = 0;
  std::string action, entity;
  int64_t entity_id = 0;
  std::optional<std::string> before, after, request_id;  // before/after: JSON text
};
// The tenant's audit rows matching every condition, newest first, at most `limit`.
Result<std::vector<AuditLogRow>> LoadAuditLog(store::Connection& conn, int64_t tenant,
                                              const std::vector<AuditCondition>& where, int limit);

// One measure of an aggregate: COUNT(*) (no column), COUNT(column) (fn count_values) or
// fn(column) with fn sum/avg/min/max;
// `integer`: the column holds integers (sums and extremes are read as integers, averages never).
struct AggregateMeasureSql {
  std::string fn, column;
  bool integer = false;
};
// The measures over the rows of `table` that `filter` selects, grouped by `group_columns`
// (none: one row of totals), largest count first then by the groups, at most `limit` rows. The
// columns are g0.. (groups), m0.. (measures) and n (the count).
Result<store::Rows> LoadAggregate(store::Connection& conn, const std::string& table, const std::vector<std::string>& group_columns,
                                  const std::vector<AggregateMeasureSql>& measures, const std::string& where,
                                  std::vector<store::Value> args, int limit);
// How many groups `group_columns` form over the rows `filter` selects.
Result<int64_t> CountAggregateGroups(store::Connection& conn, const std::string& table, const std::vector<std::string>& group_columns,
                                     const std::string& where, const std::vector<store::Value>& args);

}  // namespace keel::domain

namespace keel::domain {

// --- authentication (store/auth.cc) ---------------------------------------------------------

// A user as a password login sees them.
struct LoginRow {
  int64_t tenant_id = 0, user_id = 0;
  std::string password_hash;  // empty: no password set
  std::string user_status;
  std::optional<std::string> locked_until;
  bool archived = false;
  std::string tenant_status;
};
Result<std::optional<LoginRow>> FindLogin(store::Connection& conn, const std::string& tenant_code, const std::string& username);
// True when the user has had a session from `ip`.
Result<bool> HasSignedInFrom(store::Connection& conn, int64_t tenant, int64_t user, const std::string& ip);
Status CountFailedLogin(store::Connection& conn, int64_t tenant, int64_t user);
struct NewSession {
  int64_t tenant_id = 0, id = 0, user_id = 0;
  std::string token_hash, created_at, expires_at, ip;
};
Status InsertSession(store::Connection& conn, const NewSession& s);
// Clears failed logins and the lock, stamps last_login_at.
Status MarkLoggedIn(store::Connection& conn, int64_t tenant, int64_t user, const std::string& now);

enum class TokenKind { kSession, kApiKey };
// A session or API key with its user, unit and tenant, found by the token's hash.
struct TokenRow {
  int64_t id = 0;  // the session's or key's
  std::string token_hash;
  std::optional<std::string> expires_at, last_used_at;
  bool revoked = false;
  int64_t tenant_id = 0, user_id = 0, unit_id = 0;
  std::string role, unit_path, username, locale, user_status, tenant_status;
  bool user_archived = false;
};
Result<std::optional<TokenRow>> FindToken(store::Connection& conn, TokenKind kind, const std::string& token_hash);
Status TouchToken(store::Connection& conn, TokenKind kind, int64_t tenant, int64_t id, const std::string& now);
Status RevokeSessionByHash(store::Connection& conn, int64_t tenant, const std::string& token_hash, const std::string& now);
// Revokes the user's live sessions; returns how many.
Result<int64_t> RevokeUserSessions(store::Connection& conn, int64_t tenant, int64_t user, const std::string& now);
// True when the user exists (`live_only`: and is not archived).
Result<bool> UserExists(store::Connection& conn, int64_t tenant, int64_t user, bool live_only);

struct ApiKeyRow {
  int64_t id = 0;
  std::string name;
  int64_t user_id = 0;
  std::string prefix, created_at;
  std::optional<std::string> expires_at, revoked_at, last_used_at;
};
Status InsertApiKey(store::Connection& conn, int64_t tenant, const ApiKeyRow& key, const std::string& token_hash,
                    int64_t created_by);
Result<std::vector<ApiKeyRow>> LoadApiKeys(store::Connection& conn, int64_t tenant);
// Stamps revoked_at unless already revoked; returns how many keys matched (0: none).
Result<int64_t> RevokeApiKey(store::Connection& conn, int64_t tenant, int64_t id, const std::string& now);

Result<std::optional<int64_t>> FindTenantByCode(store::Connection& conn, const std::string& code);
// A new active tenant `id` and its HQ unit `hq_unit`.
Status InsertTenantWithHq(store::Connection& conn, int64_t id, int64_t hq_unit, const std::string& code, const std::string& name,
                          const std::string& time_zone, const std::string& currency, const std::string& locale,
                          const std::string& now);

}  // namespace keel::domain
