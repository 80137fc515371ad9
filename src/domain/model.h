// Who is acting: roles (DESIGN §8) and the principal every domain call carries.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace keel::domain {

enum class Role {
  kAdmin,       // 系统管理员: everything in the tenant, users and keys
  kHqOps,       // 销售运营/作战指挥部: everything in the tenant, business data
  kUnitLead,    // 战队负责人: the unit subtree
  kSupervisor,  // 一线主管: the team (self and direct reports)
  kRep,         // 销售代表: own records
  kAnalyst,     // 分析师: read everything, write nothing
  kAuditor,     // 审计: read everything including the audit log, write nothing
};

std::string_view RoleName(Role role);
std::optional<Role> ParseRole(std::string_view name);
inline constexpr Role kAllRoles[] = {Role::kAdmin,      Role::kHqOps, Role::kUnitLead,
                                     Role::kSupervisor, Role::kRep,   Role::kAnalyst,
                                     Role::kAuditor};

// Roles that see every record of the tenant.
inline bool SeesWholeTenant(Role r) {
  return r == Role::kAdmin || r == Role::kHqOps || r == Role::kAnalyst || r == Role::kAuditor;
}
inline bool IsReadOnly(Role r) { return r == Role::kAnalyst || r == Role::kAuditor; }

// The authenticated caller. A system principal (CLI, demo generator) has user_id 0 and
// the admin role.
struct Principal {
  int64_t tenant_id = 0;
  int64_t user_id = 0;
  Role role = Role::kRep;
  int64_t unit_id = 0;
  std::string unit_path;  // materialised path of the user's unit, e.g. "/1000/1003/"
  std::string username;
  std::string request_id;
  std::string locale = "zh-CN";
  // Set by importers (the demo generator, CSV import) that replay history: such a principal
  // may set the business time of its writes (WriteOptions::at / record_times).
  bool import = false;

  static Principal System(int64_t tenant_id) {
    Principal p;
    p.tenant_id = tenant_id;
    p.role = Role::kAdmin;
    p.unit_path = "/";
    p.username = "system";
    return p;
  }
  bool is_system() const { return user_id == 0; }
};

// A tenant's settings as the record service caches them.
struct TenantInfo {
  int64_t id = 0;
  std::string code, name, time_zone, currency, locale, status;
};

}  // namespace keel::domain
