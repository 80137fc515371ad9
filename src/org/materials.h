// The materials library (共享物料库): versions of the files behind a `materials` record (brand
// guidelines, price lists, decks, contract templates, training). The record itself — title, kind,
// tags, the unit it belongs to — is an entity of the record service (schema.cc, Scope::kShared:
// HQ's are seen by everyone in the tenant, a unit's own by its subtree and the units above it).
// Here: uploading a new version (numbered 1, 2, 3 … with its SHA-256, who and when), listing them
// and reading any version's bytes back; old versions stay readable. Thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "common/time.h"
#include "domain/model.h"
#include "domain/records.h"
#include "store/database.h"

namespace keel::org {

using json = nlohmann::json;
using domain::Principal;

// One file as uploaded.
struct MaterialUpload {
  std::string bytes;
  std::string file_name;     // empty: "material-<id>"
  std::string content_type;  // empty: application/octet-stream
  std::string note;          // what changed in this version
};

// A stored version's bytes with what a download needs.
struct MaterialContent {
  int64_t version = 0;
  std::string file_name, content_type, sha256;
  std::string bytes;
};

// A stored version, without its bytes.
struct MaterialVersion {
  int64_t material_id = 0, version = 0;
  std::string file_name, content_type;
  int64_t size_bytes = 0;
  std::string sha256;
  std::optional<std::string> note;
  std::string created_at;
  std::optional<int64_t> created_by;
  std::optional<std::string> created_by_name;  // listed versions only
};
// A material's versions, newest first, with what its record says.
struct MaterialVersions {
  int64_t material_id = 0;
  std::string title;
  std::optional<int64_t> latest_version;
  std::vector<MaterialVersion> items;
};

// An uploaded version as the API answers it and its event records it (with material_id, without
// created_by_name).
nlohmann::json ToJson(const MaterialVersion& v);

// 413 material.too_large: a file above `limit` bytes.
Status MaterialTooLarge(size_t limit);

class MaterialService {
 public:
  static constexpr size_t kDefaultMaxBytes = 10 * 1024 * 1024;

  // `db`, `records` and `clock` must outlive the service. Files above `max_bytes` are refused.
  MaterialService(store::Database& db, domain::RecordService& records, const Clock& clock,
                  size_t max_bytes = kDefaultMaxBytes);

  // Stores the next version of material `id`. Writers only: HQ for tenant-wide materials, unit
  // leads for their subtree's (403 otherwise; 404 when the caller cannot see the material; 409
  // when it is archived). Returns the version's description (without the bytes).
  Result<MaterialVersion> AddVersion(const Principal& p, int64_t id, MaterialUpload upload);
  // Every version of a visible material, newest first, without the bytes.
  Result<MaterialVersions> Versions(const Principal& p, int64_t id);
  // The bytes of version `version` (0: the newest) of a visible material.
  Result<MaterialContent> Content(const Principal& p, int64_t id, int64_t version);

  size_t max_bytes() const { return max_bytes_; }

 private:
  store::Database& db_;
  domain::RecordService& records_;
  const Clock& clock_;
  size_t max_bytes_;
};

}  // namespace keel::org
