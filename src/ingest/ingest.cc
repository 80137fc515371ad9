// The ingestor's entry points: parsing a request body (a JSON array or NDJSON), validating
// its records, queueing them for the writer, and importing CSV files in chunks.
#include <algorithm>

#include "common/crypto.h"
#include "domain/schema.h"
#include "ingest/csv.h"
#include "ingest/internal.h"
#include "ingest/store.h"

namespace keel::ingest {

Result<IngestReport> Ingestor::Ingest(const Principal& p, std::string_view body, std::string_view content_type,
                                      const std::string& idempotency_key) {
  std::string ct(content_type.substr(0, content_type.find(';')));
  std::vector<json> records;
  IngestReport bad_lines;
  if (ct == "application/x-ndjson" || ct == "application/ndjson" || ct == "application/jsonl") {
    size_t line = 0, start = 0;
    while (start < body.size()) {
      size_t end = body.find('\n', start);
      if (end == std::string_view::npos) end = body.size();
      std::string_view text = body.substr(start, end - start);
      start = end + 1;
      if (text.find_first_not_of(" \t\r") == std::string_view::npos) continue;
      if (records.size() + bad_lines.errors.size() >= impl_->opt.max_records) {
        return Status::Error(ErrorKind::kPayloadTooLarge, "ingest.too_many", "at most " + std::to_string(impl_->opt.max_records) + " records per request",
                             "每次请求最多 " + std::to_string(impl_->opt.max_records) + " 条记录");
      }
      json j;
      try {
        j = json::parse(text, nullptr, false);
      } catch (const json::exception&) {  // e.g. a number too large for a double
        j = json(json::value_t::discarded);
      }
      if (j.is_discarded() || !j.is_object()) {
        // A malformed line is that record's error; the other lines still count.
        bad_lines.errors.push_back({line, Status::Invalid("validation.json", "line " + std::to_string(line + 1) + " is not a JSON object",
                                                          "第 " + std::to_string(line + 1) + " 行不是 JSON 对象", "line " + std::to_string(line + 1))});
        records.emplace_back(nullptr);
      } else {
        records.push_back(std::move(j));
      }
      ++line;
    }
  } else if (ct == "application/json" || ct.empty()) {
    json j;
    try {
      j = json::parse(body, [](int depth, json::parse_event_t, json&) { return depth <= 32; });
    } catch (const json::parse_error& e) {
      return Status::Invalid("validation.json", "malformed JSON at byte " + std::to_string(e.byte),
                             "JSON 格式错误，位置：第 " + std::to_string(e.byte) + " 字节", "body@" + std::to_string(e.byte));
    } catch (const json::exception& e) {  // e.g. a number too large for a double
      return Status::Invalid("validation.json", std::string("malformed JSON: ") + e.what(), std::string("JSON 格式错误：") + e.what(), "body");
    }
    if (j.is_object()) j = json::array({j});
    if (!j.is_array()) return Status::Invalid("validation.body", "send a JSON array of records (or NDJSON)", "请发送记录的 JSON 数组（或 NDJSON）", "body");
    if (j.size() > impl_->opt.max_records) {
      return Status::Error(ErrorKind::kPayloadTooLarge, "ingest.too_many", "at most " + std::to_string(impl_->opt.max_records) + " records per request",
                           "每次请求最多 " + std::to_string(impl_->opt.max_records) + " 条记录");
    }
    records.reserve(j.size());
    for (auto& r : j) records.push_back(std::move(r));
  } else {
    return Status::Error(ErrorKind::kInvalid, "http.unsupported_media_type", "send application/json or application/x-ndjson",
                         "请求体须为 application/json 或 application/x-ndjson");
  }
  auto report = IngestRecords(p, std::move(records), idempotency_key);
  if (!report.ok()) return report;
  for (auto& e : bad_lines.errors) report->errors.push_back(std::move(e));
  std::sort(report->errors.begin(), report->errors.end(), [](const RecordError& a, const RecordError& b) { return a.index < b.index; });
  return report;
}

Result<IngestReport> Ingestor::IngestRecords(const Principal& p, std::vector<json> records, const std::string& idempotency_key) {
  if (domain::IsReadOnly(p.role)) {
    return Status::Error(ErrorKind::kForbidden, "auth.forbidden", "your role may not send facts", "您的角色不能提交数据");
  }
  if (idempotency_key.size() > 200) return Status::Invalid("ingest.key", "Idempotency-Key is longer than 200 bytes", "Idempotency-Key 超过 200 字节", "Idempotency-Key");
  IngestReport report;
  report.received = records.size();
  Cache& cache = impl_->CacheOf(p.tenant_id);
  auto batch = std::make_shared<Batch>();
  batch->tenant = p.tenant_id;
  batch->actor = p.user_id;
  std::vector<size_t> via_records;  // leads and stage changes go through the record service
  {
    KEEL_ASSIGN_OR_RETURN(auto conn, impl_->db.Acquire());
    std::lock_guard lock(cache.mu);
    if (!cache.loaded) KEEL_RETURN_IF_ERROR(impl_->Load(*conn, p.tenant_id, cache));
    std::set<std::string> keys, codes;
    for (size_t i = 0; i < records.size(); ++i) {
      const json& r = records[i];
      if (r.is_null()) continue;  // a malformed NDJSON line, reported by the caller
      if (!r.is_object()) {
        report.errors.push_back({i, Status::Invalid("validation.type", "a record is a JSON object", "每条记录须为 JSON 对象", "")});
        continue;
      }
      std::string type = Str(r, "type");
      if (type == "lead" || type == "stage_change") {
        via_records.push_back(i);
        continue;
      }
      Prepared prep;
      prep.index = i;
      Status st;
      if (auto id = r.find("id"); id != r.end() && !id->is_null()) {
        if (!id->is_string() || id->get_ref<const std::string&>().empty() || id->get_ref<const std::string&>().size() > 200) {
          st = Status::Invalid("ingest.key", "id (the idempotency key) is text of 1-200 bytes", "id（幂等键）须为 1-200 字节的文本", "id");
        } else {
          prep.key = "r:" + id->get<std::string>();
        }
      } else if (!idempotency_key.empty()) {
        prep.key = "h:" + idempotency_key + "#" + std::to_string(i);
      }
      if (st.ok() && !prep.key.empty() && !keys.insert(prep.key).second) {
        report.duplicates++;
        report.duplicate_indexes.push_back(i);
        continue;
      }
      if (st.ok()) st = impl_->Prepare(*conn, p, cache, r, prep);
      if (st.ok()) st = impl_->CheckScope(*conn, p, prep);
      if (st.ok() && prep.kind == Prepared::Kind::kOrder && !codes.insert(prep.code).second) {
        st = Status::Error(ErrorKind::kConflict, "conflict.duplicate", "order code '" + prep.code + "' appears twice in this request",
                           "订单号 '" + prep.code + "' 在本次请求中重复", "code");
      }
      if (!st.ok()) {
        report.errors.push_back({i, st});
        continue;
      }
      batch->records.push_back(std::move(prep));
    }
    KEEL_RETURN_IF_ERROR(impl_->DropTakenCodes(*conn, p, *batch, report));
  }
  impl_->WriteViaRecords(p, records, via_records, report);
  if (!batch->records.empty()) KEEL_RETURN_IF_ERROR(impl_->Enqueue(batch, report));
  std::sort(report.errors.begin(), report.errors.end(), [](const RecordError& a, const RecordError& b) { return a.index < b.index; });
  std::sort(report.duplicate_indexes.begin(), report.duplicate_indexes.end());
  return report;
}

Status Ingestor::Impl::DropTakenCodes(store::Connection& conn, const Principal& p, Batch& batch, IngestReport& report) {
  // Order codes already taken (by another request, or earlier) are refused per record —
  // unless the record is a retry with the same key, which is reported as a duplicate.
  std::vector<std::string> order_codes;
  for (const auto& prep : batch.records) {
    if (prep.kind == Prepared::Kind::kOrder) order_codes.push_back(prep.code);
  }
  KEEL_ASSIGN_OR_RETURN(std::set<std::string> taken, repo::TakenOrderCodes(conn, p.tenant_id, order_codes));
  std::vector<Prepared> kept;
  for (auto& prep : batch.records) {
    if (prep.kind == Prepared::Kind::kOrder) {
      if (taken.count(prep.code)) {
        bool retry = false;
        if (!prep.key.empty()) {
          KEEL_ASSIGN_OR_RETURN(retry, repo::KeySeen(conn, p.tenant_id, prep.key));
        }
        if (retry) {
          report.duplicates++;
          report.duplicate_indexes.push_back(prep.index);
        } else {
          report.errors.push_back({prep.index, Status::Error(ErrorKind::kConflict, "conflict.duplicate",
                                                             "an order with code '" + prep.code + "' exists",
                                                             "订单号 '" + prep.code + "' 已存在", "code")});
        }
        continue;
      }
    }
    kept.push_back(std::move(prep));
  }
  batch.records = std::move(kept);
  return Status();
}

void Ingestor::Impl::WriteViaRecords(const Principal& p, const std::vector<json>& records, const std::vector<size_t>& indexes,
                                     IngestReport& report) {
  // Leads and stage changes: the record service applies their rules (lead flow, legal moves).
  for (size_t i : indexes) {
    const json& r = records[i];
    Result<json> done = Status();
    if (Str(r, "type") == "lead") {
      json body = r;
      body.erase("type");
      body.erase("id");
      if (body.contains("rep")) {
        auto u = domain::FindEntity("users");
        std::string rep = Str(body, "rep");
        auto found = this->records.List(Principal::System(p.tenant_id), *u, {{"username", rep}});
        if (!found.ok() || found->items.empty()) {
          report.errors.push_back({i, Status::Invalid("validation.reference", "no user '" + rep + "'",
                                                      "不存在用户 '" + rep + "'", "rep")});
          continue;
        }
        body["owner_id"] = found->items[0]["id"];
        body.erase("rep");
      }
      done = this->records.Create(p, *domain::FindEntity("leads"), body);
    } else {
      if (!r.contains("opportunity_id") || !r["opportunity_id"].is_number_integer()) {
        report.errors.push_back({i, Status::Invalid("validation.required", "opportunity_id is required", "opportunity_id 为必填项", "opportunity_id")});
        continue;
      }
      json patch = {{"stage", r.contains("stage") ? r["stage"] : json(nullptr)}};
      if (r.contains("loss_reason")) patch["loss_reason"] = r["loss_reason"];
      done = this->records.Update(p, *domain::FindEntity("opportunities"), r["opportunity_id"].get<int64_t>(), patch);
    }
    if (done.ok()) report.accepted++;
    else report.errors.push_back({i, done.status()});
  }
}

Status Ingestor::Impl::Enqueue(const std::shared_ptr<Batch>& batch, IngestReport& report) {
  size_t n = batch->records.size();
  auto fut = batch->done.get_future();
  {
    std::lock_guard lock(mu);
    if (!started) return Status::Error(ErrorKind::kUnavailable, "ingest.stopped", "ingestion is not running", "数据接入未运行");
    if (queued + n > opt.queue_records && queued > 0) {
      busy.fetch_add(1);
      return Status::Error(ErrorKind::kTooManyRequests, "ingest.busy",
                           "the writer is saturated; retry after " + std::to_string(opt.retry_after_s) + " s",
                           "写入繁忙，请 " + std::to_string(opt.retry_after_s) + " 秒后重试");
    }
    queued += n;
    queue.push_back(batch);
  }
  cv.notify_all();
  Result<std::vector<int>> outcome = fut.get();
  if (!outcome.ok()) return outcome.status();
  for (size_t k = 0; k < n; ++k) {
    if ((*outcome)[k] == 1) {
      report.duplicates++;
      report.duplicate_indexes.push_back(batch->records[k].index);
    } else {
      report.accepted++;
    }
  }
  return Status();
}

Result<IngestReport> Ingestor::ImportCsv(const Principal& p, const std::string& type, std::string_view csv,
                                         const std::function<void(size_t, size_t)>& progress, size_t chunk) {
  static const std::set<std::string> kBuiltin = {"order", "activity", "signal", "lead"};
  std::vector<std::string> numbers;
  if (!kBuiltin.count(type)) {
    Cache& c = impl_->CacheOf(p.tenant_id);
    KEEL_ASSIGN_OR_RETURN(auto conn, impl_->db.Acquire());
    std::lock_guard lock(c.mu);
    if (!c.loaded) KEEL_RETURN_IF_ERROR(impl_->Load(*conn, p.tenant_id, c));
    auto spec = c.types.find(type);
    if (spec == c.types.end()) {
      return Status::Invalid("ingest.unknown_type", "unknown type '" + type + "' (order, activity, signal, lead, or a custom event type)",
                             "未知的类型 '" + type + "'（order、activity、signal、lead 或自定义事件类型）", "type");
    }
    for (const auto& f : spec->second.fields) {
      if (f.type == "number") numbers.push_back(f.name);
    }
  }
  std::vector<size_t> line_of_row;
  KEEL_ASSIGN_OR_RETURN(auto rows, ParseCsv(csv, &line_of_row));
  KEEL_ASSIGN_OR_RETURN(CsvRecords parsed, RowsToRecords(rows, line_of_row, type, numbers));
  std::string file_key = "csv:" + Sha256Hex(csv).substr(0, 24);
  IngestReport total;
  total.received = parsed.records.size();
  chunk = std::max<size_t>(1, chunk);
  for (size_t from = 0; from < parsed.records.size(); from += chunk) {
    size_t n = std::min(chunk, parsed.records.size() - from);
    std::vector<json> part(parsed.records.begin() + static_cast<std::ptrdiff_t>(from),
                           parsed.records.begin() + static_cast<std::ptrdiff_t>(from + n));
    for (size_t i = 0; i < n; ++i) {
      if (!part[i].contains("id")) part[i]["id"] = file_key + ":" + std::to_string(from + i);
    }
    KEEL_ASSIGN_OR_RETURN(IngestReport r, IngestRecords(p, std::move(part)));
    total.accepted += r.accepted;
    total.duplicates += r.duplicates;
    for (auto& e : r.errors) {
      size_t line = parsed.lines[from + e.index];
      std::string field = "line " + std::to_string(line) + (e.status.field().empty() ? "" : ": " + e.status.field());
      total.errors.push_back({from + e.index, e.status.WithField(field)});
    }
    for (size_t d : r.duplicate_indexes) total.duplicate_indexes.push_back(from + d);
    if (progress) progress(from + n, parsed.records.size());
  }
  return total;
}

}  // namespace keel::ingest
