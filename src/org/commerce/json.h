// The JSON form of the commerce service's views: what the HTTP API sends (docs/api.md, the
// OpenAPI document) and what the audit log records of a pricing authority rule. One place, so
// the wire shape cannot drift between them.
#pragma once

#include <vector>

#include <nlohmann/json.hpp>

#include "org/commerce/commerce.h"

namespace keel::org {

nlohmann::json ToJson(const PricingAuthority& a);  // with `unit` where the view has it
nlohmann::json ToJson(const std::vector<PricingAuthority>& rules);  // {items}
nlohmann::json ToJson(const QuoteCheck& c);
nlohmann::json ToJson(const QuoteSubmission& s);
nlohmann::json ToJson(const QuoteOrder& o);
nlohmann::json ToJson(const SignedContract& s);
nlohmann::json ToJson(const LifecycleRun& r);

}  // namespace keel::org
