// Targets (目标): a period "2026-07" (month), "2026-Q3" (quarter) or "2026" (year), one target per
// unit, user, metric and period; a user's target names a member of the unit.
#include <cstdio>

#include "domain/rules/family.h"
#include "domain/store.h"

namespace keel::domain::rules {

namespace {

class Targets final : public EntityRules {
 public:
  Status PrepareCreate(WriteContext& ctx, const EntityDef&, int64_t id, ValueMap& v, std::vector<ValueMap>&) const override {
    return Period(ctx, v, id);
  }
  Status PrepareUpdate(WriteContext& ctx, const EntityDef&, int64_t id, const ValueMap&, ValueMap& after) const override {
    return Period(ctx, after, id);
  }

 private:
  // "2026-07" → month, "2026-Q3" → quarter, "2026" → year; rejects duplicates.
  static Status Period(WriteContext& ctx, ValueMap& v, int64_t id) {
    std::string period = Text(v, "period");
    int y = 0, a = 0, b = 0;
    char q = 0;
    int64_t start, end;
    auto bad = [&] {
      return Status::Invalid("validation.period", "period '" + period + "' must look like 2026-07, 2026-Q3 or 2026",
                             "周期 '" + period + "' 应为 2026-07、2026-Q3 或 2026 的形式", "period");
    };
    if (period.size() == 7 && std::sscanf(period.c_str(), "%4d-%2d", &y, &a) == 2 && period[4] == '-' && period[5] != 'Q' &&
        a >= 1 && a <= 12) {
      start = DaysFromCivil(y, a, 1);
      end = (a == 12 ? DaysFromCivil(y + 1, 1, 1) : DaysFromCivil(y, a + 1, 1)) - 1;
    } else if (period.size() == 7 && std::sscanf(period.c_str(), "%4d-%c%1d", &y, &q, &b) == 3 && q == 'Q' && b >= 1 &&
               b <= 4) {
      start = DaysFromCivil(y, (b - 1) * 3 + 1, 1);
      end = (b == 4 ? DaysFromCivil(y + 1, 1, 1) : DaysFromCivil(y, b * 3 + 1, 1)) - 1;
    } else if (period.size() == 4 && std::sscanf(period.c_str(), "%4d", &y) == 1) {
      start = DaysFromCivil(y, 1, 1);
      end = DaysFromCivil(y + 1, 1, 1) - 1;
    } else {
      return bad();
    }
    if (y < 2000 || y > 2100) return bad();
    v["period_start"] = FormatDate(start);
    v["period_end"] = FormatDate(end);
    if (!Null(v, "user_id")) {
      KEEL_ASSIGN_OR_RETURN(bool member, UserWithinUnit(ctx.conn, ctx.p.tenant_id, v["unit_id"], v["user_id"]));
      if (!member) {
        return Status::Invalid("target.user_outside_unit", "user_id is not a member of unit_id", "user_id 不属于 unit_id 所指单元",
                               "user_id");
      }
    }
    KEEL_ASSIGN_OR_RETURN(auto dup, FindDuplicateTarget(ctx.conn, ctx.p.tenant_id, v, id));
    if (dup) {
      return Conflict("conflict.duplicate",
                      "a target for this unit, user, metric and period already exists (id " + std::to_string(*dup) + ")",
                      "该单元/人员/指标/周期的目标已存在（id " + std::to_string(*dup) + "）", "period");
    }
    return Status();
  }
};

}  // namespace

const EntityRules& TargetRules() {
  static const Targets rules;
  return rules;
}

}  // namespace keel::domain::rules
