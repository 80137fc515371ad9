#include "org/materials.h"

#include <algorithm>
#include <cctype>

#include "common/crypto.h"
#include "domain/codec.h"
#include "org/internal.h"
#include "org/store/materials.h"

namespace keel::org {

namespace {

const domain::EntityDef& Materials() { return *domain::FindEntity("materials"); }


}  // namespace

Status MaterialTooLarge(size_t limit) {
  std::string mb = std::to_string(limit / (1024 * 1024)) + " MB";
  if (limit < 1024 * 1024) mb = std::to_string(limit) + " bytes";
  return Status::Error(ErrorKind::kPayloadTooLarge, "material.too_large", "a material's file may be at most " + mb,
                       "物料文件不能超过 " + mb, "content");
}

namespace {

// A file name fit for a Content-Disposition header: 1-200 characters of valid UTF-8, no path,
// no control characters, no quotes.
Status CheckFileName(const std::string& name) {
  int len = domain::Utf8Length(name);
  bool ok = len >= 1 && len <= 200 && name != "." && name != ".." &&
            std::none_of(name.begin(), name.end(), [](char c) {
              auto u = static_cast<unsigned char>(c);
              return u < 0x20 || u == 0x7f || c == '/' || c == '\\' || c == '"';
            });
  if (ok) return Status();
  return Bad("validation.file_name", "file_name is 1-200 characters without / \\ \" or control characters",
             "file_name 应为 1-200 个字符，且不含 / \\ \" 或控制字符", "file_name");
}

bool MediaToken(const std::string& s) {
  return !s.empty() && s.size() <= 64 && std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || std::string_view("!#$&^_.+-").find(c) != std::string_view::npos;
  });
}

// "Text/CSV; charset=UTF-8" → "text/csv; charset=UTF-8": type/subtype, lower-cased; of the
// parameters only a text type's charset is kept.
Result<std::string> NormaliseContentType(const std::string& raw) {
  if (raw.empty()) return std::string("application/octet-stream");
  std::string type = raw.substr(0, raw.find(';'));
  while (!type.empty() && type.back() == ' ') type.pop_back();
  std::transform(type.begin(), type.end(), type.begin(), [](unsigned char c) { return std::tolower(c); });
  size_t slash = type.find('/');
  if (slash == std::string::npos || !MediaToken(type.substr(0, slash)) || !MediaToken(type.substr(slash + 1))) {
    return Bad("validation.content_type", "content_type is a media type such as application/pdf",
               "content_type 应为媒体类型，如 application/pdf", "content_type");
  }
  size_t cs = raw.find("charset=");
  if (type.rfind("text/", 0) == 0 && cs != std::string::npos) {
    std::string charset = raw.substr(cs + 8);
    charset = charset.substr(0, charset.find(';'));
    if (MediaToken(charset)) type += "; charset=" + charset;
  }
  return type;
}

MaterialVersion VersionOf(const repo::MaterialVersionRow& v) {
  return {.material_id = v.material_id, .version = v.version, .file_name = v.file_name, .content_type = v.content_type,
          .size_bytes = v.size_bytes, .sha256 = v.sha256, .note = v.note, .created_at = v.created_at, .created_by = v.created_by,
          .created_by_name = v.created_by_name};
}

}  // namespace

json ToJson(const MaterialVersion& v) {
  return {{"material_id", v.material_id}, {"version", v.version}, {"file_name", v.file_name}, {"content_type", v.content_type},
          {"size_bytes", v.size_bytes}, {"sha256", v.sha256}, {"note", v.note ? json(*v.note) : json(nullptr)},
          {"created_at", v.created_at}, {"created_by", v.created_by ? json(*v.created_by) : json(nullptr)}};
}

MaterialService::MaterialService(store::Database& db, domain::RecordService& records, const Clock& clock, size_t max_bytes)
    : db_(db), records_(records), clock_(clock), max_bytes_(max_bytes) {}

Result<MaterialVersion> MaterialService::AddVersion(const Principal& p, int64_t id, MaterialUpload up) {
  KEEL_ASSIGN_OR_RETURN(json material, records_.GetWritable(p, Materials(), id));
  if (!material["archived_at"].is_null()) {
    return Status::Error(ErrorKind::kConflict, "record.archived", "this material is archived; restore it before adding versions",
                         "该物料已归档，不能再上传新版本");
  }
  if (up.bytes.empty()) return Bad("validation.required", "the file is empty", "文件内容为空", "content");
  if (up.bytes.size() > max_bytes_) return MaterialTooLarge(max_bytes_);
  if (up.file_name.empty()) up.file_name = "material-" + std::to_string(id);
  KEEL_RETURN_IF_ERROR(CheckFileName(up.file_name));
  KEEL_ASSIGN_OR_RETURN(std::string content_type, NormaliseContentType(up.content_type));
  if (domain::Utf8Length(up.note) < 0 || domain::Utf8Length(up.note) > 500) {
    return Bad("validation.length", "note is at most 500 characters of valid UTF-8", "note 最多 500 个字符（有效 UTF-8）", "note");
  }
  const std::string sha = Sha256Hex(up.bytes);
  const TimeMs now = clock_.NowMs();
  const std::string now_text = FormatTimestamp(now);
  KEEL_ASSIGN_OR_RETURN(auto conn, db_.Acquire());
  KEEL_ASSIGN_OR_RETURN(auto tx, store::Transaction::Begin(*conn, true));
  // Under the tenant's write lock: two uploads at once get consecutive numbers.
  KEEL_RETURN_IF_ERROR(events::LockTenant(*conn, p.tenant_id));
  KEEL_ASSIGN_OR_RETURN(int64_t last, repo::LatestMaterialVersion(*conn, p.tenant_id, id));
  const int64_t version = last + 1;
  const auto size = static_cast<int64_t>(up.bytes.size());
  repo::MaterialVersionRow row = {.material_id = id, .version = version, .file_name = up.file_name, .content_type = content_type,
                                  .size_bytes = size, .sha256 = sha, .created_at = now_text, .created_by = ActorOf(p)};
  if (!up.note.empty()) row.note = up.note;
  KEEL_RETURN_IF_ERROR(repo::InsertMaterialVersion(*conn, p.tenant_id, row, Base64UrlEncode(up.bytes)));
  KEEL_RETURN_IF_ERROR(repo::SetLatestMaterialVersion(*conn, p.tenant_id, row));
  MaterialVersion out = VersionOf(row);
  KEEL_RETURN_IF_ERROR(RecordChange(*conn, p, now, "material.version_added", "materials", id, ToJson(out)));
  KEEL_RETURN_IF_ERROR(tx.Commit());
  return out;
}

Result<MaterialVersions> MaterialService::Versions(const Principal& p, int64_t id) {
  KEEL_ASSIGN_OR_RETURN(json material, records_.Get(p, Materials(), id));
  KEEL_ASSIGN_OR_RETURN(auto conn, db_.Acquire());
  KEEL_ASSIGN_OR_RETURN(std::vector<repo::MaterialVersionRow> versions, repo::ListMaterialVersions(*conn, p.tenant_id, id));
  MaterialVersions out = {.material_id = id, .title = material.value("title", json("")).is_string() ? material.value("title", "") : ""};
  if (material.value("latest_version", json()).is_number_integer()) out.latest_version = material["latest_version"].get<int64_t>();
  for (const auto& v : versions) out.items.push_back(VersionOf(v));
  return out;
}

Result<MaterialContent> MaterialService::Content(const Principal& p, int64_t id, int64_t version) {
  KEEL_ASSIGN_OR_RETURN(json material, records_.Get(p, Materials(), id));
  KEEL_ASSIGN_OR_RETURN(auto conn, db_.Acquire());
  KEEL_ASSIGN_OR_RETURN(std::optional<repo::MaterialBlobRow> r, repo::LoadMaterialBlob(*conn, p.tenant_id, id, version));
  if (!r) {
    return Status::Error(ErrorKind::kNotFound, "material.no_version",
                         version > 0 ? "this material has no version " + std::to_string(version) : "this material has no file yet",
                         version > 0 ? "该物料没有第 " + std::to_string(version) + " 版" : "该物料尚未上传文件", "version");
  }
  MaterialContent out;
  out.version = r->version;
  out.file_name = r->file_name;
  out.content_type = r->content_type;
  out.sha256 = r->sha256;
  if (!Base64UrlDecode(r->content, &out.bytes)) {
    return Status::Internal("material " + std::to_string(id) + " version " + std::to_string(out.version) + " is not base64url");
  }
  return out;
}

}  // namespace keel::org
