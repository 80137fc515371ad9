#include "domain/unit_tree.h"

#include "domain/store.h"

namespace keel::domain {

std::string UnitTree::SubtreePattern(std::string_view path) { return std::string(path) + "%"; }

std::string UnitTree::PathWithin(std::string_view path_column, std::string_view path, std::vector<store::Value>& params) {
  params.emplace_back(SubtreePattern(path));
  return " AND " + std::string(path_column) + " LIKE ?";
}

std::string UnitTree::UnitWithin(std::string_view unit_column, int64_t tenant, std::string_view path,
                                 std::vector<store::Value>& params) {
  params.emplace_back(tenant);
  params.emplace_back(SubtreePattern(path));
  return " AND " + std::string(unit_column) + " IN (SELECT id FROM units WHERE tenant_id = ? AND path LIKE ?)";
}

std::string UnitTree::UnitOnLineOf(std::string_view unit_column, int64_t tenant, std::string_view path,
                                   std::vector<store::Value>& params) {
  params.emplace_back(tenant);
  params.emplace_back(SubtreePattern(path));
  params.emplace_back(std::string(path));
  const std::string col(unit_column);
  return " AND (" + col + " IS NULL OR " + col + " IN (SELECT id FROM units WHERE tenant_id = ? AND " +
         "(path LIKE ? OR CAST(? AS TEXT) LIKE (path || '%'))))";
}

Result<bool> UnitTree::InSubtree(store::Connection& conn, int64_t tenant, int64_t unit, std::string_view root_path) {
  KEEL_ASSIGN_OR_RETURN(std::optional<std::string> path, LoadUnitPath(conn, tenant, unit));
  return path.has_value() && path->rfind(root_path, 0) == 0;
}

}  // namespace keel::domain
