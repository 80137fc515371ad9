// The feedback links' repository: links (only a token's SHA-256 is stored), the lookup by token
// hash, the per-link rate-limit counter, and the store a link may name. Rows are read by column
// name; the caller holds the transaction. No permission checks.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "store/database.h"

namespace keel::org::repo {

struct FeedbackLinkRow {
  int64_t id = 0, unit_id = 0;
  std::string unit;  // name
  std::string unit_path;
  std::optional<int64_t> store_id;
  std::optional<std::string> store, title;
  std::string prefix;
  std::optional<std::string> expires_at, revoked_at;
  std::string created_at;
  std::optional<int64_t> created_by;
  int64_t submissions = 0;
  std::optional<std::string> last_submitted_at;
};
Result<std::optional<FeedbackLinkRow>> LoadFeedbackLink(store::Connection& conn, int64_t tenant, int64_t id);
// The newest 1000 links, within a unit subtree (a unit path) when `within` is set.
Result<std::vector<FeedbackLinkRow>> ListFeedbackLinks(store::Connection& conn, int64_t tenant, const std::optional<std::string>& within);
// A new link with its counters at 0.
Status InsertFeedbackLink(store::Connection& conn, int64_t tenant, const FeedbackLinkRow& link, const std::string& token_hash);
Status RevokeFeedbackLink(store::Connection& conn, int64_t tenant, int64_t id, const std::string& at);

// A live store's unit and that unit's path.
struct StoreUnit {
  int64_t unit_id = 0;
  std::string unit_path;
};
Result<std::optional<StoreUnit>> LoadStoreUnit(store::Connection& conn, int64_t tenant, int64_t store);

// What the public form needs of the link a token hash names, with the tenant's state. The only
// lookup not keyed by a tenant: the token names its tenant, as a session token does.
struct PublicLinkRow {
  std::string token_hash;
  std::optional<std::string> revoked_at, expires_at;
  std::string tenant_status;
  int64_t tenant_id = 0, id = 0, unit_id = 0;
  std::optional<int64_t> store_id;
  std::optional<std::string> title;
  std::string company, locale, unit_name;
  std::optional<std::string> unit_name_en, store_name;
};
Result<std::optional<PublicLinkRow>> FindLinkByTokenHash(store::Connection& conn, const std::string& token_hash);

// Counts one submission unless the link's window (a minute from `window_open`) already has
// `max_per_window`: a new window when the last began at or before `window_open`. Rows changed.
Result<int64_t> CountSubmission(store::Connection& conn, int64_t tenant, int64_t id, const std::string& now, const std::string& window_open,
                                int64_t max_per_window);

}  // namespace keel::org::repo
