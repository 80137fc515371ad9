#include <mutex>

#include "domain/rules.h"
#include "org/rules/rules.h"

namespace keel::org {

namespace rules {
const domain::EntityRules& QuoteRules();
const domain::EntityRules& ContractRules();
const domain::EntityRules& ExpenseRules();
const domain::EntityRules& BudgetTransferRules();
const domain::EntityRules& PriceChangeRules();
}  // namespace rules

void RegisterEntityRules() {
  static std::once_flag once;
  std::call_once(once, [] {
    domain::SetEntityRules("quotes", &rules::QuoteRules());
    domain::SetEntityRules("contracts", &rules::ContractRules());
    domain::SetEntityRules("expenses", &rules::ExpenseRules());
    domain::SetEntityRules("budget_transfers", &rules::BudgetTransferRules());
    domain::SetEntityRules("price_changes", &rules::PriceChangeRules());
  });
}

}  // namespace keel::org
