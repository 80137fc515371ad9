#include "org/materials.h"

#include <algorithm>
#include <cctype>

#include "common/crypto.h"
#include "domain/codec.h"
#include "org/internal.h"

namespace keel::org {

using store::Value;

namespace {

const domain::EntityDef& Materials() { return *domain::FindEntity("materials"); }


Status TooLarge(size_t limit) {
  std::string mb = std::to_string(limit / (1024 * 1024)) + " MB";
  if (limit < 1024 * 1024) mb = std::to_string(limit) + " bytes";
  return Status::Error(ErrorKind::kPayloadTooLarge, "material.too_large", "a material's file may be at most " + mb,
                       "物料文件不能超过 " + mb, "content");
}

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

json VersionJson(const store::Rows& r, size_t i) {
  const auto& row = r.rows[i];
  return {{"version", store::AsInt(row[0])},
          {"file_name", store::AsText(row[1])},
          {"content_type", store::AsText(row[2])},
          {"size_bytes", store::AsInt(row[3])},
          {"sha256", store::AsText(row[4])},
          {"note", store::IsNull(row[5]) ? json(nullptr) : json(store::AsText(row[5]))},
          {"created_at", store::AsText(row[6])},
          {"created_by", store::IsNull(row[7]) ? json(nullptr) : json(store::AsInt(row[7]))},
          {"created_by_name", store::IsNull(row[8]) ? json(nullptr) : json(store::AsText(row[8]))}};
}

const char* kVersionColumns =
    "SELECT v.version, v.file_name, v.content_type, v.size_bytes, v.sha256, v.note, v.created_at, v.created_by, u.display_name "
    "FROM material_versions v LEFT JOIN users u ON u.tenant_id = v.tenant_id AND u.id = v.created_by ";

}  // namespace

MaterialService::MaterialService(store::Database& db, domain::RecordService& records, const Clock& clock, size_t max_bytes)
    : db_(db), records_(records), clock_(clock), max_bytes_(max_bytes) {}

Result<MaterialUpload> MaterialService::UploadFromJson(const json& body) const {
  KEEL_RETURN_IF_ERROR(domain::CheckObject(body, {"content_base64", "file_name", "content_type", "note"}));
  MaterialUpload up;
  for (const char* k : {"file_name", "content_type", "note"}) {
    if (body.contains(k) && !body[k].is_null() && !body[k].is_string()) {
      return Bad("validation.type", std::string(k) + " must be a string", std::string(k) + " 应为字符串", k);
    }
  }
  if (!body.contains("content_base64") || !body["content_base64"].is_string()) {
    return Bad("validation.required", "content_base64 is required (the file in base64)", "content_base64 为必填项（文件的 base64 编码）",
               "content_base64");
  }
  const std::string& b64 = body["content_base64"].get_ref<const std::string&>();
  if (b64.size() > max_bytes_ / 3 * 4 + 1024) return TooLarge(max_bytes_);
  if (!Base64Decode(b64, &up.bytes)) {
    return Bad("validation.base64", "content_base64 is not valid base64", "content_base64 不是有效的 base64 编码", "content_base64");
  }
  up.file_name = body.value("file_name", json("")).is_string() ? body.value("file_name", "") : "";
  up.content_type = body.value("content_type", json("")).is_string() ? body.value("content_type", "") : "";
  up.note = body.value("note", json("")).is_string() ? body.value("note", "") : "";
  return up;
}

Result<json> MaterialService::AddVersion(const Principal& p, int64_t id, MaterialUpload up) {
  KEEL_ASSIGN_OR_RETURN(json material, records_.GetWritable(p, Materials(), id));
  if (!material["archived_at"].is_null()) {
    return Status::Error(ErrorKind::kConflict, "record.archived", "this material is archived; restore it before adding versions",
                         "该物料已归档，不能再上传新版本");
  }
  if (up.bytes.empty()) return Bad("validation.required", "the file is empty", "文件内容为空", "content");
  if (up.bytes.size() > max_bytes_) return TooLarge(max_bytes_);
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
  Value q[] = {p.tenant_id, id};
  KEEL_ASSIGN_OR_RETURN(store::Rows last, conn->Query(
      "SELECT COALESCE(MAX(version), 0) FROM material_versions WHERE tenant_id = ? AND material_id = ?", q));
  const int64_t version = store::AsInt(last.rows[0][0]) + 1;
  const auto size = static_cast<int64_t>(up.bytes.size());
  Value ins[] = {p.tenant_id, id, version, up.file_name, content_type, size, sha,
                 up.note.empty() ? Value() : Value(up.note), Base64UrlEncode(up.bytes), now_text,
                 p.user_id ? Value(p.user_id) : Value()};
  KEEL_RETURN_IF_ERROR(conn->Exec("INSERT INTO material_versions (tenant_id, material_id, version, file_name, content_type, size_bytes, "
                                  "sha256, note, content, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", ins).status());
  Value up_q[] = {version, up.file_name, content_type, size, sha, now_text, p.tenant_id, id};
  KEEL_RETURN_IF_ERROR(conn->Exec("UPDATE materials SET latest_version = ?, file_name = ?, content_type = ?, size_bytes = ?, sha256 = ?, "
                                  "updated_at = ? WHERE tenant_id = ? AND id = ?", up_q).status());
  json out = {{"material_id", id}, {"version", version}, {"file_name", up.file_name}, {"content_type", content_type},
              {"size_bytes", size}, {"sha256", sha}, {"note", up.note.empty() ? json(nullptr) : json(up.note)},
              {"created_at", now_text}, {"created_by", p.user_id ? json(p.user_id) : json(nullptr)}};
  KEEL_RETURN_IF_ERROR(RecordChange(*conn, p, now, "material.version_added", "materials", id, out));
  KEEL_RETURN_IF_ERROR(tx.Commit());
  return out;
}

Result<json> MaterialService::Versions(const Principal& p, int64_t id) {
  KEEL_ASSIGN_OR_RETURN(json material, records_.Get(p, Materials(), id));
  KEEL_ASSIGN_OR_RETURN(auto conn, db_.Acquire());
  Value q[] = {p.tenant_id, id};
  KEEL_ASSIGN_OR_RETURN(store::Rows r, conn->Query(std::string(kVersionColumns) +
                                                   "WHERE v.tenant_id = ? AND v.material_id = ? ORDER BY v.version DESC", q));
  json items = json::array();
  for (size_t i = 0; i < r.size(); ++i) items.push_back(VersionJson(r, i));
  return json{{"material_id", id}, {"title", material["title"]}, {"latest_version", material["latest_version"]}, {"items", items}};
}

Result<MaterialContent> MaterialService::Content(const Principal& p, int64_t id, int64_t version) {
  KEEL_ASSIGN_OR_RETURN(json material, records_.Get(p, Materials(), id));
  KEEL_ASSIGN_OR_RETURN(auto conn, db_.Acquire());
  Value q[] = {p.tenant_id, id, version};
  KEEL_ASSIGN_OR_RETURN(store::Rows r, conn->Query(
      version > 0 ? "SELECT version, file_name, content_type, sha256, content FROM material_versions "
                    "WHERE tenant_id = ? AND material_id = ? AND version = ?"
                  : "SELECT version, file_name, content_type, sha256, content FROM material_versions "
                    "WHERE tenant_id = ? AND material_id = ? AND ? = 0 ORDER BY version DESC LIMIT 1",
      q));
  if (r.empty()) {
    return Status::Error(ErrorKind::kNotFound, "material.no_version",
                         version > 0 ? "this material has no version " + std::to_string(version) : "this material has no file yet",
                         version > 0 ? "该物料没有第 " + std::to_string(version) + " 版" : "该物料尚未上传文件", "version");
  }
  MaterialContent out;
  out.version = store::AsInt(r.rows[0][0]);
  out.file_name = store::AsText(r.rows[0][1]);
  out.content_type = store::AsText(r.rows[0][2]);
  out.sha256 = store::AsText(r.rows[0][3]);
  if (!Base64UrlDecode(store::AsText(r.rows[0][4]), &out.bytes)) {
    return Status::Internal("material " + std::to_string(id) + " version " + std::to_string(out.version) + " is not base64url");
  }
  return out;
}

}  // namespace keel::org
