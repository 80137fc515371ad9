#include "org/store/feedback_links.h"

#include "domain/unit_tree.h"

namespace keel::org::repo {

using store::Nullable;
using store::Value;

namespace {

const char* kLinkSelect =
    "SELECT l.id, l.unit_id, un.name AS unit, un.path AS unit_path, l.store_id, s.name AS store, l.title, l.prefix, l.expires_at, "
    "l.revoked_at, l.created_at, l.created_by, l.submissions, l.last_submitted_at FROM feedback_links l "
    "JOIN units un ON un.tenant_id = l.tenant_id AND un.id = l.unit_id "
    "LEFT JOIN stores s ON s.tenant_id = l.tenant_id AND s.id = l.store_id ";

FeedbackLinkRow LinkOf(const store::Row& r) {
  return {.id = r.Int("id"), .unit_id = r.Int("unit_id"), .unit = r.Text("unit"), .unit_path = r.Text("unit_path"),
          .store_id = r.OptInt("store_id"), .store = r.OptText("store"), .title = r.OptText("title"), .prefix = r.Text("prefix"),
          .expires_at = r.OptText("expires_at"), .revoked_at = r.OptText("revoked_at"), .created_at = r.Text("created_at"),
          .created_by = r.OptInt("created_by"), .submissions = r.Int("submissions"), .last_submitted_at = r.OptText("last_submitted_at")};
}

}  // namespace

Result<std::optional<FeedbackLinkRow>> LoadFeedbackLink(store::Connection& conn, int64_t tenant, int64_t id) {
  Value q[] = {tenant, id};
  KEEL_ASSIGN_OR_RETURN(store::Rows r, conn.Query(std::string(kLinkSelect) + "WHERE l.tenant_id = ? AND l.id = ?", q));
  if (r.empty()) return std::optional<FeedbackLinkRow>();
  return std::optional<FeedbackLinkRow>(LinkOf(r.row(0)));
}

Result<std::vector<FeedbackLinkRow>> ListFeedbackLinks(store::Connection& conn, int64_t tenant, const std::optional<std::string>& within) {
  std::vector<Value> params = {tenant};
  std::string where = "WHERE l.tenant_id = ?";
  if (within) where += domain::UnitTree::PathWithin("un.path", *within, params);
  KEEL_ASSIGN_OR_RETURN(store::Rows r, conn.Query(std::string(kLinkSelect) + where + " ORDER BY l.id DESC LIMIT 1000", params));
  std::vector<FeedbackLinkRow> out;
  for (store::Row row : r) out.push_back(LinkOf(row));
  return out;
}

Status InsertFeedbackLink(store::Connection& conn, int64_t tenant, const FeedbackLinkRow& l, const std::string& token_hash) {
  Value q[] = {tenant, l.id, l.unit_id, Nullable(l.store_id), Nullable(l.title), l.prefix, token_hash, Nullable(l.expires_at), l.created_at,
               Nullable(l.created_by)};
  return conn.Exec("INSERT INTO feedback_links (tenant_id, id, unit_id, store_id, title, prefix, token_hash, expires_at, created_at, "
                   "created_by, window_count, submissions) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, 0)", q).status();
}

Status RevokeFeedbackLink(store::Connection& conn, int64_t tenant, int64_t id, const std::string& at) {
  Value q[] = {at, tenant, id};
  return conn.Exec("UPDATE feedback_links SET revoked_at = ? WHERE tenant_id = ? AND id = ?", q).status();
}

Result<std::optional<StoreUnit>> LoadStoreUnit(store::Connection& conn, int64_t tenant, int64_t store) {
  Value q[] = {tenant, store};
  KEEL_ASSIGN_OR_RETURN(store::Rows r, conn.Query(
      "SELECT s.unit_id, u.path FROM stores s JOIN units u ON u.tenant_id = s.tenant_id AND u.id = s.unit_id "
      "WHERE s.tenant_id = ? AND s.id = ? AND s.archived_at IS NULL", q));
  if (r.empty()) return std::optional<StoreUnit>();
  return std::optional<StoreUnit>(StoreUnit{r.row(0).Int("unit_id"), r.row(0).Text("path")});
}

Result<std::optional<PublicLinkRow>> FindLinkByTokenHash(store::Connection& conn, const std::string& token_hash) {
  Value q[] = {token_hash};
  KEEL_ASSIGN_OR_RETURN(store::Rows r, conn.Query(
      "SELECT l.token_hash, l.revoked_at, l.expires_at, t.status AS tenant_status, l.tenant_id, l.id, l.unit_id, l.store_id, l.title, "
      "t.name AS company, t.locale, un.name AS unit_name, un.name_en AS unit_name_en, s.name AS store_name FROM feedback_links l "
      "JOIN tenants t ON t.id = l.tenant_id JOIN units un ON un.tenant_id = l.tenant_id AND un.id = l.unit_id "
      "LEFT JOIN stores s ON s.tenant_id = l.tenant_id AND s.id = l.store_id WHERE l.token_hash = ?", q));
  if (r.empty()) return std::optional<PublicLinkRow>();
  store::Row row = r.row(0);
  return std::optional<PublicLinkRow>(PublicLinkRow{
      .token_hash = row.Text("token_hash"), .revoked_at = row.OptText("revoked_at"), .expires_at = row.OptText("expires_at"),
      .tenant_status = row.Text("tenant_status"), .tenant_id = row.Int("tenant_id"), .id = row.Int("id"), .unit_id = row.Int("unit_id"),
      .store_id = row.OptInt("store_id"), .title = row.OptText("title"), .company = row.Text("company"), .locale = row.Text("locale"),
      .unit_name = row.Text("unit_name"), .unit_name_en = row.OptText("unit_name_en"), .store_name = row.OptText("store_name")});
}

Result<int64_t> CountSubmission(store::Connection& conn, int64_t tenant, int64_t id, const std::string& now, const std::string& window_open,
                                int64_t max_per_window) {
  Value q[] = {window_open, window_open, now, now, tenant, id, window_open, max_per_window};
  return conn.Exec(
      "UPDATE feedback_links SET "
      "window_count = CASE WHEN window_start IS NULL OR window_start <= ? THEN 1 ELSE window_count + 1 END, "
      "window_start = CASE WHEN window_start IS NULL OR window_start <= ? THEN ? ELSE window_start END, "
      "submissions = submissions + 1, last_submitted_at = ? "
      "WHERE tenant_id = ? AND id = ? AND (window_start IS NULL OR window_start <= ? OR window_count < ?)", q);
}

}  // namespace keel::org::repo
