// Quotes (报价单) and contracts (合同): drafts until approval decides; sellers move them on by hand
// only along the allowed steps; what was approved is what is sent or signed.
#include <cmath>
#include <set>

#include "domain/rules.h"

namespace keel::org::rules {

using domain::EntityDef;
using domain::EntityRules;
using domain::ValueMap;
using domain::WriteContext;
using namespace domain::rules;

class Quotes final : public EntityRules {
 public:
  Status PrepareCreate(WriteContext& ctx, const EntityDef&, int64_t, ValueMap& v, std::vector<ValueMap>& lines) const override {
    if (!ctx.p.is_system() && Text(v, "status") != "draft") {
      return Unprocessable("quote.create_draft", "a new quote starts as a draft; submit it for approval",
                           "新报价单须为草稿，再提交审批", "status");
    }
    if (lines.empty()) {
      return Status::Invalid("validation.required", "a quote needs at least one line", "报价单至少需要一行明细", "lines");
    }
    if (Null(v, "currency")) v["currency"] = ctx.tenant.currency;
    return Totals(v, lines);
  }

  Status PrepareUpdate(WriteContext& ctx, const EntityDef&, int64_t, const ValueMap& before, ValueMap& after) const override {
    std::string from = Text(before, "status"), to = Text(after, "status");
    // Approval decides pending_approval → approved/rejected (the system principal); sellers move
    // an approved quote on to the customer and record the answer.
    static const std::set<std::pair<std::string, std::string>> kSeller = {
        {"approved", "sent"}, {"sent", "accepted"}, {"sent", "declined"}, {"rejected", "draft"}};
    if (from != to && !ctx.p.is_system() && !kSeller.count({from, to})) {
      const bool submit = to == "approved" || to == "pending_approval";
      return Conflict("quote.status",
                      "a quote cannot go from " + from + " to " + to + (submit ? " by hand; submit it (POST /quotes/{id}/submit)" : ""),
                      "报价单不能从 " + from + " 改为 " + to + (submit ? "；请提交审批" : ""), "status");
    }
    if (from == "pending_approval" && !ctx.p.is_system()) {
      return Conflict("quote.locked", "the quote is waiting for approval; recall the request to change it",
                      "报价单正在审批中；如需修改请先撤回审批", "status");
    }
    return Status();
  }

 private:
  // Line amounts at their discounts, the quote's totals and its overall and deepest discount.
  static Status Totals(ValueMap& v, std::vector<ValueMap>& lines) {
    int64_t subtotal = 0, total = 0;
    double max_disc = 0;
    for (size_t i = 0; i < lines.size(); ++i) {
      ValueMap& l = lines[i];
      const std::string at = "lines[" + std::to_string(i) + "]";
      int64_t qty = Int(l, "qty"), price = Int(l, "unit_price");
      double disc = Null(l, "discount_pct") ? 0.0 : store::AsDouble(l.at("discount_pct"));
      int64_t gross = 0;
      if (__builtin_mul_overflow(qty, price, &gross) || gross > kMaxMoney) {
        return Status::Invalid("validation.range", "qty × unit_price is too large", "数量 × 单价过大", at + ".qty");
      }
      // In basis points and integers: the line amount rounds half a fen up, exactly.
      int64_t bp = std::llround(disc * 100.0);
      int64_t scaled = 0;
      if (__builtin_mul_overflow(gross, 10000 - bp, &scaled)) {
        return Status::Invalid("validation.range", "qty × unit_price is too large", "数量 × 单价过大", at + ".qty");
      }
      int64_t amount = (scaled + 5000) / 10000;
      l["discount_pct"] = disc;
      l["amount"] = amount;
      l["line_no"] = static_cast<int64_t>(i + 1);
      subtotal += gross;
      total += amount;
      max_disc = std::max(max_disc, disc);
      if (subtotal > kMaxMoney) return Status::Invalid("validation.range", "the quote is too large", "报价金额过大", "lines");
    }
    v["subtotal"] = subtotal;
    v["total"] = total;
    v["discount_total"] = subtotal - total;
    v["discount_pct"] =
        subtotal > 0 ? std::round(10000.0 * static_cast<double>(subtotal - total) / static_cast<double>(subtotal)) / 100.0 : 0.0;
    v["max_discount_pct"] = max_disc;
    return Status();
  }
};

class Contracts final : public EntityRules {
 public:
  Status PrepareCreate(WriteContext& ctx, const EntityDef&, int64_t, ValueMap& v, std::vector<ValueMap>&) const override {
    if (!ctx.p.is_system() && Text(v, "status") != "draft") {
      return Unprocessable("contract.create_draft", "a new contract starts as a draft", "新合同须为草稿", "status");
    }
    if (Null(v, "currency")) v["currency"] = ctx.tenant.currency;
    return DateRange(v);
  }

  Status PrepareUpdate(WriteContext& ctx, const EntityDef&, int64_t, const ValueMap& before, ValueMap& after) const override {
    std::string from = Text(before, "status"), to = Text(after, "status");
    if (from != to && !ctx.p.is_system()) KEEL_RETURN_IF_ERROR(SellerMove(ctx, from, to, after));
    if (from != to && to == "signed") after["signed_at"] = ctx.now_text;
    // What was approved is what is signed: the terms change only in draft (or after a rejection).
    if (!ctx.p.is_system() && from != "draft" && from != "rejected") {
      for (const char* f : {"amount", "start_date", "end_date", "quote_id", "currency"}) {
        if (Text(before, f) != Text(after, f)) {
          return Conflict("contract.locked", std::string(f) + " cannot change once the contract went to approval",
                          std::string(f) + " 在合同提交审批后不能修改", f);
        }
      }
    }
    if (from == "pending_approval" && !ctx.p.is_system()) {
      return Conflict("contract.locked", "the contract is waiting for approval", "合同正在审批中", "status");
    }
    return DateRange(after);
  }

 private:
  static Status DateRange(const ValueMap& v) {
    if (Text(v, "end_date") < Text(v, "start_date")) {
      return Status::Invalid("validation.range", "end_date is before start_date", "结束日期早于开始日期", "end_date");
    }
    return Status();
  }

  // Approval decides approved/rejected and the clock active/expiring/expired (the system);
  // sellers sign an approved contract (with legal review), terminate a running one, or take a
  // rejected one back to draft.
  static Status SellerMove(const WriteContext& ctx, const std::string& from, const std::string& to, const ValueMap& after) {
    static const std::set<std::pair<std::string, std::string>> kSeller = {
        {"approved", "signed"}, {"rejected", "draft"}, {"signed", "terminated"}, {"active", "terminated"}, {"expiring", "terminated"}};
    if (!kSeller.count({from, to})) {
      return Conflict("contract.status", "a contract cannot go from " + from + " to " + to + " by hand",
                      "合同不能手动从 " + from + " 改为 " + to, "status");
    }
    if (to == "signed" && !ctx.checked) {
      return Conflict("contract.sign", "a contract is signed through POST /api/v1/contracts/{id}/sign (compliance checks first)",
                      "合同须通过签署接口 POST /api/v1/contracts/{id}/sign 签署（先做合规检查）", "status");
    }
    if (to == "signed" && Int(after, "legal_reviewed") == 0) {
      return Unprocessable("contract.legal_review", "a contract is signed only after legal review", "合同须经法务审核后方可签署",
                           "legal_reviewed");
    }
    return Status();
  }
};

const EntityRules& QuoteRules() {
  static const Quotes rules;
  return rules;
}
const EntityRules& ContractRules() {
  static const Contracts rules;
  return rules;
}

}  // namespace keel::org::rules
