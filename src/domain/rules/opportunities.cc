// Opportunities (商机): stages move forward, one step back, to lost from any open stage, to won
// from proposal or negotiation; a closed one is final (but for its loss reason). Every move is
// kept in the stage history and announced as opportunity.stage_changed.
#include <algorithm>

#include "domain/rules/family.h"
#include "domain/store.h"

namespace keel::domain::rules {

using store::Value;

namespace {

int StageIndex(const std::string& s) {
  auto it = std::find(kOpportunityStages.begin(), kOpportunityStages.end(), s);
  return static_cast<int>(it - kOpportunityStages.begin());
}
bool IsOpenStage(const std::string& s) { return StageIndex(s) <= 3; }

class Opportunities final : public EntityRules {
 public:
  Status PrepareCreate(WriteContext& ctx, const EntityDef&, int64_t, ValueMap& v, std::vector<ValueMap>&) const override {
    if (Null(v, "currency")) v["currency"] = ctx.tenant.currency;
    std::string stage = Text(v, "stage");
    if (!IsOpenStage(stage) && !ctx.p.is_system()) {
      return Unprocessable("opportunity.create_closed", "a new opportunity starts in an open stage", "新建商机必须处于未结阶段",
                           "stage");
    }
    if (stage == "lost" && Null(v, "loss_reason")) return Required("loss_reason");
    v["outcome"] = IsOpenStage(stage) ? std::string("open") : stage;
    if (!IsOpenStage(stage)) v["closed_at"] = ctx.now_text;
    return Status();
  }

  Status AfterCreate(WriteContext& ctx, const EntityDef&, int64_t id, const ValueMap& v) const override {
    return RecordStage(ctx, id, Value(), Text(v, "stage"), v.at("amount"));
  }

  Status PrepareUpdate(WriteContext& ctx, const EntityDef&, int64_t id, const ValueMap& before, ValueMap& after) const override {
    std::string from = Text(before, "stage"), to = Text(after, "stage");
    if (!IsOpenStage(from)) return ClosedIsFinal(from, before, after);
    if (from == to) return Status();
    int fi = StageIndex(from), ti = StageIndex(to);
    bool legal = (IsOpenStage(to) && (ti > fi || ti == fi - 1)) || to == "lost" ||
                 (to == "won" && (from == "proposal" || from == "negotiation"));
    if (!legal) {
      return Conflict("opportunity.illegal_stage_move",
                      "an opportunity cannot move from " + from + " to " + to +
                          " (forward, one step back, lost from any open stage, won from proposal or negotiation)",
                      "商机阶段不能从 " + from + " 变为 " + to + "（可前进、后退一步、任一未结阶段可输单、方案或谈判阶段可赢单）",
                      "stage");
    }
    if (to == "lost" && Null(after, "loss_reason")) return Required("loss_reason");
    if (!IsOpenStage(to)) {
      after["outcome"] = to;
      after["closed_at"] = ctx.now_text;
    }
    KEEL_RETURN_IF_ERROR(RecordStage(ctx, id, Value(from), to, after.at("amount")));
    Emit(ctx, "opportunity.stage_changed", "opportunities", id,
         {{"from", from},
          {"to", to},
          {"amount", static_cast<double>(store::AsInt(after.at("amount"))) / 100.0},
          {"owner_id", Int(after, "owner_id")},
          {"unit_id", Int(after, "unit_id")}});
    return Status();
  }

 private:
  static Status ClosedIsFinal(const std::string& from, const ValueMap& before, const ValueMap& after) {
    for (const auto& [k, val] : after) {
      if (k != "loss_reason" && k != "updated_at" && before.count(k) && before.at(k) != val) {
        return Conflict("opportunity.closed", "a " + from + " opportunity is final; only loss_reason may change",
                        "已" + std::string(from == "won" ? "赢单" : "输单") + "的商机为终态，只能修改输单原因", k);
      }
    }
    return Status();
  }
};

}  // namespace

Status RecordStage(WriteContext& ctx, int64_t opportunity_id, const Value& from, const std::string& to, const Value& amount) {
  KEEL_ASSIGN_OR_RETURN(std::vector<int64_t> ids, ctx.conn.AllocateIds(1));
  return InsertStageChange(ctx.conn, ctx.p.tenant_id, ids[0],
                           {.opportunity_id = opportunity_id, .from = from, .to = to, .amount = amount, .at = ctx.now_text,
                            .actor_id = ctx.p.user_id});
}

const EntityRules& OpportunityRules() {
  static const Opportunities rules;
  return rules;
}

}  // namespace keel::domain::rules
