// The materials library's repository: the versions of a material's file (bytes stored as
// base64url text) and the newest version's figures on the `materials` record. Rows are read by
// column name; the caller holds the transaction. No permission checks.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "store/database.h"

namespace keel::org::repo {

struct MaterialVersionRow {
  int64_t material_id = 0, version = 0;
  std::string file_name, content_type;
  int64_t size_bytes = 0;
  std::string sha256;
  std::optional<std::string> note;
  std::string created_at;
  std::optional<int64_t> created_by;
  std::optional<std::string> created_by_name;  // listed versions only
};
// The highest version number so far (0: none).
Result<int64_t> LatestMaterialVersion(store::Connection& conn, int64_t tenant, int64_t material);
// Stores a version with its content (base64url) and makes it the record's newest.
Status InsertMaterialVersion(store::Connection& conn, int64_t tenant, const MaterialVersionRow& v, const std::string& content_b64url);
Status SetLatestMaterialVersion(store::Connection& conn, int64_t tenant, const MaterialVersionRow& v);
// Every version, newest first, without the bytes.
Result<std::vector<MaterialVersionRow>> ListMaterialVersions(store::Connection& conn, int64_t tenant, int64_t material);

// A version with its bytes (base64url text).
struct MaterialBlobRow {
  int64_t version = 0;
  std::string file_name, content_type, sha256, content;
};
// Version `version`, or the newest when it is 0; nullopt when there is none.
Result<std::optional<MaterialBlobRow>> LoadMaterialBlob(store::Connection& conn, int64_t tenant, int64_t material, int64_t version);

}  // namespace keel::org::repo
