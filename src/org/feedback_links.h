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
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "common/time.h"
#include "domain/model.h"
#include "domain/records.h"
#include "store/database.h"

namespace keel::org {

using domain::Principal;

struct FeedbackLinkOptions {
  int max_posts_per_minute = 10;
};

// The longest answer text, contact or name, and link title, in characters.
inline constexpr int kFeedbackMaxText = 2000, kFeedbackMaxContact = 100, kFeedbackMaxTitle = 100;

// A link as its unit sees it (never its token, but once: in what Create returns).
struct FeedbackLink {
  int64_t id = 0, unit_id = 0;
  std::string unit;  // the unit's name
  std::optional<int64_t> store_id;
  std::optional<std::string> store, title;
  std::string prefix;  // the token's first characters, to tell links apart
  std::optional<std::string> expires_at, revoked_at;
  std::string created_at;
  std::optional<int64_t> created_by;
  int64_t submissions = 0;
  std::optional<std::string> last_submitted_at;
  std::string status;               // active, revoked or expired
  std::optional<std::string> token;  // Create only
};

// A new link as requested: the unit (0: the store's, else the caller's), the store (0: none), a
// title (trimmed) and when it ends. `problem` is the first thing wrong with the request's shape
// (an unknown member, an id or a time that is not one, a title too long), reported after the
// permission check.
struct FeedbackLinkDraft {
  int64_t unit_id = 0, store_id = 0;
  std::string title;
  std::optional<TimeMs> expires_at;
  Status problem;
};

// What the public form shows of its link.
struct FeedbackForm {
  std::string company, unit;
  std::optional<std::string> unit_en, store, title;
  std::string locale;
};

// A customer's answer: a rating 1-5 and optional texts (trimmed). `problem` is the first thing
// wrong with it (an unknown member, no rating or one out of range, a text too long), reported
// before the link is looked at.
struct FeedbackAnswer {
  int64_t rating = 0;
  std::string text, contact, customer_name;
  Status problem;
};

class FeedbackLinkService {
 public:
  // `db`, `records` and `clock` must outlive the service.
  FeedbackLinkService(store::Database& db, domain::RecordService& records, const Clock& clock,
                      FeedbackLinkOptions options = {});

  // A link with its `token` (only in this reply). HQ for any unit, unit leads inside their
  // subtree; the unit defaults to the store's, then the caller's.
  Result<FeedbackLink> Create(const Principal& p, const FeedbackLinkDraft& draft);
  // The links of the caller's part of the tree (HQ and read-all roles: every link), never a token.
  Result<std::vector<FeedbackLink>> List(const Principal& p);
  // Ends a link for good (HQ, or a unit lead for their subtree). Revoking twice is a no-op.
  Result<FeedbackLink> Revoke(const Principal& p, int64_t id);

  // Anonymous. What the form shows: the company, the unit or store, the title.
  Result<FeedbackForm> Form(const std::string& token);
  // Anonymous. The answer becomes a feedback record of the link's unit (and store); 404 for a
  // link that is not open, 429 beyond the link's rate.
  Status Submit(const std::string& token, const FeedbackAnswer& answer, const std::string& request_id);

 private:
  struct Link;
  Result<Link> Find(store::Connection& conn, const std::string& token);
  Result<FeedbackLink> Describe(store::Connection& conn, int64_t tenant, int64_t id);

  store::Database& db_;
  domain::RecordService& records_;
  const Clock& clock_;
  FeedbackLinkOptions options_;
};

}  // namespace keel::org
