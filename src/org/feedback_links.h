// Public feedback links (客户反馈链接): HQ or a unit lead makes a link for a unit or a store; a
// customer who has it (a QR code at the till, a message after delivery) rates and comments
// without an account, and the answer becomes a `feedback` record of that unit/store (channel
// public_link), analysed for sentiment like every other feedback.
//
// The link is a random token shown once; only its SHA-256 is stored (like API keys). A revoked,
// expired or unknown token is a 404 with nothing about why. Each link takes at most
// `max_posts_per_minute` submissions per minute (a conditional UPDATE, so it holds across
// threads and nodes); beyond that a 429. Thread-safe.
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "common/time.h"
#include "domain/model.h"
#include "domain/records.h"
#include "store/database.h"

namespace keel::org {

using json = nlohmann::json;
using domain::Principal;

struct FeedbackLinkOptions {
  int max_posts_per_minute = 10;
};

class FeedbackLinkService {
 public:
  // `db`, `records` and `clock` must outlive the service.
  FeedbackLinkService(store::Database& db, domain::RecordService& records, const Clock& clock,
                      FeedbackLinkOptions options = {});

  // {unit_id?, store_id?, title?, expires_at?} → the link with its `token` (only in this reply).
  // HQ for any unit, unit leads inside their subtree; the unit defaults to the store's, then the
  // caller's.
  Result<json> Create(const Principal& p, const json& body);
  // The links of the caller's part of the tree (HQ and read-all roles: every link), never a token.
  Result<json> List(const Principal& p);
  // Ends a link for good (HQ, or a unit lead for their subtree). Revoking twice is a no-op.
  Result<json> Revoke(const Principal& p, int64_t id);

  // Anonymous. What the form shows: the company, the unit or store, the title, labels in zh/en.
  Result<json> Form(const std::string& token);
  // Anonymous. {rating 1-5, text?, contact?, customer_name?} → a feedback record.
  Result<json> Submit(const std::string& token, const json& body, const std::string& request_id);

 private:
  struct Link;
  Result<Link> Find(store::Connection& conn, const std::string& token);
  Result<json> Describe(store::Connection& conn, int64_t tenant, int64_t id);

  store::Database& db_;
  domain::RecordService& records_;
  const Clock& clock_;
  FeedbackLinkOptions options_;
};

}  // namespace keel::org
