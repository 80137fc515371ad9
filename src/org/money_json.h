// The JSON form of the money side's views — budgets, the expense policy and claims, profit
// sharing, feedback links: what the HTTP API sends (docs/api.md, the OpenAPI document) and, where
// a service records the same shape in an audit row, an event or a stored statement, what it
// records. One place, so the wire shape cannot drift between them.
#pragma once

#include <vector>

#include <nlohmann/json.hpp>

#include "org/budgets.h"
#include "org/expenses.h"
#include "org/feedback_links.h"
#include "org/profit_sharing.h"

namespace keel::org {

nlohmann::json ToJson(const Budget& b);  // entries only when it has them (GET /budgets/{id})
nlohmann::json ToJson(const std::vector<Budget>& budgets);  // {items}

nlohmann::json ToJson(const ExpensePolicy& p);
nlohmann::json ToJson(const std::vector<ExpensePolicy>& policies);  // {items}
nlohmann::json ToJson(const PolicyCheck& c);
nlohmann::json ToJson(const ClaimSubmitted& s);

nlohmann::json ToJson(const ProfitSharingRule& r);  // also in the audit row and each statement's detail
nlohmann::json ToJson(const ProfitSharingRules& r);
nlohmann::json ToJson(const ProfitSharingRun& r);
nlohmann::json ToJson(const ProfitStatement& s);  // with its detail when it has one
nlohmann::json ToJson(const std::vector<ProfitStatement>& statements);  // {items}

// A link as listed, audited and recorded in its events; with `token` and the form's `path` when it
// has its token (Create's reply).
nlohmann::json ToJson(const FeedbackLink& l);
nlohmann::json ToJson(const std::vector<FeedbackLink>& links);  // {items}
nlohmann::json ToJson(const FeedbackForm& f);  // with the rating's range, the limits and the labels in zh/en
nlohmann::json FeedbackThanksJson();  // {received: true, message, message_zh}

}  // namespace keel::org
