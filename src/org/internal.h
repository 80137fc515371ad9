// Helpers shared by the org part's files. Not part of its public API. JSON appears here only for
// what is stored verbatim (audit rows, event details: RowJson, RecordChange) and for Fen's JSON
// form, which governance's boundary lists still read.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "common/time.h"
#include "domain/audit.h"
#include "domain/model.h"
#include "events/event_log.h"
#include "store/database.h"

namespace keel::org {

// The unit ids of a materialised path "/1000/1003/1010/", root first.
inline std::vector<int64_t> PathIds(const std::string& path) {
  std::vector<int64_t> out;
  for (size_t i = 1; i < path.size();) {
    size_t j = path.find('/', i);
    if (j == std::string::npos) break;
    out.push_back(std::stoll(path.substr(i, j - i)));
    i = j + 1;
  }
  return out;
}

inline bool IsHq(const domain::Principal& p) {
  return p.role == domain::Role::kAdmin || p.role == domain::Role::kHqOps || p.is_system();
}

// The acting user as a NULL-able column: none for the system.
inline std::optional<int64_t> ActorOf(const domain::Principal& p) {
  return p.user_id ? std::optional<int64_t>(p.user_id) : std::nullopt;
}

inline Status Bad(const std::string& code, const std::string& en, const std::string& zh, const std::string& field) {
  return Status::Invalid(code, en, zh, field);
}

inline Status Forbidden(const std::string& en, const std::string& zh) {
  return Status::Error(ErrorKind::kForbidden, "forbidden", en, zh);
}

// "2026-11" → [2026-11-01, 2026-11-30]; "2026-Q4" → [2026-10-01, 2026-12-31]; "2026" → the year.
Result<std::pair<std::string, std::string>> PeriodDays(const std::string& period);

// A month "2026-11" (validated), the field named in the error.
Status CheckMonth(const std::string& period, const std::string& field = "period");

// Money in yuan with at most two decimals (0 to 1e12) → fen.
Result<int64_t> Fen(const nlohmann::json& v, const std::string& field);  // NaN unless a number
Result<int64_t> Fen(double yuan, const std::string& field);  // NaN: not a number

// Fen as yuan: a JSON number, and a text with two decimals and thousands separators ("12,345.60").
double Yuan(int64_t fen);
std::string YuanText(int64_t fen);

// The tenant's zone, and the UTC instants [from, to) of a local month "2026-11" as stored text.
Result<std::pair<std::string, std::string>> MonthUtcBounds(store::Connection& conn, int64_t tenant, const std::string& month);
// Today's local date and month in the tenant's zone.
Result<std::string> LocalToday(store::Connection& conn, int64_t tenant, TimeMs now);

// The unit's path, NotFound when it is not the tenant's.
Result<std::string> UnitPathOf(store::Connection& conn, int64_t tenant, int64_t unit);
// Whether the caller sees a unit: HQ and read-everything roles all; others their unit subtree.
bool SeesUnit(const domain::Principal& p, const std::string& unit_path);

// Archives row `id` of a tenant's rule table (expense policies, allocation and profit-sharing
// rules), audited with the row before and after; NotFound naming `what` when it is not live.
Status ArchiveRule(store::Database& db, const domain::Principal& p, TimeMs now, const std::string& table, int64_t id,
                                   const std::string& what);

// Row `i` as {column: value} (without tenant_id): what an audit row shows of a settings row.
nlohmann::json RowJson(const store::Rows& r, size_t i);

// Splits `total` fen in proportion to `weights` (largest remainder, exact sum; equal shares when
// every weight is 0 or negative).
std::vector<int64_t> SplitExact(int64_t total, const std::vector<double>& weights);

// A change made beside the record service, recorded like its writes: one event of `type` and one
// audit row (actor, what, the state after; `before` when there was one). Inside the caller's
// write transaction.
inline Status RecordChange(store::Connection& conn, const domain::Principal& p, TimeMs now, const std::string& type,
                           const std::string& entity, int64_t id, const nlohmann::json& after,
                           const nlohmann::json& before = nullptr) {
  std::string detail = after.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  KEEL_RETURN_IF_ERROR(events::AppendOne(conn, p.tenant_id, now, type, entity, id, p.user_id, detail).status());
  return domain::AuditChange(conn, p, now, {type, entity, id, before, after});
}

}  // namespace keel::org
