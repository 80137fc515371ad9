#include "domain/auth.h"

#include <gtest/gtest.h>

#include "support/org.h"
#include "support/test_db.h"

namespace keel::domain {
namespace {

class AuthTest : public ::testing::TestWithParam<testing::TestBackend>, protected testing::DomainFixtureBase {
 protected:
  static AuthOptions Options() {
    AuthOptions o;
    o.max_failures_per_ip = 8;
    return o;
  }
  AuthTest() : DomainFixtureBase(GetParam(), Options()) {}
};

TEST_P(AuthTest, LoginIssuesARevocableExpiringToken) {
  auto r = auth_->Login("acme", "rep_a1", testing::kTestPassword, "10.0.0.1");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->token.rfind("kss_", 0), 0u);
  EXPECT_EQ(r->user["username"], "rep_a1");
  EXPECT_FALSE(r->user.contains("password"));
  auto p = auth_->Authenticate(r->token);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->user_id, org_.users["rep_a1"]);
  EXPECT_EQ(p->role, Role::kRep);
  // The token is stored only as a hash.
  auto c = std::move(db_->Acquire()).value();
  auto rows = c->Query("SELECT token_hash FROM sessions");
  EXPECT_EQ(store::AsText(rows->rows[0][0]).find(r->token), std::string::npos);
  EXPECT_EQ(store::AsText(rows->rows[0][0]).size(), 64u);
  ASSERT_TRUE(auth_->Logout(*p, r->token).ok());
  EXPECT_EQ(auth_->Authenticate(r->token).status().kind(), ErrorKind::kUnauthenticated);
  auto again = auth_->Login("acme", "rep_a1", testing::kTestPassword, "10.0.0.1");
  clock_.Advance(13 * 3600 * 1000LL);
  EXPECT_EQ(auth_->Authenticate(again->token).status().kind(), ErrorKind::kUnauthenticated);
}

TEST_P(AuthTest, WrongPasswordsThrottleTheAccountButNotItsOwnerAndUnknownUsersLookTheSame) {
  // rep_a2 has signed in from 10.0.0.9 before: that client is known.
  ASSERT_TRUE(auth_->Login("acme", "rep_a2", testing::kTestPassword, "10.0.0.9").ok());
  auto unknown = auth_->Login("acme", "nobody", "whatever-password", "10.0.0.2");
  auto wrong = auth_->Login("acme", "rep_a2", "whatever-password", "10.0.0.2");
  EXPECT_EQ(unknown.status().code(), wrong.status().code());
  EXPECT_EQ(unknown.status().message_en(), wrong.status().message_en());
  EXPECT_EQ(HttpStatusOf(wrong.status().kind()), 401);
  for (int i = 0; i < 4; ++i) (void)auth_->Login("acme", "rep_a2", "bad-password-x", "10.0.0.3");
  // Five failures: throttled for 30 s — a 429 that names the wait, for the right password from
  // a client this user never used too, and exactly the same for a name that does not exist.
  auto throttled = auth_->Login("acme", "rep_a2", testing::kTestPassword, "10.0.0.4");
  EXPECT_EQ(throttled.status().code(), "auth.throttled");
  EXPECT_EQ(HttpStatusOf(throttled.status().kind()), 429);
  EXPECT_NE(throttled.status().message_en().find("30 s"), std::string::npos) << throttled.status().message_en();
  for (int i = 0; i < 5; ++i) (void)auth_->Login("acme", "nobody", "whatever-password", "10.0.1." + std::to_string(i));
  auto ghost = auth_->Login("acme", "nobody", "whatever-password", "10.0.0.2");
  EXPECT_EQ(ghost.status().code(), "auth.throttled");
  // The attacker cannot lock the owner out: the right password from the known client works.
  EXPECT_TRUE(auth_->Login("acme", "rep_a2", testing::kTestPassword, "10.0.0.9").ok());
  // Nor other users: rep_a1 signs in from the attacker's own address.
  EXPECT_TRUE(auth_->Login("acme", "rep_a1", testing::kTestPassword, "10.0.0.3").ok());
  // Further failures double the wait (30 s, 60 s …) up to 15 minutes; then it passes.
  for (int i = 0; i < 5; ++i) (void)auth_->Login("acme", "rep_a3", "bad-password-x", "10.0.0.5");
  clock_.Advance(31 * 1000);
  (void)auth_->Login("acme", "rep_a3", "bad-password-x", "10.0.0.5");
  auto longer = auth_->Login("acme", "rep_a3", testing::kTestPassword, "10.0.0.6");
  EXPECT_NE(longer.status().message_en().find("60 s"), std::string::npos) << longer.status().message_en();
  clock_.Advance(61 * 1000);
  EXPECT_TRUE(auth_->Login("acme", "rep_a3", testing::kTestPassword, "10.0.0.6").ok());
  // A user without a password cannot log in with an empty one.
  EXPECT_FALSE(auth_->Login("acme", "rep_a2", "", "10.0.0.5").ok());
}

TEST(AuthOptionsTest, AnOfficeBehindOneAddressIsNotLockedOutByDefault) {
  // The default per-address budget is sized for an office behind one NAT (docs/api.md).
  EXPECT_GE(AuthOptions{}.max_failures_per_ip, 200);
}

TEST_P(AuthTest, FailuresFromOneAddressAreRateLimited) {
  for (int i = 0; i < 8; ++i) (void)auth_->Login("acme", "nobody" + std::to_string(i), "x-password-1", "10.9.9.9");
  auto limited = auth_->Login("acme", "rep_a1", testing::kTestPassword, "10.9.9.9");
  EXPECT_EQ(limited.status().code(), "auth.rate_limited");
  EXPECT_TRUE(auth_->Login("acme", "rep_a1", testing::kTestPassword, "10.1.1.1").ok());
}

TEST_P(AuthTest, ApiKeysAreAdminOnlyShownOnceAndRevocable) {
  EXPECT_EQ(auth_->CreateApiKey(org_.as["ops"], {.name = "pos"}).status().kind(), ErrorKind::kForbidden);
  auto k = auth_->CreateApiKey(org_.as["admin"], {.name = "POS 接口", .expires_in_days = 30});
  ASSERT_TRUE(k.ok()) << k.status().ToString();
  std::string token = k->token;
  EXPECT_EQ(token.rfind("kak_", 0), 0u);
  auto p = auth_->Authenticate(token);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->role, Role::kAdmin);
  auto list = auth_->ListApiKeys(org_.as["admin"]);
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].prefix, token.substr(0, 10));
  EXPECT_FALSE((*list)[0].revoked_at);
  ASSERT_TRUE(auth_->RevokeApiKey(org_.as["admin"], k->id).ok());
  EXPECT_FALSE(auth_->Authenticate(token).ok());
  EXPECT_EQ(auth_->CreateApiKey(org_.as["admin"], {.name = "x", .user_id = 999999}).status().code(), "validation.reference");
  EXPECT_EQ(auth_->CreateApiKey(org_.as["admin"], {.name = ""}).status().code(), "validation.required");
  EXPECT_EQ(auth_->CreateApiKey(org_.as["admin"], {.name = std::string(101, 'x')}).status().code(), "validation.too_long");
  EXPECT_EQ(auth_->CreateApiKey(org_.as["admin"], {.name = "x", .expires_in_days = 0}).status().code(), "validation.range");
  domain::ApiKeyRequest mistyped{.name = "x"};
  mistyped.problem = Status::Invalid("validation.unknown_field", "unknown field 'nme'", "未知字段 'nme'", "nme");
  EXPECT_EQ(auth_->CreateApiKey(org_.as["ops"], mistyped).status().kind(), ErrorKind::kForbidden);  // permission first
  EXPECT_EQ(auth_->CreateApiKey(org_.as["admin"], mistyped).status().code(), "validation.unknown_field");
}

TEST_P(AuthTest, ChangingAPasswordEndsSessionsAndSecurityChangesAreLogged) {
  auto r = auth_->Login("acme", "rep_a1", testing::kTestPassword, "10.0.0.6");
  ASSERT_TRUE(r.ok());
  ASSERT_TRUE(rs_->Update(org_.as["admin"], *FindEntity("users"), org_.users["rep_a1"],
                          {{"password", "a-brand-new-password"}}).ok());
  EXPECT_FALSE(auth_->Authenticate(r->token).ok());
  EXPECT_TRUE(auth_->Login("acme", "rep_a1", "a-brand-new-password", "10.0.0.6").ok());
  auto k = auth_->CreateApiKey(org_.as["admin"], {.name = "erp"});
  ASSERT_TRUE(auth_->RevokeApiKey(org_.as["admin"], k->id).ok());
  auto log = rs_->AuditLog(org_.as["auditor"], {{"entity", "api_keys"}});
  ASSERT_EQ(log->items.size(), 2u);
  EXPECT_EQ(log->items[0]["action"], "api_key.revoked");
  EXPECT_EQ(log->items[1]["action"], "api_key.created");
  EXPECT_EQ(log->items[1]["after"].dump().find(k->token), std::string::npos);
  auto audit = rs_->AuditLog(org_.as["auditor"], {{"entity", "users"}});
  EXPECT_EQ(audit->items[0]["after"].dump().find("a-brand-new-password"), std::string::npos);
}

TEST_P(AuthTest, DisablingAUserEndsTheirSessions) {
  auto r = auth_->Login("acme", "rep_b", testing::kTestPassword, "10.0.0.5");
  ASSERT_TRUE(r.ok());
  ASSERT_TRUE(rs_->Update(org_.as["admin"], *FindEntity("users"), org_.users["rep_b"], {{"status", "disabled"}}).ok());
  EXPECT_FALSE(auth_->Authenticate(r->token).ok());
  EXPECT_EQ(auth_->Login("acme", "rep_b", testing::kTestPassword, "10.0.0.5").status().code(), "auth.unauthenticated");
  EXPECT_FALSE(auth_->Authenticate("kss_forged").ok());
  EXPECT_FALSE(auth_->Authenticate("").ok());
}

INSTANTIATE_TEST_SUITE_P(Backends, AuthTest,
                         ::testing::Values(testing::TestBackend::kSqlite, testing::TestBackend::kPostgres),
                         [](const auto& info) { return testing::BackendName(info.param); });

}  // namespace
}  // namespace keel::domain
