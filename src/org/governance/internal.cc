#include "org/governance/internal.h"

#include <algorithm>
#include <cstdlib>
#include <span>

#include "domain/audit.h"
#include "org/internal.h"

namespace keel::org::governance {

Status Forbidden(const std::string& code, const std::string& en, const std::string& zh, const std::string& field) {
  return Status::Error(ErrorKind::kForbidden, code, en, zh, field);
}

Status NotHq(const std::string& what_en, const std::string& what_zh) {
  return Forbidden("forbidden", "only HQ (admin, hq_ops) " + what_en, "只有总部（管理员、销售运营）可以" + what_zh);
}

size_t CodePoints(const std::string& s) {
  return static_cast<size_t>(std::count_if(s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

bool SnakeName(const std::string& s, size_t max) {
  return !s.empty() && s.size() <= max && s[0] >= 'a' && s[0] <= 'z' &&
         std::all_of(s.begin(), s.end(), [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'; });
}

std::string Text(const json& body, const char* key) {
  return body.contains(key) && body[key].is_string() ? body[key].get<std::string>() : std::string();
}

Result<int64_t> PositiveId(const std::string& k, const std::string& v) {
  char* end = nullptr;
  long long x = std::strtoll(v.c_str(), &end, 10);
  if (v.empty() || *end || x <= 0) return Bad("validation.parameter", k + " must be a positive id", k + " 应为正整数 ID", k);
  return static_cast<int64_t>(x);
}

Result<int64_t> Limit(const std::string& v) {
  char* end = nullptr;
  long long x = std::strtoll(v.c_str(), &end, 10);
  if (v.empty() || *end || x < 1 || x > 500) return Bad("validation.parameter", "limit is 1 to 500", "limit 应为 1 到 500", "limit");
  return static_cast<int64_t>(x);
}

Result<UnitRow> FindUnit(store::Connection& conn, int64_t tenant, int64_t unit, const std::string& field) {
  KEEL_ASSIGN_OR_RETURN(std::optional<UnitRow> u, LoadUnit(conn, tenant, unit));
  if (!u) return Status::NotFound("unit", field);
  return *u;
}

bool SeesUnit(const Principal& p, const UnitRow& u) {
  if (domain::SeesWholeTenant(p.role) || p.is_system()) return true;
  return u.path.rfind(p.unit_path, 0) == 0 || p.unit_path.rfind(u.path, 0) == 0;
}

Status Audit(store::Connection& conn, const Principal& p, const std::string& action, const std::string& entity, int64_t entity_id,
             const json& before, const json& after, const std::string& now) {
  const domain::AuditEntry entry{action, entity, entity_id, before, after};
  return domain::AuditChanges(conn, p, now, std::span<const domain::AuditEntry>(&entry, 1), p.request_id);
}

}  // namespace keel::org::governance
