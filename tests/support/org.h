// A small organisation for tests: one tenant with HQ ▸ region ▸ two units (+ a store), and a
// user of every role, built through the domain layer.
#pragma once

#include <map>
#include <string>

#include "domain/auth.h"
#include "domain/records.h"
#include "support/test_db.h"

namespace keel::testing {

struct Org {
  int64_t tenant = 0;
  int64_t hq = 0, region = 0, unit_a = 0, unit_b = 0, store_unit_a = 0, store_a = 0;
  // username → id: admin, ops, lead_a, sup_a, rep_a1, rep_a2, rep_a3 (other supervisor),
  // lead_b, rep_b, analyst, auditor
  std::map<std::string, int64_t> users;
  std::map<std::string, domain::Principal> as;  // username → principal
  int64_t product = 0;
};

inline const char* kTestPassword = "correct-horse-battery";

// Creates tenant `code` and its organisation; throws on failure.
Org BuildOrg(domain::RecordService& rs, domain::AuthService& auth, const std::string& code);

// A fresh database (either backend) with a record service, an auth service on a manual clock
// (2026-11-27T02:00Z) and the "acme" organisation — what the domain tests start from.
struct DomainEnv {
  explicit DomainEnv(TestBackend backend, domain::AuthOptions auth_options = {});
  ManualClock clock{MsFromCivil(2026, 11, 27, 2, 0, 0)};
  std::string url;  // of the database, for a second pool on it (another node)
  std::unique_ptr<store::Database> db;
  std::unique_ptr<domain::RecordService> rs;
  std::unique_ptr<domain::AuthService> auth;
  Org org;
};

// Base for domain fixtures: the environment plus the short member names the tests use.
class DomainFixtureBase {
 protected:
  explicit DomainFixtureBase(TestBackend backend, domain::AuthOptions options = {}) : env_(backend, options) {}
  DomainEnv env_;
  ManualClock& clock_ = env_.clock;
  std::unique_ptr<store::Database>& db_ = env_.db;
  std::unique_ptr<domain::RecordService>& rs_ = env_.rs;
  std::unique_ptr<domain::AuthService>& auth_ = env_.auth;
  Org& org_ = env_.org;
};

// Shorthand: create and return the id, failing the test on error.
int64_t MustCreate(domain::RecordService& rs, const domain::Principal& p, const std::string& entity,
                   const nlohmann::json& body);

}  // namespace keel::testing
