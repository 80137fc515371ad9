#include "org/store/materials.h"

namespace keel::org::repo {

using store::Nullable;
using store::Value;

Result<int64_t> LatestMaterialVersion(store::Connection& conn, int64_t tenant, int64_t material) {
  Value q[] = {tenant, material};
  KEEL_ASSIGN_OR_RETURN(store::Rows r, conn.Query(
      "SELECT COALESCE(MAX(version), 0) AS latest FROM material_versions WHERE tenant_id = ? AND material_id = ?", q));
  return r.row(0).Int("latest");
}

Status InsertMaterialVersion(store::Connection& conn, int64_t tenant, const MaterialVersionRow& v, const std::string& content_b64url) {
  Value q[] = {tenant, v.material_id, v.version, v.file_name, v.content_type, v.size_bytes, v.sha256, Nullable(v.note), content_b64url,
               v.created_at, Nullable(v.created_by)};
  return conn.Exec("INSERT INTO material_versions (tenant_id, material_id, version, file_name, content_type, size_bytes, "
                   "sha256, note, content, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", q).status();
}

Status SetLatestMaterialVersion(store::Connection& conn, int64_t tenant, const MaterialVersionRow& v) {
  Value q[] = {v.version, v.file_name, v.content_type, v.size_bytes, v.sha256, v.created_at, tenant, v.material_id};
  return conn.Exec("UPDATE materials SET latest_version = ?, file_name = ?, content_type = ?, size_bytes = ?, sha256 = ?, "
                   "updated_at = ? WHERE tenant_id = ? AND id = ?", q).status();
}

Result<std::vector<MaterialVersionRow>> ListMaterialVersions(store::Connection& conn, int64_t tenant, int64_t material) {
  Value q[] = {tenant, material};
  KEEL_ASSIGN_OR_RETURN(store::Rows r, conn.Query(
      "SELECT v.material_id, v.version, v.file_name, v.content_type, v.size_bytes, v.sha256, v.note, v.created_at, v.created_by, "
      "u.display_name AS created_by_name FROM material_versions v LEFT JOIN users u ON u.tenant_id = v.tenant_id AND u.id = v.created_by "
      "WHERE v.tenant_id = ? AND v.material_id = ? ORDER BY v.version DESC", q));
  std::vector<MaterialVersionRow> out;
  for (store::Row row : r) {
    out.push_back({.material_id = row.Int("material_id"), .version = row.Int("version"), .file_name = row.Text("file_name"),
                   .content_type = row.Text("content_type"), .size_bytes = row.Int("size_bytes"), .sha256 = row.Text("sha256"),
                   .note = row.OptText("note"), .created_at = row.Text("created_at"), .created_by = row.OptInt("created_by"),
                   .created_by_name = row.OptText("created_by_name")});
  }
  return out;
}

Result<std::optional<MaterialBlobRow>> LoadMaterialBlob(store::Connection& conn, int64_t tenant, int64_t material, int64_t version) {
  Value q[] = {tenant, material, version};
  KEEL_ASSIGN_OR_RETURN(store::Rows r, conn.Query(
      version > 0 ? "SELECT version, file_name, content_type, sha256, content FROM material_versions "
                    "WHERE tenant_id = ? AND material_id = ? AND version = ?"
                  : "SELECT version, file_name, content_type, sha256, content FROM material_versions "
                    "WHERE tenant_id = ? AND material_id = ? AND ? = 0 ORDER BY version DESC LIMIT 1",
      q));
  if (r.empty()) return std::optional<MaterialBlobRow>();
  store::Row row = r.row(0);
  return std::optional<MaterialBlobRow>(MaterialBlobRow{.version = row.Int("version"), .file_name = row.Text("file_name"),
                                                        .content_type = row.Text("content_type"), .sha256 = row.Text("sha256"),
                                                        .content = row.Text("content")});
}

}  // namespace keel::org::repo
