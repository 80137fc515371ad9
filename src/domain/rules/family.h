// The domain's own entity rules, one object per entity family (rules/*.cc). Internal to the
// domain part: schema.cc attaches them to the EntityDefs through DomainRules.
#pragma once

#include <string>

#include "domain/rules.h"

namespace keel::domain::rules {

// The rules of `entity` among the domain's entities, or null.
const EntityRules* DomainRules(const std::string& entity);

const EntityRules& UnitRules();
const EntityRules& UserRules();
const EntityRules& ContactRules();
const EntityRules& MemberRules();
const EntityRules& LeadRules();
const EntityRules& OpportunityRules();
const EntityRules& ActivityRules();
const EntityRules& TaskRules();
const EntityRules& ProductRules();
const EntityRules& OrderRules();
const EntityRules& TargetRules();
const EntityRules& TaggedRules();  // materials
const EntityRules& CaseReviewRules();
const EntityRules& ViewRules();
const EntityRules& FeedbackRules();
const EntityRules& CustomFieldRules();

// Tags as one comma-separated list: "空调，2026、 价格" → "空调,2026,价格" (trimmed, no repeats).
void NormaliseTags(ValueMap& v);
// Appends a row to the opportunity's stage history (the write's time and actor).
Status RecordStage(WriteContext& ctx, int64_t opportunity_id, const store::Value& from, const std::string& to,
                   const store::Value& amount);
// Revokes every live session of the user (disabled, archived or given a new password).
Status RevokeSessions(WriteContext& ctx, int64_t user_id);

}  // namespace keel::domain::rules
