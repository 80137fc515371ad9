// Orders (订单) and their lines: totals from the lines, returns (negative lines) against one paid
// order, refunds and cancellations only by the people who answer for the money. Products take
// the tenant's currency.
#include "domain/records.h"
#include "domain/rules/family.h"
#include "domain/store.h"

namespace keel::domain::rules {

namespace {

class Products final : public EntityRules {
 public:
  Status PrepareCreate(WriteContext& ctx, const EntityDef&, int64_t, ValueMap& v, std::vector<ValueMap>&) const override {
    if (Null(v, "currency")) v["currency"] = ctx.tenant.currency;
    return Status();
  }
};

class Orders final : public EntityRules {
 public:
  // An order without a unit belongs to its store's.
  Status DefaultOwnership(WriteContext& ctx, const EntityDef&, ValueMap& v) const override {
    if (!Null(v, "unit_id") || Null(v, "store_id")) return Status();
    KEEL_ASSIGN_OR_RETURN(auto store, LoadColumns(ctx.conn, "stores", "unit_id", ctx.p.tenant_id, Int(v, "store_id")));
    if (store) v["unit_id"] = (*store)["unit_id"];
    return Status();
  }

  Status PrepareCreate(WriteContext& ctx, const EntityDef&, int64_t, ValueMap& v, std::vector<ValueMap>& lines) const override {
    if (lines.empty()) {
      return Status::Invalid("validation.required", "an order needs at least one line", "订单至少需要一行明细", "lines");
    }
    if (Null(v, "currency")) v["currency"] = ctx.tenant.currency;
    KEEL_RETURN_IF_ERROR(Totals(v, lines));
    return ReturnRules(ctx, v, lines);
  }

  Status PrepareUpdate(WriteContext& ctx, const EntityDef&, int64_t, const ValueMap& before, ValueMap& after) const override {
    std::string from = Text(before, "status"), to = Text(after, "status");
    if (from != to && from != "paid") {
      return Conflict("order.status", "a " + from + " order cannot change status", "状态为 " + from + " 的订单不能再更改状态",
                      "status");
    }
    if (from != to && !CanRefund(ctx.p)) {
      return Forbidden("only a supervisor, unit lead or HQ may refund or cancel an order",
                       "只有主管、战队负责人或总部可以退款或取消订单");
    }
    return Status();
  }

 private:
  static Status Totals(ValueMap& v, std::vector<ValueMap>& lines) {
    int64_t total = 0, discount_total = 0;
    for (size_t i = 0; i < lines.size(); ++i) {
      ValueMap& l = lines[i];
      const std::string at = "lines[" + std::to_string(i) + "]";
      int64_t qty = Int(l, "qty"), price = Int(l, "unit_price"), disc = Int(l, "discount");
      if (qty == 0) return Status::Invalid("validation.range", "qty must not be 0", "数量不能为 0", at + ".qty");
      int64_t gross = 0;
      if (__builtin_mul_overflow(qty, price, &gross) || gross > kMaxMoney || gross < -kMaxMoney) {
        return Status::Invalid("validation.range", "qty × unit_price is too large", "数量 × 单价过大", at + ".qty");
      }
      if (disc > (gross < 0 ? -gross : gross)) {
        return Status::Invalid("validation.discount", "discount exceeds the line's value", "折扣超过该行金额", at + ".discount");
      }
      int64_t amount = gross >= 0 ? gross - disc : gross + disc;
      l["discount"] = disc;
      l["amount"] = amount;
      l["line_no"] = static_cast<int64_t>(i + 1);
      total += amount;
      discount_total += disc;
      if (total > kMaxMoney || total < -kMaxMoney) {
        return Status::Invalid("validation.range", "the order total is too large", "订单总额过大", "lines");
      }
    }
    v["total"] = total;
    v["discount_total"] = discount_total;
    v["line_count"] = static_cast<int64_t>(lines.size());
    return Status();
  }

  // A return (negative lines) takes back goods of one paid order, never more than it sold (less
  // what earlier returns took back), and only people who answer for the money may post one; a
  // refunded or cancelled order likewise.
  static Status ReturnRules(WriteContext& ctx, const ValueMap& v, const std::vector<ValueMap>& lines) {
    size_t negative = 0;
    for (const auto& l : lines) negative += Int(l, "qty") < 0;
    const bool is_return = negative > 0;
    if ((is_return || Text(v, "status") != "paid") && !CanRefund(ctx.p)) {
      return Forbidden("only a supervisor, unit lead or HQ may post a return or a refunded/cancelled order",
                       "只有主管、战队负责人或总部可以提交退货或退款/取消的订单");
    }
    if (!is_return) {
      if (!Null(v, "return_of")) {
        return Status::Invalid("order.return_lines", "a return's lines have negative quantities", "退货单的明细数量须为负数", "lines");
      }
      return Status();
    }
    if (negative != lines.size()) {
      return Status::Invalid("order.return_lines", "a return has only negative lines; sell the rest in an order of its own",
                             "退货单只能包含负数量明细；其余商品请另开订单", "lines");
    }
    if (Null(v, "return_of")) {
      return Status::Invalid("order.return_without_original", "a return names the paid order it takes back (return_of)",
                             "退货须指明对应的已付款原订单（return_of）", "return_of");
    }
    const int64_t original = Int(v, "return_of");
    KEEL_RETURN_IF_ERROR(CheckRef(ctx, *FindEntity("orders")->Field("return_of"), original));  // one the caller can see
    KEEL_ASSIGN_OR_RETURN(auto o, LoadColumns(ctx.conn, "orders", "status, return_of", ctx.p.tenant_id, original));
    if (!o) return Status::NotFound("order", "return_of");
    if (Text(*o, "status") != "paid" || !Null(*o, "return_of")) {
      return Unprocessable("order.return_of_unpaid", "only a paid sale can be returned", "只有已付款的销售订单可以退货", "return_of");
    }
    // What the original sold and earlier returns took back, per product.
    KEEL_ASSIGN_OR_RETURN(auto sold, LoadReturnable(ctx.conn, ctx.p.tenant_id, original));
    std::map<int64_t, std::pair<int64_t, int64_t>> left;  // product → qty, amount still returnable
    for (const auto& s : sold) left[s.product_id] = {s.qty, s.amount};
    for (size_t i = 0; i < lines.size(); ++i) {
      const std::string at = "lines[" + std::to_string(i) + "]";
      auto it = left.find(Int(lines[i], "product_id"));
      if (it == left.end() || it->second.first <= 0) {
        return Unprocessable("order.return_exceeds", "the original order has none of this product left to return",
                             "原订单中没有可退的该商品", at + ".product_id");
      }
      it->second.first += Int(lines[i], "qty");  // negative
      it->second.second += Int(lines[i], "amount");
      if (it->second.first < 0 || it->second.second < 0) {
        return Unprocessable("order.return_exceeds",
                             "the return takes back more than the original order sold (less earlier returns)",
                             "退货数量或金额超过原订单（扣除此前退货后）的剩余", at + ".qty");
      }
    }
    return Status();
  }
};

}  // namespace

const EntityRules& ProductRules() {
  static const Products rules;
  return rules;
}
const EntityRules& OrderRules() {
  static const Orders rules;
  return rules;
}

}  // namespace keel::domain::rules
