// The unit tree (组织树: hq ▸ region ▸ unit ▸ store). Every unit stores its materialised path,
// the ids from the root down to itself ("/1000/1003/1017/"); a unit is in the subtree of another
// when its path starts with the other's. This is the one implementation of "within a subtree"
// for SQL filters: parts build their visibility clauses with it instead of writing
// `path LIKE ?` themselves.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "store/database.h"

namespace keel::domain {

class UnitTree {
 public:
  // The LIKE pattern matching `path` and every unit under it.
  static std::string SubtreePattern(std::string_view path);
  // " AND <path_column> LIKE ?" with its parameter appended: the row's unit, whose path the
  // query has joined as `path_column` (e.g. "u.path"), lies in the subtree of `path`.
  static std::string PathWithin(std::string_view path_column, std::string_view path, std::vector<store::Value>& params);
  // " AND <unit_column> IN (units of the tenant in the subtree of `path`)" with its parameters.
  static std::string UnitWithin(std::string_view unit_column, int64_t tenant, std::string_view path,
                                std::vector<store::Value>& params);
  // " AND (<unit_column> IS NULL OR <unit_column> IN (units in the subtree of `path` or on the
  // way up to it))": what is shared tenant-wide, with one's own line and with one's subtree.
  static std::string UnitOnLineOf(std::string_view unit_column, int64_t tenant, std::string_view path,
                                  std::vector<store::Value>& params);
  // Whether the tenant's unit lies in the subtree of `root_path` (false for an unknown unit).
  static Result<bool> InSubtree(store::Connection& conn, int64_t tenant, int64_t unit, std::string_view root_path);
};

}  // namespace keel::domain
