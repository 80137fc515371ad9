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

TEST_P(AuthTest, WrongPasswordsLockTheAccountAndUnknownUsersLookTheSame) {
  auto unknown = auth_->Login("acme", "nobody", "whatever-password", "10.0.0.2");
  auto wrong = auth_->Login("acme", "rep_a2", "whatever-password", "10.0.0.2");
  EXPECT_EQ(unknown.status().code(), wrong.status().code());
  EXPECT_EQ(unknown.status().message_en(), wrong.status().message_en());
  for (int i = 0; i < 4; ++i) (void)auth_->Login("acme", "rep_a2", "bad-password-x", "10.0.0.3");
  // Locked: even the right password is refused, with the same answer as a wrong one.
  auto locked = auth_->Login("acme", "rep_a2", testing::kTestPassword, "10.0.0.4");
  EXPECT_EQ(locked.status().code(), wrong.status().code());
  EXPECT_EQ(locked.status().message_en(), wrong.status().message_en());
  EXPECT_EQ(HttpStatusOf(locked.status().kind()), 401);
  clock_.Advance(16 * 60 * 1000);
  EXPECT_TRUE(auth_->Login("acme", "rep_a2", testing::kTestPassword, "10.0.0.4").ok());
  // A user without a password cannot log in with an empty one.
  EXPECT_FALSE(auth_->Login("acme", "rep_a2", "", "10.0.0.5").ok());
}

TEST_P(AuthTest, FailuresFromOneAddressAreRateLimited) {
  for (int i = 0; i < 8; ++i) (void)auth_->Login("acme", "nobody" + std::to_string(i), "x-password-1", "10.9.9.9");
  auto limited = auth_->Login("acme", "rep_a1", testing::kTestPassword, "10.9.9.9");
  EXPECT_EQ(limited.status().code(), "auth.rate_limited");
  EXPECT_TRUE(auth_->Login("acme", "rep_a1", testing::kTestPassword, "10.1.1.1").ok());
}

TEST_P(AuthTest, ApiKeysAreAdminOnlyShownOnceAndRevocable) {
  EXPECT_EQ(auth_->CreateApiKey(org_.as["ops"], {{"name", "pos"}}).status().kind(), ErrorKind::kForbidden);
  auto k = auth_->CreateApiKey(org_.as["admin"], {{"name", "POS 接口"}, {"expires_in_days", 30}});
  ASSERT_TRUE(k.ok()) << k.status().ToString();
  std::string token = (*k)["token"];
  EXPECT_EQ(token.rfind("kak_", 0), 0u);
  auto p = auth_->Authenticate(token);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->role, Role::kAdmin);
  auto list = auth_->ListApiKeys(org_.as["admin"]);
  EXPECT_EQ((*list)["items"].size(), 1u);
  EXPECT_FALSE((*list)["items"][0].contains("token"));
  ASSERT_TRUE(auth_->RevokeApiKey(org_.as["admin"], (*k)["id"]).ok());
  EXPECT_FALSE(auth_->Authenticate(token).ok());
  EXPECT_EQ(auth_->CreateApiKey(org_.as["admin"], {{"name", "x"}, {"user_id", 999999}}).status().code(), "validation.reference");
  EXPECT_EQ(auth_->CreateApiKey(org_.as["admin"], {{"nme", "x"}}).status().code(), "validation.unknown_field");
}

TEST_P(AuthTest, ChangingAPasswordEndsSessionsAndSecurityChangesAreLogged) {
  auto r = auth_->Login("acme", "rep_a1", testing::kTestPassword, "10.0.0.6");
  ASSERT_TRUE(r.ok());
  ASSERT_TRUE(rs_->Update(org_.as["admin"], *FindEntity("users"), org_.users["rep_a1"],
                          {{"password", "a-brand-new-password"}}).ok());
  EXPECT_FALSE(auth_->Authenticate(r->token).ok());
  EXPECT_TRUE(auth_->Login("acme", "rep_a1", "a-brand-new-password", "10.0.0.6").ok());
  auto k = auth_->CreateApiKey(org_.as["admin"], {{"name", "erp"}});
  ASSERT_TRUE(auth_->RevokeApiKey(org_.as["admin"], (*k)["id"]).ok());
  auto log = rs_->AuditLog(org_.as["auditor"], {{"entity", "api_keys"}});
  ASSERT_EQ(log->items.size(), 2u);
  EXPECT_EQ(log->items[0]["action"], "api_key.revoked");
  EXPECT_EQ(log->items[1]["action"], "api_key.created");
  EXPECT_EQ(log->items[1]["after"].dump().find((*k)["token"].get<std::string>()), std::string::npos);
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
