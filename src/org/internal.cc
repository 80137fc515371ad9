#include "org/internal.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>
#include <variant>

#include "common/tz.h"
#include "org/store/shared.h"

namespace keel::org {

using store::Value;

Result<std::pair<std::string, std::string>> PeriodDays(const std::string& period) {
  auto bad = Bad("validation.parameter", "period is a month (2026-11), a quarter (2026-Q4) or a year (2026)",
                 "period 应为月（2026-11）、季度（2026-Q4）或年（2026）", "period");
  if (period.size() < 4 || !std::all_of(period.begin(), period.begin() + 4, ::isdigit)) return bad;
  int year = std::stoi(period.substr(0, 4));
  if (year < 2000 || year > 2100) return bad;
  int first = 1, last = 12;
  if (period.size() == 7 && period[4] == '-' && period[5] == 'Q' && period[6] >= '1' && period[6] <= '4') {
    first = (period[6] - '1') * 3 + 1;
    last = first + 2;
  } else if (period.size() == 7 && period[4] == '-' && ::isdigit(period[5]) && ::isdigit(period[6])) {
    first = last = std::stoi(period.substr(5, 2));
    if (first < 1 || first > 12) return bad;
  } else if (period.size() != 4) {
    return bad;
  }
  char a[16];
  std::snprintf(a, sizeof a, "%04d-%02d-01", year, first);
  int64_t next = last == 12 ? DaysFromCivil(year + 1, 1, 1) : DaysFromCivil(year, last + 1, 1);
  return std::make_pair(std::string(a), FormatDate(next - 1));
}

Status CheckMonth(const std::string& period, const std::string& field) {
  auto days = PeriodDays(period);
  if (!days.ok() || period.size() != 7 || period[5] == 'Q') {
    return Bad("validation.parameter", field + " is a month such as 2026-11", field + " 应为月份，如 2026-11", field);
  }
  return Status();
}

Result<int64_t> Fen(double v, const std::string& field) {
  if (!std::isfinite(v) || v < 0 || v > 1e12) {
    return Bad("validation.range", field + " is an amount in yuan from 0 to 1e12", field + " 应为 0 到 1e12 元的金额", field);
  }
  double cents = v * 100;
  if (std::fabs(cents - std::round(cents)) > 1e-6) {
    return Bad("validation.money_precision", field + " must have at most 2 decimal places", field + " 最多保留 2 位小数", field);
  }
  return static_cast<int64_t>(std::llround(cents));
}

Result<int64_t> Fen(const nlohmann::json& v, const std::string& field) {
  return Fen(v.is_number() ? v.get<double>() : std::nan(""), field);
}

double Yuan(int64_t fen) { return static_cast<double>(fen) / 100.0; }

std::string YuanText(int64_t fen) {
  bool neg = fen < 0;
  uint64_t a = neg ? static_cast<uint64_t>(-(fen + 1)) + 1 : static_cast<uint64_t>(fen);
  std::string whole = std::to_string(a / 100);
  std::string grouped;
  for (size_t i = 0; i < whole.size(); ++i) {
    if (i > 0 && (whole.size() - i) % 3 == 0) grouped += ',';
    grouped += whole[i];
  }
  char cents[8];
  std::snprintf(cents, sizeof cents, ".%02u", static_cast<unsigned>(a % 100));
  return (neg ? "-" : "") + grouped + cents;
}

namespace {
Result<std::shared_ptr<const TimeZone>> ZoneOf(store::Connection& conn, int64_t tenant) {
  KEEL_ASSIGN_OR_RETURN(std::optional<std::string> zone, repo::TenantTimeZone(conn, tenant));
  if (!zone) return Status::NotFound("tenant");
  return TimeZone::Load(*zone);
}
}  // namespace

Result<std::pair<std::string, std::string>> MonthUtcBounds(store::Connection& conn, int64_t tenant, const std::string& month) {
  KEEL_RETURN_IF_ERROR(CheckMonth(month));
  KEEL_ASSIGN_OR_RETURN(auto zone, ZoneOf(conn, tenant));
  int y = std::stoi(month.substr(0, 4));
  unsigned m = static_cast<unsigned>(std::stoi(month.substr(5, 2)));
  TimeMs from = zone->ToUtc(MsFromCivil(y, m, 1));
  TimeMs to = zone->ToUtc(m == 12 ? MsFromCivil(y + 1, 1, 1) : MsFromCivil(y, m + 1, 1));
  return std::make_pair(FormatTimestamp(from), FormatTimestamp(to));
}

Result<std::string> LocalToday(store::Connection& conn, int64_t tenant, TimeMs now) {
  KEEL_ASSIGN_OR_RETURN(auto zone, ZoneOf(conn, tenant));
  return FormatDate(zone->ToLocal(now) / 86400000);
}

Result<std::string> UnitPathOf(store::Connection& conn, int64_t tenant, int64_t unit) {
  KEEL_ASSIGN_OR_RETURN(std::optional<std::string> path, repo::UnitPath(conn, tenant, unit));
  if (!path) return Status::NotFound("unit", "unit_id");
  return *path;
}

bool SeesUnit(const domain::Principal& p, const std::string& unit_path) {
  if (p.is_system() || domain::SeesWholeTenant(p.role)) return true;
  return unit_path.rfind(p.unit_path, 0) == 0;
}

nlohmann::json RowJson(const store::Rows& r, size_t i) {
  nlohmann::json out = nlohmann::json::object();
  for (size_t c = 0; c < r.columns.size(); ++c) {
    if (r.columns[c] == "tenant_id") continue;
    const Value& v = r.rows[i][c];
    if (store::IsNull(v)) out[r.columns[c]] = nullptr;
    else if (std::holds_alternative<int64_t>(v)) out[r.columns[c]] = std::get<int64_t>(v);
    else if (std::holds_alternative<double>(v)) out[r.columns[c]] = std::get<double>(v);
    else out[r.columns[c]] = std::get<std::string>(v);
  }
  return out;
}

Status ArchiveRule(store::Database& db, const domain::Principal& p, TimeMs now, const std::string& table, int64_t id,
                                   const std::string& what) {
  KEEL_ASSIGN_OR_RETURN(auto conn, db.Acquire());
  KEEL_ASSIGN_OR_RETURN(auto tx, store::Transaction::Begin(*conn));
  KEEL_RETURN_IF_ERROR(events::LockTenant(*conn, p.tenant_id));
  KEEL_ASSIGN_OR_RETURN(store::Rows r, repo::LoadRuleRow(*conn, table, p.tenant_id, id));
  if (r.empty()) return Status::NotFound(what);
  KEEL_ASSIGN_OR_RETURN(int64_t n, repo::ArchiveRuleRow(*conn, table, p.tenant_id, id, FormatTimestamp(now)));
  if (n != 1) return Status::NotFound(what);
  nlohmann::json before = RowJson(r, 0), after = before;
  after["archived_at"] = FormatTimestamp(now);
  KEEL_RETURN_IF_ERROR(domain::AuditChange(*conn, p, now, {"archive", table, id, before, after}));
  return tx.Commit();
}

std::vector<int64_t> SplitExact(int64_t total, const std::vector<double>& weights) {
  std::vector<int64_t> out(weights.size(), 0);
  if (weights.empty() || total == 0) return out;
  std::vector<double> w(weights.size());
  double sum = 0;
  for (size_t i = 0; i < w.size(); ++i) sum += (w[i] = std::isfinite(weights[i]) ? std::max(0.0, weights[i]) : 0.0);
  if (sum <= 0) {
    std::fill(w.begin(), w.end(), 1.0);
    sum = static_cast<double>(w.size());
  }
  std::vector<std::pair<double, size_t>> rest;
  int64_t given = 0;
  for (size_t i = 0; i < w.size(); ++i) {
    long double exact = static_cast<long double>(total) * w[i] / sum;
    out[i] = static_cast<int64_t>(std::floor(exact));
    given += out[i];
    rest.push_back({static_cast<double>(exact - out[i]), i});
  }
  // The fen left over go to the largest remainders (ties: the earlier person).
  std::stable_sort(rest.begin(), rest.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  for (size_t k = 0; given < total && k < rest.size(); ++k, ++given) ++out[rest[k].second];
  return out;
}

}  // namespace keel::org
