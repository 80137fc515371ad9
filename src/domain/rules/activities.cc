// Activities (活动: calls, visits, …) and tasks (任务).
#include <algorithm>

#include "domain/rules/family.h"
#include "domain/store.h"

namespace keel::domain::rules {

using store::Value;

namespace {

class Activities final : public EntityRules {
 public:
  Status PrepareCreate(WriteContext& ctx, const EntityDef&, int64_t, ValueMap& v, std::vector<ValueMap>&) const override {
    auto t = ParseTimestamp(Text(v, "occurred_at"));
    if (t.ok() && *t > ctx.now + 86400000LL) {
      return Status::Invalid("validation.future", "occurred_at is more than a day in the future",
                             "occurred_at 晚于当前时间超过一天", "occurred_at");
    }
    return Status();
  }

  // An activity on a lead is the owner's response: stamp first_response_at and move new → working.
  Status AfterCreate(WriteContext& ctx, const EntityDef&, int64_t, const ValueMap& v) const override {
    if (Null(v, "lead_id")) return Status();
    const int64_t lead = Int(v, "lead_id");
    const std::string at = std::min(Text(v, "occurred_at"), ctx.now_text);
    KEEL_ASSIGN_OR_RETURN(bool responded, MarkLeadResponded(ctx.conn, ctx.p.tenant_id, lead, at, ctx.now_text));
    if (responded) Emit(ctx, "lead.responded", "leads", lead, {{"first_response_at", at}});
    return Status();
  }
};

class Tasks final : public EntityRules {
 public:
  Status PrepareCreate(WriteContext& ctx, const EntityDef&, int64_t, ValueMap& v, std::vector<ValueMap>&) const override {
    if (Text(v, "status") == "done") v["completed_at"] = ctx.now_text;
    return Status();
  }
  Status PrepareUpdate(WriteContext& ctx, const EntityDef&, int64_t, const ValueMap& before, ValueMap& after) const override {
    std::string from = Text(before, "status"), to = Text(after, "status");
    if (to == "done" && from != "done") after["completed_at"] = ctx.now_text;
    if (to != "done") after["completed_at"] = Value();
    return Status();
  }
};

}  // namespace

const EntityRules& ActivityRules() {
  static const Activities rules;
  return rules;
}
const EntityRules& TaskRules() {
  static const Tasks rules;
  return rules;
}

}  // namespace keel::domain::rules
