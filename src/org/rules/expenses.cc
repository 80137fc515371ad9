// Expense claims (费用报销单): drafts with receipts per line; submission, approval and posting move
// a claim (the system); its owner takes a rejected claim back to draft. What was submitted is
// what is approved and posted.
#include "domain/rules.h"

namespace keel::org::rules {

using domain::EntityDef;
using domain::EntityRules;
using domain::ValueMap;
using domain::WriteContext;
using namespace domain::rules;

class Expenses final : public EntityRules {
 public:
  Status PrepareCreate(WriteContext& ctx, const EntityDef&, int64_t, ValueMap& v, std::vector<ValueMap>& lines) const override {
    if (!ctx.p.is_system() && Text(v, "status") != "draft") {
      return Unprocessable("expense.create_draft", "a new expense claim starts as a draft; submit it", "新报销单须为草稿，再提交",
                           "status");
    }
    KEEL_RETURN_IF_ERROR(TripRange(v));
    return Totals(v, lines);
  }

  Status PrepareUpdate(WriteContext& ctx, const EntityDef&, int64_t, const ValueMap& before, ValueMap& after) const override {
    std::string from = Text(before, "status"), to = Text(after, "status");
    if (from != "posted" && to == "posted") after["posted_at"] = ctx.now_text;
    if (ctx.p.is_system()) return Status();
    if (from != to && !(from == "rejected" && to == "draft")) {
      return Conflict("expense.status",
                      "an expense claim cannot go from " + from + " to " + to + " by hand" +
                          (to == "pending_approval" || to == "approved" ? "; submit it (POST /expenses/{id}/submit)" : ""),
                      "报销单不能手动从 " + from + " 改为 " + to, "status");
    }
    if (from != "draft" && from != "rejected") {
      return Conflict("expense.locked", "the claim is " + from + " and can no longer change", "报销单状态为 " + from + "，不能再修改",
                      "status");
    }
    return TripRange(after);
  }

  // A submitted claim holds budget and an approval; a posted one is in the ledger.
  Status PrepareArchive(WriteContext& ctx, const EntityDef&, int64_t, const ValueMap& before) const override {
    if (ctx.p.is_system()) return Status();
    std::string status = Text(before, "status");
    if (status != "draft" && status != "rejected") {
      return Conflict("expense.locked", "the claim is " + status + " and can no longer be archived",
                      "报销单状态为 " + status + "，不能归档", "status");
    }
    return Status();
  }

 private:
  static Status TripRange(const ValueMap& v) {
    if (!Null(v, "trip_start") && !Null(v, "trip_end") && Text(v, "trip_end") < Text(v, "trip_start")) {
      return Status::Invalid("validation.range", "trip_end is before trip_start", "出差结束日期早于开始日期", "trip_end");
    }
    return Status();
  }

  static Status Totals(ValueMap& v, std::vector<ValueMap>& lines) {
    if (lines.empty()) {
      return Status::Invalid("validation.required", "an expense claim needs at least one line", "报销单至少需要一行明细", "lines");
    }
    int64_t total = 0, missing = 0;
    for (size_t i = 0; i < lines.size(); ++i) {
      ValueMap& l = lines[i];
      int64_t amount = Int(l, "amount");
      if (amount <= 0) {
        return Status::Invalid("validation.range", "a line's amount must be more than 0", "明细金额须大于 0",
                               "lines[" + std::to_string(i) + "].amount");
      }
      total += amount;
      if (total > kMaxMoney) return Status::Invalid("validation.range", "the claim is too large", "报销金额过大", "lines");
      if (Null(l, "has_receipt")) l["has_receipt"] = int64_t{0};
      if (Int(l, "has_receipt") == 0) ++missing;
      l["line_no"] = static_cast<int64_t>(i + 1);
    }
    v["total"] = total;
    v["line_count"] = static_cast<int64_t>(lines.size());
    v["missing_receipts"] = missing;
    return Status();
  }
};

const EntityRules& ExpenseRules() {
  static const Expenses rules;
  return rules;
}

}  // namespace keel::org::rules
