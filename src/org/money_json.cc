#include "org/money_json.h"

#include <cmath>

#include "org/internal.h"
#include "common/json_util.h"

namespace keel::org {

using json = nlohmann::json;

namespace {

json FeedbackLabels() {
  return {{"zh", {{"heading", "您的反馈"}, {"rating", "整体满意度（1-5 星）"}, {"text", "想对我们说的话"},
                  {"customer_name", "您的称呼（选填）"}, {"contact", "联系方式（选填，便于回访）"}, {"submit", "提交"},
                  {"thanks", "感谢您的反馈！"}}},
          {"en", {{"heading", "Your feedback"}, {"rating", "Overall satisfaction (1-5 stars)"}, {"text", "Tell us more"},
                  {"customer_name", "Your name (optional)"}, {"contact", "How to reach you (optional)"}, {"submit", "Send"},
                  {"thanks", "Thank you for your feedback!"}}}};
}

}  // namespace

json ToJson(const Budget& b) {
  double amount = Yuan(b.amount_fen), committed = Yuan(b.committed_fen);
  json out = {{"id", b.id}, {"unit_id", b.unit_id}, {"unit", b.unit},
              {"category", b.category}, {"period", b.period}, {"period_start", b.period_start},
              {"period_end", b.period_end}, {"amount", amount}, {"committed", committed},
              {"remaining", std::round((amount - committed) * 100) / 100}, {"updated_at", b.updated_at}};
  if (b.entries) {
    json list = json::array();
    for (const auto& x : *b.entries) {
      list.push_back({{"id", x.id}, {"amount", Yuan(x.amount_fen)}, {"kind", x.kind},
                      {"source_object", OrNull(x.source_object)}, {"source_id", OrNull(x.source_id)}, {"note", OrNull(x.note)},
                      {"actor_id", OrNull(x.actor_id)}, {"at", x.at}});
    }
    out["entries"] = list;
  }
  return out;
}

json ToJson(const std::vector<Budget>& budgets) {
  return ItemsOf(budgets, [](const Budget& x) { return ToJson(x); });
}

json ToJson(const ExpensePolicy& p) {
  return {{"id", p.id}, {"unit_id", OrNull(p.unit_id)}, {"kind", p.kind}, {"per", p.per}, {"limit", Yuan(p.limit_fen)},
          {"city_tier", OrNull(p.city_tier)}, {"note", p.note}};
}

json ToJson(const std::vector<ExpensePolicy>& policies) {
  return ItemsOf(policies, [](const ExpensePolicy& x) { return ToJson(x); });
}

json ToJson(const PolicyCheck& c) {
  json lines = json::array();
  for (const auto& l : c.lines) {
    json out = {{"line_no", l.line_no}, {"kind", l.kind}, {"day", l.day}, {"amount", Yuan(l.amount_fen)}, {"has_receipt", l.has_receipt},
                {"within_policy", l.within_policy}, {"rule_id", nullptr}};
    if (l.limit) {
      out["rule_id"] = l.limit->rule_id;
      out["per"] = l.limit->per;
      out["limit"] = Yuan(l.limit->limit_fen);
      out["allowed"] = Yuan(l.limit->allowed_fen);
    }
    if (!l.within_policy) {
      out["message_en"] = l.message_en;
      out["message_zh"] = l.message_zh;
    }
    lines.push_back(std::move(out));
  }
  return json{{"within_policy", c.within_policy}, {"lines", lines}, {"missing_receipts", c.missing_receipts}};
}

json ToJson(const ClaimSubmitted& s) {
  json boundary = {{"mode", s.boundary.mode}};
  if (s.boundary.unit_id) {
    boundary["limit"] = OrNull(s.boundary.limit);
    boundary["unit_id"] = *s.boundary.unit_id;
  }
  json out = {{"expense", s.expense}, {"approval", s.approval}, {"boundary", boundary}, {"compliance", s.compliance}};
  if (s.budget) out["budget"] = ToJson(*s.budget);
  return out;
}

json ToJson(const ProfitSharingRule& r) {
  return {{"id", r.id},
          {"name", r.name},
          {"unit_id", OrNull(r.unit_id)},
          {"pool_formula", r.pool_formula},
          {"split", r.split},
          {"weight_formula", OrNull(r.weight_formula)},
          {"description", r.description}};
}

json ToJson(const ProfitSharingRules& r) {
  json items = json::array();
  for (const auto& x : r.items) items.push_back(ToJson(x));
  return json{{"items", items}, {"pool_fields", r.pool_fields}, {"person_fields", r.person_fields}};
}

json ToJson(const ProfitSharingRun& r) {
  json units = json::array();
  for (const auto& u : r.units) {
    units.push_back({{"rule_id", u.rule_id}, {"unit_id", u.unit_id}, {"unit", u.unit}, {"pool", Yuan(u.pool_fen)}, {"people", u.people}});
  }
  return json{{"period", r.period}, {"statements", r.statements}, {"units", units}};
}

json ToJson(const ProfitStatement& s) {
  json out = {{"id", s.id}, {"period", s.period}, {"rule_id", s.rule_id}, {"unit_id", s.unit_id}, {"unit", s.unit},
              {"user_id", s.user_id}, {"user", s.user}, {"pool", Yuan(s.pool_fen)}, {"amount", Yuan(s.amount_fen)},
              {"computed_at", s.computed_at}};
  if (s.detail) out["detail"] = *s.detail;
  return out;
}

json ToJson(const std::vector<ProfitStatement>& statements) {
  return ItemsOf(statements, [](const ProfitStatement& x) { return ToJson(x); });
}

json ToJson(const FeedbackLink& l) {
  json out = {{"id", l.id},
              {"unit_id", l.unit_id},
              {"unit", l.unit},
              {"store_id", OrNull(l.store_id)},
              {"store", OrNull(l.store)},
              {"title", OrNull(l.title)},
              {"prefix", l.prefix},
              {"expires_at", OrNull(l.expires_at)},
              {"revoked_at", OrNull(l.revoked_at)},
              {"created_at", l.created_at},
              {"created_by", OrNull(l.created_by)},
              {"submissions", l.submissions},
              {"last_submitted_at", OrNull(l.last_submitted_at)},
              {"status", l.status}};
  if (l.token) {
    out["token"] = *l.token;
    out["path"] = "/api/v1/public/feedback/" + *l.token;
  }
  return out;
}

json ToJson(const std::vector<FeedbackLink>& links) {
  return ItemsOf(links, [](const FeedbackLink& x) { return ToJson(x); });
}

json ToJson(const FeedbackForm& f) {
  return json{{"company", f.company},
              {"unit", f.unit},
              {"unit_en", OrNull(f.unit_en)},
              {"store", OrNull(f.store)},
              {"title", OrNull(f.title)},
              {"locale", f.locale},
              {"rating", {{"min", 1}, {"max", 5}}},
              {"limits", {{"text", kFeedbackMaxText}, {"contact", kFeedbackMaxContact}, {"customer_name", kFeedbackMaxContact}}},
              {"labels", FeedbackLabels()}};
}

json FeedbackThanksJson() {
  json labels = FeedbackLabels();
  return json{{"received", true}, {"message", labels["en"]["thanks"]}, {"message_zh", labels["zh"]["thanks"]}};
}

}  // namespace keel::org
