#include "org/commerce/json.h"

#include "org/workflow/json.h"
#include "common/json_util.h"

namespace keel::org {

using json = nlohmann::json;

namespace {

}  // namespace

json ToJson(const PricingAuthority& a) {
  json out = {{"id", a.id}, {"unit_id", a.unit_id}, {"role", OrNull(a.role)}, {"category_prefix", OrNull(a.category_prefix)},
              {"min_amount", a.min_amount},
              {"max_discount_pct", a.pct_is_integer ? json(static_cast<int64_t>(a.max_discount_pct)) : json(a.max_discount_pct)}};
  if (a.unit) out["unit"] = *a.unit;
  return out;
}

json ToJson(const std::vector<PricingAuthority>& rules) {
  return ItemsOf(rules, [](const PricingAuthority& x) { return ToJson(x); });
}

json ToJson(const QuoteCheck& c) {
  json lines = json::array();
  for (const auto& l : c.lines) {
    lines.push_back({{"line_no", l.line_no}, {"product_id", l.product_id}, {"category", l.category}, {"discount_pct", l.discount_pct},
                     {"max_discount_pct", l.max_discount_pct}, {"rule_id", OrNull(l.rule_id)}, {"within", l.within}});
  }
  return json{{"quote_id", c.quote_id}, {"role", c.role}, {"within_authority", c.within_authority}, {"lines", lines}};
}

json ToJson(const QuoteSubmission& s) {
  json out = {{"status", s.status}, {"within_authority", s.within_authority}, {"check", ToJson(s.check)}, {"quote", s.quote},
              {"compliance", s.compliance}};
  if (s.approval) out["approval"] = ToJson(*s.approval);
  return out;
}

json ToJson(const QuoteOrder& o) { return json{{"order", o.order}, {"quote", o.quote}}; }

json ToJson(const SignedContract& s) { return json{{"contract", s.contract}, {"compliance", s.compliance}}; }

json ToJson(const LifecycleRun& r) {
  json changed = json::array();
  for (const auto& c : r.changed) changed.push_back({{"id", c.id}, {"from", c.from}, {"to", c.to}});
  return json{{"day", r.day}, {"changed", changed}};
}

}  // namespace keel::org
