// Versioned definitions (versions.h): one row per version, one active per name.
#include "domain/versions.h"

namespace keel::domain {

using store::Value;

Result<int> NextVersion(store::Connection& conn, const VersionedKind& kind, int64_t tenant_id, const std::string& name,
                        bool replace) {
  Value q[] = {tenant_id, name};
  KEEL_ASSIGN_OR_RETURN(store::Rows r, conn.Query(std::string("SELECT MAX(version) AS latest, SUM(CASE WHEN status = 'active' THEN 1 ELSE 0 END) AS active "
                                                              "FROM ") + kind.table + " WHERE tenant_id = ? AND name = ?", q));
  store::Row row = r.row(0);
  bool exists = !row.Null("latest");
  bool active = exists && !row.Null("active") && row.Int("active") > 0;
  if (!replace && active) {
    return Status::Error(ErrorKind::kConflict, kind.code,
                         std::string("a ") + kind.what_en + " named '" + name + "' exists; PUT a new version",
                         std::string("已存在名为 '") + name + "' 的" + kind.what_zh + "；请用 PUT 提交新版本", "name");
  }
  if (replace && !active) return Status::NotFound(kind.what_en, "name");
  return exists ? static_cast<int>(row.Int("latest")) + 1 : 1;
}

Status InsertVersion(store::Connection& conn, const VersionedKind& kind, int64_t tenant_id, const std::string& name,
                     int version, const std::string& definition, int64_t owner_id, TimeMs now) {
  Value q[] = {tenant_id, name};
  KEEL_RETURN_IF_ERROR(conn.Exec(std::string("UPDATE ") + kind.table +
                                     " SET status = 'superseded' WHERE tenant_id = ? AND name = ? AND status = 'active'", q).status());
  Value ins[] = {tenant_id, name, int64_t{version}, definition, std::string("active"), owner_id, FormatTimestamp(now)};
  return conn.Exec(std::string("INSERT INTO ") + kind.table +
                       " (tenant_id, name, version, definition, status, owner_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)", ins)
      .status();
}

Result<nlohmann::json> ActiveVersion(store::Connection& conn, const VersionedKind& kind, int64_t tenant_id, const std::string& name) {
  Value q[] = {tenant_id, name};
  KEEL_ASSIGN_OR_RETURN(store::Rows r, conn.Query(std::string("SELECT version, definition FROM ") + kind.table +
                                                      " WHERE tenant_id = ? AND name = ? AND status = 'active'", q));
  if (r.empty()) return nlohmann::json(nullptr);
  nlohmann::json d = nlohmann::json::parse(r.row(0).Text("definition"), nullptr, false);
  if (!d.is_object()) d = {{"name", name}};
  d["version"] = r.row(0).Int("version");
  return d;
}

}  // namespace keel::domain
