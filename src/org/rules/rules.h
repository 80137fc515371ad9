// Org's entity rules (quotes, contracts, expenses, budget transfers, price changes): the record
// engine's hooks (domain/rules.h) for the documents whose workflow org owns. Attached to their
// EntityDefs by RegisterEntityRules.
#pragma once

namespace keel::org {

// Points the EntityDefs of org's documents at their rules. Idempotent and thread-safe; call it
// at start-up before records of these entities are written (the runtime and ApprovalEngine do).
void RegisterEntityRules();

}  // namespace keel::org
