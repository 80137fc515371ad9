// Unit governance on both backends: boundary lists resolved up the unit tree with their limits,
// compliance checkpoints refusing a quote submission until a unit lead overrides them (reps
// cannot), and unit leads managing members inside the sandbox HQ set for them.
#include <gtest/gtest.h>

#include "org/commerce/commerce.h"
#include "org/workflow/approvals.h"
#include "org/governance.h"
#include "support/org.h"

namespace keel::org {
namespace {

using testing::MustCreate;
using testing::TestBackend;

class GovernanceTest : public ::testing::TestWithParam<TestBackend>, protected testing::DomainFixtureBase {
 protected:
  GovernanceTest() : DomainFixtureBase(GetParam()), gov_(*db_, clock_), engine_(*db_, *rs_, clock_), commerce_(*db_, *rs_, engine_, clock_) {
    commerce_.SetGovernance(&gov_);
  }
  const domain::Principal& As(const std::string& u) { return org_.as[u]; }
  int64_t Quote(const std::string& rep, const std::string& code, json lines) {
    int64_t customer = MustCreate(*rs_, As(rep), "customers", {{"code", "C-" + code}, {"name", code}, {"kind", "b2b"}});
    return MustCreate(*rs_, As(rep), "quotes", {{"code", code}, {"customer_id", customer}, {"lines", lines}});
  }
  json AcLine(double discount, int qty = 10) {
    return {{"product_id", org_.product}, {"qty", qty}, {"unit_price", 3299}, {"discount_pct", discount}};
  }
  std::string QuoteStatus(int64_t id) { return rs_->Get(As("admin"), *domain::FindEntity("quotes"), id).value()["status"]; }
  int64_t Count(const std::string& sql, std::vector<store::Value> params) {
    auto c = std::move(db_->Acquire()).value();
    return store::AsInt(c->Query(sql, params).value().rows[0][0]);
  }
  static BoundaryListChange Entries(std::vector<BoundaryEntryDraft> entries) {
    BoundaryListChange c;
    c.entries = std::move(entries);
    return c;
  }
  Governance gov_;
  ApprovalEngine engine_;
  Commerce commerce_;
};

TEST_P(GovernanceTest, BoundariesResolveUpTheTreeWithTheirLimits) {
  // The region: expenses alone up to 2,000, reported up to 10,000; above that, approval.
  auto set = gov_.SetBoundaries(As("ops"), org_.region, Entries({{.action = "expense", .mode = "report", .limit = 10000},
                                                                 {.action = "expense", .mode = "alone", .limit = 2000}}));
  ASSERT_TRUE(set.ok()) << set.status().ToString();
  ASSERT_TRUE(gov_.SetBoundaries(As("admin"), org_.unit_b, Entries({{.action = "expense", .mode = "report"}})).ok());
  ASSERT_TRUE(gov_.SetBoundaries(As("admin"), org_.unit_a, Entries({{.action = "discount", .mode = "alone", .limit = 500}})).ok());

  auto at = [&](int64_t unit, const std::string& action, double amount) { return gov_.BoundaryFor(org_.tenant, unit, action, amount).value(); };
  BoundaryDecision d = at(org_.unit_a, "expense", 1500);  // unit A has no expense entry: the region's
  EXPECT_EQ(d.mode, "alone");
  EXPECT_EQ(d.unit_id, org_.region);
  EXPECT_EQ(d.limit, 2000);
  EXPECT_GT(d.rule_id, 0);
  EXPECT_EQ(at(org_.unit_a, "expense", 2000).mode, "alone");  // the limit itself is within it
  EXPECT_EQ(at(org_.unit_a, "expense", 2000.01).mode, "report");
  EXPECT_EQ(at(org_.store_unit_a, "expense", 9999).mode, "report");  // two levels down
  BoundaryDecision over = at(org_.unit_a, "expense", 10000.01);
  EXPECT_EQ(over.mode, "approval");
  EXPECT_EQ(over.limit, 10000);
  EXPECT_EQ(over.unit_id, org_.region);
  EXPECT_EQ(at(org_.unit_b, "expense", 1e7).mode, "report");  // its own entry, without a limit
  EXPECT_EQ(at(org_.unit_a, "discount", 500).mode, "alone");
  EXPECT_EQ(at(org_.unit_a, "discount", 501).mode, "approval");
  EXPECT_EQ(at(org_.unit_b, "discount", 1).mode, "approval");  // nothing on its path
  BoundaryDecision none = at(org_.unit_a, "contract", 1);
  EXPECT_EQ(none.mode, "approval");
  EXPECT_EQ(none.rule_id, 0);
  EXPECT_EQ(none.limit, -1);
  EXPECT_EQ(gov_.BoundaryFor(org_.tenant, 99999999, "expense", 1).status().kind(), ErrorKind::kNotFound);

  // Only HQ edits; a larger amount cannot need less oversight; limits are distinct.
  EXPECT_EQ(gov_.SetBoundaries(As("lead_a"), org_.unit_a, Entries({})).status().kind(), ErrorKind::kForbidden);
  EXPECT_EQ(gov_.SetBoundaries(As("ops"), org_.unit_a, Entries({{.action = "expense", .mode = "report", .limit = 2000},
                                                                {.action = "expense", .mode = "alone", .limit = 5000}})).status().code(),
            "boundary.order");
  EXPECT_EQ(gov_.SetBoundaries(As("ops"), org_.unit_a, Entries({{.action = "expense", .mode = "alone"}, {.action = "expense", .mode = "report"}}))
                .status().code(), "boundary.duplicate");
  EXPECT_EQ(gov_.SetBoundaries(As("ops"), org_.unit_a, Entries({{.action = "expense", .mode = "sometimes"}})).status().field(), "entries[0].mode");

  // Members see their unit's list with what it inherits; another unit's members do not.
  auto seen = gov_.Boundaries(As("rep_a1"), org_.unit_a);
  ASSERT_TRUE(seen.ok()) << seen.status().ToString();
  bool found = false;
  for (const auto& e : seen->effective) {
    if (e.action != "expense") continue;
    found = true;
    EXPECT_EQ(e.from_unit_id.value_or(0), org_.region);
    EXPECT_TRUE(e.inherited);
    EXPECT_EQ(e.tiers.size(), 2u);
  }
  EXPECT_TRUE(found);
  EXPECT_TRUE(gov_.Boundaries(As("rep_a1"), org_.region).ok());
  EXPECT_EQ(gov_.Boundaries(As("rep_b"), org_.unit_a).status().kind(), ErrorKind::kNotFound);

  // Reports: HQ sees all, a unit its subtree; beyond the limits it is not a report but an approval.
  ASSERT_TRUE(gov_.Report(org_.tenant, org_.unit_a, "expense", "expenses", 0, 5000, "客户答谢晚宴", org_.users["lead_a"]).ok());
  auto added = gov_.AddReport(As("rep_a1"), {.action = "expense", .summary = "展会物料", .amount = 800});
  ASSERT_TRUE(added.ok()) << added.status().ToString();
  EXPECT_EQ(added->decision.mode, "alone");
  EXPECT_EQ(gov_.AddReport(As("rep_a1"), {.action = "expense", .summary = "x", .amount = 20000}).status().code(), "boundary.needs_approval");
  EXPECT_EQ(gov_.AddReport(As("rep_a1"), {.unit_id = org_.unit_b, .action = "expense", .summary = "x", .amount = 1}).status().kind(),
            ErrorKind::kForbidden);
  EXPECT_EQ(gov_.Reports(As("ops"), {}).value().items.size(), 2u);
  EXPECT_EQ(gov_.Reports(As("lead_a"), {}).value().items.size(), 2u);
  EXPECT_EQ(gov_.Reports(As("lead_b"), {}).value().items.size(), 0u);
  // The report names the tier it was decided under (the region's "report up to 10,000").
  EXPECT_EQ(gov_.Reports(As("ops"), {}).value().items[1].rule_id.value_or(0), at(org_.unit_a, "expense", 5000).rule_id);
}

TEST_P(GovernanceTest, ABlockingCheckpointStopsASubmissionUntilAUnitLeadOverridesIt) {
  // Saved only when it type-checks, on an object Keel has.
  EXPECT_EQ(gov_.SaveCheckpoint(As("ops"), {.name = "x", .object = "quotes", .on = "submit", .when = "line_discount_pct >",
                                            .action = "block", .message_zh = "x", .message_en = "x"}).status().field().rfind("when", 0), 0u);
  EXPECT_EQ(gov_.SaveCheckpoint(As("ops"), {.name = "x", .object = "no_such_things", .on = "submit", .when = "missing_receipts > 0",
                                            .action = "block", .message_zh = "x", .message_en = "x"}).status().field(), "object");
  EXPECT_EQ(gov_.SaveCheckpoint(As("lead_a"), {.name = "x"}).status().kind(), ErrorKind::kForbidden);
  auto block = gov_.SaveCheckpoint(As("ops"), {.name = "空调折扣超过 15%", .object = "quotes", .on = "submit",
                                               .when = "line_discount_pct > 15 AND CONTAINS(line_category, \"空调\")", .action = "block",
                                               .message_zh = "空调折扣超过 15%", .message_en = "More than 15 % off an air conditioner"});
  ASSERT_TRUE(block.ok()) << block.status().ToString();
  ASSERT_TRUE(gov_.SaveCheckpoint(As("ops"), {.name = "大额报价", .object = "quotes", .on = "submit", .when = "total > 100000",
                                              .action = "flag", .message_zh = "大额报价", .message_en = "A large quote"}).ok());
  EXPECT_EQ(gov_.SaveCheckpoint(As("ops"), {.name = "大额报价", .object = "quotes", .on = "submit", .when = "total > 1",
                                            .action = "flag", .message_zh = "x", .message_en = "x"}).status().code(), "compliance.duplicate");

  // Reps of unit A may give 25 %: what stops the quote below is compliance, not pricing authority.
  ASSERT_TRUE(commerce_.SaveAuthority(As("ops"), {.unit_id = org_.unit_a, .role = "rep", .max_discount_pct = 25}).ok());
  int64_t q = Quote("rep_a1", "Q-C1", {AcLine(20, 40)});  // 40 × 3,299 × 0.8 = 105,568: blocked and flagged
  auto refused = commerce_.SubmitQuote(As("rep_a1"), q, {});
  EXPECT_EQ(refused.status().code(), "compliance.blocked");
  EXPECT_EQ(refused.status().kind(), ErrorKind::kUnprocessable);
  EXPECT_NE(refused.status().message_zh().find("空调折扣超过 15%"), std::string::npos);
  EXPECT_EQ(QuoteStatus(q), "draft");
  // A rep cannot override, whatever the reason.
  EXPECT_EQ(commerce_.SubmitQuote(As("rep_a1"), q, {.override_reason = "客户是战略合作伙伴"}).status().code(), "compliance.override_forbidden");
  EXPECT_EQ(commerce_.SubmitQuote(As("lead_a"), q, {.override_reason = "急"}).status().field(), "override_reason");
  EXPECT_EQ(QuoteStatus(q), "draft");
  // The unit lead overrides with a reason: it passes (on to approval), and the override is on record.
  auto passed = commerce_.SubmitQuote(As("lead_a"), q, {.override_reason = "战略客户年度集采，总部已口头同意"});
  ASSERT_TRUE(passed.ok()) << passed.status().ToString();
  ASSERT_EQ(passed->compliance["overrides"].size(), 1u);
  EXPECT_EQ(passed->compliance["overrides"][0]["name"], "空调折扣超过 15%");
  EXPECT_EQ(passed->compliance["overrides"][0]["by"], org_.users["lead_a"]);
  ASSERT_EQ(passed->compliance["flags"].size(), 1u);
  EXPECT_EQ(passed->compliance["flags"][0]["name"], "大额报价");
  EXPECT_EQ(QuoteStatus(q), "approved");

  auto events = gov_.ComplianceEvents(As("auditor"), {{"record_id", std::to_string(q)}}).value().items;
  std::map<std::string, int> outcomes;
  for (const auto& e : events) ++outcomes[e.outcome];
  EXPECT_EQ(outcomes["blocked"], 2);  // the rep's two attempts
  EXPECT_EQ(outcomes["overridden"], 1);
  EXPECT_EQ(outcomes["flagged"], 3);
  EXPECT_EQ((events[0].outcome == "overridden" ? events[0].reason : events[1].reason).value_or(""), "战略客户年度集采，总部已口头同意");
  EXPECT_EQ(Count("SELECT COUNT(*) FROM audit_log WHERE tenant_id = ? AND action = 'compliance.override' AND actor_id = ? AND entity_id = ?",
                  {org_.tenant, org_.users["lead_a"], q}), 1);
  EXPECT_EQ(gov_.ComplianceEvents(As("lead_a"), {}).value().items.size(), events.size());
  EXPECT_EQ(gov_.ComplianceEvents(As("lead_b"), {}).value().items.size(), 0u);
  EXPECT_EQ(gov_.ComplianceEvents(As("rep_a1"), {}).status().kind(), ErrorKind::kForbidden);

  // Line by line: a deep discount on something else, and a small one on an AC, pass.
  int64_t fan = MustCreate(*rs_, domain::Principal::System(org_.tenant), "products",
                           {{"sku", "FAN-1"}, {"name", "落地扇"}, {"category_path", "家电/风扇"}, {"price", 299}, {"cost", 150}});
  int64_t q2 = Quote("rep_a1", "Q-C2", {AcLine(5, 1), {{"product_id", fan}, {"qty", 1}, {"unit_price", 299}, {"discount_pct", 30}}});
  auto ok2 = commerce_.SubmitQuote(As("rep_a1"), q2, {});
  ASSERT_TRUE(ok2.ok()) << ok2.status().ToString();
  EXPECT_TRUE(ok2->compliance["flags"].empty());
  // A checkpoint switched off no longer applies.
  ASSERT_TRUE(gov_.UpdateCheckpoint(As("admin"), block->id, {.active = false}).ok());
  EXPECT_TRUE(commerce_.SubmitQuote(As("rep_a1"), Quote("rep_a1", "Q-C3", {AcLine(20, 1)}), {}).ok());
  // Checking another object works from the record's fields alone (a contract without legal review).
  ASSERT_TRUE(gov_.SaveCheckpoint(As("ops"), {.name = "合同未经法务审核", .object = "contracts", .on = "sign",
                                              .when = "ISBLANK(legal_reviewed) OR legal_reviewed = FALSE", .action = "flag",
                                              .message_zh = "合同尚未经过法务审核", .message_en = "Not reviewed by legal"}).ok());
  auto flagged = gov_.Check(As("rep_a1"), "contracts", "sign", 42, {{"legal_reviewed", false}, {"unit_id", org_.unit_a}}, "");
  ASSERT_TRUE(flagged.ok());
  EXPECT_EQ(flagged->flags.size(), 1u);
  EXPECT_TRUE(gov_.Check(As("rep_a1"), "contracts", "sign", 42, {{"legal_reviewed", true}}, "").value().flags.empty());
}

TEST_P(GovernanceTest, CheckpointsAreDefinedOnlyWhereKeelRunsThem) {
  auto save = [&](const std::string& object, const std::string& on) {
    return gov_.SaveCheckpoint(As("ops"), {.name = object + "/" + on, .object = object, .on = on, .when = "1 > 0",
                                           .action = "flag", .message_zh = "x", .message_en = "x"});
  };
  for (const auto& [object, on] : std::vector<std::pair<std::string, std::string>>{{"quotes", "submit"}, {"contracts", "sign"}, {"expenses", "submit"}}) {
    auto saved = save(object, on);
    EXPECT_TRUE(saved.ok()) << object << "/" << on << ": " << saved.status().ToString();
  }
  for (const auto& [object, on] : std::vector<std::pair<std::string, std::string>>{
           {"quotes", "post"}, {"expenses", "post"}, {"opportunities", "create"}, {"quotes", "sign"}, {"orders", "submit"}, {"quotes", "whenever"}}) {
    Status refused = save(object, on).status();
    EXPECT_EQ(refused.code(), "compliance.trigger_unsupported") << object << "/" << on;
    EXPECT_EQ(refused.field(), "on") << object << "/" << on;
    EXPECT_EQ(refused.kind(), ErrorKind::kInvalid) << object << "/" << on;
  }
  EXPECT_EQ(save("quotes", "").status().code(), "validation.required");

  // One stored before such moments were refused still runs nowhere, but HQ can switch it off;
  // moving it to another moment nothing runs is refused.
  int64_t legacy = 0;
  {
    auto c = std::move(db_->Acquire()).value();
    legacy = c->AllocateIds(1).value()[0];
    store::Value q[] = {org_.tenant, legacy};
    ASSERT_TRUE(c->Exec("INSERT INTO compliance_checkpoints (tenant_id, id, name, object, on_event, condition_expr, outcome, message_zh, message_en, "
                        "active, created_at, updated_at) VALUES (?, ?, 'legacy', 'expenses', 'post', '1 > 0', 'flag', 'x', 'x', 1, "
                        "'2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')", q).ok());
  }
  auto off = gov_.UpdateCheckpoint(As("ops"), legacy, {.active = false});
  ASSERT_TRUE(off.ok()) << off.status().ToString();
  EXPECT_FALSE(off->active);
  EXPECT_EQ(gov_.UpdateCheckpoint(As("ops"), legacy, {.on = "create"}).status().code(), "compliance.trigger_unsupported");
  EXPECT_TRUE(gov_.UpdateCheckpoint(As("ops"), legacy, {.on = "submit"}).ok());
}

TEST_P(GovernanceTest, UnitLeadsManageMembersOnlyInsideTheirSandbox) {
  json rep = {{"username", "new_rep"}, {"display_name", "新人"}, {"role", "rep"}, {"password", "welcome-to-keel-1"}};
  EXPECT_EQ(gov_.AddMember(As("lead_a"), org_.unit_a, rep).status().code(), "sandbox.none");
  EXPECT_EQ(gov_.SetSandbox(As("ops"), org_.unit_a, {.allowed_roles = {{"rep", "hq_ops"}}}).status().code(), "sandbox.role_not_grantable");
  EXPECT_EQ(gov_.SetSandbox(As("lead_a"), org_.unit_a, {.allowed_roles = {{"rep"}}}).status().kind(), ErrorKind::kForbidden);
  // Unit A has 5 active members (lead, supervisor, three reps): room for one more.
  auto sb = gov_.SetSandbox(As("ops"), org_.unit_a, {.allowed_roles = {{"rep"}}, .max_members = 6, .may_disable = false});
  ASSERT_TRUE(sb.ok()) << sb.status().ToString();
  EXPECT_EQ(sb->headcount, 5);

  EXPECT_EQ(gov_.AddMember(As("rep_a1"), org_.unit_a, rep).status().code(), "sandbox.not_lead");
  EXPECT_EQ(gov_.AddMember(As("lead_a"), org_.unit_b, rep).status().code(), "sandbox.outside_subtree");
  json sup = rep;
  sup["role"] = "supervisor";
  auto refused = gov_.AddMember(As("lead_a"), org_.unit_a, sup);
  EXPECT_EQ(refused.status().code(), "sandbox.role");
  EXPECT_EQ(refused.status().kind(), ErrorKind::kForbidden);
  EXPECT_NE(refused.status().message_en().find("allowed: rep"), std::string::npos);
  auto added = gov_.AddMember(As("lead_a"), org_.store_unit_a, rep);
  ASSERT_TRUE(added.ok()) << added.status().ToString();
  EXPECT_EQ((*added)["unit_id"], org_.store_unit_a);
  EXPECT_TRUE(auth_->Login("acme", "new_rep", "welcome-to-keel-1", "127.0.0.1").ok());  // the password was hashed as usual
  json another = rep;
  another["username"] = "one_too_many";
  auto full = gov_.AddMember(As("lead_a"), org_.unit_a, another);
  EXPECT_EQ(full.status().code(), "sandbox.headcount");
  EXPECT_NE(full.status().message_en().find("limit is 6"), std::string::npos);

  int64_t rep_a2 = org_.users["rep_a2"];
  EXPECT_EQ(gov_.UpdateMember(As("lead_a"), org_.unit_a, rep_a2, {{"status", "disabled"}}).status().code(), "sandbox.disable");
  EXPECT_EQ(gov_.UpdateMember(As("lead_a"), org_.unit_a, org_.users["sup_a"], {{"role", "rep"}}).status().code(), "sandbox.role");
  EXPECT_EQ(gov_.UpdateMember(As("lead_a"), org_.unit_a, rep_a2, {{"role", "supervisor"}}).status().code(), "sandbox.role");
  EXPECT_EQ(gov_.UpdateMember(As("lead_a"), org_.unit_a, org_.users["rep_b"], {{"display_name", "x"}}).status().kind(), ErrorKind::kNotFound);
  EXPECT_EQ(gov_.UpdateMember(As("lead_a"), org_.unit_a, rep_a2, {{"unit_id", org_.unit_b}}).status().code(), "sandbox.outside_subtree");
  EXPECT_EQ(gov_.UpdateMember(As("lead_a"), org_.unit_a, org_.users["lead_a"], {{"display_name", "x"}}).status().code(), "sandbox.self");
  auto moved = gov_.UpdateMember(As("lead_a"), org_.unit_a, rep_a2, {{"unit_id", org_.store_unit_a}});
  ASSERT_TRUE(moved.ok()) << moved.status().ToString();
  EXPECT_EQ((*moved)["unit_id"], org_.store_unit_a);

  // Allowed to disable: the member is disabled (and logged out), which frees a place.
  ASSERT_TRUE(gov_.SetSandbox(As("admin"), org_.unit_a, {.allowed_roles = {{"rep"}}, .max_members = 6, .may_disable = true}).ok());
  auto login = auth_->Login("acme", "rep_a2", testing::kTestPassword, "127.0.0.1");
  ASSERT_TRUE(login.ok());
  ASSERT_TRUE(gov_.UpdateMember(As("lead_a"), org_.unit_a, rep_a2, {{"status", "disabled"}}).ok());
  EXPECT_FALSE(auth_->Authenticate(login->token).ok());
  EXPECT_TRUE(gov_.AddMember(As("lead_a"), org_.unit_a, another).ok());
  EXPECT_EQ(gov_.UpdateMember(As("lead_a"), org_.unit_a, rep_a2, {{"status", "active"}}).status().code(), "sandbox.headcount");

  // Every change is logged with the lead who made it; the user writes are in the audit log too.
  auto log = gov_.Sandbox(As("lead_a"), org_.unit_a).value().log;
  ASSERT_EQ(log.size(), 4u);
  EXPECT_EQ(log[0].action, "create");
  EXPECT_EQ(log[1].action, "disable");
  EXPECT_EQ(log[2].action, "move");
  for (const auto& l : log) EXPECT_EQ(l.actor_id, org_.users["lead_a"]);
  EXPECT_GE(Count("SELECT COUNT(*) FROM audit_log WHERE tenant_id = ? AND entity = 'users' AND entity_id = ? AND action = 'update'", {org_.tenant, rep_a2}), 2);
  EXPECT_EQ(gov_.Sandbox(As("lead_b"), org_.unit_a).status().kind(), ErrorKind::kForbidden);
  EXPECT_EQ(gov_.Members(As("lead_a"), org_.unit_a).value().headcount, 6);
}

INSTANTIATE_TEST_SUITE_P(Backends, GovernanceTest, ::testing::Values(TestBackend::kSqlite, TestBackend::kPostgres),
                         [](const auto& info) { return testing::BackendName(info.param); });

}  // namespace
}  // namespace keel::org
