// Pricing authority: the rules HQ sets, and what they say about a quote.
#include <cmath>
#include <tuple>

#include "domain/codec.h"
#include "domain/schema.h"
#include "domain/store.h"
#include "events/event_log.h"
#include "org/commerce/commerce.h"
#include "org/commerce/json.h"
#include "org/commerce/store.h"
#include "org/internal.h"

namespace keel::org {

using json = nlohmann::json;
using domain::Principal;

namespace {

PricingAuthority FromRow(const commerce::AuthorityRow& a) {
  return {.id = a.id, .unit_id = a.unit_id, .unit = std::nullopt, .role = a.role, .category_prefix = a.category_prefix,
          .min_amount = static_cast<double>(a.min_amount_fen) / 100.0, .max_discount_pct = a.max_discount_pct, .pct_is_integer = false};
}

}  // namespace

Result<PricingAuthority> Commerce::SaveAuthority(const Principal& p, const PricingAuthorityDraft& d) {
  if (!IsHq(p)) return Forbidden("only HQ sets pricing authority", "只有总部可以设置定价权限");
  KEEL_RETURN_IF_ERROR(d.problem);
  if (!d.unit_id) return Bad("validation.required", "unit_id is required", "unit_id 为必填项", "unit_id");
  if (!d.max_discount_pct || !(*d.max_discount_pct >= 0) || *d.max_discount_pct > 100) {
    return Bad("validation.range", "max_discount_pct is 0 to 100", "max_discount_pct 应为 0 到 100", "max_discount_pct");
  }
  if (!d.role.empty() && !domain::ParseRole(d.role)) return Bad("validation.enum", "role is not a role", "role 不是有效角色", "role");
  if (!(d.min_amount >= 0) || d.min_amount > 1e12) {
    return Bad("validation.range", "min_amount is 0 to 1e12 yuan", "min_amount 应为 0 到 1e12 元", "min_amount");
  }
  commerce::AuthorityRow rule;
  rule.unit_id = *d.unit_id;
  if (!d.role.empty()) rule.role = d.role;
  if (!d.category_prefix.empty()) rule.category_prefix = d.category_prefix;
  rule.min_amount_fen = static_cast<int64_t>(std::llround(d.min_amount * 100));
  rule.max_discount_pct = *d.max_discount_pct;
  KEEL_ASSIGN_OR_RETURN(auto conn, db_.Acquire());
  KEEL_ASSIGN_OR_RETURN(bool unit_exists, commerce::UnitExists(*conn, p.tenant_id, rule.unit_id));
  if (!unit_exists) return Bad("validation.reference", "no such unit in this tenant", "本租户没有该单元", "unit_id");
  KEEL_ASSIGN_OR_RETURN(auto tx, store::Transaction::Begin(*conn));
  KEEL_RETURN_IF_ERROR(events::LockTenant(*conn, p.tenant_id));
  KEEL_ASSIGN_OR_RETURN(std::vector<int64_t> ids, conn->AllocateIds(1));
  rule.id = ids[0];
  const TimeMs now = clock_.NowMs();
  KEEL_RETURN_IF_ERROR(commerce::InsertAuthority(*conn, p.tenant_id, rule, FormatTimestamp(now),
                                                 p.user_id ? std::optional<int64_t>(p.user_id) : std::nullopt));
  // As requested: the amount before rounding to fen, the percent as written.
  PricingAuthority out = FromRow(rule);
  out.min_amount = d.min_amount;
  out.pct_is_integer = d.pct_is_integer;
  KEEL_RETURN_IF_ERROR(domain::AuditChange(*conn, p, now, {"create", "pricing_authority", rule.id, nullptr, ToJson(out)}));
  KEEL_RETURN_IF_ERROR(tx.Commit());
  return out;
}

Result<std::vector<PricingAuthority>> Commerce::Authorities(const Principal& p) {
  KEEL_ASSIGN_OR_RETURN(auto conn, db_.Acquire());
  KEEL_ASSIGN_OR_RETURN(std::vector<commerce::AuthorityRow> rules, commerce::LoadAuthorities(*conn, p.tenant_id));
  std::vector<PricingAuthority> out;
  for (const auto& a : rules) {
    PricingAuthority item = FromRow(a);
    item.unit = a.unit_name;
    out.push_back(std::move(item));
  }
  return out;
}

Status Commerce::ArchiveAuthority(const Principal& p, int64_t id) {
  if (!IsHq(p)) return Forbidden("only HQ sets pricing authority", "只有总部可以设置定价权限");
  KEEL_ASSIGN_OR_RETURN(auto conn, db_.Acquire());
  KEEL_ASSIGN_OR_RETURN(auto tx, store::Transaction::Begin(*conn));
  KEEL_RETURN_IF_ERROR(events::LockTenant(*conn, p.tenant_id));
  KEEL_ASSIGN_OR_RETURN(std::optional<commerce::AuthorityRow> rule, commerce::LoadAuthority(*conn, p.tenant_id, id));
  if (!rule) return Status::NotFound("pricing authority rule");
  json before = ToJson(FromRow(*rule));
  const TimeMs now = clock_.NowMs();
  KEEL_RETURN_IF_ERROR(commerce::ArchiveAuthority(*conn, p.tenant_id, id, FormatTimestamp(now)));
  json after = before;
  after["archived_at"] = FormatTimestamp(now);
  KEEL_RETURN_IF_ERROR(domain::AuditChange(*conn, p, now, {"archive", "pricing_authority", id, before, after}));
  return tx.Commit();
}

Result<QuoteCheck> Commerce::CheckQuote(const Principal& p, int64_t quote_id) {
  KEEL_ASSIGN_OR_RETURN(json quote, records_.Get(p, *domain::FindEntity("quotes"), quote_id));
  KEEL_ASSIGN_OR_RETURN(auto conn, db_.Acquire());
  // Who decides the price: the quote's owner, in the quote's unit.
  int64_t owner = quote["owner_id"].is_number() ? quote["owner_id"].get<int64_t>() : p.user_id;
  int64_t unit = quote["unit_id"].is_number() ? quote["unit_id"].get<int64_t>() : 0;
  KEEL_ASSIGN_OR_RETURN(std::optional<std::string> owner_role, commerce::UserRole(*conn, p.tenant_id, owner));
  QuoteCheck out{.quote_id = quote_id, .role = owner_role.value_or("rep"), .within_authority = true, .lines = {}};
  KEEL_ASSIGN_OR_RETURN(std::optional<std::string> unit_path, domain::LoadUnitPath(*conn, p.tenant_id, unit));
  const std::string path = unit_path.value_or("/");
  KEEL_ASSIGN_OR_RETURN(std::vector<commerce::AuthorityRow> rules, commerce::LoadAuthorities(*conn, p.tenant_id));
  int64_t total = static_cast<int64_t>(std::llround(quote["total"].get<double>() * 100));
  for (const auto& line : quote["lines"]) {
    KEEL_ASSIGN_OR_RETURN(std::optional<std::string> category_of,
                          commerce::ProductCategory(*conn, p.tenant_id, line["product_id"].get<int64_t>()));
    const std::string category = category_of.value_or("");
    // The most specific rule: the deepest unit on the quote's path, then a role-specific one, then the
    // longest category prefix, then the largest deal-size threshold the quote reaches.
    const commerce::AuthorityRow* best = nullptr;
    std::tuple<size_t, int, size_t, int64_t> best_key{0, 0, 0, -1};
    for (const auto& r : rules) {
      if (path.rfind(r.unit_path, 0) != 0) continue;
      if (r.role && *r.role != out.role) continue;
      const std::string prefix = r.category_prefix.value_or("");
      if (!prefix.empty() && category.rfind(prefix, 0) != 0) continue;
      if (r.min_amount_fen > total) continue;
      std::tuple<size_t, int, size_t, int64_t> key{r.unit_path.size(), r.role ? 1 : 0, prefix.size(), r.min_amount_fen};
      if (!best || key > best_key) {
        best = &r;
        best_key = key;
      }
    }
    const double max_disc = best ? best->max_discount_pct : 5.0;  // without any rule: 5 %
    double disc = line["discount_pct"].is_number() ? line["discount_pct"].get<double>() : 0;
    bool ok = disc <= max_disc + 1e-9;
    out.within_authority = out.within_authority && ok;
    out.lines.push_back({.line_no = line["line_no"].get<int64_t>(), .product_id = line["product_id"].get<int64_t>(), .category = category,
                         .discount_pct = disc, .max_discount_pct = max_disc,
                         .rule_id = best ? std::optional<int64_t>(best->id) : std::nullopt, .within = ok});
  }
  return out;
}

}  // namespace keel::org
