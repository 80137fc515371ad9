// Quotes: submission (authority, compliance, the quote_discount workflow) and orders from quotes.
#include <cmath>

#include "domain/codec.h"
#include "domain/schema.h"
#include "org/commerce/commerce.h"
#include "org/commerce/store.h"
#include "org/governance/json.h"
#include "org/internal.h"
#include "org/workflow/approvals.h"

namespace keel::org {

using json = nlohmann::json;
using domain::Principal;

Result<QuoteSubmission> Commerce::SubmitQuote(const Principal& p, int64_t quote_id, const QuoteSubmit& submit) {
  if (domain::IsReadOnly(p.role)) return Forbidden("read-only roles do not submit quotes", "只读角色不能提交报价");
  KEEL_RETURN_IF_ERROR(submit.problem);
  const domain::EntityDef& quotes = *domain::FindEntity("quotes");
  KEEL_ASSIGN_OR_RETURN(json quote, records_.Get(p, quotes, quote_id));
  std::string status = quote.value("status", "");
  if (status != "draft" && status != "rejected") {
    return Status::Error(ErrorKind::kConflict, "quote.status", "only a draft (or rejected) quote can be submitted; this one is " + status,
                         "只有草稿（或已驳回）的报价单可以提交；当前状态为 " + status, "status");
  }
  json compliance = {{"flags", json::array()}, {"overrides", json::array()}};
  if (governance_) {
    KEEL_ASSIGN_OR_RETURN(ComplianceOutcome outcome, governance_->Check(p, "quotes", "submit", quote_id, quote, submit.override_reason));
    compliance = ToJson(outcome);
  }
  KEEL_ASSIGN_OR_RETURN(QuoteCheck check, CheckQuote(p, quote_id));
  if (check.within_authority) {
    auto sys = Principal::System(p.tenant_id);
    KEEL_ASSIGN_OR_RETURN(json updated, records_.Update(sys, quotes, quote_id, {{"status", "approved"}}));
    return QuoteSubmission{.status = "approved", .within_authority = true, .check = std::move(check), .approval = std::nullopt,
                           .quote = std::move(updated), .compliance = std::move(compliance)};
  }
  SubmitRequest request{.object = "quotes", .record_id = quote_id, .definition = std::string("quote_discount"), .comment = submit.comment,
                        .problem = {}};
  KEEL_ASSIGN_OR_RETURN(Submission approval, approvals_.Submit(p, request, /*via_service=*/true));
  KEEL_ASSIGN_OR_RETURN(json q2, records_.Get(Principal::System(p.tenant_id), quotes, quote_id));
  std::string now_status = q2["status"].get<std::string>();
  return QuoteSubmission{.status = std::move(now_status), .within_authority = false, .check = std::move(check), .approval = std::move(approval),
                         .quote = std::move(q2), .compliance = std::move(compliance)};
}

Result<QuoteOrder> Commerce::OrderFromQuote(const Principal& p, int64_t quote_id, const QuoteToOrder& request) {
  if (domain::IsReadOnly(p.role)) return Forbidden("read-only roles do not create orders", "只读角色不能下单");
  const domain::EntityDef& quotes = *domain::FindEntity("quotes");
  KEEL_ASSIGN_OR_RETURN(json quote, records_.Get(p, quotes, quote_id));
  KEEL_RETURN_IF_ERROR(request.problem);
  std::string status = quote.value("status", "");
  if (status != "approved" && status != "sent" && status != "accepted") {
    return Status::Error(ErrorKind::kConflict, "quote.status", "only an approved, sent or accepted quote becomes an order; this one is " + status,
                         "只有已批准、已发送或客户已接受的报价单可以转成订单；当前状态为 " + status, "status");
  }
  if (!quote["order_id"].is_null()) {
    return Status::Error(ErrorKind::kConflict, "quote.ordered", "the quote already became order " + quote["order_id"].dump(),
                         "该报价单已转成订单 " + quote["order_id"].dump(), "order_id");
  }
  TimeMs now = clock_.NowMs();
  if (quote["valid_until"].is_string()) {
    KEEL_ASSIGN_OR_RETURN(auto conn, db_.Acquire());
    KEEL_ASSIGN_OR_RETURN(std::string today, LocalToday(*conn, p.tenant_id, now));
    if (quote["valid_until"].get<std::string>() < today) {
      return Status::Error(ErrorKind::kConflict, "quote.expired", "the quote was valid until " + quote["valid_until"].get<std::string>(),
                           "报价单已过有效期（" + quote["valid_until"].get<std::string>() + "）", "valid_until");
    }
  }
  json lines = json::array();
  for (const auto& l : quote["lines"]) {
    int64_t qty = l["qty"].get<int64_t>();
    int64_t list = std::llround(l["unit_price"].get<double>() * 100), amount = std::llround(l["amount"].get<double>() * 100);
    lines.push_back({{"product_id", l["product_id"]}, {"qty", qty}, {"unit_price", l["unit_price"]}, {"discount", Yuan(qty * list - amount)}});
  }
  json order = {{"code", "SO-" + quote.value("code", std::to_string(quote_id))},
                {"channel", request.channel.value_or(json("b2b"))},
                {"ordered_at", request.ordered_at.value_or(json(FormatTimestamp(now)))},
                {"customer_id", quote["customer_id"]},
                {"owner_id", quote["owner_id"]},
                {"unit_id", quote["unit_id"]},
                {"lines", lines}};
  KEEL_ASSIGN_OR_RETURN(json created, records_.Create(p, *domain::FindEntity("orders"), order));
  {
    KEEL_ASSIGN_OR_RETURN(auto conn, db_.Acquire());
    KEEL_RETURN_IF_ERROR(commerce::LinkQuoteToOrder(*conn, p.tenant_id, quote_id, created["id"].get<int64_t>()));
  }
  auto sys = Principal::System(p.tenant_id);
  json updated;
  if (status != "accepted") {
    KEEL_ASSIGN_OR_RETURN(updated, records_.Update(sys, quotes, quote_id, {{"status", "accepted"}}));
  } else {
    KEEL_ASSIGN_OR_RETURN(updated, records_.Get(sys, quotes, quote_id));
  }
  return QuoteOrder{.order = std::move(created), .quote = std::move(updated)};
}

}  // namespace keel::org
